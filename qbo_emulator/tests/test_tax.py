"""Sales tax: US manual model, automated sales tax, no sales tax set up, non-US (QBO.md §4)."""

from decimal import Decimal

import pytest

from qbo_emulator.store import Emulator
from qbo_emulator.tests._data_helpers import Api, fault_of, line, money

DESIGN, ROCKS = "3", "8"


def invoice_body(*lines, customer="3", **fields) -> dict:
    return {"CustomerRef": {"value": customer}, "Line": list(lines), **fields}


def test_tax_applies_to_tax_lines_only_with_one_tax_line_per_rate(api):
    body = invoice_body(
        line(DESIGN, "275.00", tax="TAX"),
        line(ROCKS, "262.50", tax="NON"),
        line(DESIGN, "45.00", tax="TAX"),
        TxnTaxDetail={"TxnTaxCodeRef": {"value": "1"}},  # Tucson: 7.1% state + 2% city
    )
    created = api.create("Invoice", body)
    detail = created["TxnTaxDetail"]
    assert detail["TxnTaxCodeRef"] == {"value": "1"}
    assert [money(t["Amount"]) for t in detail["TaxLine"]] == [Decimal("22.72"), Decimal("6.40")]
    assert [money(t["TaxLineDetail"]["NetAmountTaxable"]) for t in detail["TaxLine"]] == [
        Decimal("320.00"),
        Decimal("320.00"),
    ]
    assert money(detail["TotalTax"]) == Decimal("29.12")
    assert money(created["TotalAmt"]) == Decimal("611.62")


def test_default_tax_code_is_the_company_default(api):
    created = api.create("Invoice", invoice_body(line(DESIGN, 100, tax="TAX")))
    assert created["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "2"}  # California 8%
    assert money(created["TxnTaxDetail"]["TotalTax"]) == Decimal("8.00")


def test_missing_line_code_means_non_without_ast(api):
    created = api.create("Invoice", invoice_body(line(ROCKS, 100)))  # Rocks is a taxable item
    assert created["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert money(created["TxnTaxDetail"]["TotalTax"]) == 0


def test_line_tax_code_other_than_tax_or_non_gives_one_6100_per_line(api):
    body = invoice_body(
        line(DESIGN, 10, tax="8"), line(DESIGN, 10, tax="TAX"), line(ROCKS, 5, tax="2")
    )
    response = api.post("invoice", body)
    assert response.status_code == 400
    errors = response.json()["Fault"]["Error"]
    assert [e["code"] for e in errors] == ["6100", "6100"]
    assert errors[0]["Detail"] == (
        "Valid line TaxCodes for US should be TAX or NON. Supplied value: 8"
    )
    assert errors[0]["element"] == "Line.SalesItemLineDetail.TaxCodeRef"


def test_unknown_txn_tax_code(api):
    body = invoice_body(
        line(DESIGN, 10, tax="TAX"), TxnTaxDetail={"TxnTaxCodeRef": {"value": "77"}}
    )
    error = fault_of(api.post("invoice", body))
    assert (error["code"], error["element"]) == ("2500", "TxnTaxDetail.TxnTaxCodeRef")


def test_total_tax_override_is_honoured(api):
    body = invoice_body(
        line(DESIGN, 100, tax="TAX"),
        TxnTaxDetail={"TxnTaxCodeRef": {"value": "1"}, "TotalTax": "10.00"},
    )
    detail = api.create("Invoice", body)["TxnTaxDetail"]
    assert money(detail["TotalTax"]) == Decimal("10.00")
    assert sum(money(t["Amount"]) for t in detail["TaxLine"]) == Decimal("10.00")


@pytest.fixture
def ast_api(client, emulator) -> Api:
    company = emulator.create_company(name="AST Co", seed="sample", automated_sales_tax=True)
    return Api(client, company.realm_id)


def test_ast_ignores_sent_codes_and_taxes_by_ship_address(ast_api):
    body = invoice_body(
        line(DESIGN, 100, tax="TAX"),
        line(ROCKS, 50),  # no code: taxable because the item is
        TxnTaxDetail={"TxnTaxCodeRef": {"value": "1"}},  # ignored under AST
        ShipAddr={"Line1": "1 Broadway", "City": "New York", "CountrySubDivisionCode": "NY"},
    )
    created = ast_api.create("Invoice", body)
    detail = created["TxnTaxDetail"]
    assert detail["UseAutomatedSalesTax"] is True
    assert detail["TxnTaxCodeRef"] != {"value": "1"}
    assert [money(t["TaxLineDetail"]["TaxPercent"]) for t in detail["TaxLine"]] == [
        4,
        Decimal("4.5"),
    ]
    assert money(detail["TotalTax"]) == Decimal("12.75")  # 8.5% of 150
    assert created["Line"][1]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    code = ast_api.read("TaxCode", detail["TxnTaxCodeRef"]["value"])
    assert code["Name"] == "NY (automated)"


def test_ast_honours_a_total_tax_override(ast_api):
    body = invoice_body(
        line(DESIGN, 100, tax="TAX"),
        ShipAddr={"CountrySubDivisionCode": "TX"},
        TxnTaxDetail={"TotalTax": "3.00"},
    )
    detail = ast_api.create("Invoice", body)["TxnTaxDetail"]
    assert money(detail["TaxLine"][0]["TaxLineDetail"]["TaxPercent"]) == Decimal("6.25")
    assert money(detail["TotalTax"]) == Decimal("3.00")
    assert detail["TaxReviewStatus"] == "AST_TAX_OVERRIDE"


def test_no_sales_tax_set_up_refuses_an_invoice_carrying_tax(empty_api):
    services = empty_api.rows("select * from Item where Name = 'Services'", "Item")[0]["Id"]
    customer = empty_api.create("Customer", {"DisplayName": "Untaxed"})["Id"]
    body = invoice_body(line(services, 100, tax="TAX"), customer=customer)
    error = fault_of(empty_api.post("invoice", {**body, "TxnTaxDetail": {"TotalTax": 8}}))
    assert (error["code"], error["element"]) == ("6000", "TxnTaxDetail")
    taxed = {**body, "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "TAX"}}}
    assert fault_of(empty_api.post("invoice", taxed))["code"] == "6000"
    plain = empty_api.create("Invoice", body)  # TAX on a line alone carries no tax
    assert plain["TxnTaxDetail"] == {"TotalTax": 0}
    assert money(plain["TotalAmt"]) == Decimal("100.00")


@pytest.fixture
def uk_api(client, emulator) -> Api:
    company = emulator.create_company(name="UK Ltd", country="GB", seed="empty")
    return Api(client, company.realm_id)


def test_non_us_lines_carry_real_tax_codes(uk_api):
    codes = {c["Name"]: c["Id"] for c in uk_api.rows("select * from TaxCode", "TaxCode")}
    services = uk_api.rows("select * from Item", "Item")[0]["Id"]
    customer = uk_api.create("Customer", {"DisplayName": "Client Ltd"})
    assert customer["CurrencyRef"]["value"] == "GBP"
    body = invoice_body(
        line(services, 100, tax=codes["20.0% S"]),
        line(services, 40, tax=codes["5.0% R"]),
        customer=customer["Id"],
    )
    created = uk_api.create("Invoice", body)
    assert money(created["TxnTaxDetail"]["TotalTax"]) == Decimal("22.00")
    assert money(created["TotalAmt"]) == Decimal("162.00")
    assert created["GlobalTaxCalculation"] == "TaxExcluded"
    inclusive = uk_api.create("Invoice", {**body, "GlobalTaxCalculation": "TaxInclusive"})
    assert money(inclusive["TotalAmt"]) == Decimal("140.00")
    assert money(inclusive["TxnTaxDetail"]["TotalTax"]) == Decimal("18.57")  # 16.67 + 1.90


def test_non_us_line_without_tax_code_is_refused(uk_api):
    services = uk_api.rows("select * from Item", "Item")[0]["Id"]
    customer = uk_api.create("Customer", {"DisplayName": "Client Ltd"})["Id"]
    error = fault_of(uk_api.post("invoice", invoice_body(line(services, 10), customer=customer)))
    assert error["code"] == "6000"
    assert "VAT rate" in error["Detail"]
    bad = invoice_body(line(services, 10, tax="99"), customer=customer)
    assert fault_of(uk_api.post("invoice", bad))["code"] == "2500"


def test_tax_codes_and_rates_are_read_only(api):
    assert fault_of(api.post("taxcode", {"Name": "Mine"}))["code"] == "500"
    assert fault_of(api.post("taxrate", {"Name": "Mine", "RateValue": 1}))["code"] == "500"
    rate = api.read("TaxRate", "3")
    assert rate["Name"] == "California" and money(rate["RateValue"]) == 8
    pseudo = api.read("TaxCode", "TAX")
    assert pseudo["Taxable"] is True


def test_tax_service_creates_codes_with_new_and_existing_rates(api):
    body = {
        "TaxCode": "Springfield",
        "TaxRateDetails": [
            {
                "TaxRateName": "Springfield City",
                "RateValue": "1.5",
                "TaxAgencyId": "1",
                "TaxApplicableOn": "Sales",
            },
            {"TaxRateId": "3"},
        ],
    }
    answer = api.ok(api.post("taxservice/taxcode", body))
    assert answer["TaxCode"] == "Springfield"
    assert [d["TaxRateName"] for d in answer["TaxRateDetails"]] == [
        "Springfield City",
        "California",
    ]
    code = answer["TaxCodeId"]
    invoice = api.create(
        "Invoice",
        invoice_body(line(DESIGN, 200, tax="TAX"), TxnTaxDetail={"TxnTaxCodeRef": {"value": code}}),
    )
    assert money(invoice["TxnTaxDetail"]["TotalTax"]) == Decimal("19.00")  # 1.5% + 8% of 200
    assert fault_of(api.post("taxservice/taxcode", {"TaxCode": "Empty"}))["code"] == "2020"
    missing = {"TaxCode": "Bad", "TaxRateDetails": [{"TaxRateId": "99"}]}
    assert fault_of(api.post("taxservice/taxcode", missing))["code"] == "2500"


def test_ast_codes_are_reused_and_survive_a_snapshot(emulator):
    company = emulator.create_company(name="AST", seed="sample", automated_sales_tax=True)
    body = invoice_body(line(DESIGN, 100, tax="TAX"), ShipAddr={"CountrySubDivisionCode": "WA"})
    first = company.create("Invoice", body)["TxnTaxDetail"]["TxnTaxCodeRef"]
    assert company.create("Invoice", body)["TxnTaxDetail"]["TxnTaxCodeRef"] == first
    restored = Emulator.from_dict(emulator.to_dict()).company(company.realm_id)
    again = restored.create("Invoice", body)["TxnTaxDetail"]
    assert again["TxnTaxCodeRef"] == first
    assert again["TotalTax"] == Decimal("6.50")


def test_tax_rate_at_invoice_level_through_tax_lines(api):
    sent = {
        "TaxLine": [
            {"DetailType": "TaxLineDetail", "TaxLineDetail": {"TaxRateRef": {"value": "2"}}}
        ]
    }  # Tucson City 2%
    created = api.create("Invoice", invoice_body(line(DESIGN, 300, tax="TAX"), TxnTaxDetail=sent))
    detail = created["TxnTaxDetail"]
    assert "TxnTaxCodeRef" not in detail
    assert detail["TaxLine"][0]["TaxLineDetail"]["TaxRateRef"]["value"] == "2"
    assert money(detail["TotalTax"]) == Decimal("6.00")
    bad = {"TaxLine": [{"TaxLineDetail": {"TaxRateRef": {"value": "77"}}}]}
    assert (
        fault_of(api.post("invoice", invoice_body(line(DESIGN, 1), TxnTaxDetail=bad)))["code"]
        == "2500"
    )
