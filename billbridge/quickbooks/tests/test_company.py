"""The company snapshot: read from the emulator's real answers, kept as JSON, looked up by name."""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

from billbridge.quickbooks.company import Company, Item, TaxCode, company_from_qbo
from billbridge.quickbooks.tests.qbo_http import Api, new_company, set_preferences
from billbridge.quickbooks.tests.sample_companies import GB_SAMPLE, US_SAMPLE


def snapshot(emulator, realm: str) -> Company:
    return replace(Api(emulator, realm).company(), realm_id="sample")


def test_us_sample_company_as_read_from_qbo(emulator):
    realm = new_company(emulator)
    company = Api(emulator, realm).company()
    assert company.realm_id == realm
    # TAX and NON are pseudo codes without rates: never a code an invoice can name.
    assert replace(company, realm_id="sample") == US_SAMPLE
    assert company.is_us


def test_gb_sample_company_as_read_from_qbo(emulator):
    company = snapshot(emulator, new_company(emulator, country="GB"))
    assert company == GB_SAMPLE
    assert not company.is_us


def test_preferences_custom_numbers_ast_and_closed_books(emulator):
    realm = new_company(
        emulator, custom_txn_numbers=True, automated_sales_tax=True, book_close_date="2026-06-30"
    )
    # The sample invoices made under AST left the code AST assigned them (customers in CA).
    assert snapshot(emulator, realm) == replace(
        US_SAMPLE,
        custom_txn_numbers=True,
        automated_sales_tax=True,
        book_close_date=date(2026, 6, 30),
        tax_codes=(*US_SAMPLE.tax_codes, TaxCode("3", "CA (automated)", Decimal("7.25"), True)),
    )


def test_sales_tax_not_set_up(emulator):
    realm = new_company(emulator)
    set_preferences(emulator, realm, sales_tax=False)
    assert snapshot(emulator, realm) == replace(US_SAMPLE, using_sales_tax=False)


def test_inactive_items_are_read_too(emulator):
    realm = new_company(emulator)
    api = Api(emulator, realm)
    answer = api.post("/item", {"Id": "2", "SyncToken": "0", "sparse": True, "Active": False})
    assert answer.status_code == 200, answer.text
    # QBO hides inactive names from a plain query; the snapshot's query asks for them.
    assert "2" not in [row["Id"] for row in api.query("select * from Item")]
    company = api.company()
    assert company.item("2") == Item("2", "Hours", False, "Service")
    assert company.item_named("Hours") is None


def test_codes_without_sales_rates_or_with_unread_rates_are_left_out():
    company = company_from_qbo(
        "1",
        {"TaxPrefs": {"UsingSalesTax": True}},
        {"CompanyName": "Acme", "Country": "CA"},
        tax_codes=[
            {"Id": "10", "Name": "HST ON", "Active": True,
             "SalesTaxRateList": {"TaxRateDetail": [{"TaxRateRef": {"value": "3"}}]}},
            {"Id": "9", "Name": "GST/QST", "Active": False,
             "SalesTaxRateList": {"TaxRateDetail": [{"TaxRateRef": {"value": "1"}},
                                                    {"TaxRateRef": {"value": "2"}}]}},
            {"Id": "11", "Name": "Purchases only",
             "SalesTaxRateList": {"TaxRateDetail": []},
             "PurchaseTaxRateList": {"TaxRateDetail": [{"TaxRateRef": {"value": "1"}}]}},
            {"Id": "12", "Name": "Old rate",
             "SalesTaxRateList": {"TaxRateDetail": [{"TaxRateRef": {"value": "99"}}]}},
        ],
        tax_rates=[{"Id": "1", "RateValue": 5}, {"Id": "2", "RateValue": 9.975},
                   {"Id": "3", "RateValue": Decimal("13")}],
        items=[{"Id": "10", "Name": "Bookkeeping", "Type": "Service"},
               {"Id": "9", "Name": "Tax", "Type": "Category", "Active": False}],
    )  # fmt: skip
    assert company == Company(
        realm_id="1",
        name="Acme",
        country="CA",
        using_sales_tax=True,
        automated_sales_tax=False,
        custom_txn_numbers=False,
        book_close_date=None,
        home_currency="",
        tax_codes=(
            TaxCode("9", "GST/QST", Decimal("14.975"), False),
            TaxCode("10", "HST ON", Decimal("13"), True),
        ),
        items=(Item("9", "Tax", False, "Category"), Item("10", "Bookkeeping", True, "Service")),
    )


def test_json_round_trip_is_exact_and_json_safe():
    company = replace(
        US_SAMPLE,
        book_close_date=date(2026, 6, 30),
        tax_codes=(TaxCode("7", "NYC", Decimal("8.875"), False),),
        items=(Item("3", "Design", True, "Service"),),
    )
    data = json.loads(json.dumps(company.to_json()))
    assert data == {
        "realm_id": "sample",
        "name": "Sandbox Company US",
        "country": "US",
        "using_sales_tax": True,
        "automated_sales_tax": False,
        "custom_txn_numbers": False,
        "book_close_date": "2026-06-30",
        "home_currency": "USD",
        "tax_codes": [{"id": "7", "name": "NYC", "rate": "8.875", "active": False}],
        "items": [{"id": "3", "name": "Design", "active": True, "type": "Service"}],
        "online_payments": False,
    }
    assert Company.from_json(data) == company
    # A snapshot saved before Payments was read says it is off.
    del data["online_payments"]
    assert Company.from_json(data) == company
    assert Company.from_json(json.loads(json.dumps(US_SAMPLE.to_json()))) == US_SAMPLE


def test_item_lookups():
    company = replace(
        US_SAMPLE,
        items=(
            Item("1", "Design", False, "Service"),
            Item("2", "design", True, "Service"),
            Item("3", "Design work", True, "Service"),
        ),
    )
    assert company.item_named("DESIGN") == Item("2", "design", True, "Service")
    assert company.item_named("Desig") is None
    assert company.item("1") == Item("1", "Design", False, "Service")
    assert company.item("4") is None
