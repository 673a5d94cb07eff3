"""Fault envelope and request-level errors (QBO.md §2.13)."""

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qbo_emulator import faults
from qbo_emulator.tests._data_helpers import fault_of, line


def test_fault_body_shape():
    fault = faults.invalid_reference("Line.SalesItemLineDetail.ItemRef", "99")
    body = faults.fault_body(fault, datetime(2026, 11, 20, 18, 0, 0, 123000, tzinfo=UTC))
    assert body == {
        "Fault": {
            "Error": [
                {
                    "Message": "Invalid Reference Id",
                    "Detail": "Invalid Reference Id : Line.SalesItemLineDetail.ItemRef (99)",
                    "code": "2500",
                    "element": "Line.SalesItemLineDetail.ItemRef",
                }
            ],
            "type": "ValidationFault",
        },
        "time": "2026-11-20T18:00:00.123+00:00",
    }


def test_fault_time_is_company_local(api):
    response = api.get("invoice/404")
    assert response.json()["time"] == "2026-11-20T10:00:00.000-08:00"


def test_unknown_realm(client):
    response = client.get("/v3/company/123/invoice/1")
    assert response.status_code == 403
    assert response.json()["Fault"]["Error"][0]["code"] == "3100"
    assert "time" in response.json()


def test_malformed_json_and_non_utf8(api):
    response = api.client.post(
        api.url("customer"), content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert fault_of(response)["code"] == "2010"
    response = api.client.post(
        api.url("customer"),
        content=b'{"DisplayName": "\xff"}',
        headers={"Content-Type": "application/json"},
    )
    assert fault_of(response)["code"] == "500"
    assert fault_of(api.client.post(api.url("customer"), content=b"[1, 2]"))["code"] == "2010"


def test_unknown_entity_path(api):
    # QBO's router fault, a SystemFault 10000 (test_unknown_path.py has the sources).
    response = api.get("spaceship/1")
    assert response.status_code == 404
    assert response.json()["Fault"]["Error"][0]["code"] == "10000"
    assert api.client.get(api.url("reports/ProfitAndLoss")).status_code == 404


def test_bad_number_is_a_400(api):
    body = {
        "CustomerRef": {"value": "3"},
        "Line": [
            {
                "Amount": "ten",
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "3"}},
            }
        ],
    }
    error = fault_of(api.post("invoice", body))
    assert (error["code"], error["element"]) == ("2010", "Line.Amount")


@pytest.mark.parametrize(
    ("path", "raw", "code"),
    [
        # JSON numbers beyond the money limit arrive as Decimal, not as strings.
        ("invoice", b'{"CustomerRef":{"value":"1"},"Line":[{"Amount":1e20,'
         b'"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{}}]}', "2010"),
        # Numbers the emulator could not send back as JSON, even in fields it merely keeps.
        ("customer", b'{"DisplayName":"Odd","Notes":"n","Extra":NaN}', "2010"),
        ("customer", b'{"DisplayName":"Odd","Extra":-Infinity}', "2010"),
        ("customer", b'{"DisplayName":"Odd","Extra":1e400}', "2010"),
        ("invoice", b'{"CustomerRef":{"value":"1"},"TxnDate":"9999-12-31","SalesTermRef":'
         b'{"value":"3"},"Line":[{"Amount":5,"DetailType":"SalesItemLineDetail",'
         b'"SalesItemLineDetail":{}}]}', "2010"),
        ("customer", b'{"DisplayName":"   "}', "2020"),
        ("term", b'{"Name":" "}', "2020"),
        ("item", b'{"Name":"  ","Type":"Service","IncomeAccountRef":{"value":"1"}}', "2020"),
        ("taxagency", b'{"DisplayName":" "}', "2020"),
        ("taxservice/taxcode", b'{"TaxCode":" ","TaxRateDetails":[{"TaxRateId":"1"}]}', "2020"),
        ("customer", b'{"DisplayName":" ","GivenName":" ","FamilyName":" "}', "2020"),
        ("payment", b'{"CustomerRef":{"value":"1"},"TotalAmt":-1e30}', "2010"),
    ],
)  # fmt: skip
def test_edge_bodies_get_a_fault_not_a_500(api, path, raw, code):
    response = api.client.post(api.url(path), content=raw)
    assert fault_of(response)["code"] == code


@pytest.mark.parametrize("depth", [40, 900, 100_000])
def test_deeply_nested_bodies_are_refused_and_leave_the_company_usable(api, depth):
    customers = len(api.rows("select * from Customer", "Customer"))
    nested = b'{"a":' * depth + b"1" + b"}" * depth
    for path in ("customer", "batch"):
        raw = b'{"DisplayName":"Deep","Extra":' + nested + b"}"
        assert fault_of(api.client.post(api.url(path), content=raw))["code"] == "2010"
    assert api.rows("select * from Customer where DisplayName = 'Deep'", "Customer") == []
    assert len(api.rows("select * from Customer", "Customer")) == customers


def test_preference_references_must_name_existing_objects(api):
    prefs = api.ok(api.get("preferences"))["Preferences"]
    for sent, code in (({"value": None}, "2010"), ({"value": "999"}, "2500"), ("999", "2500")):
        body = {"SyncToken": prefs["SyncToken"], "SalesFormsPrefs": {"DefaultItem": sent}}
        error = fault_of(api.post("preferences", body))
        assert (error["code"], error["element"]) == (code, "SalesFormsPrefs.DefaultItem")
    body = {"SyncToken": prefs["SyncToken"], "SalesFormsPrefs": {"DefaultItem": {"value": "3"}}}
    changed = api.ok(api.post("preferences", body))["Preferences"]["SalesFormsPrefs"]
    assert changed["DefaultItem"]["value"] == "3" and changed["DefaultItem"]["name"]
    invoice = api.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line(None, 5)]})
    assert invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"] == "3"


def test_home_currency_cannot_change(api):
    prefs = api.ok(api.get("preferences"))["Preferences"]
    body = {"SyncToken": prefs["SyncToken"], "CurrencyPrefs": {"HomeCurrency": "x"}}
    currency = api.ok(api.post("preferences", body))["Preferences"]["CurrencyPrefs"]
    assert currency["HomeCurrency"] == {"value": "USD", "name": "United States Dollar"}
    assert api.create("Customer", {"DisplayName": "Priced In USD"})["CurrencyRef"]["value"] == "USD"


def test_display_name_from_parts_ignores_blank_ones(api):
    body = {"DisplayName": " ", "GivenName": " Ada ", "MiddleName": " ", "FamilyName": "Byron"}
    assert api.create("Customer", body)["DisplayName"] == "Ada Byron"


def test_unsupported_operation(api):
    error = fault_of(api.post("invoice", {"Id": "1", "SyncToken": "0"}, operation="merge"))
    assert error["code"] == "500"


def test_minorversion_recorded(api, sample):
    api.get("invoice/1", minorversion="75")
    api.get("invoice/1", minorversion="65")
    assert sample.minor_versions["65"] == 1
    assert sample.minor_versions["75"] >= 1


def test_preferences_and_company_info(api, sample):
    prefs = api.ok(api.get("preferences"))["Preferences"]
    assert prefs["TaxPrefs"]["UsingSalesTax"] is True
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is False
    info = api.ok(api.get(f"companyinfo/{sample.realm_id}"))["CompanyInfo"]
    assert info["CompanyName"] == "Sandbox Company_US_1" and info["Country"] == "US"
    assert fault_of(api.get("companyinfo/1"))["code"] == "610"
    updated = api.ok(
        api.post(
            "preferences",
            {"SyncToken": prefs["SyncToken"], "SalesFormsPrefs": {"CustomTxnNumbers": True}},
        )
    )
    assert updated["Preferences"]["SalesFormsPrefs"]["CustomTxnNumbers"] is True
    assert updated["Preferences"]["TaxPrefs"]["UsingSalesTax"] is True
    assert sample.preference("custom_txn_numbers") is True
    rows = api.rows("select * from Preferences", "Preferences")
    assert rows[0]["SalesFormsPrefs"]["CustomTxnNumbers"] is True


JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(), st.sampled_from(
        ["", " ", "1", "3", "TAX", "NON", "2026-11-01", "9999-12-31", "x" * 30, "NaN", "1e400",
         "Invoice", "\u00e9\u4e2d\U0001f600"]
    )
)  # fmt: skip
FIELDS = st.sampled_from(
    ["Id", "SyncToken", "sparse", "DisplayName", "Name", "CustomerRef", "Line", "Amount",
     "DetailType", "SalesItemLineDetail", "ItemRef", "Qty", "UnitPrice", "TaxCodeRef",
     "TxnTaxDetail", "TxnTaxCodeRef", "TotalTax", "TotalAmt", "LinkedTxn", "TxnId", "TxnType",
     "DocNumber", "TxnDate", "Active", "value", "AccountType", "Type", "SalesFormsPrefs",
     "TaxPrefs", "BookCloseDate", "DiscountLineDetail", "GlobalTaxCalculation"]
)  # fmt: skip
JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELDS, inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(["customer", "item", "account", "term", "invoice", "payment",
                          "preferences", "batch", "taxservice/taxcode"]),
    body=JSON,
    existing=st.booleans(),
    operation=st.sampled_from([None, "delete", "void", "update"]),
)  # fmt: skip
def test_any_json_body_gets_an_answer_never_a_500(api, sample, path, body, existing, operation):
    if existing and isinstance(body, dict) and path in ("customer", "invoice", "payment"):
        current = sample.find(path.capitalize(), "1")  # earlier examples may have deleted it
        body.update(Id="1", SyncToken=current["SyncToken"] if current else "0")
    params = {"operation": operation} if operation else {}
    response = api.client.post(api.url(path), content=json.dumps(body), params=params)
    assert response.status_code in (200, 400)
    assert "time" in response.json()
