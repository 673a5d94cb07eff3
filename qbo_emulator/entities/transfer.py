"""Transfer (Intuit's Transfer reference): money moved from one balance-sheet account to another
("FromAccountRef ... Must be a Balance Sheet account", the same for ToAccountRef). It has no
lines: Amount is the whole of it, and no DocNumber. QBO offers no void of a transfer; it is
deleted. A bank account's CurrentBalance follows it (entities/spec.py `postings`)."""

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.bill import invalid_account_type
from qbo_emulator.entities.spec import DeclaredType, Spec

BALANCE_SHEET = frozenset({"Asset", "Liability", "Equity"})


def _transfer_rules(company, record: dict, body: dict, existing: dict | None) -> None:
    # The faults' codes and words are UNCONFIRMED; QBO's UI refuses both cases.
    if record["Amount"] <= 0:
        raise faults.invalid_value("Amount", "The Amount of a transfer must be more than zero")
    if record["FromAccountRef"]["value"] == record["ToAccountRef"]["value"]:
        raise faults.business(
            "You can't transfer money from an account to the same account.", "ToAccountRef"
        )
    for key in ("FromAccountRef", "ToAccountRef"):
        account = company.find("Account", record[key]["value"])
        if account.get("Classification") not in BALANCE_SHEET:
            raise invalid_account_type(key)


def _postings(record: dict) -> list[tuple[str, object]]:
    amount = record["Amount"]
    return [(record["FromAccountRef"]["value"], -amount), (record["ToAccountRef"]["value"], amount)]


TRANSFER = Spec(
    name="Transfer",
    required=("FromAccountRef", "ToAccountRef", "Amount"),
    refs={"FromAccountRef": "Account", "ToAccountRef": "Account", "ClassRef": "Class",
          "DepartmentRef": "Department"},
    amounts=("Amount",),
    doc_number=False,
    total=None,
    queryable=frozenset({"Amount"}),
    finish=_transfer_rules,
    postings=_postings,
)  # fmt: skip

register(DeclaredType(TRANSFER))
