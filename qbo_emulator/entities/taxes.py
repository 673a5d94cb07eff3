"""TaxAgency, TaxRate and TaxCode (QBO.md §3.5). Rates and codes are read-only over the API, as in
QBO (they are made through the tax service); the seed and automated sales tax create them."""

from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.base import EntityType, boolean, money, reference, required_name
from qbo_emulator.entities.names import name_key

TAX_QUERYABLE = frozenset({"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "Name",
                           "Active"})  # fmt: skip


class TaxAgencyType(EntityType):
    name = "TaxAgency"
    operations = frozenset({"create", "read", "query"})
    cdc = False
    queryable = frozenset({"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "DisplayName"})

    def build(self, company, body, existing, options):
        record = dict(body)
        record["DisplayName"] = required_name(body, "DisplayName", 100)
        record["TaxTrackedOnSales"] = boolean(body, "TaxTrackedOnSales", True)
        record["TaxTrackedOnPurchases"] = boolean(body, "TaxTrackedOnPurchases", False)
        return record

    def unique_keys(self, record):
        return [("TaxAgency.DisplayName", name_key(record["DisplayName"]))]

    def duplicate_fault(self, record, index, key, other):
        return faults.duplicate_name(record["DisplayName"], "tax agency")


class TaxRateType(EntityType):
    name = "TaxRate"
    operations = frozenset({"read", "query"})
    cdc = False
    queryable = TAX_QUERYABLE | {"RateValue"}

    def build(self, company, body, existing, options):
        record = dict(body)
        record["Name"] = required_name(body, "Name", 100)
        record["RateValue"] = money(body.get("RateValue", 0), "RateValue")
        record["AgencyRef"] = reference(company, body, "AgencyRef", "TaxAgency", required=True)
        record["Active"] = boolean(body, "Active", True)
        record.setdefault("SpecialTaxType", "NONE")
        record.setdefault("DisplayType", "ReadOnly")
        return record


class TaxCodeType(EntityType):
    name = "TaxCode"
    operations = frozenset({"read", "query"})
    cdc = False
    queryable = TAX_QUERYABLE | {"Taxable", "TaxGroup"}

    def build(self, company, body, existing, options):
        record = dict(body)
        record["Name"] = required_name(body, "Name", 100)
        record["Active"] = boolean(body, "Active", True)
        details = []
        for index, detail in enumerate(body.get("SalesTaxRateList", {}).get("TaxRateDetail", [])):
            element = "SalesTaxRateList.TaxRateDetail.TaxRateRef"
            rate = reference(
                company, detail, "TaxRateRef", "TaxRate", element=element, required=True
            )
            details.append({"TaxRateRef": rate, "TaxTypeApplicable": "TaxOnAmount",
                            "TaxOrder": detail.get("TaxOrder", index)})  # fmt: skip
        record["SalesTaxRateList"] = {"TaxRateDetail": details}
        record["PurchaseTaxRateList"] = {"TaxRateDetail": []}
        record["Taxable"] = boolean(body, "Taxable", bool(details))
        record["TaxGroup"] = boolean(body, "TaxGroup", len(details) > 1)
        return record


def code_rates(company, code: dict) -> list[tuple[dict, Decimal]]:
    """The (TaxRate, percent) pairs a tax code applies, in tax order."""
    result = []
    for detail in code["SalesTaxRateList"]["TaxRateDetail"]:
        rate = company.find("TaxRate", detail["TaxRateRef"]["value"])
        if rate is not None:
            result.append((rate, rate["RateValue"]))
    return result


register(TaxAgencyType())
register(TaxRateType())
register(TaxCodeType())


def tax_service_create(company, body: dict) -> dict:
    """POST /taxservice/taxcode: a new tax code over existing rates (TaxRateId) and/or new rates
    (TaxRateName, RateValue, TaxAgencyId). Answers in the tax service's own shape."""
    if not isinstance(body, dict):
        raise faults.invalid_value(None, "Request body must be a JSON object")
    name = required_name(body, "TaxCode", 100)
    if not body.get("TaxRateDetails"):
        raise faults.required("TaxRateDetails")
    details, answered = [], []
    for raw in body.get("TaxRateDetails") or []:
        if not isinstance(raw, dict):
            raise faults.invalid_value("TaxRateDetails", "Each TaxRateDetails must be an object")
        if raw.get("TaxRateId") not in (None, ""):
            rate = company.find("TaxRate", str(raw["TaxRateId"]))
            if rate is None:
                raise faults.invalid_reference("TaxRateDetails.TaxRateId", raw["TaxRateId"])
        else:
            if raw.get("TaxAgencyId") in (None, ""):
                raise faults.required("TaxRateDetails.TaxAgencyId")
            if raw.get("RateValue") in (None, ""):
                raise faults.required("TaxRateDetails.RateValue")
            rate = company.insert(
                "TaxRate",
                {"Name": raw.get("TaxRateName"),
                 "RateValue": money(raw["RateValue"], "TaxRateDetails.RateValue"),
                 "AgencyRef": {"value": str(raw["TaxAgencyId"])}},
            )  # fmt: skip
        details.append({"TaxRateRef": {"value": rate["Id"]}})
        answered.append(
            {"TaxRateName": rate["Name"], "TaxRateId": rate["Id"], "RateValue": rate["RateValue"],
             "TaxAgencyId": rate["AgencyRef"]["value"],
             "TaxApplicableOn": raw.get("TaxApplicableOn", "Sales")}
        )  # fmt: skip
    code = company.insert("TaxCode", {"Name": name, "SalesTaxRateList": {"TaxRateDetail": details}})
    return {"TaxCode": code["Name"], "TaxCodeId": code["Id"], "TaxRateDetails": answered}
