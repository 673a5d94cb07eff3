"""Purchase and PurchaseOrder (Intuit's references of both), with the expense lines of a bill
(entities/bill.py).

A Purchase is an expense paid at once, in cash, by check or by credit card (PaymentType) from
AccountRef: a bank account for a check, a credit card account for a card ("Check must specify
bank account, CreditCard must specify credit card account"; for cash the emulator takes a bank,
card or other current asset account, UNCONFIRMED). `Credit` true makes a card purchase a refund
and is "Valid only for CreditCard transactions"; PrintStatus is "applicable only for Check".
EntityRef names the payee, a Vendor, Customer or Employee, and QBO answers it with its `type`.
Nothing stays owed, so no balance moves. Intuit offers create, read, update, delete and query;
no void.

A PurchaseOrder is "a non-posting transaction": lines, a total and POStatus (Open or Closed),
no balance. Both number themselves when custom transaction numbers are off, as the references
say of VendorAndPurchasesPrefs.UseCustomTxnNumbers (the emulator's one custom-numbers setting
stands for it).
"""

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.base import boolean, display_name, ref_value
from qbo_emulator.entities.bill import (
    EXPENSE_LINES,
    check_account,
    due_date,
    line_postings,
    payables,
)
from qbo_emulator.entities.spec import DeclaredType, Spec

# PaymentType → the account types its AccountRef may be.
PAID_FROM = {
    "Cash": frozenset({"Bank", "Credit Card", "Other Current Asset"}),
    "Check": frozenset({"Bank"}),
    "CreditCard": frozenset({"Credit Card"}),
}
PAYEES = ("Vendor", "Customer", "Employee")
PRINT_STATUSES = ("NeedToPrint", "NotSet", "PrintComplete")


def _payee(company, body: dict) -> dict | None:
    """EntityRef: the payee of the type sent, or, without a type, the vendor, customer or
    employee of that Id (in that order; the emulator numbers each list on its own)."""
    value = ref_value(body, "EntityRef")
    if value is None:
        return None
    sent = body["EntityRef"].get("type") if isinstance(body["EntityRef"], dict) else None
    if sent not in (None, "", *PAYEES):
        raise faults.invalid_value("EntityRef.type", f"EntityRef.type must be one of {PAYEES}")
    for kind in (sent,) if sent else PAYEES:
        target = company.find(kind, value)
        if target is None:
            continue
        if target.get("Active") is False:
            raise faults.inactive_reference("EntityRef", value)
        return {"value": value, "name": display_name(target), "type": kind}
    raise faults.invalid_reference("EntityRef", value)


def _purchase_rules(company, record: dict, body: dict, existing: dict | None) -> None:
    payment_type = record["PaymentType"]
    check_account(company, record, "AccountRef", PAID_FROM[payment_type])
    payee = _payee(company, body)
    if payee:
        record["EntityRef"] = payee
    else:
        record.pop("EntityRef", None)
    credit = boolean(body, "Credit", False)
    if payment_type == "CreditCard":
        record["Credit"] = credit
    elif credit:
        raise faults.invalid_value("Credit", "Credit is valid only for CreditCard purchases")
    else:
        record.pop("Credit", None)  # python-quickbooks sends false on every purchase
    if payment_type == "Check":
        record["PrintStatus"] = DeclaredType._choice(body, "PrintStatus", PRINT_STATUSES)
    else:
        record.pop("PrintStatus", None)


def _purchase_postings(record: dict) -> list[tuple[str, object]]:
    """The money leaves the payment account for the lines' accounts; a card refund (Credit)
    brings it back."""
    sign = -1 if record.get("Credit") else 1
    moves = [(account, amount * sign) for account, amount in line_postings(record)]
    return [*moves, (record["AccountRef"]["value"], -record["TotalAmt"] * sign)]


def _order_rules(company, record: dict, body: dict, existing: dict | None) -> None:
    payables(company, record, body)
    due_date(company, record, body)


PURCHASE = Spec(
    name="Purchase",
    operations=frozenset({"create", "read", "update", "delete", "query"}),
    required=("PaymentType", "AccountRef"),
    refs={"AccountRef": "Account", "PaymentMethodRef": "PaymentMethod",
          "DepartmentRef": "Department"},
    choices={"PaymentType": tuple(PAID_FROM)},
    objects=("RemitToAddr",),
    lines=EXPENSE_LINES,
    queryable=frozenset({"PaymentType"}),
    finish=_purchase_rules,
    postings=_purchase_postings,
)  # fmt: skip

PURCHASE_ORDER = Spec(
    name="PurchaseOrder",
    operations=frozenset({"create", "read", "update", "delete", "query"}),
    required=("VendorRef",),
    refs={"VendorRef": "Vendor", "APAccountRef": "Account", "SalesTermRef": "Term",
          "ClassRef": "Class", "ShipTo": "Customer"},
    choices={"POStatus": ("Open", "Closed"), "EmailStatus": ("NotSet", "NeedToSend", "EmailSent")},
    texts={"Memo": 4000},
    dates=("DueDate",),
    objects=("POEmail", "VendorAddr", "ShipAddr"),
    lines=EXPENSE_LINES,
    queryable=frozenset({"DueDate", "POStatus"}),
    finish=_order_rules,
)  # fmt: skip

register(DeclaredType(PURCHASE))
register(DeclaredType(PURCHASE_ORDER))
