"""Entities declared as data: a `Spec` says what an entity holds and which rules apply, and
`declare` turns it into an EntityType the store serves like any other.

A spec covers what most QBO entities are made of: text fields with QBO's lengths, required
fields, references to other objects (top level and inside lines), choices from a fixed set,
money, dates, booleans with defaults, lines whose amounts add up to the total, an open balance
that the entity's party (a customer or vendor) owes or is owed, a DocNumber, and what a void
does. What is particular to one entity (a journal entry's debits equal its credits, a bill
payment lowering its bills) goes in a subclass of `DeclaredType` or in the spec's `finish` hook.

    register(DeclaredType(Spec(name="Class", kind="name_list", refs={"ParentRef": "Class"})))
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities.base import (
    boolean,
    cents,
    clean,
    iso_date,
    kept,
    mapping,
    money,
    reference,
    required_name,
    text,
)
from qbo_emulator.entities.invoice import (
    DOC_NUMBER_MAX,
    TransactionType,
    company_currency_ref,
    mark_voided,
    refuse_second_void,
)
from qbo_emulator.entities.names import name_key

ZERO = Decimal("0")
# The accounts whose CurrentBalance moves with the transactions posted to them; the others'
# balances are not modelled (COVERAGE.md).
TRACKED_ACCOUNT_TYPES = frozenset({"Bank"})
META = frozenset({"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime"})
NAME_LIST_QUERYABLE = META | {"Name", "Active", "FullyQualifiedName"}
NAME_LIST_OPERATIONS = frozenset({"create", "read", "update", "query"})
TRANSACTION_QUERYABLE = META | {"TxnDate", "DocNumber", "TotalAmt", "PrivateNote"}


@dataclass(frozen=True)
class Detail:
    """One kind of line: its DetailType, the key of its detail object (the same name for most),
    the references inside that object (field → entity), which of them must be given, and
    fields that must be numbers."""

    refs: Mapping[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    money: tuple[str, ...] = ()
    key: str | None = None
    # Whether the line's Amount adds to the transaction's total (a description line does not).
    counted: bool = True
    # Whether a line of this type needs an Amount at all.
    amount_required: bool = True
    # Fields of the detail object with a fixed set of values, first = default.
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Rules particular to this kind of line, called last: finish(company, line).
    finish: Callable | None = None


@dataclass(frozen=True)
class Balance:
    """An open amount (`Balance`) that starts at the total and is owed by or to the object's
    party: `sign` +1 adds it to the party's Balance (a bill to its vendor, an invoice to its
    customer), -1 takes it off (a vendor credit)."""

    party_ref: str
    party: str
    sign: int = 1


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str = "transaction"  # "transaction" | "name_list" | "object"
    operations: frozenset = frozenset({"create", "read", "update", "delete", "query"})
    required: tuple[str, ...] = ()
    texts: Mapping[str, int] = field(default_factory=dict)  # field → QBO's maximum length
    refs: Mapping[str, str] = field(default_factory=dict)  # field → entity
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # first = default
    amounts: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    flags: Mapping[str, bool | None] = field(default_factory=dict)  # boolean → default
    objects: tuple[str, ...] = ()  # fields that must be JSON objects (addresses, e-mail)
    lines: Mapping[str, Detail] = field(default_factory=dict)  # DetailType → its rules
    lines_required: bool = True
    # Where the sum of the counted lines goes, for specs with lines; None: no total is kept.
    total: str | None = "TotalAmt"
    balance: Balance | None = None
    doc_number: bool = True
    # Whether QBO numbers the transaction itself when no DocNumber is sent and custom numbers
    # are off (sales forms, purchase orders); False: the DocNumber sent or none (bills).
    numbered: bool = True
    queryable: frozenset = frozenset()
    # Name lists: the length of Name, and the words of the duplicate-name refusal.
    max_name: int = 100
    holder: str = ""
    # Kept by the server across updates (e.g. balances other objects move).
    kept: tuple[str, ...] = ()
    # Name lists with parents: the flag QBO sets on a child (SubClass, SubDepartment).
    sub_flag: str | None = None
    # Entity-specific rules, called last: finish(company, record, body, existing).
    finish: Callable | None = None
    cdc: bool = True
    # Lines that settle other transactions (a deposit's payments): linked_line(company, line)
    # checks one whose Amount and LinkedTxn are read; None: LinkedTxn is not read on lines.
    linked_line: Callable | None = None
    # Money moved in accounts: postings(record) → [(Account Id, amount)], + raising the
    # account's CurrentBalance; undone when the record changes or goes.
    postings: Callable | None = None


class DeclaredType(TransactionType):
    """An EntityType built from a Spec. Transactions get TransactionType's DocNumber and
    closed-books rules; name lists and plain objects opt out of them."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.name = spec.name
        self.operations = frozenset(spec.operations)
        self.cdc = spec.cdc
        self.name_list = spec.kind == "name_list"
        base = (
            NAME_LIST_QUERYABLE
            if self.name_list
            else (TRANSACTION_QUERYABLE if spec.kind == "transaction" else META)
        )
        self.queryable = base | spec.queryable | set(spec.refs)
        # Balance is not among them: `_open_amount` works it out from the existing record.
        self.kept_on_update = spec.kept

    # -- building a record ------------------------------------------------------------------
    def build(self, company, body, existing, options):
        spec = self.spec
        # What the server keeps is never taken from input (a client echoes it from a read).
        record = {key: value for key, value in body.items() if key not in self.kept_on_update}
        if self.name_list:
            self._name(record, body)
        for key in spec.required:
            if body.get(key) in (None, "", [], {}):
                raise faults.required(key)
        for key, maximum in spec.texts.items():
            value = text(body, key, maximum)
            if value is not None:
                record[key] = value
        for key, allowed in spec.choices.items():
            record[key] = self._choice(body, key, allowed)
        for key, default in spec.flags.items():
            value = boolean(body, key, default)
            if value is not None:
                record[key] = value
        for key in spec.amounts:
            if body.get(key) not in (None, ""):
                record[key] = cents(money(body[key], key))
        for key in spec.dates:
            value = iso_date(body, key)
            if value is not None:
                record[key] = value
        for key in spec.objects:
            mapping(body.get(key), key)
        for key, entity in spec.refs.items():
            resolved = reference(company, body, key, entity, required=key in spec.required)
            if resolved:
                record[key] = resolved
            else:
                record.pop(key, None)
        if self.name_list and "ParentRef" in spec.refs:
            self._parent(company, record, existing)
        if spec.kind == "transaction":
            self._transaction(company, record, body, existing)
        if spec.lines:
            record["Line"] = self._lines(company, body.get("Line"))
        if spec.total and spec.lines:
            record[spec.total] = self._total(record)
        if spec.finish:
            spec.finish(company, record, body, existing)
        if spec.balance:
            self._open_amount(record, existing)
        return kept(existing, record, self.kept_on_update)

    def _name(self, record: dict, body: dict) -> None:
        name = required_name(body, "Name", self.spec.max_name)
        if ":" in name:
            raise faults.invalid_character("Name", name)
        record["Name"] = name
        record["FullyQualifiedName"] = name
        record["Active"] = boolean(body, "Active", True)

    def _parent(self, company, record: dict, existing: dict | None) -> None:
        """A child's FullyQualifiedName is its ancestors' names and its own joined by ':'; an
        object cannot be its own ancestor."""
        parent_ref = record.get("ParentRef")
        if self.spec.sub_flag:
            record[self.spec.sub_flag] = parent_ref is not None
        if parent_ref is None:
            return
        parent = company.find(self.name, parent_ref["value"])
        own_id = (existing or {}).get("Id")
        ancestor, seen = parent, set()
        while ancestor is not None and ancestor["Id"] not in seen:
            if ancestor["Id"] == own_id:
                raise faults.invalid_value("ParentRef", f"A {self.name} cannot be its own parent")
            seen.add(ancestor["Id"])
            ancestor = company.find(self.name, (ancestor.get("ParentRef") or {}).get("value", ""))
        record["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{record['Name']}"

    @staticmethod
    def _choice(body: dict, key: str, allowed: tuple[str, ...]) -> str:
        value = body.get(key)
        if value in (None, ""):
            return allowed[0]
        if value not in allowed:
            raise faults.invalid_value(key, f"{key} must be one of {', '.join(allowed)}")
        return value

    def _transaction(self, company, record: dict, body: dict, existing: dict | None) -> None:
        if self.spec.doc_number:
            number = (
                self.doc_number(company, body, existing)
                if self.spec.numbered
                else text(body, "DocNumber", DOC_NUMBER_MAX)
            )
            if number is None:
                record.pop("DocNumber", None)
            else:
                record["DocNumber"] = number
        record["TxnDate"] = iso_date(body, "TxnDate") or company.today()
        text(body, "PrivateNote", 4000)
        record["CurrencyRef"] = company_currency_ref(company)

    def _lines(self, company, sent) -> list[dict]:
        if sent in (None, "", []):
            if self.spec.lines_required:
                raise faults.required("Line")
            return []
        if not isinstance(sent, list):
            raise faults.invalid_value("Line", "Line must be a list")
        lines = []
        for number, raw in enumerate(sent, start=1):
            if not isinstance(raw, dict):
                raise faults.invalid_value("Line", "Each Line must be an object")
            if raw.get("LinkedTxn") and self.spec.linked_line:
                lines.append(self._linked_line(company, raw, number))
                continue
            detail_type = raw.get("DetailType") or next(
                (t for t in self.spec.lines if (self.spec.lines[t].key or t) in raw), None
            )
            rules = self.spec.lines.get(detail_type)
            if rules is None:
                raise faults.invalid_value(
                    "Line.DetailType", f"Line DetailType {detail_type!r} is not supported"
                )
            lines.append(self._line(company, raw, detail_type, rules, number))
        return lines

    @staticmethod
    def _line(company, raw: dict, detail_type: str, rules: Detail, number: int) -> dict:
        key = rules.key or detail_type
        line = {**clean(raw), "Id": str(number), "LineNum": number, "DetailType": detail_type}
        description = text(raw, "Description", 4000, "Line.Description")
        if description is not None:
            line["Description"] = description
        if raw.get("Amount") not in (None, ""):
            line["Amount"] = cents(money(raw["Amount"], "Line.Amount"))
        elif rules.amount_required:
            raise faults.required("Line.Amount")
        detail = clean(mapping(raw.get(key), "Line." + key))
        for name, allowed in rules.choices.items():
            detail[name] = DeclaredType._choice(detail, name, allowed)
        for name in rules.money:
            if detail.get(name) not in (None, ""):
                detail[name] = money(detail[name], f"Line.{key}.{name}")
        for name, entity in rules.refs.items():
            element = f"Line.{key}.{name}"
            resolved = reference(
                company, detail, name, entity, element=element, required=name in rules.required
            )
            if resolved:
                detail[name] = resolved
            else:
                detail.pop(name, None)
        line[key] = detail
        if rules.finish:
            rules.finish(company, line)
        return line

    def _linked_line(self, company, raw: dict, number: int) -> dict:
        """A line that settles other transactions: its Amount and the LinkedTxn it names (no
        DetailType), which the spec's `linked_line` rule checks."""
        links = raw["LinkedTxn"]
        if not isinstance(links, list) or not all(isinstance(link, dict) for link in links):
            raise faults.invalid_value("Line.LinkedTxn", "LinkedTxn must be a list of objects")
        if raw.get("Amount") in (None, ""):
            raise faults.required("Line.Amount")
        line = {"Id": str(number), "LineNum": number,
                "Amount": cents(money(raw["Amount"], "Line.Amount")),
                "LinkedTxn": [clean(link) for link in links]}  # fmt: skip
        description = text(raw, "Description", 4000, "Line.Description")
        if description is not None:
            line["Description"] = description
        self.spec.linked_line(company, line)
        return line

    def _total(self, record: dict) -> Decimal:
        counted = (
            line.get("Amount", ZERO)
            for line in record.get("Line", [])
            if "DetailType" not in line or self.spec.lines[line["DetailType"]].counted
        )
        return cents(sum(counted, ZERO))

    def _open_amount(self, record: dict, existing: dict | None) -> None:
        """Balance = total less what has been applied to it already (kept across edits)."""
        applied = (existing or {}).get(self.spec.total, ZERO) - (existing or {}).get(
            "Balance", ZERO
        )
        total = record[self.spec.total]
        if applied > total:
            raise faults.business(
                f"The {self.name} total {total} would be less than the {applied} already "
                "applied to it. Unapply or delete the payments first.",
                "Line",
            )
        record["Balance"] = total - applied

    # -- uniqueness -------------------------------------------------------------------------
    def unique_keys(self, record):
        if self.name_list:
            return [(self.name + ".Name", name_key(record["Name"]))]
        if self.spec.kind == "transaction" and self.spec.doc_number:
            return super().unique_keys(record)
        return []

    def duplicate_fault(self, record, index, key, other):
        if self.name_list:
            return faults.duplicate_name(record["Name"], self.spec.holder or self.name.lower())
        return super().duplicate_fault(record, index, key, other)

    # -- the party's balance, closed books, void -----------------------------------------------
    def txn_date(self, record):
        return record.get("TxnDate") if self.spec.kind == "transaction" else None

    def after_write(self, company, record, previous):
        if self.spec.balance:
            if previous is not None:
                self._move_party(company, previous, -previous.get("Balance", ZERO))
            self._move_party(company, record, record.get("Balance", ZERO))
        if previous is not None:
            self._post(company, previous, -1)
        self._post(company, record, 1)

    def after_delete(self, company, record):
        if self.spec.balance:
            self._move_party(company, record, -record.get("Balance", ZERO))
        self._post(company, record, -1)

    def _post(self, company, record: dict, sign: int) -> None:
        """Move the CurrentBalance of the tracked accounts the record posts to."""
        for account_id, amount in self.spec.postings(record) if self.spec.postings else ():
            account = company.find("Account", account_id)
            if account is not None and account.get("AccountType") in TRACKED_ACCOUNT_TYPES:
                account["CurrentBalance"] = account.get("CurrentBalance", ZERO) + amount * sign

    def take(self, company, record: dict, amount: Decimal) -> None:
        """Another object (a bill payment) takes `amount` of the open amount, and the party's
        balance moves with it; a negative amount gives it back."""
        record["Balance"] = record["Balance"] - amount
        self._move_party(company, record, -amount)

    def _move_party(self, company, record: dict, amount: Decimal) -> None:
        rule = self.spec.balance
        party_id = (record.get(rule.party_ref) or {}).get("value")
        party = company.find(rule.party, party_id) if party_id else None
        if party is not None and amount:
            party["Balance"] = party.get("Balance", ZERO) + amount * rule.sign
            if "BalanceWithJobs" in party:
                party["BalanceWithJobs"] = party["Balance"]

    def before_delete(self, company, record):
        self._refuse_if_applied(record, "delete")

    def _refuse_if_applied(self, record: dict, verb: str) -> None:
        if self.spec.balance and record.get(self.spec.total, ZERO) != record.get("Balance", ZERO):
            raise faults.business(
                f"You can't {verb} this {self.name} because payments are applied to it. "
                "Delete, void or unapply the payments first."
            )

    def void(self, company, record):
        """Voided as QBO keeps voided forms: readable, every amount zero, "Voided" in the memo."""
        if "void" not in self.operations:
            raise faults.unsupported_operation("Void", self.name)
        refuse_second_void(record, self.name)
        self._refuse_if_applied(record, "void")
        for line in record.get("Line", []):
            line["Amount"] = ZERO
        for key in (self.spec.total, *self.spec.amounts):
            if key and key in record:
                record[key] = ZERO
        if self.spec.balance:
            record["Balance"] = ZERO
        return mark_voided(clean(record))


def simple_list(name: str, holder: str, sub_flag: str, **extra) -> Spec:
    """A name list with a Name, Active and a parent of its own kind (Class, Department)."""
    return Spec(name=name, kind="name_list", operations=NAME_LIST_OPERATIONS,
                refs={"ParentRef": name}, holder=holder, sub_flag=sub_flag, **extra)  # fmt: skip
