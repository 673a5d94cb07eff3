"""Deposit (Intuit's Deposit reference): money put into a bank or other asset account
(`DepositToAccountRef`, required). Each line is either a direct deposit, money from an account
(`DepositLineDetail`: AccountRef, the customer, vendor or employee it came from as Entity,
PaymentMethodRef, CheckNum), or a payment waiting in Undeposited Funds, linked by its LinkedTxn
("A customer payment, originally held in the Undeposited Funds account"). TotalAmt is the lines'
sum less any CashBack taken out.

A payment is deposited once, and whole (UNCONFIRMED: QBO's deposit form offers only whole
payments). QBO does not honour sparse updates of a deposit: it "requires the full object,
including DepositToAccountRef and Line, on every update call" (intuit/quickbooks-online-mcp-server
PR #124), so a sparse update is read as a full one. There is no void; a deposit is deleted.
The CurrentBalance of the bank accounts it names moves with it (entities/spec.py `postings`).
"""

from qbo_emulator import faults
from qbo_emulator.entities import entity_type, register
from qbo_emulator.entities.base import cents, clean, money, reference
from qbo_emulator.entities.spec import DeclaredType, Detail, Spec
from qbo_emulator.faults import QboFault

PARTIES = ("Customer", "Vendor", "Employee")
ENTITY = "Line.DepositLineDetail.Entity"


def _direct_line(company, line: dict) -> None:
    """Entity names who the money came from; its `type` says which list (python-quickbooks
    sends CUSTOMER or Customer); without one the customers are tried first, then vendors and
    employees."""
    detail = line["DepositLineDetail"]
    entity = detail.get("Entity")
    if not entity:
        return
    if not isinstance(entity, dict) or entity.get("value") in (None, ""):
        raise faults.invalid_value(ENTITY, "Entity must be a reference with a value")
    named = str(entity.get("type") or "").capitalize()
    if named and named not in PARTIES:
        raise faults.invalid_value(f"{ENTITY}.type", f"Entity type must be one of {PARTIES}")
    value = str(entity["value"])
    party = named or next((p for p in PARTIES if company.find(p, value) is not None), "Customer")
    resolved = reference(company, detail, "Entity", party, element=ENTITY)
    detail["Entity"] = {**resolved, "type": party}


def _linked_line(company, line: dict) -> None:
    """A line depositing one payment (or sales receipt) held in Undeposited Funds."""
    links = line["LinkedTxn"]
    if len(links) != 1:
        raise faults.invalid_value("Line.LinkedTxn", "A deposit line links one transaction")
    link = links[0]
    txn_id = str(link.get("TxnId", ""))
    try:
        kind = entity_type(str(link.get("TxnType", "")), "read", internal=True)
    except QboFault:
        raise faults.invalid_value(
            "Line.LinkedTxn.TxnType", f"A deposit can't link a {link.get('TxnType')!r}"
        ) from None
    held = company.find(kind.name, txn_id)
    if held is None:
        raise faults.invalid_reference("Line.LinkedTxn.TxnId", txn_id)
    account = company.find("Account", (held.get("DepositToAccountRef") or {}).get("value", ""))
    if account is None or account.get("AccountSubType") != "UndepositedFunds":
        raise faults.business(
            f"{kind.name} {txn_id} is not waiting in Undeposited Funds, so it can't be deposited.",
            "Line.LinkedTxn",
        )
    if line["Amount"] != held.get("TotalAmt"):
        raise faults.business(
            f"The line amount {line['Amount']} is not the {held.get('TotalAmt')} of "
            f"{kind.name} {txn_id}; a payment is deposited whole.",
            "Line.Amount",
        )
    line["LinkedTxn"] = [{**link, "TxnId": txn_id, "TxnType": kind.name}]


def _deposit_rules(company, record: dict, body: dict, existing: dict | None) -> None:
    linked = deposited(record)
    if len(set(linked)) != len(linked):
        raise faults.business("A deposit can deposit a payment once.", "Line.LinkedTxn")
    cash_back = clean(record.get("CashBack") or {})
    if not cash_back or not money(cash_back.get("Amount", 0), "CashBack.Amount"):
        record.pop("CashBack", None)
        return
    account = reference(
        company, cash_back, "AccountRef", "Account", element="CashBack.AccountRef", required=True
    )
    amount = cents(money(cash_back["Amount"], "CashBack.Amount"))
    record["CashBack"] = {**cash_back, "AccountRef": account, "Amount": amount}
    record["TotalAmt"] = record["TotalAmt"] - amount


def deposited(record: dict) -> list[tuple[str, str]]:
    """(TxnType, TxnId) of each transaction the deposit's lines deposit."""
    return [
        (link["TxnType"], link["TxnId"])
        for line in record.get("Line", [])
        for link in line.get("LinkedTxn", [])
    ]


def _postings(record: dict) -> list[tuple[str, object]]:
    """The deposit account gains the total; an account a direct line takes money from loses it;
    the cash back account gains what was taken out."""
    moves = [(record["DepositToAccountRef"]["value"], record["TotalAmt"])]
    for line in record["Line"]:
        if "DepositLineDetail" in line:
            moves.append((line["DepositLineDetail"]["AccountRef"]["value"], -line["Amount"]))
    if "CashBack" in record:
        moves.append((record["CashBack"]["AccountRef"]["value"], record["CashBack"]["Amount"]))
    return moves


DEPOSIT = Spec(
    name="Deposit",
    required=("DepositToAccountRef",),
    texts={"DocNumber": 21},
    refs={"DepositToAccountRef": "Account", "DepartmentRef": "Department"},
    objects=("CashBack",),
    lines={"DepositLineDetail": Detail(
        refs={"AccountRef": "Account", "ClassRef": "Class", "PaymentMethodRef": "PaymentMethod"},
        required=("AccountRef",), finish=_direct_line)},
    doc_number=False,
    linked_line=_linked_line,
    finish=_deposit_rules,
    postings=_postings,
)  # fmt: skip


class DepositType(DeclaredType):
    def sparse_merge(self, existing, body):
        return clean(body)

    def unique_keys(self, record):
        return [("Deposited", f"{kind}:{txn_id}") for kind, txn_id in deposited(record)]

    def duplicate_fault(self, record, index, key, other):
        kind, txn_id = key.split(":", 1)
        return faults.business(
            f"{kind} {txn_id} is on deposit {other[1]} already; a payment is deposited once.",
            "Line.LinkedTxn",
        )


register(DepositType(DEPOSIT))
