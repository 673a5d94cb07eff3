"""Which address automated sales tax (AST) taxes by (issue 13).

Intuit, "Manage sales tax for US locales" (and the blog "Using QuickBooks Online API for
automated sales tax", 2017-12-11): "The source address is the company's legal address as
available in the company settings. The destination address is the shipping address provided on
the sales transaction. If a shipping address is not provided, the company address is considered
as the destination address. The ability to customize the source address based on location of a
given transaction is not supported." The emulator's AST rates go by the destination's state
(tax.AST_RATES); the sample company's address is in California (7.25 %).
"""

from decimal import Decimal

import pytest

from qbo_emulator.tests._data_helpers import Api, line, money

DESIGN = "3"  # sample item
COOL_CARS = "3"  # sample customer: a bill-to address in California, no ship-to


@pytest.fixture
def ast(client, emulator) -> Api:
    company = emulator.create_company(name="AST Co", seed="sample", automated_sales_tax=True)
    return Api(client, company.realm_id)


def taxed(api, customer=COOL_CARS, **fields) -> tuple[list[Decimal], str]:
    """The rates AST charged on a taxable invoice of 100, and the name of its tax code."""
    body = {"CustomerRef": {"value": customer}, "Line": [line(DESIGN, 100, tax="TAX")], **fields}
    detail = api.create("Invoice", body)["TxnTaxDetail"]
    rates = [money(t["TaxLineDetail"]["TaxPercent"]) for t in detail.get("TaxLine", [])]
    return rates, api.read("TaxCode", detail["TxnTaxCodeRef"]["value"])["Name"]


def state(code: str) -> dict:
    return {"Line1": "1 Main St", "CountrySubDivisionCode": code}


def move_company(api, **addresses) -> None:
    """A QBO admin changing the company's addresses in its settings."""
    info = api.ok(api.get(f"companyinfo/{api.realm_id}"))["CompanyInfo"]
    body = {"Id": info["Id"], "SyncToken": info["SyncToken"], "sparse": True, **addresses}
    api.ok(api.post("companyinfo", body))


def test_the_ship_to_address_decides(ast):
    assert taxed(ast, ShipAddr=state("NY"), BillAddr=state("TX")) == (
        [Decimal("4"), Decimal("4.5")],
        "NY (automated)",
    )


def test_without_a_ship_to_the_company_address_decides_not_the_bill_to(ast):
    billed = ast.create("Customer", {"DisplayName": "Texan Co", "BillAddr": state("TX")})
    assert taxed(ast, customer=billed["Id"]) == ([Decimal("7.25")], "CA (automated)")
    assert taxed(ast, BillAddr=state("TX")) == ([Decimal("7.25")], "CA (automated)")


def test_a_ship_from_address_is_not_a_destination(ast):
    assert taxed(ast, ShipFromAddr=state("WA")) == ([Decimal("7.25")], "CA (automated)")


def test_the_customers_ship_to_comes_with_the_invoice(ast):
    # An invoice sent without ShipAddr takes its customer's (SalesFormType.build), and so
    # its destination.
    shipped = ast.create("Customer", {"DisplayName": "Shipped Co", "ShipAddr": state("WA")})
    assert taxed(ast, customer=shipped["Id"]) == ([Decimal("6.5")], "WA (automated)")
    assert taxed(ast, customer=shipped["Id"], ShipAddr=state("TX")) == (
        [Decimal("6.25")],
        "TX (automated)",
    )


def test_a_ship_to_without_a_state_falls_back_to_the_company(ast):
    assert taxed(ast, ShipAddr={"Line1": "Dock 4", "City": "Austin"}) == (
        [Decimal("7.25")],
        "CA (automated)",
    )


def test_the_company_address_is_the_one_in_its_settings_now(ast):
    move_company(ast, CompanyAddr=state("FL"))
    assert taxed(ast) == ([Decimal("6")], "FL (automated)")


def test_a_company_address_without_a_state_leaves_the_legal_address(ast):
    move_company(ast, CompanyAddr={"CountrySubDivisionCode": ""}, LegalAddr=state("MA"))
    assert taxed(ast) == ([Decimal("6.25")], "MA (automated)")
