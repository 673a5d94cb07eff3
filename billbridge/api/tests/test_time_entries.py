"""Time entries and expenses over the API: recording, reading, changing and deleting, who may
do which, and refusals that store nothing. Every answer is checked against the document."""

# The time app's fixtures are imported, not copied; the tests that take them name them again.

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from billbridge.api.tests.conftest import ApiCaller
from billbridge.api.tests.test_patterns import _decimal, decimal_texts, documented
from billbridge.api.time_schemas import ExpenseAmountIn
from billbridge.core import testing
from billbridge.time import billing, rate_card, services
from billbridge.time.models import Entry, EntryChange, EntryKind
from billbridge.time.services import MAX_EXPENSE

# Sam (no permissions), the work codes (Tax preparation at 200/h), Alice at 150/h, Sam at 90/h.
from billbridge.time.tests.fixtures import WEEK_AGO

URL = "/api/v1/time-entries"


def time_body(for_client, **overrides) -> dict:
    return {"client": for_client.pk, "date": WEEK_AGO.isoformat(), "minutes": 90, **overrides}


@pytest.fixture
def foreign(db):
    """Another practice with a client, a work code and an entry of its own."""
    other = testing.make_practice("Elsewhere LLP")
    boss = testing.make_admin(other, "boss")
    client = testing.make_client(other, "Secret Customer")
    entry = services.record(
        boss, services.EntryInput(client_id=client.pk, date=WEEK_AGO, minutes=30)
    )
    return entry


def snapshot() -> list:
    return [list(Entry.objects.order_by("pk").values()), EntryChange.objects.count()]


# ---- recording ----------------------------------------------------------------------------


def test_record_time_valued_at_the_rate_in_force(
    admin_api, admin_member, client_a, work_codes, staff_rates
):
    response = admin_api.post(
        URL,
        time_body(client_a, work_code=work_codes["tax"].pk, description="  Federal return "),
    )
    assert response.status_code == 201
    body = response.json()
    entry = Entry.objects.get()
    assert body == {
        "id": entry.pk,
        "kind": "time",
        "staff": {"id": admin_member.pk, "username": "alice"},
        "client": {"id": client_a.pk, "name": "Acme Widgets"},
        "date": WEEK_AGO.isoformat(),
        "minutes": 90,
        "hours": "1.50",
        "work_code": {"id": work_codes["tax"].pk, "name": "Tax preparation"},
        "description": "Federal return",
        "billable": True,
        "rate": "200.00",
        "value": "300.00",
        "state": "unbilled",
        "invoice": None,
        "source": "",
        "source_id": "",
        "timer_started_at": None,
    }
    assert entry.value == Decimal("300.00")


def test_record_an_expense(admin_api, client_a):
    response = admin_api.post(
        URL,
        {
            "kind": "expense",
            "client": client_a.pk,
            "date": WEEK_AGO.isoformat(),
            "amount": "35.50",
            "description": "Filing fee",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["minutes"], body["rate"], body["value"]) == (
        "expense",
        0,
        None,
        "35.50",
    )
    assert Entry.objects.get().value == Decimal("35.50")


def test_an_amount_sent_as_a_json_number_is_read_exactly(admin_api, client_a):
    raw = f'{{"kind": "expense", "client": {client_a.pk}, "date": "{WEEK_AGO}", "amount": 0.10}}'
    response = admin_api.post(URL, raw=raw)
    assert response.status_code == 201, response.content
    assert Entry.objects.get().value == Decimal("0.10")


def test_staff_record_their_own_time_and_not_someone_elses(
    as_member, admin_member, staff, client_a, staff_rates
):
    sam = as_member(staff)
    own = sam.post(URL, time_body(client_a, minutes=60))
    assert own.status_code == 201
    assert (own.json()["staff"]["id"], own.json()["value"]) == (staff.pk, "90.00")
    before = snapshot()
    response = sam.post(URL, time_body(client_a, staff=admin_member.pk))
    assert response.status_code == 403
    assert "Process time" in response.json()["detail"]
    assert snapshot() == before


def test_process_time_records_for_someone_else(admin_api, staff, client_a, staff_rates):
    response = admin_api.post(URL, time_body(client_a, staff=staff.pk))
    assert response.status_code == 201
    assert (response.json()["staff"]["username"], response.json()["value"]) == ("sam", "135.00")


TOO_FAR = (timezone.localdate() + datetime.timedelta(days=32)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"minutes": 0}, 400, "minutes"),
        ({"minutes": -30}, 400, "minutes"),
        ({"minutes": 1441}, 400, "minutes"),
        ({"minutes": 2**80}, 400, "minutes"),
        ({"minutes": None}, 400, "minutes"),
        ({"minutes": "90"}, 422, "minutes"),
        ({"minutes": 1.5}, 422, "minutes"),
        ({"minutes": True}, 422, "minutes"),
        ({"date": TOO_FAR}, 400, "date"),
        ({"date": "2026-02-30"}, 422, "date"),
        ({"date": "02/11/2026"}, 422, "date"),
        ({"client": 987654}, 400, "client"),
        ({"client": "1"}, 422, "client"),
        ({"staff": 987654}, 400, "staff"),
        ({"work_code": 987654}, 400, "work_code"),
        ({"amount": "10.00"}, 400, "amount"),
        ({"kind": "mileage"}, 422, "kind"),
        ({"billable": "yes"}, 422, "billable"),
        ({"description": "d" * 1001}, 422, "description"),
        ({"description": "a\x00b"}, 422, "description"),
        ({"minute": 90}, 422, "minute"),
    ],
)
def test_bad_time_is_refused_naming_the_field_and_stores_nothing(
    admin_api, client_a, overrides, status, field
):
    response = admin_api.post(URL, time_body(client_a, **overrides))
    assert response.status_code == status, response.content
    assert field in response.json()["errors"]
    assert not Entry.objects.exists()


def test_time_needs_minutes(admin_api, client_a):
    body = time_body(client_a)
    del body["minutes"]
    response = admin_api.post(URL, body)
    assert response.status_code == 400
    assert response.json()["detail"] == "A time entry needs its minutes."
    assert not Entry.objects.exists()


@pytest.mark.parametrize(
    ("amount", "status"),
    [
        (None, 400),
        ("0", 400),
        ("0.00", 400),
        ("-5.00", 400),
        (-5, 400),
        ("1.005", 422),
        ("1000000000.00", 422),
        ("1e3", 422),
        ("NaN", 422),
    ],
)
def test_bad_expense_amounts_are_refused(admin_api, client_a, amount, status):
    body = {"kind": "expense", "client": client_a.pk, "date": WEEK_AGO.isoformat()}
    response = admin_api.post(URL, {**body, "amount": amount})
    assert response.status_code == status, response.content
    assert "amount" in response.json()["errors"]
    assert not Entry.objects.exists()


def test_an_expense_has_no_minutes(admin_api, client_a):
    body = {"kind": "expense", "client": client_a.pk, "date": WEEK_AGO.isoformat()}
    response = admin_api.post(URL, {**body, "amount": "5.00", "minutes": 30})
    assert response.status_code == 400
    assert response.json()["errors"] == {"minutes": ["Only a time entry has minutes."]}
    assert not Entry.objects.exists()


def test_another_practices_client_staff_and_work_code_are_refused(admin_api, client_a, foreign):
    code = rate_card.save_work_code(foreign.staff, rate_card.WorkCodeInput("Audit"))
    for body, field in (
        (time_body(foreign.client), "client"),
        (time_body(client_a, staff=foreign.staff_id), "staff"),
        (time_body(client_a, work_code=code.pk), "work_code"),
    ):
        response = admin_api.post(URL, body)
        assert response.status_code == 400
        assert list(response.json()["errors"]) == [field]
    assert not Entry.objects.filter(practice=client_a.practice).exists()


def test_a_day_holds_24_hours(admin_api, client_a):
    assert admin_api.post(URL, time_body(client_a, minutes=1000)).status_code == 201
    before = snapshot()
    response = admin_api.post(URL, time_body(client_a, minutes=441))
    assert response.status_code == 400
    assert response.json()["errors"] == {"minutes": ["More than 24 hours in one day."]}
    assert snapshot() == before


@pytest.mark.parametrize(("raw", "status"), [("{'client': 1", 400), ("[]", 422), ("null", 422)])
def test_a_body_that_is_not_a_json_object_is_refused(
    admin_api, admin_member, client_a, raw, status
):
    entry = services.record(
        admin_member, services.EntryInput(client_id=client_a.pk, date=WEEK_AGO, minutes=30)
    )
    before = snapshot()
    assert admin_api.post(URL, raw=raw).status_code == status
    assert admin_api.patch(f"{URL}/{entry.pk}", raw=raw).status_code == status
    assert snapshot() == before


# ---- reading --------------------------------------------------------------------------------


@pytest.fixture
def recorded(admin_member, staff, client_a, work_codes, staff_rates, record, expense):
    """Alice: 60 min a week ago, an expense; Sam: 30 min ten days ago, on another client."""
    other_client = testing.make_client(admin_member.practice, "Bolt Hardware")
    return {
        "alice": record(admin_member, 60, work_codes["tax"]),
        "fee": expense(admin_member, "35.00"),
        "sam": record(staff, 30, date=WEEK_AGO - datetime.timedelta(days=3), client=other_client),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_the_list_is_newest_first_and_filtered(admin_api, recorded, foreign):
    alice, fee, sam = recorded["alice"], recorded["fee"], recorded["sam"]
    assert ids(admin_api.get(URL)) == [fee.pk, alice.pk, sam.pk]
    assert ids(admin_api.get(f"{URL}?kind=expense")) == [fee.pk]
    assert ids(admin_api.get(f"{URL}?staff={sam.staff_id}")) == [sam.pk]
    assert ids(admin_api.get(f"{URL}?client={sam.client_id}")) == [sam.pk]
    assert ids(admin_api.get(f"{URL}?date_to={sam.date}")) == [sam.pk]
    assert ids(admin_api.get(f"{URL}?date_from={WEEK_AGO}&state=unbilled")) == [fee.pk, alice.pk]
    assert ids(admin_api.get(f"{URL}?client={foreign.client_id}")) == []
    page = admin_api.get(f"{URL}?page=2&page_size=2").json()
    assert (page["count"], [i["id"] for i in page["items"]]) == (3, [sam.pk])


def test_the_list_filters_by_state(admin_api, admin_member, client_a, recorded):
    billing.invoice_from_wip(
        admin_member, billing.WipBilling(client_id=client_a.pk, entry_ids=(recorded["alice"].pk,))
    )
    services.write_off(admin_member, [recorded["fee"].pk], "Goodwill")
    assert ids(admin_api.get(f"{URL}?state=on_draft")) == [recorded["alice"].pk]
    assert ids(admin_api.get(f"{URL}?state=written_off")) == [recorded["fee"].pk]
    assert ids(admin_api.get(f"{URL}?state=unbilled")) == [recorded["sam"].pk]
    assert ids(admin_api.get(f"{URL}?state=billed")) == []
    held = admin_api.get(f"{URL}/{recorded['alice'].pk}").json()
    assert held["state"] == "on_draft"
    assert held["invoice"]["number"] == "INV-1"


@pytest.mark.parametrize(
    "query", ["state=held", "kind=mileage", "date_from=2026-13-01", "staff=abc", "page=0"]
)
def test_bad_filters_are_refused(admin_api, query):
    assert admin_api.get(f"{URL}?{query}").status_code == 422


def test_without_process_time_one_sees_only_ones_own(as_member, admin_member, staff, recorded):
    sam = as_member(staff)
    assert ids(sam.get(URL)) == [recorded["sam"].pk]
    assert ids(sam.get(f"{URL}?staff={staff.pk}")) == [recorded["sam"].pk]
    refused = sam.get(f"{URL}?staff={admin_member.pk}")
    assert refused.status_code == 403
    assert "Process time" in refused.json()["detail"]
    assert sam.get(f"{URL}/{recorded['sam'].pk}").status_code == 200
    assert sam.get(f"{URL}/{recorded['alice'].pk}").status_code == 403


def test_another_practices_entry_is_404_like_an_unknown_one(admin_api, foreign):
    before = snapshot()
    for method, body in (("GET", None), ("PATCH", {"minutes": 10}), ("DELETE", None)):
        for entry_id in (foreign.pk, 987654):
            response = admin_api.call(method, f"{URL}/{entry_id}", body)
            assert response.status_code == 404, (method, response.content)
    assert snapshot() == before


def test_no_token_is_401_everywhere(recorded, client_a):
    anonymous = ApiCaller()
    entry = recorded["alice"].pk
    for method, url, body in (
        ("GET", URL, None),
        ("POST", URL, time_body(client_a)),
        ("GET", f"{URL}/{entry}", None),
        ("PATCH", f"{URL}/{entry}", {"minutes": 10}),
        ("DELETE", f"{URL}/{entry}", None),
    ):
        assert anonymous.call(method, url, body).status_code == 401
    assert Entry.objects.get(pk=entry).minutes == 60


# ---- changing and deleting ------------------------------------------------------------------


def test_patch_changes_only_what_is_sent_and_revalues(admin_api, recorded, work_codes):
    entry = recorded["alice"]
    response = admin_api.patch(f"{URL}/{entry.pk}", {"minutes": 45, "work_code": None})
    assert response.status_code == 200, response.content
    body = response.json()
    # No work code: Alice's own rate, 150/h.
    assert (body["minutes"], body["work_code"], body["rate"], body["value"]) == (
        45,
        None,
        "150.00",
        "112.50",
    )
    assert (body["date"], body["client"]["id"]) == (entry.date.isoformat(), entry.client_id)
    assert EntryChange.objects.filter(entry=entry, action="edited").count() == 1


def test_patch_an_expense_amount(admin_api, recorded):
    fee = recorded["fee"]
    response = admin_api.patch(f"{URL}/{fee.pk}", {"amount": "40.00"})
    assert (response.status_code, response.json()["value"]) == (200, "40.00")
    refused = admin_api.patch(f"{URL}/{fee.pk}", {"minutes": 30})
    assert refused.status_code == 400
    assert admin_api.patch(f"{URL}/{fee.pk}", {"kind": "time"}).status_code == 422
    fee.refresh_from_db()
    assert (fee.kind, fee.value) == (EntryKind.EXPENSE, Decimal("40.00"))


@pytest.mark.parametrize(
    ("patch", "status"),
    [({"minutes": 0}, 400), ({"minutes": None}, 400), ({"client": None}, 422), ({"x": 1}, 422)],
)
def test_patch_refuses_bad_input(admin_api, recorded, patch, status):
    before = snapshot()
    assert admin_api.patch(f"{URL}/{recorded['alice'].pk}", patch).status_code == status
    assert snapshot() == before


def test_held_billed_and_written_off_entries_are_not_changed(
    admin_api, admin_member, client_a, recorded
):
    alice, fee = recorded["alice"], recorded["fee"]
    invoice = billing.invoice_from_wip(
        admin_member, billing.WipBilling(client_id=client_a.pk, entry_ids=(alice.pk,))
    )
    services.write_off(admin_member, [fee.pk], "Goodwill")
    before = snapshot()
    for entry in (alice, fee):
        url = f"{URL}/{entry.pk}"
        assert admin_api.patch(url, {"description": "changed"}).status_code == 409
        assert admin_api.call("DELETE", url).status_code == 409
    response = admin_api.patch(f"{URL}/{alice.pk}", {"description": "changed"})
    assert invoice.number in response.json()["detail"]
    assert snapshot() == before


def test_someone_elses_entry_needs_process_time(as_member, staff, recorded):
    sam = as_member(staff)
    before = snapshot()
    alices = f"{URL}/{recorded['alice'].pk}"
    assert sam.patch(alices, {"minutes": 10}).status_code == 403
    assert sam.call("DELETE", alices).status_code == 403
    assert snapshot() == before
    own = f"{URL}/{recorded['sam'].pk}"
    assert sam.patch(own, {"minutes": 10}).json()["minutes"] == 10


def test_delete_an_unbilled_entry(admin_api, recorded):
    response = admin_api.call("DELETE", f"{URL}/{recorded['alice'].pk}")
    assert (response.status_code, response.content) == (204, b"")
    assert not Entry.objects.filter(pk=recorded["alice"].pk).exists()


def test_process_time_deletes_someone_elses(admin_api, recorded):
    assert admin_api.call("DELETE", f"{URL}/{recorded['sam'].pk}").status_code == 204


# ---- the document's amount pattern is the rule -----------------------------------------------


accepts_expense = _decimal(TypeAdapter(ExpenseAmountIn), lambda d: 0 < d <= MAX_EXPENSE)


@settings(max_examples=200, deadline=None)
@given(text=decimal_texts | st.from_regex(r"\A0\.[0-9]{1,3}\Z") | st.just("999999999.99"))
def test_the_documented_expense_amount_is_the_services_rule(text):
    assert documented("EntryIn", "amount").is_valid(text) == accepts_expense(text), text
