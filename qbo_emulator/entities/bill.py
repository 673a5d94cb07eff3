"""Bill (Intuit's Bill reference): what the company owes a vendor, and the expense lines every
purchase form shares (Bill, Purchase, PurchaseOrder).

A bill's lines are expenses booked to an account (AccountBasedExpenseLineDetail) or items bought
(ItemBasedExpenseLineDetail); TotalAmt is their sum and Balance what is still unpaid, which the
vendor's Balance carries. Bill payments (entities/bill_payment.py) lower it and are listed in the
bill's LinkedTxn. QBO offers no void of a bill, and a bill with payments applied is not deleted
("You must unlink any linked transactions associated with the bill object before deleting it").
No DocNumber is made up: "If no value is supplied, the resulting DocNumber is null".
"""

from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.base import cents, iso_date, ref_value
from qbo_emulator.entities.invoice import _due_date
from qbo_emulator.entities.spec import Balance, DeclaredType, Detail, Spec

BILLABLE = ("NotBillable", "Billable", "HasBeenBilled")
# The line references every expense line may carry besides its account or item.
TRACKING = {"CustomerRef": "Customer", "ClassRef": "Class", "TaxCodeRef": "TaxCode"}


def invalid_account_type(element: str) -> faults.QboFault:
    """QBO's refusal of an account of the wrong type for a purchase's payment or payables
    (quickbooks-ruby #229, #532: "Invalid account type: You need to select a different type of
    account for this transaction."; the code, 6000, is UNCONFIRMED)."""
    return faults.validation(
        "6000",
        "Invalid account type",
        "Invalid account type: You need to select a different type of account for this "
        "transaction.",
        element,
    )


def check_account(company, record: dict, key: str, types: frozenset[str], element=None) -> None:
    """The account `record[key]` refers to must be of one of `types` (its AccountType)."""
    account = company.find("Account", record[key]["value"])
    if account.get("AccountType") not in types:
        raise invalid_account_type(element or key)


def payables(company, record: dict, body: dict) -> None:
    """APAccountRef: the account sent, which must be an Accounts Payable one, or the company's
    A/P account ("If the company has a single AP account, the account is implied"; Intuit's
    samples answer "Accounts Payable (A/P)" when none was sent)."""
    if "APAccountRef" in record:
        check_account(company, record, "APAccountRef", frozenset({"Accounts Payable"}))
        return
    for account in company.tables["Account"].values():
        if account.get("AccountType") == "Accounts Payable" and account.get("Active", True):
            record["APAccountRef"] = {"value": account["Id"], "name": account["Name"]}
            return


def due_date(company, record: dict, body: dict) -> None:
    """DueDate as sent, else TxnDate plus the term's days ("If date is not provided, the number
    of days specified in SalesTermRef added the transaction date will be used"). Without a
    SalesTermRef the vendor's own term applies, as QBO's bill form fills it in (UNCONFIRMED
    for the API)."""
    if "SalesTermRef" not in record:
        vendor = company.find("Vendor", record["VendorRef"]["value"])
        term = company.find("Term", ref_value(vendor, "TermRef") or "")
        if term is not None and term.get("Active", True):
            record["SalesTermRef"] = {"value": term["Id"], "name": term["Name"]}
    record["DueDate"] = iso_date(body, "DueDate") or _due_date(company, record)


def _tax_code(company, detail: dict) -> None:
    """Intuit's US samples answer TaxCodeRef NON on every expense line sent without one, and
    answer a line's TaxCodeRef by its value alone."""
    if "TaxCodeRef" in detail:
        detail["TaxCodeRef"] = {"value": detail["TaxCodeRef"]["value"]}
    elif company.is_us:
        detail["TaxCodeRef"] = {"value": "NON"}


def _account_line(company, line: dict) -> None:
    _tax_code(company, line["AccountBasedExpenseLineDetail"])


def _item_line(company, line: dict) -> None:
    """An item bought: the item must say where its cost goes (the PurchaseOrder reference: an
    item without an expense account fails with "You must select an account for this
    transaction."), and Amount, when not sent, is Qty x UnitPrice. A sent Amount is kept as it
    is: Intuit's own Bill sample has Qty 8, UnitPrice 10 and Amount 100."""
    detail = line["ItemBasedExpenseLineDetail"]
    item = company.find("Item", detail["ItemRef"]["value"])
    element = "Line.ItemBasedExpenseLineDetail.ItemRef"
    if item.get("Type") == "Category":
        raise faults.validation(
            "2500", "Invalid Reference Id", "Categories cannot be used in transactions", element
        )
    if not (item.get("ExpenseAccountRef") or item.get("AssetAccountRef")):
        raise faults.business("You must select an account for this transaction.", element)
    # python-quickbooks sends Qty 0 and UnitPrice 0 for "not set".
    for key in ("Qty", "UnitPrice"):
        if not detail.get(key):
            detail.pop(key, None)
    if "Amount" not in line:
        if "Qty" not in detail or "UnitPrice" not in detail:
            raise faults.required("Line.Amount")
        line["Amount"] = cents(detail["Qty"] * detail["UnitPrice"])
    _tax_code(company, detail)


EXPENSE_LINES = {
    "AccountBasedExpenseLineDetail": Detail(
        refs={"AccountRef": "Account", **TRACKING}, required=("AccountRef",),
        money=("TaxAmount", "TaxInclusiveAmt"), choices={"BillableStatus": BILLABLE},
        finish=_account_line,
    ),
    "ItemBasedExpenseLineDetail": Detail(
        refs={"ItemRef": "Item", **TRACKING}, required=("ItemRef",),
        money=("Qty", "UnitPrice", "TaxInclusiveAmt"), choices={"BillableStatus": BILLABLE},
        amount_required=False, finish=_item_line,
    ),
}  # fmt: skip


def line_postings(record: dict) -> list[tuple[str, Decimal]]:
    """What a purchase form's account lines post: each line's Amount to its account (only bank
    accounts' CurrentBalance is tracked, entities/spec.py; an item line's account is not)."""
    return [
        (line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"], line["Amount"])
        for line in record.get("Line", [])
        if "AccountBasedExpenseLineDetail" in line
    ]


def _bill_rules(company, record: dict, body: dict, existing: dict | None) -> None:
    paid = existing and existing["TotalAmt"] - existing["Balance"]
    if paid and existing["VendorRef"]["value"] != record["VendorRef"]["value"]:
        raise faults.business(
            "You can't change the vendor on a bill that has payments applied.", "VendorRef"
        )
    payables(company, record, body)
    due_date(company, record, body)


BILL = Spec(
    name="Bill",
    operations=frozenset({"create", "read", "update", "delete", "query"}),
    required=("VendorRef",),
    refs={"VendorRef": "Vendor", "APAccountRef": "Account", "SalesTermRef": "Term",
          "DepartmentRef": "Department"},
    dates=("DueDate",),
    objects=("VendorAddr", "ShipAddr", "RemitToAddr"),
    lines=EXPENSE_LINES,
    balance=Balance("VendorRef", "Vendor"),
    numbered=False,
    kept=("LinkedTxn",),
    queryable=frozenset({"Balance", "DueDate"}),
    finish=_bill_rules,
    postings=line_postings,
)  # fmt: skip

register(DeclaredType(BILL))
