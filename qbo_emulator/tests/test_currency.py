"""CompanyCurrency and ExchangeRate over HTTP: both only with multicurrency on; rates read and
set by currency and date through Intuit's own /exchangerate endpoints."""

from decimal import Decimal

import pytest

from qbo_emulator.tests._banking import batch, changed
from qbo_emulator.tests._data_helpers import Api, fault_of, money

SINCE = "2026-11-20T17:00:00+00:00"


@pytest.fixture
def multi_api(emulator, client) -> Api:
    """A US company with multicurrency on (home currency USD)."""
    company = emulator.create_company(name="Global Co", seed="empty", multicurrency=True)
    return Api(client, company.realm_id)


@pytest.fixture
def euro(multi_api) -> dict:
    return multi_api.create("CompanyCurrency", {"Code": "EUR"})


def rate(source="EUR", value="1.0850", as_of="2026-11-01", **fields) -> dict:
    return {"SourceCurrencyCode": source, "Rate": value, "AsOfDate": as_of, **fields}


def test_company_currencies_need_multicurrency(api):
    error = fault_of(api.post("companycurrency", {"Code": "EUR"}))
    assert error["code"] == "6000" and "Multicurrency" in error["Detail"]
    assert fault_of(api.post("exchangerate", rate()))["code"] == "6000"


def test_a_currency_is_named_by_its_code(multi_api):
    created = multi_api.create("CompanyCurrency", {"Code": "cad", "Name": "Loonie"})
    assert (created["Code"], created["Name"], created["Active"]) == ("CAD", "Canadian Dollar", True)
    assert created["SyncToken"] == "0"
    assert multi_api.read("CompanyCurrency", created["Id"]) == created


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "2020"),
        ({"Code": "XYZ"}, "2010"),
        ({"Code": "USD"}, "6000"),
        ({"Code": "EURO"}, "2050"),
    ],
)
def test_a_currency_qbo_refuses(multi_api, body, code):
    assert fault_of(multi_api.post("companycurrency", body))["code"] == code


def test_a_currency_is_added_once_deactivated_and_never_deleted(multi_api, euro):
    assert fault_of(multi_api.post("companycurrency", {"Code": "EUR"}))["code"] == "6240"
    body = {"Id": euro["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    inactive = multi_api.create("CompanyCurrency", body)
    assert inactive["Active"] is False and inactive["SyncToken"] == "1"
    assert multi_api.rows("select * from CompanyCurrency", "CompanyCurrency") == []
    hidden = multi_api.rows("select * from CompanyCurrency where Active = false", "CompanyCurrency")
    assert [c["Code"] for c in hidden] == ["EUR"]
    renamed = {"Id": euro["Id"], "SyncToken": "1", "Code": "GBP"}
    assert fault_of(multi_api.post("companycurrency", renamed))["element"] == "Code"
    deleted = multi_api.post(
        "companycurrency", {"Id": euro["Id"], "SyncToken": "1"}, operation="delete"
    )
    assert fault_of(deleted)["code"] == "500"


def test_a_rate_is_set_read_and_changed_by_currency_and_date(multi_api, euro):
    assert fault_of(multi_api.get("exchangerate", sourcecurrencycode="EUR"))["code"] == "610"
    answer = multi_api.ok(multi_api.post("exchangerate", rate()))["ExchangeRate"]
    assert "Id" not in answer
    assert answer["MetaData"] == {"LastUpdatedTime": "2026-11-20T10:00:00-08:00"}
    assert (answer["SourceCurrencyCode"], answer["TargetCurrencyCode"]) == ("EUR", "USD")
    assert (money(answer["Rate"]), answer["AsOfDate"], answer["SyncToken"]) == (
        Decimal("1.0850"),
        "2026-11-01",
        "0",
    )
    # A later day without its own rate reads the latest set before it; an earlier day none.
    later = multi_api.get("exchangerate", sourcecurrencycode="EUR", asofdate="2026-11-15")
    assert multi_api.ok(later)["ExchangeRate"] == answer
    earlier = multi_api.get("exchangerate", sourcecurrencycode="EUR", asofdate="2026-10-31")
    assert fault_of(earlier)["code"] == "610"
    # The day's rate changes with its SyncToken, like any update.
    assert fault_of(multi_api.post("exchangerate", rate(value="1.09")))["element"] == "SyncToken"
    changed_rate = multi_api.ok(multi_api.post("exchangerate", rate(value="1.09", SyncToken="0")))
    assert changed_rate["ExchangeRate"]["SyncToken"] == "1"
    assert (
        fault_of(multi_api.post("exchangerate", rate(value="1.2", SyncToken="0")))["code"] == "5010"
    )
    today = multi_api.ok(multi_api.get("exchangerate", sourcecurrencycode="eur"))["ExchangeRate"]
    assert money(today["Rate"]) == Decimal("1.09")


def test_rates_are_queried_without_ids(multi_api, euro):
    multi_api.create("CompanyCurrency", {"Code": "INR"})
    multi_api.post("exchangerate", rate())
    multi_api.post("exchangerate", rate("INR", "0.012", "2026-11-02"))
    rows = multi_api.rows(
        "select * from exchangerate where SourceCurrencyCode in ('EUR', 'INR')", "ExchangeRate"
    )
    assert [(r["SourceCurrencyCode"], r["AsOfDate"]) for r in rows] == [
        ("EUR", "2026-11-01"),
        ("INR", "2026-11-02"),
    ]
    assert all("Id" not in r and set(r["MetaData"]) == {"LastUpdatedTime"} for r in rows)
    assert (
        multi_api.rows("select * from exchangerate where AsOfDate > '2026-11-01'", "ExchangeRate")[
            0
        ]["SourceCurrencyCode"]
        == "INR"
    )


@pytest.mark.parametrize(
    ("body", "code", "element"),
    [
        (rate("USD"), "6000", "SourceCurrencyCode"),
        (rate(TargetCurrencyCode="GBP"), "2010", "TargetCurrencyCode"),
        (rate("GBP"), "2010", "SourceCurrencyCode"),
        (rate(value="0"), "2010", "Rate"),
        ({"SourceCurrencyCode": "EUR", "Rate": 1}, "2020", "AsOfDate"),
        ({"Rate": 1, "AsOfDate": "2026-11-01"}, "2020", "SourceCurrencyCode"),
    ],
)
def test_a_rate_qbo_refuses(multi_api, euro, body, code, element):
    error = fault_of(multi_api.post("exchangerate", body))
    assert (error["code"], error["element"]) == (code, element)


def test_a_rate_of_an_inactive_currency_is_refused(multi_api, euro):
    multi_api.create(
        "CompanyCurrency", {"Id": euro["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    assert fault_of(multi_api.post("exchangerate", rate()))["element"] == "SourceCurrencyCode"


def test_reading_a_rate_needs_its_currency_and_no_id(multi_api, euro):
    assert fault_of(multi_api.get("exchangerate"))["element"] == "sourcecurrencycode"
    assert fault_of(multi_api.get("exchangerate/1"))["code"] == "500"


def test_currencies_through_batch_and_cdc_and_rates_outside_cdc(multi_api):
    added, refused = batch(
        multi_api,
        {"operation": "create", "CompanyCurrency": {"Code": "JPY"}},
        {"operation": "create", "CompanyCurrency": {"Code": "NOPE"}},
    )
    assert added["CompanyCurrency"]["Name"] == "Japanese Yen"
    assert refused["Fault"]["Error"][0]["code"] == "2050"
    assert [c["Code"] for c in changed(multi_api, "CompanyCurrency", SINCE)] == ["JPY"]
    cdc = multi_api.get("cdc", entities="ExchangeRate", changedSince=SINCE)
    assert fault_of(cdc)["element"] == "entities"
