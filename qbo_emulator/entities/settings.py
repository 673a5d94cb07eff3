"""Preferences and CompanyInfo: one object per company, read and updated but never created."""

from datetime import date

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.base import EntityType, clean, mapping, ref_value, reference

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The yes/no preferences of each section, as Intuit's Preferences sample shows them; a client
# that sends "true" as text gets a 2010 fault rather than a preference QBO would not store.
BOOLEAN_PREFS = {
    "AccountingInfoPrefs": ("UseAccountNumbers", "ClassTrackingPerTxn",
                            "ClassTrackingPerTxnLine", "TrackDepartments"),
    "ProductAndServicesPrefs": ("ForSales", "ForPurchase", "QuantityWithPriceAndRate",
                                "QuantityOnHand"),
    "SalesFormsPrefs": ("CustomTxnNumbers", "AllowDeposit", "AllowDiscount", "AllowEstimates",
                        "AllowServiceDate", "AllowShipping", "AutoApplyCredit",
                        "AutoApplyPayments", "EmailCopyToCompany", "ETransactionAttachPDF",
                        "ETransactionPaymentEnabled", "IPNSupportEnabled", "UsingPriceLevels",
                        "UsingProgressInvoicing"),
    "VendorAndPurchasesPrefs": ("BillableExpenseTracking", "TrackingByCustomer"),
    "TimeTrackingPrefs": ("UseServices", "BillCustomers", "ShowBillRateToAll",
                          "MarkTimeEntriesBillable"),
    "TaxPrefs": ("UsingSalesTax", "PartnerTaxEnabled"),
    "CurrencyPrefs": ("MultiCurrencyEnabled",),
    "ReportPrefs": ("CalcAgingReportFromTxnDate",),
}  # fmt: skip
# Preferences with a fixed set of values (Intuit's reference: ReportBasis is Accrual or Cash).
CHOICE_PREFS = {
    ("ReportPrefs", "ReportBasis"): ("Accrual", "Cash"),
    ("AccountingInfoPrefs", "FirstMonthOfFiscalYear"): MONTHS,
    ("AccountingInfoPrefs", "TaxYearMonth"): MONTHS,
    ("TimeTrackingPrefs", "WorkWeekStartDate"): DAYS,
}  # fmt: skip
# The e-mail templates QBO keeps, each a Subject and a Message.
EMAIL_MESSAGES = ("InvoiceMessage", "EstimateMessage", "SalesReceiptMessage", "StatementMessage")
# Preference references the emulator's rules follow (invoice and bill defaults), checked when
# changed.
REFERENCE_PREFS = (
    ("SalesFormsPrefs", "DefaultItem", "Item"), ("SalesFormsPrefs", "DefaultTerms", "Term"),
    ("VendorAndPurchasesPrefs", "DefaultTerms", "Term"),
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
        return deep_merge(existing, clean(body))


class PreferencesType(SingletonType):
    name = "Preferences"

    def build(self, company, body, existing, options):
        # Preferences are updated section by section: what is not sent keeps its value.
        for section, value in body.items():
            if section.endswith("Prefs"):
                mapping(value, section)
        kept = {k: v for k, v in (existing or {}).items() if k.endswith("Prefs")}
        record = deep_merge(kept, body)
        # The home currency is fixed when the company is made; names and invoices render it.
        home = (existing or {}).get("CurrencyPrefs", {}).get("HomeCurrency")
        if home is not None:
            record["CurrencyPrefs"]["HomeCurrency"] = home
        _check_kinds(record)
        if "OtherPrefs" in body:
            record["OtherPrefs"] = {
                **record["OtherPrefs"],
                "NameValue": name_values(
                    kept.get("OtherPrefs", {}).get("NameValue", []),
                    mapping(body["OtherPrefs"], "OtherPrefs").get("NameValue"),
                ),
            }
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


def _check_kinds(record: dict) -> None:
    for section, fields in BOOLEAN_PREFS.items():
        for field in fields:
            value = record.get(section, {}).get(field)
            if value is not None and not isinstance(value, bool):
                raise faults.invalid_value(f"{section}.{field}", f"{field} must be true or false")
    for (section, field), allowed in CHOICE_PREFS.items():
        value = record.get(section, {}).get(field)
        if value is not None and value not in allowed:
            raise faults.invalid_value(
                f"{section}.{field}", f"{field} must be one of {', '.join(allowed)}"
            )
    messages = record.get("EmailMessagesPrefs", {})
    for name in EMAIL_MESSAGES:
        element = f"EmailMessagesPrefs.{name}"
        for part, value in mapping(messages.get(name), element).items():
            if part in ("Subject", "Message") and not isinstance(value, str):
                raise faults.invalid_value(f"{element}.{part}", f"{part} must be text")


def name_values(kept: list, sent) -> list:
    """OtherPrefs.NameValue after an update: the pairs sent replace those of the same Name and
    the others stay, as every other preference left out of an update keeps its value (how QBO
    merges the list is UNCONFIRMED). Names and values are text, as in Intuit's sample."""
    if sent is None:
        return kept
    if not isinstance(sent, list):
        raise faults.invalid_value("OtherPrefs.NameValue", "NameValue must be a list")
    merged = {pair["Name"]: pair["Value"] for pair in kept}
    for pair in sent:
        pair = mapping(pair, "OtherPrefs.NameValue")
        name, value = pair.get("Name"), pair.get("Value")
        if not isinstance(name, str) or not name:
            raise faults.required("OtherPrefs.NameValue.Name")
        if not isinstance(value, str):
            raise faults.invalid_value("OtherPrefs.NameValue.Value", "Value must be text")
        merged[name] = value
    return [{"Name": name, "Value": value} for name, value in merged.items()]


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
