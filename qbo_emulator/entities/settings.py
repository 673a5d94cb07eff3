"""Preferences and CompanyInfo: one object per company, read and updated but never created."""

from datetime import date

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.base import EntityType, mapping, ref_value, reference

# Preference fields whose type the emulator checks because its rules read them.
BOOLEAN_PREFS = {
    ("SalesFormsPrefs", "CustomTxnNumbers"), ("TaxPrefs", "UsingSalesTax"),
    ("TaxPrefs", "PartnerTaxEnabled"), ("CurrencyPrefs", "MultiCurrencyEnabled"),
    ("SalesFormsPrefs", "ETransactionPaymentEnabled"),
}  # fmt: skip
# Preference references the emulator's rules follow (invoice defaults), checked when changed.
REFERENCE_PREFS = (
    ("SalesFormsPrefs", "DefaultItem", "Item"), ("SalesFormsPrefs", "DefaultTerms", "Term"),
    ("TaxPrefs", "TaxGroupCodeRef", "TaxCode"),
)  # fmt: skip


def deep_merge(base: dict, changes: dict) -> dict:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class SingletonType(EntityType):
    operations = frozenset({"read", "update", "query"})

    def sparse_merge(self, existing: dict, body: dict) -> dict:
        return deep_merge(existing, body)


class PreferencesType(SingletonType):
    name = "Preferences"

    def build(self, company, body, existing, options):
        # Preferences are updated section by section: what is not sent keeps its value.
        for section, value in body.items():
            if section.endswith("Prefs"):
                mapping(value, section)
        record = deep_merge(
            {k: v for k, v in (existing or {}).items() if k.endswith("Prefs")}, body
        )
        # The home currency is fixed when the company is made; names and invoices render it.
        home = (existing or {}).get("CurrencyPrefs", {}).get("HomeCurrency")
        if home is not None:
            record["CurrencyPrefs"]["HomeCurrency"] = home
        for section, field in BOOLEAN_PREFS:
            value = record.get(section, {}).get(field)
            if value is not None and not isinstance(value, bool):
                raise faults.invalid_value(f"{section}.{field}", f"{field} must be true or false")
        for section, field, entity in REFERENCE_PREFS:
            value = record.get(section, {}).get(field)
            if value is not None and value != (existing or {}).get(section, {}).get(field):
                element = f"{section}.{field}"
                if ref_value(record[section], field) is None:
                    raise faults.invalid_value(element, f"{field} must be a reference to an Id")
                record[section][field] = reference(
                    company, record[section], field, entity, element=element
                )
        closed = record.get("AccountingInfoPrefs", {}).get("BookCloseDate")
        if closed:
            try:
                date.fromisoformat(closed)
            except (TypeError, ValueError):
                raise faults.invalid_value(
                    "AccountingInfoPrefs.BookCloseDate", "BookCloseDate must be a date"
                ) from None
        return record


class CompanyInfoType(SingletonType):
    name = "CompanyInfo"
    read_only = ("Country", "CompanyStartDate")

    def build(self, company, body, existing, options):
        record = deep_merge(existing or {}, body) if existing else dict(body)
        for field in ("CompanyAddr", "LegalAddr", "CustomerCommunicationAddr"):
            mapping(body.get(field), field)
        for field in self.read_only:
            if existing and field in existing:
                record[field] = existing[field]
        if not record.get("CompanyName"):
            raise faults.required("CompanyName")
        return record


register(PreferencesType())
register(CompanyInfoType())
