"""BillPayment (Intuit's BillPayment reference): money paid to a vendor by check or credit card,
applied to its bills.

Each line pays one bill (LinkedTxn TxnType "Bill") up to the bill's open balance; the lines
together may not come to more than TotalAmt, and what TotalAmt has over them is the vendor's
credit ("the overpayment is treated as a credit"; that credit is not modelled in the vendor's
Balance). Every bill paid has its Balance lowered, its vendor's Balance with it, and lists the
payment in its LinkedTxn as "BillPaymentCheck" (Intuit's Bill samples) or "BillPaymentCreditCard"
(TxnTypeEnum's name; UNCONFIRMED on a bill). An update, delete or void gives back what the
payment no longer applies. A void, `operation=update&include=void` as python-quickbooks' VoidMixin
sends it, leaves TotalAmt 0, no lines and "Voided" at the head of PrivateNote.
"""

from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities import entity_type, register
from qbo_emulator.entities.base import cents, mapping, money, reference
from qbo_emulator.entities.bill import check_account
from qbo_emulator.entities.invoice import mark_voided, refuse_second_void
from qbo_emulator.entities.payment import applications
from qbo_emulator.entities.spec import DeclaredType, Spec

ZERO = Decimal("0")
PRINT_STATUSES = ("NeedToPrint", "NotSet", "PrintComplete")
# PayType → the block that says where the money comes from, its account reference, the account
# types QBO takes there ("Bank" for checks, "Credit Card" for cards) and the bill's link type.
PAID_FROM = {
    "Check": ("CheckPayment", "BankAccountRef", frozenset({"Bank"}), "BillPaymentCheck"),
    "CreditCard": ("CreditCardPayment", "CCAccountRef", frozenset({"Credit Card"}),
                   "BillPaymentCreditCard"),
}  # fmt: skip
LINK_TYPES = frozenset(link for *_, link in PAID_FROM.values())


def _paid_out(record: dict) -> list[tuple[str, object]]:
    """The total leaves the bank or card account it is paid from."""
    if "PayType" not in record:
        return []
    block, key, *_ = PAID_FROM[record["PayType"]]
    return [(record[block][key]["value"], -record["TotalAmt"])]


BILL_PAYMENT = Spec(
    name="BillPayment",
    operations=frozenset({"create", "read", "update", "delete", "void", "query"}),
    required=("VendorRef", "PayType", "TotalAmt"),
    refs={"VendorRef": "Vendor", "APAccountRef": "Account", "DepartmentRef": "Department"},
    choices={"PayType": tuple(PAID_FROM)},
    amounts=("TotalAmt",),
    total=None,
    numbered=False,
    queryable=frozenset({"CheckPayment.BankAccountRef", "CreditCardPayment.CCAccountRef"}),
    postings=_paid_out,
)


class BillPaymentType(DeclaredType):
    def build(self, company, body, existing, options):
        record = super().build(company, body, existing, options)
        if record["TotalAmt"] < 0:
            raise faults.invalid_value("TotalAmt", "TotalAmt cannot be negative")
        self._paid_from(company, record, body)
        lines = [
            line
            for line in (self._line_of(company, raw, record) for raw in _lines(body))
            if line is not None
        ]
        self._within_open_balances(company, lines, existing)
        paid = sum((line["Amount"] for line in lines), ZERO)
        if paid > record["TotalAmt"]:
            raise faults.business(
                f"The amounts paid on bills ({paid}) are more than the payment total "
                f"({record['TotalAmt']}).",
                "Line.Amount",
            )
        record["Line"] = lines
        return record

    def _paid_from(self, company, record: dict, body: dict) -> None:
        """The check's bank account or the card's account, of the right type."""
        block, key, types, _ = PAID_FROM[record["PayType"]]
        for other, *_ in PAID_FROM.values():
            record.pop(other, None)
        paid_from = dict(mapping(body.get(block), block))
        element = f"{block}.{key}"
        paid_from[key] = reference(company, paid_from, key, "Account", element=element,
                                   required=True)  # fmt: skip
        check_account(company, paid_from, key, types, element)
        if block == "CheckPayment":
            paid_from["PrintStatus"] = self._choice(paid_from, "PrintStatus", PRINT_STATUSES)
        record[block] = paid_from

    @staticmethod
    def _line_of(company, raw, record: dict) -> dict | None:
        """One line: an amount paid on one bill of this vendor. A line of 0 pays nothing and is
        dropped, as a payment line of 0 unapplies (entities/payment.py)."""
        if not isinstance(raw, dict):
            raise faults.invalid_value("Line", "Each Line must be an object")
        if raw.get("Amount") in (None, ""):
            raise faults.required("Line.Amount")
        amount = cents(money(raw["Amount"], "Line.Amount"))
        if amount == 0:
            return None
        if amount < 0:
            raise faults.invalid_value("Line.Amount", "Line Amount cannot be negative")
        links = [link for link in raw.get("LinkedTxn") or [] if isinstance(link, dict)]
        if not links:
            raise faults.required("Line.LinkedTxn")
        if len(links) > 1:
            raise faults.invalid_value("Line.LinkedTxn", "A bill payment line pays one bill")
        kind, txn_id = links[0].get("TxnType"), str(links[0].get("TxnId", ""))
        if kind != "Bill":
            raise faults.invalid_value(
                "Line.LinkedTxn.TxnType",
                f"Paying {kind!r} with a bill payment is not supported by the emulator",
            )
        bill = company.find("Bill", txn_id)
        if bill is None:
            raise faults.object_not_found("Bill", txn_id)
        if bill["VendorRef"]["value"] != record["VendorRef"]["value"]:
            raise faults.business(
                f"Bill {txn_id} belongs to another vendor; a bill payment pays its own "
                "vendor's bills.",
                "Line.LinkedTxn.TxnId",
            )
        return {"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": "Bill"}]}

    @staticmethod
    def _within_open_balances(company, lines: list[dict], existing: dict | None) -> None:
        """What the lines pay on each bill is at most its open balance, counting back what this
        payment already paid on it."""
        before = applications(existing)
        for key, amount in applications({"Line": lines}).items():
            open_amount = company.find(*key)["Balance"] + before.get(key, ZERO)
            if amount > open_amount:
                raise faults.business(
                    f"The amount paid on bill {key[1]} ({amount}) is more than its open "
                    f"balance ({open_amount}).",
                    "Line.Amount",
                )

    def after_write(self, company, record, previous):
        """Each bill takes the change in what this payment pays on it, and lists the payment
        while it pays something; a bill this payment leaves as it was is not touched."""
        super().after_write(company, record, previous)
        before, after = applications(previous), applications(record)
        bills = entity_type("Bill", "read")
        link = PAID_FROM[record["PayType"]][3] if "PayType" in record else None
        for key in sorted(set(before) | set(after)):
            bill = company.find(*key)
            if bill is None:
                continue
            delta = after.get(key, ZERO) - before.get(key, ZERO)
            mine = [{"TxnId": record["Id"], "TxnType": link}] if key in after else []
            listed = [txn for txn in bill.get("LinkedTxn", []) if self._lists(txn, record)]
            if delta == 0 and listed == mine:
                continue
            others = [txn for txn in bill.get("LinkedTxn", []) if not self._lists(txn, record)]
            bills.take(company, bill, delta)
            if others or mine:
                bill["LinkedTxn"] = others + mine
            else:
                bill.pop("LinkedTxn", None)
            company.touch("Bill", bill)

    @staticmethod
    def _lists(txn: dict, record: dict) -> bool:
        return txn.get("TxnId") == record["Id"] and txn.get("TxnType") in LINK_TYPES

    def after_delete(self, company, record):
        self.after_write(company, {"Id": record["Id"], "Line": []}, record)

    def void(self, company, record):
        refuse_second_void(record, "bill payment")
        record["TotalAmt"] = ZERO
        record["Line"] = []
        return mark_voided(record)


def _lines(body: dict) -> list:
    sent = body.get("Line")
    if sent in (None, ""):
        return []
    if not isinstance(sent, list):
        raise faults.invalid_value("Line", "Line must be a list")
    return sent


register(BillPaymentType(BILL_PAYMENT))
