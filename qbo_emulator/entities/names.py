"""Customer, Vendor and Employee: the people lists whose DisplayName is shared (QBO.md §3.1)."""

import unicodedata
from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.base import (
    EntityType,
    boolean,
    kept,
    mapping,
    reference,
    text,
)

# The name parts QBO joins, in this order, when no DisplayName is sent.
NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
LENGTHS = {"DisplayName": 500, "Title": 16, "GivenName": 100, "MiddleName": 100,
           "FamilyName": 100, "Suffix": 16, "CompanyName": 100, "PrintOnCheckName": 110,
           "Notes": 2000}  # fmt: skip
# QBO refuses ':' in names: it separates levels in FullyQualifiedName (2040 for
# "Rob:Barnett:Company", StackOverflow mirror example-a.com/answer/24529982). Other punctuation
# goes through, typographic quotes and dashes too: users create names with “ ” and – that QBO's
# query parser then refuses (QuickBooks-V3-PHP-SDK#395, #397; quickbooks-ruby#309). Workato's
# list of accepted characters (QBO.md §3.1) is therefore not the whole set.
NAME_SEPARATOR = ":"
# Control characters (tab, newline, ...) and lone surrogates are refused too: UNCONFIRMED, no
# report either way, and a name holding one could not be looked up by a query (query.py).
REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})
# Fields that are JSON objects in QBO (addresses, e-mail, phones, web site); invoices copy the
# addresses and e-mail from their customer, so a bare value here is refused.
OBJECT_FIELDS = ("BillAddr", "ShipAddr", "OtherAddr", "PrimaryEmailAddr", "PrimaryPhone",
                 "AlternatePhone", "Mobile", "Fax", "WebAddr")  # fmt: skip
NAME_QUERYABLE = frozenset(
    {"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "DisplayName", "GivenName",
     "MiddleName", "FamilyName", "CompanyName", "FullyQualifiedName", "PrintOnCheckName",
     "Active", "PrimaryEmailAddr", "Balance", "Title", "Suffix"}
)  # fmt: skip


def check_name_characters(value: str, element: str) -> None:
    for character in value:
        if character == NAME_SEPARATOR or unicodedata.category(character) in REFUSED_CATEGORIES:
            raise faults.invalid_character(element, value)


def name_key(display_name: str) -> str:
    """Names compare ignoring case and extra spaces (UNCONFIRMED, QBO.md §3.1)."""
    return " ".join(display_name.split()).casefold()


class PersonList(EntityType):
    """The shared rules of the three people lists."""

    name_list = True
    queryable = NAME_QUERYABLE
    kept_on_update = ("Balance", "BalanceWithJobs")
    extra_refs: dict[str, str] = {}

    def build(self, company, body, existing, options):
        record = dict(body)
        for field, maximum in LENGTHS.items():
            text(body, field, maximum)
        # Blank counts as absent: a name of spaces alone is no name.
        display = (text(body, "DisplayName", LENGTHS["DisplayName"]) or "").strip()
        if not display:
            parts = (str(body.get(p) or "").strip() for p in NAME_PARTS)
            display = " ".join(part for part in parts if part)
        if not display:
            raise faults.required("DisplayName")
        for field in ("DisplayName", "CompanyName", "GivenName", "FamilyName"):
            value = display if field == "DisplayName" else body.get(field)
            if value:
                check_name_characters(str(value), field)
        record["DisplayName"] = display
        record["FullyQualifiedName"] = display
        if not record.get("PrintOnCheckName"):
            record["PrintOnCheckName"] = body.get("CompanyName") or display
        record["Active"] = boolean(body, "Active", True)
        for field in OBJECT_FIELDS:
            mapping(body.get(field), field)
        email = (body.get("PrimaryEmailAddr") or {}).get("Address")
        if email is not None and not isinstance(email, str):
            raise faults.invalid_value("PrimaryEmailAddr", "PrimaryEmailAddr.Address must be text")
        for field, entity in self.extra_refs.items():
            resolved = reference(company, body, field, entity)
            if resolved:
                record[field] = resolved
            else:
                record.pop(field, None)
        record["CurrencyRef"] = company_currency(company)
        record["Balance"] = Decimal("0")  # read-only (QBO.md §3.1): invoices move it, kept below
        return kept(existing, record, self.kept_on_update)

    def unique_keys(self, record):
        return [("DisplayName", name_key(record["DisplayName"]))]

    def duplicate_fault(self, record, index, key, other):
        return faults.duplicate_name(record["DisplayName"])


def company_currency(company) -> dict:
    currency = company.preferences["CurrencyPrefs"]["HomeCurrency"]
    return {"value": currency["value"], "name": currency.get("name", currency["value"])}


class CustomerType(PersonList):
    name = "Customer"
    extra_refs = {"SalesTermRef": "Term", "PaymentMethodRef": "PaymentMethod",
                  "ParentRef": "Customer", "DefaultTaxCodeRef": "TaxCode"}  # fmt: skip
    kept_on_update = ("Balance", "BalanceWithJobs")

    def build(self, company, body, existing, options):
        record = super().build(company, body, existing, options)
        record["Taxable"] = boolean(body, "Taxable", True)
        record.setdefault("PreferredDeliveryMethod", "Print")
        record["BalanceWithJobs"] = record["Balance"]
        record.setdefault("Job", False)
        record.setdefault("BillWithParent", False)
        return record


class VendorType(PersonList):
    name = "Vendor"
    extra_refs = {"TermRef": "Term"}


class EmployeeType(PersonList):
    name = "Employee"
    kept_on_update = ()

    def build(self, company, body, existing, options):
        record = super().build(company, body, existing, options)
        record.pop("Balance", None)
        record.pop("CurrencyRef", None)
        return record


register(CustomerType())
register(VendorType())
register(EmployeeType())
