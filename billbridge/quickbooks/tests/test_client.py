"""The QBO client against the emulator over HTTP: answers, faults, lost answers, money."""

import socket
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from billbridge.quickbooks.client import (
    QboAuthFailed,
    QboClient,
    QboFault,
    QboThrottled,
    QboUnavailable,
    dumps,
    oauth,
    quote,
)
from billbridge.quickbooks.tests.sample_companies import SAMPLE_ITEMS


class EmulatorTokens:
    """A token source holding one emulator connection; a 401 refreshes it at the token endpoint."""

    def __init__(self, grant: dict) -> None:
        self.access = grant["access_token"]
        self.refresh = grant["refresh_token"]
        self.rejected: list[str] = []

    def access_token(self) -> str:
        return self.access

    def refreshed_after_401(self, rejected: str) -> str:
        self.rejected.append(rejected)
        fresh = oauth.refresh(self.refresh)
        self.access, self.refresh = fresh.access_token, fresh.refresh_token
        return self.access


class RecordingLimiter:
    def __init__(self) -> None:
        self.acquired: list[tuple[str, bool, bool]] = []
        self.throttles: list[str] = []

    def acquire(self, realm_id: str, *, is_batch: bool, is_read: bool) -> None:
        self.acquired.append((realm_id, is_batch, is_read))

    def throttled(self, realm_id: str) -> None:
        self.throttles.append(realm_id)


@pytest.fixture
def tokens(emulator, qbo_company, qbo_settings):
    return EmulatorTokens(emulator.connect(qbo_company))


@pytest.fixture
def limiter():
    return RecordingLimiter()


@pytest.fixture
def client(qbo_company, tokens, limiter):
    with QboClient(qbo_company, tokens, limiter=limiter) as qbo:
        yield qbo


def customer_id(client, name: str) -> str:
    (customer,) = client.query(f"select * from Customer where DisplayName = {quote(name)}")
    return customer["Id"]


def item_id(client, name: str) -> str:
    (item,) = client.query(f"select * from Item where Name = {quote(name)}")
    return item["Id"]


def invoice_body(client, note: str = "") -> dict:
    body = {
        "CustomerRef": {"value": customer_id(client, "Cool Cars")},
        "Line": [
            {
                "Amount": Decimal("150.00"),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": item_id(client, "Design")},
                    "Qty": Decimal("2"),
                    "UnitPrice": Decimal("75.00"),
                },
            }
        ],
    }
    if note:
        body["PrivateNote"] = note
    return body


def stored_invoices(emulator, realm_id: str) -> list[dict]:
    return emulator.emulator.company(realm_id).list("Invoice")


def log(control, **filters) -> list[dict]:
    response = control.get("/requests", params=filters)
    response.raise_for_status()
    return response.json()["requests"]


def add_fault(control, **spec) -> None:
    control.post("/faults", json=spec).raise_for_status()


# -- happy paths -----------------------------------------------------------------------------------


def test_query_returns_the_entity_list_and_nothing_when_none_match(client, limiter, qbo_company):
    rows = client.query("select * from Customer where DisplayName = 'Cool Cars'")

    assert [(row["DisplayName"], row["GivenName"], row["Balance"]) for row in rows] == [
        ("Cool Cars", "Grace", Decimal("198.6"))
    ]
    assert client.query("select * from Customer where DisplayName = 'Nobody'") == []
    assert limiter.acquired == [(qbo_company, False, True), (qbo_company, False, True)]


def test_quote_escapes_apostrophes_and_backslashes():
    assert quote("O'Brien \\ Sons") == "'O\\'Brien \\\\ Sons'"
    assert quote("plain") == "'plain'"


def test_quoted_literals_find_exactly_the_customer_they_name(client):
    # QBO refuses a backslash in DisplayName (2040), so the backslash travels in PrintOnCheckName,
    # which is queryable and free text.
    name, on_checks = "O'Brien & Sons", "O'Brien \\ Sons"
    created = client.create(
        "Customer", {"DisplayName": name, "PrintOnCheckName": on_checks}, request_id="cust-ob"
    )
    client.create(
        "Customer",
        {"DisplayName": "OBrien Sons", "PrintOnCheckName": "O'Brien Sons"},
        request_id="cust-ob-2",
    )

    by_name = client.query(f"select * from Customer where DisplayName = {quote(name)}")
    by_check = client.query(f"select * from Customer where PrintOnCheckName = {quote(on_checks)}")

    assert [(row["Id"], row["DisplayName"]) for row in by_name] == [(created["Id"], name)]
    assert [(row["Id"], row["PrintOnCheckName"]) for row in by_check] == [
        (created["Id"], on_checks)
    ]


def test_read_company_info_and_preferences(client, qbo_company):
    cool_cars = client.read("Customer", customer_id(client, "Cool Cars"))
    info = client.company_info()
    preferences = client.preferences()

    assert (cool_cars["DisplayName"], cool_cars["PrimaryEmailAddr"]) == (
        "Cool Cars",
        {"Address": "Cool_Cars@intuit.com"},
    )
    assert (info["CompanyName"], info["Country"]) == ("Sandbox Company US 1", "US")
    assert preferences["TaxPrefs"]["UsingSalesTax"] is True
    assert preferences["SalesFormsPrefs"]["CustomTxnNumbers"] is False


def test_create_update_and_delete_an_invoice(client, emulator, qbo_company):
    created = client.create("Invoice", invoice_body(client), request_id="inv-1-create")
    assert (created["SyncToken"], created["TotalAmt"], created["Balance"]) == (
        "0",
        Decimal("150"),
        Decimal("150"),
    )
    assert created["CustomerRef"] == {
        "value": customer_id(client, "Cool Cars"),
        "name": "Cool Cars",
    }

    updated = client.update(
        "Invoice",
        {"Id": created["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "Job 42"},
        request_id="inv-1-update",
    )
    assert (updated["Id"], updated["SyncToken"], updated["PrivateNote"]) == (
        created["Id"],
        "1",
        "Job 42",
    )
    assert updated["TotalAmt"] == Decimal("150")

    deleted = client.delete("Invoice", created["Id"], "1", request_id="inv-1-delete")
    assert (deleted["Id"], deleted["status"]) == (created["Id"], "Deleted")
    assert created["Id"] not in [
        invoice["Id"] for invoice in stored_invoices(emulator, qbo_company)
    ]


def test_every_request_carries_the_minor_version_and_writes_their_request_id(client, control):
    client.query("select * from Customer")
    created = client.create("Invoice", invoice_body(client), request_id="inv-params")
    client.delete("Invoice", created["Id"], "0", request_id="inv-params-del")

    assert [(entry["method"], entry["query"]) for entry in log(control)] == [
        ("POST", "minorversion=75"),
        ("POST", "minorversion=75"),  # the customer and the item of invoice_body
        ("POST", "minorversion=75"),
        ("POST", "minorversion=75&requestid=inv-params"),
        ("POST", "minorversion=75&requestid=inv-params-del&operation=delete"),
    ]


def test_money_goes_and_comes_back_as_exact_decimals(client):
    body = invoice_body(client)
    body["Line"][0]["Amount"] = Decimal("0.30")
    body["Line"][0]["SalesItemLineDetail"].update(Qty=Decimal("3"), UnitPrice=Decimal("0.1"))

    created = client.create("Invoice", body, request_id="inv-money")

    line = created["Line"][0]
    assert isinstance(line["Amount"], Decimal) and isinstance(created["TotalAmt"], Decimal)
    assert line["Amount"] == Decimal("0.30")
    assert line["SalesItemLineDetail"]["UnitPrice"] == Decimal("0.1")
    assert created["TotalAmt"] == Decimal("0.30")


def test_dumps_is_canonical_and_keeps_decimals_exact():
    first = {"b": Decimal("0.30"), "a": [Decimal("1E+1"), "x"], "c": {"z": 1, "y": None}}
    second = {"c": {"y": None, "z": 1}, "a": [Decimal("1E+1"), "x"], "b": Decimal("0.30")}

    assert dumps(first) == '{"a":[1E+1,"x"],"b":0.30,"c":{"y":null,"z":1}}'
    assert dumps(second) == dumps(first)


def test_batch_answers_each_item_by_its_bid(client, limiter, qbo_company):
    invoice = client.create("Invoice", invoice_body(client), request_id="inv-batch")
    limiter.acquired.clear()

    results = client.batch(
        [
            {"bId": "new", "operation": "create", "Customer": {"DisplayName": "Acme LLP"}},
            {"bId": "dup", "operation": "create", "Customer": {"DisplayName": "Cool Cars"}},
            {
                "bId": "stale",
                "operation": "update",
                "Invoice": {"Id": invoice["Id"], "SyncToken": "7", "sparse": True},
            },
            {"bId": "ask", "Query": "select * from Customer where DisplayName = 'Cool Cars'"},
        ],
        request_id="batch-1",
    )

    assert set(results) == {"new", "dup", "stale", "ask"}
    assert results["new"].entity["DisplayName"] == "Acme LLP"
    assert (results["new"].fault, results["new"].query) == (None, None)
    assert [row["DisplayName"] for row in results["ask"].query] == ["Cool Cars"]
    assert (results["dup"].entity, results["dup"].fault.code) == (None, "6240")
    assert results["dup"].fault.message == "Duplicate Name Exists Error"
    assert results["stale"].fault.code == "5010"
    assert results["stale"].fault.errors[0]["message"] == "Stale Object Error"
    assert not results["dup"].fault.transient and results["dup"].fault.intuit_tid
    assert limiter.acquired == [(qbo_company, True, False)]


def test_a_batch_of_queries_counts_as_a_read(client, limiter, qbo_company):
    results = client.batch([{"bId": "1", "Query": "select * from Item"}], request_id="batch-q")

    items = client.query("select * from Item")
    assert [item["Name"] for item in results["1"].query] == [item["Name"] for item in items]
    assert len(items) == len(SAMPLE_ITEMS)
    limiter.acquired.pop()
    assert limiter.acquired == [(qbo_company, True, True)]


def test_cdc_returns_what_changed_since_a_moment(client, emulator, control):
    control.post("/clock", json={"advance": 5}).raise_for_status()
    since = emulator.emulator.clock.now() - timedelta(seconds=2)
    created = client.create("Invoice", invoice_body(client), request_id="inv-cdc")

    result = client.cdc(["Invoice", "Payment"], since)

    assert [invoice["Id"] for invoice in result.changes["Invoice"]] == [created["Id"]]
    assert result.changes["Payment"] == []
    answered_at = datetime.fromisoformat(result.time)
    assert abs(answered_at - emulator.emulator.clock.now()) < timedelta(seconds=5)


# -- faults ----------------------------------------------------------------------------------------


def test_a_stale_sync_token_is_a_permanent_5010_fault(client, control):
    created = client.create("Invoice", invoice_body(client), request_id="inv-stale")
    client.update(
        "Invoice",
        {"Id": created["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "first"},
        request_id="inv-stale-1",
    )

    with pytest.raises(QboFault) as caught:
        client.update(
            "Invoice",
            {"Id": created["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "second"},
            request_id="inv-stale-2",
        )

    fault = caught.value
    assert (fault.status, fault.code, fault.message) == (400, "5010", "Stale Object Error")
    assert fault.detail.startswith("Stale Object Error : You and ")
    assert (fault.transient, fault.ambiguous) == (False, False)
    assert fault.intuit_tid == log(control, status=400)[-1]["intuit_tid"]


def test_a_duplicate_customer_name_is_a_6240_fault(client):
    with pytest.raises(QboFault) as caught:
        client.create("Customer", {"DisplayName": "Cool Cars"}, request_id="cust-dup")

    assert (caught.value.status, caught.value.code) == (400, "6240")
    assert caught.value.message == "Duplicate Name Exists Error"
    assert caught.value.errors == [
        {
            "code": "6240",
            "message": "Duplicate Name Exists Error",
            "detail": caught.value.detail,
            "element": caught.value.element,
        }
    ]
    assert "already exists" in caught.value.detail


def test_reading_an_unknown_invoice_is_a_610_fault(client):
    with pytest.raises(QboFault) as caught:
        client.read("Invoice", "999999")

    assert (caught.value.status, caught.value.code, caught.value.message) == (
        400,
        "610",
        "Object Not Found",
    )
    assert not caught.value.transient
    assert "Invoice Id=999999" in str(caught.value)


def test_an_injected_business_fault_keeps_code_message_and_detail(client, control):
    add_fault(
        control,
        kind="fault",
        path="/v3/company/*/invoice",
        status=400,
        code="6000",
        message="A business validation error has occurred while processing your request",
        detail="Business Validation Error: Closed period",
    )

    with pytest.raises(QboFault) as caught:
        client.create("Invoice", invoice_body(client), request_id="inv-6000")

    assert (caught.value.code, caught.value.detail) == (
        "6000",
        "Business Validation Error: Closed period",
    )


@pytest.mark.parametrize("body_format", ["json", "xml"])
def test_429_is_throttled_not_ambiguous_and_tells_the_limiter(
    client, control, limiter, qbo_company, body_format
):
    add_fault(
        control, method="POST", path="/v3/company/*/invoice", status=429, body_format=body_format
    )

    with pytest.raises(QboThrottled) as caught:
        client.create("Invoice", invoice_body(client), request_id="inv-429")

    assert (caught.value.status, caught.value.code) == (429, "3001")
    assert (caught.value.transient, caught.value.ambiguous) == (True, False)
    assert limiter.throttles == [qbo_company]


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_answer_to_a_write_is_ambiguous(client, control, status):
    add_fault(control, method="POST", path="/v3/company/*/invoice", status=status)

    with pytest.raises(QboUnavailable) as caught:
        client.create("Invoice", invoice_body(client), request_id="inv-5xx")

    assert (caught.value.status, caught.value.code) == (status, "10000")
    assert (caught.value.transient, caught.value.ambiguous) == (True, True)
    assert caught.value.intuit_tid == log(control, status=status)[-1]["intuit_tid"]


def test_a_5xx_answer_to_a_read_is_transient_but_not_ambiguous(client, control):
    add_fault(control, path="/v3/company/*/query", status=503)

    with pytest.raises(QboUnavailable) as caught:
        client.query("select * from Customer")

    assert (caught.value.transient, caught.value.ambiguous) == (True, False)


def test_a_dropped_create_is_ambiguous_and_did_happen(client, emulator, qbo_company, control):
    body = invoice_body(client, note="dropped once")
    before = len(stored_invoices(emulator, qbo_company))
    add_fault(control, kind="drop", method="POST", path="/v3/company/*/invoice")

    with pytest.raises(QboUnavailable) as caught:
        client.create("Invoice", body, request_id="inv-drop")

    assert (caught.value.transient, caught.value.ambiguous) == (True, True)
    after = stored_invoices(emulator, qbo_company)
    assert len(after) == before + 1
    assert after[-1]["PrivateNote"] == "dropped once"

    # Resending the same body under the same requestid is answered with that invoice.
    again = client.create("Invoice", body, request_id="inv-drop")
    assert again["Id"] == after[-1]["Id"]
    assert len(stored_invoices(emulator, qbo_company)) == before + 1


def test_a_hang_longer_than_the_timeout_is_ambiguous(qbo_company, tokens, control):
    add_fault(control, kind="hang", method="POST", path="/v3/company/*/invoice", seconds=2)

    with QboClient(qbo_company, tokens, timeout=0.3) as quick:
        body = invoice_body(quick)
        with pytest.raises(QboUnavailable) as caught:
            quick.create("Invoice", body, request_id="inv-hang")

    assert caught.value.ambiguous is True
    assert str(caught.value) == "QuickBooks did not answer within 0.3 seconds."


def test_a_read_that_cannot_connect_is_transient_not_ambiguous(qbo_company, tokens):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    nowhere = QboClient(qbo_company, tokens, base_url=f"http://127.0.0.1:{port}/v3")
    with nowhere, pytest.raises(QboUnavailable) as caught:
        nowhere.read("Invoice", "1")

    assert (caught.value.transient, caught.value.ambiguous) == (True, False)
    assert str(caught.value) == "The connection to QuickBooks failed (ConnectError)."


# -- tokens ----------------------------------------------------------------------------------------


def test_a_401_refreshes_once_and_resends_the_same_request(
    client, tokens, limiter, control, emulator, qbo_company
):
    body = invoice_body(client)
    limiter.acquired.clear()
    expired = tokens.access
    control.post("/tokens/expire", json={"realm_id": qbo_company}).raise_for_status()

    created = client.create("Invoice", body, request_id="inv-401")

    assert tokens.rejected == [expired]
    assert tokens.access != expired
    attempts = log(control, method="POST", path="/v3/company/*/invoice")
    assert [(entry["status"], entry["query"]) for entry in attempts] == [
        (401, "minorversion=75&requestid=inv-401"),
        (200, "minorversion=75&requestid=inv-401"),
    ]
    assert created["Id"] == stored_invoices(emulator, qbo_company)[-1]["Id"]
    assert limiter.acquired == [(qbo_company, False, False), (qbo_company, False, False)]


class DeadTokens:
    """A token source whose refresh yields a token QBO does not know either."""

    def __init__(self) -> None:
        self.rejected: list[str] = []

    def access_token(self) -> str:
        return "expired-token"

    def refreshed_after_401(self, rejected: str) -> str:
        self.rejected.append(rejected)
        return "still-not-a-token"


def test_a_second_401_is_auth_failed_without_a_third_try(qbo_company, qbo_settings, control):
    dead = DeadTokens()
    with QboClient(qbo_company, dead) as qbo, pytest.raises(QboAuthFailed) as caught:
        qbo.read("Invoice", "1")

    assert dead.rejected == ["expired-token"]
    assert (caught.value.status, caught.value.code) == (401, "3200")
    assert (caught.value.transient, caught.value.ambiguous) == (False, False)
    assert "expired-token" not in str(caught.value)
    assert "not-a-token" not in str(caught.value)
    assert [entry["status"] for entry in log(control)] == [401, 401]


def test_a_token_for_another_company_is_auth_failed_403(emulator, qbo_company, qbo_settings):
    other = emulator.emulator.create_company(name="Other Co", seed="empty").realm_id
    tokens = EmulatorTokens(emulator.connect(qbo_company))

    with QboClient(other, tokens) as qbo, pytest.raises(QboAuthFailed) as caught:
        qbo.company_info()

    assert (caught.value.status, caught.value.code) == (403, "3100")
    assert tokens.rejected == []


# -- requestid -------------------------------------------------------------------------------------


def test_a_create_retried_with_the_same_request_id_creates_one_invoice(
    client, emulator, qbo_company
):
    body = invoice_body(client)
    before = len(stored_invoices(emulator, qbo_company))

    first = client.create("Invoice", body, request_id="inv-once")
    second = client.create("Invoice", body, request_id="inv-once")
    third = client.create("Invoice", body, request_id="inv-twice")

    assert second["Id"] == first["Id"]
    assert third["Id"] != first["Id"]
    assert len(stored_invoices(emulator, qbo_company)) == before + 2
