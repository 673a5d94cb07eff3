import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billbridge.core import testing
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice, InvoiceStatus

URL = "/api/v1/invoices"


def draft_body(for_client, **overrides):
    body = {
        "client": for_client.pk,
        "issue_date": "2026-11-02",
        "due_date": "2026-12-02",
        "memo": "November work",
        "lines": [
            {
                "description": "Monthly bookkeeping",
                "service_name": "Bookkeeping",
                "quantity": "1",
                "unit_price": "450.00",
                "primary_taxable": True,
            },
            {"description": "Payroll run", "quantity": 2.5, "unit_price": "80"},
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
def sales_tax(admin_member):
    return services.update_tax_settings(
        admin_member, primary_rate=Decimal("8.875"), primary_enabled=True
    )


@pytest.fixture
def foreign_invoice(db):
    other = testing.make_practice("Elsewhere LLP")
    boss = testing.make_admin(other)
    client = testing.make_client(other, "Secret Customer")
    testing.assign(boss, client)
    return testing.make_invoice(boss, client, InvoiceStatus.FINALIZED)


# ---- create -----------------------------------------------------------------------------------


def test_create_a_draft_with_exact_totals(admin_api, client_a, sales_tax):
    response = admin_api.post(URL, draft_body(client_a))
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "INV-1"
    assert body["status"] == "draft"
    assert body["client"] == {"id": client_a.pk, "name": "Acme Widgets"}
    assert (body["issue_date"], body["due_date"], body["memo"]) == (
        "2026-11-02",
        "2026-12-02",
        "November work",
    )
    # 450.00 + 2.5 × 80 = 650.00; 8.875 % of the taxable 450.00 is 39.9375 → 39.94.
    assert (body["subtotal"], body["primary_tax"], body["secondary_tax"], body["total"]) == (
        "650.00",
        "39.94",
        "0.00",
        "689.94",
    )
    assert (body["primary_tax_name"], body["primary_tax_rate"]) == ("Sales tax", "8.875")
    invoice = Invoice.objects.get(pk=body["id"])
    stored = list(invoice.lines.order_by("position").values_list("pk", flat=True))
    assert body["lines"] == [
        {
            "id": stored[0],
            "position": 1,
            "description": "Monthly bookkeeping",
            "service_name": "Bookkeeping",
            "quantity": "1.00",
            "unit_price": "450.00",
            "amount": "450.00",
            "primary_taxable": True,
            "secondary_taxable": False,
        },
        {
            "id": stored[1],
            "position": 2,
            "description": "Payroll run",
            "service_name": "",
            "quantity": "2.50",
            "unit_price": "80.00",
            "amount": "200.00",
            "primary_taxable": False,
            "secondary_taxable": False,
        },
    ]
    assert [(e["action"], e["who"]) for e in body["timeline"]] == [("created", "alice")]
    assert invoice.total == Decimal("689.94")


def test_create_with_a_number_of_its_own(admin_api, client_a):
    body = admin_api.post(URL, draft_body(client_a, number="2026-0042")).json()
    assert body["number"] == "2026-0042"


def test_create_needs_process_time(as_member, practice, client_a):
    member = testing.make_member(practice, can_export=True, can_manage_settings=True)
    testing.assign(member, client_a)
    response = as_member(member).post(URL, draft_body(client_a))
    assert response.status_code == 403
    assert "Process time" in response.json()["detail"]
    assert not Invoice.objects.exists()


def test_create_for_another_practices_client_is_refused(admin_api, foreign_invoice):
    before = Invoice.objects.count()
    response = admin_api.post(URL, draft_body(foreign_invoice.client))
    assert response.status_code == 400
    assert response.json()["errors"] == {"client": ["Choose one of your practice's clients."]}
    assert Invoice.objects.count() == before


LINE = {"description": "Work", "quantity": "1", "unit_price": "10.00"}


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"client": 987654}, 400, "client"),
        ({"client": "acme"}, 422, "client"),
        ({"issue_date": "2026-02-30"}, 422, "issue_date"),
        ({"issue_date": "02/11/2026"}, 422, "issue_date"),
        ({"issue_date": 1764000000}, 422, "issue_date"),
        ({"due_date": "2026-10-01"}, 400, "due_date"),
        ({"memo": "m" * 1001}, 422, "memo"),
        ({"number": "N" * 22}, 400, "number"),
        ({"number": "   "}, 400, "number"),
        ({"lines": "none"}, 422, "lines"),
        ({"lines": [{**LINE, "quantity": "-1"}]}, 400, "lines"),
        ({"lines": [{**LINE, "quantity": "0"}]}, 400, "lines"),
        ({"lines": [{**LINE, "unit_price": "-5.00"}]}, 400, "lines"),
        ({"lines": [{**LINE, "description": " "}]}, 400, "lines"),
        ({"lines": [{**LINE, "quantity": "1.005"}]}, 422, "lines.0.quantity"),
        ({"lines": [{**LINE, "quantity": "abc"}]}, 422, "lines.0.quantity"),
        ({"lines": [{**LINE, "quantity": "NaN"}]}, 422, "lines.0.quantity"),
        ({"lines": [{**LINE, "unit_price": "12345678901.00"}]}, 422, "lines.0.unit_price"),
        ({"lines": [{**LINE, "description": "d" * 4001}]}, 422, "lines.0.description"),
        ({"lines": [{**LINE, "service_name": "s" * 101}]}, 422, "lines.0.service_name"),
        ({"lines": [{"quantity": "1", "unit_price": "1"}]}, 422, "lines.0.description"),
        ({"lines": [LINE] * 201}, 400, "lines"),
    ],
)
def test_create_refuses_bad_input(admin_api, client_a, overrides, status, field):
    response = admin_api.post(URL, draft_body(client_a, **overrides))
    assert response.status_code == status
    body = response.json()
    assert field in body["errors"]
    assert body["detail"]
    assert not Invoice.objects.exists()


def test_create_refuses_a_missing_issue_date(admin_api, client_a):
    body = draft_body(client_a)
    del body["issue_date"]
    response = admin_api.post(URL, body)
    assert response.status_code == 422
    assert response.json()["errors"] == {"issue_date": ["Field required"]}


def test_create_refuses_a_body_that_is_not_json(admin_api):
    response = admin_api.post(URL, raw="{'client': 1")
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON.", "errors": {}}


def test_an_oversized_body_is_413(admin_api, client_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    response = admin_api.post(URL, draft_body(client_a, memo="m" * 3_000))
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body is too large."
    assert not Invoice.objects.exists()


# ---- read ---------------------------------------------------------------------------------------


def test_get_one_with_lines_and_timeline(admin_api, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.CLOSED)
    body = admin_api.get(f"{URL}/{invoice.pk}").json()
    assert body["status"] == "closed"
    assert [line["amount"] for line in body["lines"]] == ["450.00", "200.00"]
    fields = ("action", "from_status", "to_status", "reason")
    events = [tuple(event[f] for f in fields) for event in body["timeline"]]
    assert events == [
        ("created", "", "", ""),
        ("finalized", "draft", "finalized", ""),
        ("closed", "finalized", "closed", "Paid by cheque"),
    ]


def test_other_practice_invoice_is_404_like_an_unknown_id(admin_api, foreign_invoice):
    unknown = admin_api.get(f"{URL}/987654")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "No such invoice.", "errors": {}}
    for method, suffix, body in [
        ("GET", "", None),
        ("PUT", "", draft_body(foreign_invoice.client)),
        ("PATCH", "", {"memo": "mine"}),
        ("POST", "/finalize", None),
        ("POST", "/revert-to-draft", None),
        ("POST", "/close", {"reason": "paid"}),
        ("POST", "/reopen", None),
    ]:
        response = admin_api.call(method, f"{URL}/{foreign_invoice.pk}{suffix}", body)
        assert (response.status_code, response.json()) == (404, unknown.json()), (method, suffix)
    foreign_invoice.refresh_from_db()
    assert foreign_invoice.status == InvoiceStatus.FINALIZED
    assert foreign_invoice.timeline.count() == 2


@pytest.fixture
def billing(admin_member, practice, client_a, foreign_invoice):
    """Acme: INV-1 draft (Nov 1), INV-2 finalized (Nov 2), INV-3 closed (Nov 3);
    Bolt: INV-4 finalized (Nov 4)."""
    bolt = testing.make_client(practice, "Bolt Garage")
    testing.assign(admin_member, bolt)
    made = {}
    for day, (client, status) in enumerate(
        [
            (client_a, InvoiceStatus.DRAFT),
            (client_a, InvoiceStatus.FINALIZED),
            (client_a, InvoiceStatus.CLOSED),
            (bolt, InvoiceStatus.FINALIZED),
        ],
        start=1,
    ):
        invoice = testing.make_invoice(
            admin_member, client, status, issue_date=datetime.date(2026, 11, day)
        )
        made[invoice.number] = invoice
    made["bolt"] = bolt
    return made


def numbers(response):
    assert response.status_code == 200
    return [item["number"] for item in response.json()["items"]]


def test_list_hides_closed_and_other_practices_newest_first(admin_api, billing):
    response = admin_api.get(URL)
    assert numbers(response) == ["INV-4", "INV-2", "INV-1"]
    assert response.json()["count"] == 3
    item = response.json()["items"][0]
    assert (item["client"]["name"], item["status"], item["total"]) == (
        "Bolt Garage",
        "finalized",
        "650.00",
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("include_closed=true", ["INV-4", "INV-3", "INV-2", "INV-1"]),
        ("status=closed", ["INV-3"]),
        ("status=finalized", ["INV-4", "INV-2"]),
        ("status=draft", ["INV-1"]),
        ("search=inv-2", ["INV-2"]),
        ("search=bolt", ["INV-4"]),
        ("search=Secret", []),
        ("page=2&page_size=2", ["INV-1"]),
    ],
)
def test_list_filters(admin_api, billing, query, expected):
    assert numbers(admin_api.get(f"{URL}?{query}")) == expected


def test_list_narrowed_to_one_client(admin_api, billing, foreign_invoice):
    assert numbers(admin_api.get(f"{URL}?client={billing['bolt'].pk}")) == ["INV-4"]
    assert numbers(admin_api.get(f"{URL}?client={foreign_invoice.client_id}")) == []


@pytest.mark.parametrize("query", ["status=paid", "client=abc", "include_closed=maybe", "page=0"])
def test_list_refuses_bad_filters(admin_api, query):
    response = admin_api.get(f"{URL}?{query}")
    assert response.status_code == 422
    assert response.json()["errors"]


# ---- update -----------------------------------------------------------------------------------


def test_put_replaces_a_draft(admin_api, admin_member, client_a, practice):
    invoice = testing.make_invoice(admin_member, client_a)
    other_client = testing.make_client(practice, "Bolt Garage")
    new = draft_body(
        other_client,
        issue_date="2026-11-10",
        due_date=None,
        memo="",
        lines=[{"description": "Tax return", "quantity": "3", "unit_price": "99.99"}],
    )
    response = admin_api.put(f"{URL}/{invoice.pk}", new)
    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["client"]["name"], body["due_date"], body["total"]) == (
        invoice.number,
        "Bolt Garage",
        None,
        "299.97",
    )
    assert [line["description"] for line in body["lines"]] == ["Tax return"]
    assert body["timeline"][-1]["action"] == "edited"
    assert body["version"] == invoice.version + 1


def test_patch_changes_only_what_is_sent(admin_api, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    response = admin_api.patch(f"{URL}/{invoice.pk}", {"memo": "Thanks!", "due_date": None})
    assert response.status_code == 200
    body = response.json()
    assert (body["memo"], body["due_date"], body["issue_date"], body["subtotal"]) == (
        "Thanks!",
        None,
        "2026-11-02",
        "650.00",
    )
    assert len(body["lines"]) == 2
    lines = {"lines": [{"description": "One thing", "quantity": "2", "unit_price": "5.25"}]}
    body = admin_api.patch(f"{URL}/{invoice.pk}", lines).json()
    assert (body["subtotal"], body["memo"], len(body["lines"])) == ("10.50", "Thanks!", 1)
    body = admin_api.patch(f"{URL}/{invoice.pk}", {"number": "X-1"}).json()
    assert body["number"] == "X-1"


def test_only_drafts_can_be_edited(admin_api, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    for method, body in [("PUT", draft_body(client_a, memo="x")), ("PATCH", {"memo": "x"})]:
        response = admin_api.call(method, f"{URL}/{invoice.pk}", body)
        assert response.status_code == 409
        assert "only drafts can be edited" in response.json()["detail"]
    invoice.refresh_from_db()
    assert (invoice.memo, invoice.version, invoice.timeline.count()) == ("", 2, 2)


def test_edits_need_process_time(as_member, admin_member, practice, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    viewer = testing.make_member(practice, can_manage_settings=True)
    api = as_member(viewer)
    assert api.patch(f"{URL}/{invoice.pk}", {"memo": "x"}).status_code == 403
    assert api.put(f"{URL}/{invoice.pk}", draft_body(client_a, memo="x")).status_code == 403
    invoice.refresh_from_db()
    assert (invoice.memo, invoice.timeline.count()) == ("", 1)


@pytest.mark.parametrize(
    ("patch", "status"),
    [
        ({"issue_date": None}, 422),
        ({"client": None}, 422),
        ({"issue_date": "2027-01-01"}, 400),  # after the due date
        ({"lines": [{**LINE, "quantity": "-2"}]}, 400),
        ({"memo": "m" * 1001}, 422),
    ],
)
def test_patch_refuses_bad_input(admin_api, admin_member, client_a, patch, status):
    invoice = testing.make_invoice(admin_member, client_a)
    response = admin_api.patch(f"{URL}/{invoice.pk}", patch)
    assert response.status_code == status
    assert response.json()["errors"]
    invoice.refresh_from_db()
    assert (invoice.version, invoice.subtotal, invoice.memo) == (1, Decimal("650.00"), "")


# ---- transitions (the permission matrix is in test_transition_matrix.py) ----------------------


def test_finalize_then_close_then_reopen_then_revert(admin_api, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    path = f"{URL}/{invoice.pk}"
    assert admin_api.post(f"{path}/finalize").json()["status"] == "finalized"
    closed = admin_api.post(f"{path}/close", {"reason": "  Paid by transfer "}).json()
    assert (closed["status"], closed["timeline"][-1]["reason"]) == ("closed", "Paid by transfer")
    reopened = admin_api.post(f"{path}/reopen").json()
    assert (reopened["status"], reopened["timeline"][-1]["reason"]) == ("finalized", "")
    reverted = admin_api.post(f"{path}/revert-to-draft", {"reason": "Wrong rate"}).json()
    assert reverted["status"] == "draft"
    assert [(e["action"], e["reason"]) for e in reverted["timeline"]] == [
        ("created", ""),
        ("finalized", ""),
        ("closed", "Paid by transfer"),
        ("reopened", ""),
        ("reverted to draft", "Wrong rate"),
    ]


def test_finalize_freezes_the_rates_in_force(admin_api, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    services.update_tax_settings(admin_member, primary_rate=Decimal("10"), primary_enabled=True)
    body = admin_api.post(f"{URL}/{invoice.pk}/finalize").json()
    assert (body["primary_tax_rate"], body["primary_tax"], body["total"]) == (
        "10.000",
        "45.00",
        "695.00",
    )


@pytest.mark.parametrize(
    ("start", "action", "body"),
    [
        (InvoiceStatus.FINALIZED, "finalize", None),
        (InvoiceStatus.DRAFT, "revert-to-draft", None),
        (InvoiceStatus.DRAFT, "close", {"reason": "paid"}),
        (InvoiceStatus.FINALIZED, "reopen", None),
        (InvoiceStatus.CLOSED, "close", {"reason": "paid"}),
    ],
)
def test_a_transition_from_the_wrong_status_is_409(
    admin_api, admin_member, client_a, start, action, body
):
    invoice = testing.make_invoice(admin_member, client_a, start)
    events = invoice.timeline.count()
    response = admin_api.post(f"{URL}/{invoice.pk}/{action}", body)
    assert response.status_code == 409
    assert invoice.number in response.json()["detail"]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.timeline.count()) == (start, events)


def test_an_incomplete_draft_cannot_be_finalized(admin_api, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, lines=[])
    response = admin_api.post(f"{URL}/{invoice.pk}/finalize")
    assert response.status_code == 409
    assert "it has no lines" in response.json()["detail"]
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (None, 422, "body"),
        ({}, 422, "reason"),
        ({"reason": ""}, 422, "reason"),
        ({"reason": "   "}, 400, "reason"),
        ({"reason": 5}, 422, "reason"),
    ],
)
def test_close_needs_a_reason(admin_api, admin_member, client_a, body, status, field):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    response = admin_api.post(f"{URL}/{invoice.pk}/close", body)
    assert response.status_code == status
    assert field in response.json()["errors"]
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.FINALIZED


def test_an_overlong_reason_is_refused_not_cut(admin_api, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    response = admin_api.post(f"{URL}/{invoice.pk}/revert-to-draft", {"reason": "r" * 501})
    assert response.status_code == 422
    assert "reason" in response.json()["errors"]
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.FINALIZED


# ---- bulk ---------------------------------------------------------------------------------------


def test_bulk_reports_each_invoice_and_one_refusal_stops_nothing(
    admin_api, admin_member, client_a, foreign_invoice
):
    draft = testing.make_invoice(admin_member, client_a)
    incomplete = testing.make_invoice(admin_member, client_a, lines=[])
    already = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    ids = [draft.pk, foreign_invoice.pk, incomplete.pk, already.pk, draft.pk]
    response = admin_api.post(f"{URL}/bulk", {"action": "finalize", "ids": ids})
    assert response.status_code == 200
    outcomes = response.json()["outcomes"]
    assert [(o["id"], o["number"], o["done"]) for o in outcomes] == [
        (draft.pk, draft.number, True),
        (foreign_invoice.pk, "", False),
        (incomplete.pk, incomplete.number, False),
        (already.pk, already.number, False),
    ]
    assert outcomes[1]["message"] == "No such invoice."
    assert "no lines" in outcomes[2]["message"]
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.FINALIZED
    assert Invoice.objects.get(pk=incomplete.pk).status == InvoiceStatus.DRAFT
    foreign_invoice.refresh_from_db()
    assert foreign_invoice.timeline.count() == 2


def test_bulk_revert_without_owner_role_refuses_each(as_member, admin_member, practice, client_a):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    clerk = testing.make_member(practice, can_process_time=True)
    body = {"action": "revert_to_draft", "ids": [invoice.pk]}
    outcomes = as_member(clerk).post(f"{URL}/bulk", body).json()["outcomes"]
    assert outcomes == [
        {
            "id": invoice.pk,
            "number": invoice.number,
            "done": False,
            "message": "You need the Owner role on this client to do this.",
        }
    ]
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.FINALIZED


@pytest.mark.parametrize(
    "body",
    [
        {"action": "delete", "ids": [1]},
        {"action": "finalize", "ids": []},
        {"action": "finalize", "ids": ["one"]},
        {"action": "finalize"},
        {"action": "finalize", "ids": list(range(1, 502))},
    ],
)
def test_bulk_refuses_malformed_requests(admin_api, body):
    response = admin_api.post(f"{URL}/bulk", body)
    assert response.status_code == 422
    assert response.json()["errors"]


# ---- the last resort ------------------------------------------------------------------------


def test_an_unexpected_error_is_a_logged_json_500(
    admin_api, admin_member, client_a, monkeypatch, caplog
):
    invoice = testing.make_invoice(admin_member, client_a)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "finalize", broken)
    response = admin_api.post(f"{URL}/{invoice.pk}/finalize")
    assert response.status_code == 500
    assert response.json()["detail"].startswith("Something went wrong on our side")
    assert "a bug" not in response.content.decode()
    assert "RuntimeError: a bug" in caplog.text


# ---- cost -------------------------------------------------------------------------------------


def queries_for(api, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def test_a_page_or_an_invoice_costs_the_same_queries_whatever_its_size(
    admin_api, admin_member, client_a
):
    first = testing.make_invoice(admin_member, client_a)
    admin_api.get(URL)  # records the token's first use, a write the later calls skip
    small_list = queries_for(admin_api, URL)
    small_invoice = queries_for(admin_api, f"{URL}/{first.pk}")
    many_lines = [testing.sample_lines()[0]] * 30
    big = testing.make_invoice(admin_member, client_a, InvoiceStatus.CLOSED, lines=many_lines)
    for _ in range(10):
        testing.make_invoice(admin_member, client_a)
    assert queries_for(admin_api, f"{URL}?include_closed=true") == small_list
    assert queries_for(admin_api, f"{URL}/{big.pk}") == small_invoice
