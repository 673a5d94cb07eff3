"""JournalEntry (Intuit's JournalEntry reference): amounts posted straight to accounts, each line
a Debit or a Credit (`JournalEntryLineDetail.PostingType`, required with its AccountRef), and
"the total of the Debit column equals the total of the Credit column". TotalAmt is that total.

A line on an Accounts Receivable account names the customer it concerns, one on Accounts
Payable the vendor (`Entity`: {"Type": "Customer", "EntityRef": {...}}); QBO refuses them
without (import tools' notes: "when posting to the Account Receivable account you must have a
Customer"; the words of the refusal are QBO's UI message, its API code UNCONFIRMED). DocNumber
is the client's, duplicates allowed ("duplicate DocNumbers are accepted in QuickBooks",
zed-systems' QBO import notes). No void: QBO's reference offers create, read, query, update and
delete. The CurrentBalance of bank accounts follows the lines (entities/spec.py `postings`).
"""

from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.base import cents, mapping, reference
from qbo_emulator.entities.spec import ZERO, DeclaredType, Detail, Spec

DETAIL = "Line.JournalEntryLineDetail"
POSTING_TYPES = ("Debit", "Credit")
PARTIES = ("Customer", "Vendor", "Employee")
# The party a line on these accounts must name, with the words QBO's refusal uses for it.
PARTY_NEEDED = {"Accounts Receivable": ("Customer", "choose a customer"),
                "Accounts Payable": ("Vendor", "select a vendor")}  # fmt: skip


def _posting_line(company, line: dict) -> None:
    detail = line["JournalEntryLineDetail"]
    posting = detail.get("PostingType")
    if posting in (None, ""):
        raise faults.required(f"{DETAIL}.PostingType")
    if posting not in POSTING_TYPES:
        raise faults.invalid_value(f"{DETAIL}.PostingType", "PostingType must be Debit or Credit")
    if line["Amount"] < 0:
        raise faults.invalid_value(
            "Line.Amount", "A journal entry line's Amount cannot be negative"
        )
    party = _entity(company, detail)
    account = company.find("Account", detail["AccountRef"]["value"])
    needed = PARTY_NEEDED.get(account.get("AccountType"))
    if needed and party != needed[0]:
        raise faults.business(
            f"When you use {account['AccountType']}, you must {needed[1]} in the Name field.",
            f"{DETAIL}.Entity",
        )


def _entity(company, detail: dict) -> str | None:
    """The Entity a line names, checked: its Type and the reference to that customer, vendor
    or employee. Returns the Type, or None when the line names no one."""
    entity = mapping(detail.get("Entity"), f"{DETAIL}.Entity")
    if not entity.get("EntityRef"):
        detail.pop("Entity", None)
        return None
    party = entity.get("Type")
    if party not in PARTIES:
        raise faults.invalid_value(f"{DETAIL}.Entity.Type", f"Entity Type must be one of {PARTIES}")
    ref = reference(company, entity, "EntityRef", party, element=f"{DETAIL}.Entity.EntityRef")
    detail["Entity"] = {"Type": party, "EntityRef": ref}
    return party


def _signed_lines(record: dict) -> list[tuple[str, Decimal]]:
    """(Account Id, amount) per posting line: debits plus, credits minus."""
    signs = {"Debit": 1, "Credit": -1}
    return [
        (detail["AccountRef"]["value"], line["Amount"] * signs[detail["PostingType"]])
        for line in record["Line"]
        if (detail := line.get("JournalEntryLineDetail"))
    ]


def _balanced(company, record: dict, body: dict, existing: dict | None) -> None:
    amounts = [amount for _, amount in _signed_lines(record)]
    debits = sum((a for a in amounts if a > 0), ZERO)
    credits = -sum((a for a in amounts if a < 0), ZERO)
    if debits != credits:
        # 6000 as the brief's search found for business rules; the words are UNCONFIRMED.
        raise faults.business(
            f"The debits ({debits}) and credits ({credits}) of a journal entry must balance.",
            "Line",
        )
    record["TotalAmt"] = cents(debits)


JOURNAL_ENTRY = Spec(
    name="JournalEntry",
    texts={"DocNumber": 21},
    flags={"Adjustment": False},
    lines={
        "JournalEntryLineDetail": Detail(
            refs={"AccountRef": "Account", "ClassRef": "Class", "DepartmentRef": "Department",
                  "TaxCodeRef": "TaxCode"},
            required=("AccountRef",), money=("TaxAmount",), finish=_posting_line),
        "DescriptionOnly": Detail(key="DescriptionLineDetail", counted=False,
                                  amount_required=False),
    },
    doc_number=False,
    total=None,
    finish=_balanced,
    postings=_signed_lines,
)  # fmt: skip

register(DeclaredType(JOURNAL_ENTRY))
