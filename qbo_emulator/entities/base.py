"""What every QBO entity type shares: the hooks the store calls, and field helpers for its rules."""

from datetime import date
from decimal import Decimal, InvalidOperation

from qbo_emulator import faults

# Amounts and quantities stay below this, so products and sums stay exact in Decimal's
# default 28 digits (QBO's own limit is lower still: 99,999,999,999.99 in its UI).
MONEY_LIMIT = Decimal(10) ** 12

# Fields a client may echo back from a read that the server owns; they are never taken from input.
SERVER_OWNED = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status"})


class EntityType:
    """One QBO entity (Customer, Invoice, ...). Subclasses validate input and compute fields."""

    name = ""
    operations = frozenset({"create", "read", "update", "query"})
    cdc = True
    name_list = False  # name lists: deactivated with Active=false and hidden from default queries
    # Fields that WHERE and ORDERBY accept (QBO's "Filterable"); anything else is "not queryable".
    queryable = frozenset({"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime"})
    # Fields the server maintains and a full update must not clear.
    kept_on_update: tuple[str, ...] = ()

    def build(self, company, body: dict, existing: dict | None, options: frozenset) -> dict:
        """Validate `body` (already cleaned; merged with `existing` for sparse updates) and
        return the stored fields, excluding Id/SyncToken/MetaData. Raises QboFault."""
        raise NotImplementedError

    def sparse_merge(self, existing: dict, body: dict) -> dict:
        """A sparse update replaces each top-level field it sends (arrays whole) and keeps
        the rest (QBO.md §2.7). `body` is as the client sent it, for the types to which an
        empty value means something (a payment's `"Line": []`); here it means "not sent"."""
        return clean({**existing, **clean(body)})

    def unique_keys(self, record: dict) -> list[tuple[str, str]]:
        """(index, key) pairs that must be unique across the company, e.g. display names."""
        return []

    def duplicate_fault(self, record: dict, index: str, key: str, other: tuple[str, str]):
        raise NotImplementedError

    def after_write(self, company, record: dict, previous: dict | None) -> None:
        """Side effects on other objects once `record` is stored (e.g. payments on invoices)."""

    def before_delete(self, company, record: dict) -> None:
        """Refuse a delete that QBO refuses; called before anything changes."""

    def after_delete(self, company, record: dict) -> None:
        """Undo the side effects of `record` once it is gone."""

    def void(self, company, record: dict) -> dict:
        raise faults.unsupported_operation("Void", self.name)

    def txn_date(self, record: dict) -> str | None:
        """The date a closed-books check applies to; None for non-transactions."""
        return None

    def receive(self, body):
        """The object a write request carries, as the store keeps it: the body itself for most
        entities (RecurringTransaction wraps its template: {"Invoice": {...}})."""
        return body

    def present(self, answer: dict) -> dict:
        """How the API shows a stored object (or the status of its deletion): as stored for
        most entities."""
        return answer


def clean(body: dict) -> dict:
    """Drop what a client sends that means "no value": python-quickbooks serialises unset fields
    as "" or [] (and server-owned fields echoed from a read)."""
    return {
        key: value
        for key, value in body.items()
        if key not in SERVER_OWNED and value is not None and value != "" and value != []
    }


def mapping(value, element: str) -> dict:
    """A nested JSON object (None counts as empty); anything else is a 2010 fault."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise faults.invalid_value(element, f"{element} must be an object")
    return value


def money(value, element: str) -> Decimal:
    """A JSON number (or the decimal string python-quickbooks sends) as Decimal."""
    if isinstance(value, bool):
        raise faults.invalid_value(element, f"{element} must be a number, got {value!r}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise faults.invalid_value(element, f"{element} must be a number, got {value!r}") from None
    if not result.is_finite() or abs(result) >= MONEY_LIMIT:
        raise faults.invalid_value(element, f"{element} must be a number below {MONEY_LIMIT:,}")
    return result


def optional_money(body: dict, key: str, element: str) -> Decimal | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    return money(value, element)


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


def text(body: dict, key: str, maximum: int, element: str | None = None) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        value = str(value)
    if len(value) > maximum:
        raise faults.string_length(element or key, maximum, len(value))
    return value


def required_name(body: dict, key: str, maximum: int) -> str:
    """A name that must be given: trimmed, and spaces alone count as missing (2020)."""
    name = (text(body, key, maximum) or "").strip()
    if not name:
        raise faults.required(key)
    return name


def boolean(body: dict, key: str, default: bool | None = None) -> bool | None:
    value = body.get(key, default)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise faults.invalid_value(key, f"{key} must be true or false, got {value!r}")


def iso_date(body: dict, key: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise faults.invalid_value(key, f"{key} must be a date YYYY-MM-DD, got {value!r}") from None


def ref_value(body: dict, key: str) -> str | None:
    """The Id inside a reference; QBO also accepts a bare value."""
    ref = body.get(key)
    if isinstance(ref, dict):
        ref = ref.get("value")
    if ref is None or ref == "":
        return None
    return str(ref)


def reference(
    company, body: dict, key: str, entity: str, *, element: str | None = None, required=False
) -> dict | None:
    """Validate a reference to another object: unknown → 2500, inactive → 610. Returns the
    reference as QBO renders it, with the target's name."""
    element = element or key
    value = ref_value(body, key)
    if value is None:
        if required:
            raise faults.required(element)
        return None
    target = company.find(entity, value)
    if target is None:
        raise faults.invalid_reference(element, value)
    if target.get("Active") is False:
        raise faults.inactive_reference(element, value)
    return {"value": value, "name": display_name(target)}


def display_name(record: dict) -> str:
    return record.get("DisplayName") or record.get("Name") or ""


def kept(existing: dict | None, record: dict, fields: tuple[str, ...]) -> dict:
    if existing:
        for name in fields:
            if name in existing:
                record[name] = existing[name]
    return record
