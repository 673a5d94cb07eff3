"""Customer, Vendor, Employee over HTTP: envelope, names, updates, deactivation (QBO.md §3.1)."""

import json

import pytest
from quickbooks.objects.customer import Customer

from qbo_emulator.tests._data_helpers import fault_of, line, money


def test_create_returns_envelope_with_defaults(api):
    response = api.post(
        "customer",
        {
            "DisplayName": "Baker & Sons LLP",
            "PrimaryEmailAddr": {"Address": "ap@bakersons.example"},
        },
    )
    body = api.ok(response)
    assert set(body) == {"Customer", "time"}
    assert body["time"] == "2026-11-20T10:00:00.000-08:00"
    customer = body["Customer"]
    assert customer["SyncToken"] == "0"
    assert customer["FullyQualifiedName"] == "Baker & Sons LLP"
    assert customer["Active"] is True
    assert customer["Balance"] == 0
    assert customer["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}
    assert customer["domain"] == "QBO" and customer["sparse"] is False
    assert api.read("Customer", customer["Id"]) == customer


def test_display_name_made_from_name_parts(api):
    customer = api.create(
        "Customer", {"Title": "Dr.", "GivenName": "Ada", "FamilyName": "Lovelace"}
    )
    assert customer["DisplayName"] == "Dr. Ada Lovelace"


def test_display_name_or_a_name_part_is_required(api):
    error = fault_of(api.post("customer", {"CompanyName": "Nameless"}))
    assert error["code"] == "2020"
    assert error["element"] == "DisplayName"


def test_display_name_unique_across_customers_vendors_employees(api):
    api.create("Vendor", {"DisplayName": "Shared Name"})
    error = fault_of(api.post("customer", {"DisplayName": "  shared   NAME "}))
    assert error["code"] == "6240"
    assert error["Message"] == "Duplicate Name Exists Error"
    error = fault_of(api.post("employee", {"DisplayName": "Shared Name"}))
    assert error["code"] == "6240"


def test_inactive_names_still_hold_their_display_name(api):
    customer = api.create("Customer", {"DisplayName": "Gone Co"})
    api.create("Customer", {**customer, "Active": False})
    assert fault_of(api.post("customer", {"DisplayName": "Gone Co"}))["code"] == "6240"


def test_colon_and_other_characters_refused(api):
    error = fault_of(api.post("customer", {"DisplayName": "Parent:Job"}))
    assert (error["code"], error["element"]) == ("2040", "DisplayName")
    assert fault_of(api.post("customer", {"DisplayName": "Tab\there"}))["code"] == "2040"
    accepted = api.create("Customer", {"DisplayName": "O'Brien, Smith & Co. (West) #2"})
    assert accepted["DisplayName"] == "O'Brien, Smith & Co. (West) #2"
    assert api.create("Customer", {"DisplayName": "Café Zoë"})["DisplayName"] == "Café Zoë"


def test_name_lengths(api):
    error = fault_of(api.post("customer", {"DisplayName": "x" * 501}))
    assert (error["code"], error["element"]) == ("2050", "DisplayName")
    error = fault_of(api.post("customer", {"DisplayName": "ok", "GivenName": "g" * 101}))
    assert (error["code"], error["element"]) == ("2050", "GivenName")
    assert api.create("Customer", {"DisplayName": "y" * 500})["DisplayName"] == "y" * 500


def test_sparse_update_keeps_other_fields_and_full_update_clears_them(api):
    customer = api.create(
        "Customer",
        {"DisplayName": "Keep Co", "Notes": "vip", "PrimaryPhone": {"FreeFormNumber": "555"}},
    )
    sparse = api.create(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "changed"}
    )
    assert sparse["Notes"] == "changed"
    assert sparse["PrimaryPhone"] == {"FreeFormNumber": "555"}
    assert sparse["SyncToken"] == "1"
    full = api.create(
        "Customer", {"Id": customer["Id"], "SyncToken": "1", "DisplayName": "Keep Co"}
    )
    assert "Notes" not in full and "PrimaryPhone" not in full
    assert full["SyncToken"] == "2"


def test_stale_sync_token(api):
    customer = api.create("Customer", {"DisplayName": "Race Co"})
    api.create("Customer", {**customer, "Notes": "first"})
    error = fault_of(api.post("customer", {**customer, "Notes": "second"}))
    assert error["code"] == "5010"
    assert error["Message"] == "Stale Object Error"


def test_update_unknown_id_is_object_not_found(api):
    error = fault_of(api.post("customer", {"Id": "9999", "SyncToken": "0", "DisplayName": "X"}))
    assert error["code"] == "610"


def test_names_are_not_deleted_but_deactivated(api):
    customer = api.create("Customer", {"DisplayName": "Leaving Co"})
    error = fault_of(api.post("customer", customer, operation="delete"))
    assert error["code"] == "500" and "Delete" in error["Detail"]
    inactive = api.create("Customer", {**customer, "sparse": True, "Active": False})
    assert inactive["Active"] is False
    assert api.rows("select * from Customer where DisplayName = 'Leaving Co'", "Customer") == []
    found = api.rows(
        "select * from Customer where DisplayName = 'Leaving Co' and Active = false", "Customer"
    )
    assert [c["Id"] for c in found] == [customer["Id"]]


def test_references_checked(api):
    error = fault_of(
        api.post("customer", {"DisplayName": "Ref Co", "SalesTermRef": {"value": "77"}})
    )
    assert (error["code"], error["element"]) == ("2500", "SalesTermRef")


def test_python_quickbooks_customer_json_is_accepted(api):
    customer = Customer()
    customer.DisplayName = "From Library"
    created = api.create("Customer", json.loads(customer.to_json()))
    assert created["DisplayName"] == "From Library"
    assert "GivenName" not in created  # the library's empty strings mean "not set"
    again = Customer.from_json(created)
    again.Notes = "updated through the library"
    updated = api.create("Customer", json.loads(again.to_json()))
    assert updated["Notes"] == "updated through the library"
    assert updated["SyncToken"] == "1"


def test_vendor_and_employee(api):
    vendor = api.create("Vendor", {"DisplayName": "Paper Supplier"})
    assert vendor["Balance"] == 0 and vendor["Active"] is True
    employee = api.create("Employee", {"GivenName": "Grace", "FamilyName": "Hopper"})
    assert employee["DisplayName"] == "Grace Hopper"
    assert api.read("Employee", employee["Id"])["FamilyName"] == "Hopper"


def test_balance_is_read_only(api):
    created = api.create("Customer", {"DisplayName": "Sends A Balance", "Balance": "x"})
    assert created["Balance"] == 0 and created["BalanceWithJobs"] == 0
    api.create("Invoice", {"CustomerRef": {"value": created["Id"]}, "Line": [line("1", 25)]})
    echoed = {**api.read("Customer", created["Id"]), "Balance": 999, "Notes": "echoed"}
    updated = api.ok(api.post("customer", echoed))["Customer"]
    assert money(updated["Balance"]) == 25 and money(updated["BalanceWithJobs"]) == 25


@pytest.mark.parametrize(
    ("field", "value"),
    [("PrimaryEmailAddr", "a@b.c"), ("PrimaryEmailAddr", {"Address": 5}), ("BillAddr", "x"),
     ("ShipAddr", [1]), ("PrimaryPhone", True)],
)  # fmt: skip
def test_object_fields_must_be_objects(api, field, value):
    error = fault_of(api.post("customer", {"DisplayName": "Odd Fields", field: value}))
    assert (error["code"], error["element"]) == ("2010", field)
