"""A client's WIP over the API, the preview of an invoice from it, and the draft it makes: exact
figures, who may, and refusals that make nothing. Every answer is checked against the
document."""

# The time app's fixtures are imported, not copied; the tests that take them name them again.

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billbridge.api.tests.conftest import ApiCaller
from billbridge.core import testing
from billbridge.invoicing.models import Invoice, InvoiceLine
from billbridge.time.models import Entry, EntryState, LineAdjustment

# Sam (no permissions), the work codes (Tax preparation at 200/h), Alice at 150/h, Sam at 90/h.
from billbridge.time.tests.fixtures import WEEK_AGO

LONG_AGO = WEEK_AGO - datetime.timedelta(days=60)


def wip_url(client) -> str:
    return f"/api/v1/clients/{client.pk}/wip"


def billing_url(client, preview=False) -> str:
    return f"/api/v1/clients/{client.pk}/invoices-from-wip" + ("/preview" if preview else "")


@pytest.fixture
def work(admin_member, staff, work_codes, staff_rates, record, expense):
    """Alice: 60 min of tax (200.00) a week ago; Sam: 90 min of bookkeeping (135.00) two months
    before; a 35.00 filing fee; and non-billable time, which is not WIP."""
    return {
        "tax": record(admin_member, 60, work_codes["tax"]),
        "books": record(staff, 90, work_codes["books"], date=LONG_AGO),
        "fee": expense(admin_member, "35.00"),
        "free": record(admin_member, 30, billable=False),
    }


def snapshot() -> list:
    return [
        Invoice.objects.count(),
        InvoiceLine.objects.count(),
        LineAdjustment.objects.count(),
        list(Entry.objects.order_by("pk").values_list("pk", "invoice_line_id")),
    ]


# ---- the client's WIP -------------------------------------------------------------------------


def test_a_clients_wip_with_exact_figures(
    admin_api, admin_member, staff, client_a, work, work_codes
):
    response = admin_api.get(wip_url(client_a))
    assert response.status_code == 200
    body = response.json()
    assert body["client"] == {"id": client_a.pk, "name": "Acme Widgets"}
    assert body["totals"] == {
        "entries": 3,
        "hours": "2.50",
        "time_value": "335.00",
        "expenses": "35.00",
        "value": "370.00",
        "oldest": LONG_AGO.isoformat(),
        "latest": WEEK_AGO.isoformat(),
    }
    tax, books = work_codes["tax"], work_codes["books"]
    assert body["by_work_code"] == [
        {"work_code": None, "entries": 1, "hours": "0.00", "value": "35.00"},
        {
            "work_code": {"id": books.pk, "name": "Bookkeeping"},
            "entries": 1,
            "hours": "1.50",
            "value": "135.00",
        },
        {
            "work_code": {"id": tax.pk, "name": "Tax preparation"},
            "entries": 1,
            "hours": "1.00",
            "value": "200.00",
        },
    ]
    assert body["by_person"] == [
        {
            "staff": {"id": admin_member.pk, "username": "alice"},
            "name": "alice",
            "entries": 2,
            "hours": "1.00",
            "value": "235.00",
        },
        {
            "staff": {"id": staff.pk, "username": "sam"},
            "name": "sam",
            "entries": 1,
            "hours": "1.50",
            "value": "135.00",
        },
    ]
    assert body["aged"] == [
        {"label": "0–30 days", "value": "235.00"},
        {"label": "31–60 days", "value": "0.00"},
        {"label": "61–90 days", "value": "135.00"},
        {"label": "Over 90 days", "value": "0.00"},
    ]
    assert [e["id"] for e in body["entries"]] == [
        work["books"].pk,
        work["tax"].pk,
        work["fee"].pk,
    ]
    assert body["entries"][0]["client"] == {"id": client_a.pk, "name": "Acme Widgets"}
    assert body["more"] == 0


def test_an_empty_wip(admin_api, client_a):
    body = admin_api.get(wip_url(client_a)).json()
    assert (body["totals"]["entries"], body["totals"]["value"], body["entries"]) == (0, "0.00", [])
    assert body["totals"]["oldest"] is None


def test_the_wip_costs_the_same_queries_whatever_its_size(
    admin_api, admin_member, client_a, record
):
    def queries_for(entries: int) -> int:
        for _ in range(entries):
            record(admin_member, 1)
        with CaptureQueriesContext(connection) as queries:
            assert admin_api.get(wip_url(client_a)).status_code == 200
        return len(queries)

    queries_for(0)  # the token's first use is recorded once
    assert queries_for(3) == queries_for(30)


def test_any_member_may_look_at_wip(as_member, practice, client_a, work):
    looker = testing.make_member(practice, "lena")
    assert as_member(looker).get(wip_url(client_a)).json()["totals"]["entries"] == 3


@pytest.fixture
def foreign_client(db):
    other = testing.make_practice("Elsewhere LLP")
    client = testing.make_client(other, "Secret Customer")
    testing.assign(testing.make_admin(other), client)
    return client


def test_another_practices_client_is_404_for_everyone(
    admin_api, as_member, practice, foreign_client
):
    nobody = as_member(testing.make_member(practice, "lena"))
    before = snapshot()
    for caller in (admin_api, nobody):
        assert caller.get(wip_url(foreign_client)).status_code == 404
        for preview in (False, True):
            response = caller.post(billing_url(foreign_client, preview), {})
            assert response.status_code == 404
            assert response.json()["detail"] == "No such client."
    assert snapshot() == before


def test_no_token_is_401(client_a, work):
    anonymous = ApiCaller()
    before = snapshot()
    assert anonymous.get(wip_url(client_a)).status_code == 401
    for preview in (False, True):
        assert anonymous.post(billing_url(client_a, preview), {}).status_code == 401
    assert snapshot() == before


# ---- preview ----------------------------------------------------------------------------------


def test_the_preview_answers_the_lines_with_their_keys(admin_api, client_a, work, work_codes):
    response = admin_api.post(billing_url(client_a, preview=True), {})
    assert response.status_code == 200, response.content
    tax, books = work_codes["tax"], work_codes["books"]
    assert response.json() == {
        "lines": [
            {
                "key": f"w{books.pk}",
                "description": "Bookkeeping",
                "service_name": "Bookkeeping",
                "entries": 1,
                "hours": "1.50",
                "standard": "135.00",
                "billed": "135.00",
            },
            {
                "key": f"w{tax.pk}",
                "description": "Tax preparation",
                "service_name": "Tax preparation",
                "entries": 1,
                "hours": "1.00",
                "standard": "200.00",
                "billed": "200.00",
            },
            {
                "key": "expenses",
                "description": "Disbursements",
                "service_name": "Disbursements",
                "entries": 1,
                "hours": "0.00",
                "standard": "35.00",
                "billed": "35.00",
            },
        ],
        "standard": "370.00",
        "billed": "370.00",
    }
    assert snapshot()[0] == 0


def test_a_preview_with_a_write_down_and_by_person(admin_api, admin_member, client_a, work):
    body = {"grouping": "person", "line_amounts": {f"p{admin_member.pk}": "180.00"}}
    answer = admin_api.post(billing_url(client_a, preview=True), body).json()
    assert [(line["key"], line["standard"], line["billed"]) for line in answer["lines"]] == [
        (f"p{work['books'].staff_id}", "135.00", "135.00"),
        (f"p{admin_member.pk}", "200.00", "180.00"),
        ("expenses", "35.00", "35.00"),
    ]
    assert (answer["standard"], answer["billed"]) == ("370.00", "350.00")


def test_a_preview_of_a_fixed_fee_and_of_a_total(admin_api, client_a, work):
    fee = admin_api.post(billing_url(client_a, preview=True), {"fixed_fee": "300"}).json()
    assert [(line["key"], line["entries"], line["billed"]) for line in fee["lines"]] == [
        ("fee", 3, "300.00")
    ]
    total = admin_api.post(billing_url(client_a, preview=True), {"total": "185.00"}).json()
    assert [line["billed"] for line in total["lines"]] == ["67.50", "100.00", "17.50"]


def test_the_preview_needs_process_time(as_member, staff, client_a, work):
    response = as_member(staff).post(billing_url(client_a, preview=True), {})
    assert response.status_code == 403
    assert "Process time" in response.json()["detail"]


# ---- the draft --------------------------------------------------------------------------------


def test_a_draft_from_wip_holds_its_entries(admin_api, client_a, work):
    body = {
        "line_amounts": {"expenses": "30.00"},
        "reason": "Courtesy discount",
        "issue_date": "2026-11-02",
        "memo": "November",
    }
    response = admin_api.post(billing_url(client_a), body)
    assert response.status_code == 201, response.content
    invoice = response.json()
    assert (invoice["status"], invoice["issue_date"], invoice["due_date"]) == (
        "draft",
        "2026-11-02",
        "2026-12-02",
    )
    assert (invoice["memo"], invoice["subtotal"]) == ("November", "365.00")
    lines = invoice["lines"]
    assert [(line["service_name"], line["amount"]) for line in lines] == [
        ("Bookkeeping", "135.00"),
        ("Tax preparation", "200.00"),
        ("Disbursements", "30.00"),
    ]
    held = {e.pk: e for e in Entry.objects.select_related("invoice_line__invoice")}
    assert held[work["fee"].pk].invoice_line_id == lines[2]["id"]
    assert held[work["fee"].pk].state == EntryState.ON_DRAFT
    assert held[work["free"].pk].invoice_line_id is None
    adjustment = LineAdjustment.objects.get()
    assert (adjustment.invoice_line_id, adjustment.reason) == (lines[2]["id"], "Courtesy discount")
    assert admin_api.get(wip_url(client_a)).json()["totals"]["entries"] == 0


def test_a_draft_of_chosen_entries_or_through_a_date(admin_api, client_a, work):
    chosen = admin_api.post(billing_url(client_a), {"entry_ids": [work["tax"].pk]}).json()
    assert [line["amount"] for line in chosen["lines"]] == ["200.00"]
    through = admin_api.post(billing_url(client_a), {"through": LONG_AGO.isoformat()}).json()
    assert [line["amount"] for line in through["lines"]] == ["135.00"]
    assert admin_api.get(wip_url(client_a)).json()["totals"]["value"] == "35.00"


def test_a_fixed_fee_draft(admin_api, client_a, work):
    body = {"fixed_fee": "300.00", "reason": "Agreed fee", "grouping": "entry"}
    invoice = admin_api.post(billing_url(client_a), body).json()
    assert [(line["description"], line["amount"]) for line in invoice["lines"]] == [
        ("Fixed fee", "300.00")
    ]
    assert LineAdjustment.objects.get().kind == LineAdjustment.Kind.FIXED_FEE


MAKING_ONLY = [
    {"line_amounts": {"expenses": "30.00"}},
    {"issue_date": "2026-11-02", "due_date": "2026-11-01"},
]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"line_amounts": {"expenses": "30.00"}}, 400, "reason"),
        ({"line_amounts": {"w999999": "30.00"}}, 400, None),
        ({"line_amounts": {"x1": "30.00"}}, 422, "line_amounts.x1.[key]"),
        ({"line_amounts": {"expenses": "-1.00"}}, 400, "line amount"),
        ({"line_amounts": {"expenses": "1.001"}}, 422, "line_amounts.expenses"),
        ({"fixed_fee": "1000000000"}, 422, "fixed_fee"),
        ({"fixed_fee": "100.00", "total": "90.00"}, 400, "fixed_fee"),
        ({"fixed_fee": "100.00", "line_amounts": {"expenses": "1"}}, 400, "fixed_fee"),
        ({"entry_ids": [1], "through": "2026-11-02"}, 400, "through"),
        ({"entry_ids": []}, 422, "entry_ids"),
        ({"entry_ids": ["1"]}, 422, "entry_ids.0"),
        ({"grouping": "client"}, 422, "grouping"),
        ({"issue_date": "2026-11-02", "due_date": "2026-11-01"}, 400, "due_date"),
        ({"reason": "r" * 501}, 422, "reason"),
        ({"memo": "m\x00"}, 422, "memo"),
        ({"total": 5, "extra": True}, 422, "extra"),
    ],
)
def test_bad_choices_are_refused_and_make_nothing(admin_api, client_a, work, body, status, field):
    before = snapshot()
    for preview in (False, True):
        response = admin_api.post(billing_url(client_a, preview), body)
        if preview and body in MAKING_ONLY:
            # The preview shows what the lines would be; the draft's own rules apply on making.
            assert response.status_code == 200
            continue
        assert response.status_code == status, response.content
        if field:
            assert field in response.json()["errors"]
    assert snapshot() == before


def test_work_no_longer_wip_is_a_conflict(admin_api, admin_member, client_a, work):
    admin_api.post(billing_url(client_a), {"entry_ids": [work["tax"].pk]})
    before = snapshot()
    for entry in ("tax", "free"):
        response = admin_api.post(billing_url(client_a), {"entry_ids": [work[entry].pk]})
        assert response.status_code == 409
        assert "no longer unbilled work" in response.json()["detail"]
    assert snapshot() == before


def test_no_wip_is_a_conflict(admin_api, client_a):
    response = admin_api.post(billing_url(client_a), {})
    assert response.status_code == 409
    assert response.json()["detail"] == "There is no unbilled work to invoice for that choice."
    assert not Invoice.objects.exists()


def test_a_draft_needs_process_time(as_member, staff, client_a, work):
    before = snapshot()
    response = as_member(staff).post(billing_url(client_a), {})
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("raw", ["{'through': 1", "[]", "null", '"all"'])
def test_a_body_that_is_not_a_json_object_is_refused(admin_api, client_a, work, raw):
    before = snapshot()
    response = admin_api.post(billing_url(client_a), raw=raw)
    assert response.status_code in (400, 422)
    assert snapshot() == before


def test_amounts_may_be_json_numbers(admin_api, client_a, work):
    raw = '{"line_amounts": {"expenses": 30.10}, "reason": "Rounded"}'
    response = admin_api.post(billing_url(client_a), raw=raw)
    assert response.status_code == 201, response.content
    assert response.json()["lines"][2]["amount"] == "30.10"
    assert Decimal(response.json()["subtotal"]) == Decimal("365.10")
