"""Billing ▸ WIP, a client's WIP and invoicing it: exact figures, filters, the bulk action, the
preview and the draft it makes, refusals that store nothing, permissions and query counts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billbridge.core import testing
from billbridge.invoicing.models import Invoice
from billbridge.time import billing, wip
from billbridge.time import services as time_services
from billbridge.time.models import Entry, EntryState, LineAdjustment
from billbridge.time.tests.fixtures import WEEK_AGO
from billbridge.web.tests.test_accessibility import problems_in
from billbridge.web.tests.test_quickbooks_pages import text_of

LIST = reverse("web:wip-list")
D = Decimal
FORTY_DAYS_AGO = datetime.date.today() - datetime.timedelta(days=40)


def wip_page(client):
    return reverse("web:client-wip", args=[client.pk])


def invoice_page(client):
    return reverse("web:invoice-from-wip", args=[client.pk])


@pytest.fixture
def birch(practice, admin_member):
    client = testing.make_client(practice, "Birch & Sons")
    testing.assign(admin_member, client)
    return client


@pytest.fixture
def worked(admin_member, staff, client_a, birch, work_codes, staff_rates, record, expense):
    """Acme: an hour of tax preparation (200.00), half an hour of Alice's bookkeeping (75.00)
    and a 35.00 filing fee, last week. Birch: an hour and a half of Sam's bookkeeping
    (135.00), forty days ago."""
    return {
        "tax": record(admin_member, 60, work_codes["tax"]),
        "books": record(admin_member, 30, work_codes["books"]),
        "fee": expense(admin_member, "35.00"),
        "birch": record(staff, 90, work_codes["books"], date=FORTY_DAYS_AGO, client=birch),
    }


def rows(response) -> list[tuple]:
    return [
        (
            row["client_name"],
            row["entries"],
            row["hours"],
            row["time_value"],
            row["expenses"],
            row["value"],
            row["age0"],
            row["age1"],
            row["age2"],
            row["age3"],
        )
        for row in response.context["page"]
    ]


# ---- the WIP list ---------------------------------------------------------------------------


def test_the_wip_list_shows_each_clients_figures_aged_and_the_practice_totals(alice, worked):
    response = alice.get(LIST)
    assert response.status_code == 200
    assert rows(response) == [
        ("Acme Widgets", 3, D("1.50"), D("275.00"), D("35.00"), D("310.00"), D("310.00"), 0, 0, 0),
        ("Birch & Sons", 1, D("1.50"), D("135.00"), D("0.00"), D("135.00"), 0, D("135.00"), 0, 0),
    ]
    totals = response.context["totals"]
    assert (totals["entries"], totals["hours"], totals["value"]) == (4, D("3.00"), D("445.00"))
    assert (totals["age0"], totals["age1"], totals["age2"], totals["age3"]) == (
        D("310.00"),
        D("135.00"),
        D("0.00"),
        D("0.00"),
    )
    text = text_of(response)
    assert "Acme Widgets 3 1.50 275.00 35.00 310.00 310.00 0.00 0.00 0.00" in text
    assert "Total 4 3.00 410.00 35.00 445.00 310.00 135.00 0.00 0.00" in text
    assert problems_in(response.content.decode()) == []


def test_billed_held_written_off_and_non_billable_work_is_not_wip(
    alice, admin_member, client_a, worked, record
):
    record(admin_member, 45, billable=False)
    billing.invoice_from_wip(
        admin_member, billing.WipBilling(client_id=client_a.pk, entry_ids=(worked["tax"].pk,))
    )
    time_services.write_off(admin_member, [worked["fee"].pk], "Goodwill")
    assert rows(alice.get(LIST))[0][:6] == (
        "Birch & Sons",
        1,
        D("1.50"),
        D("135.00"),
        0,
        D("135.00"),
    )
    assert rows(alice.get(LIST))[1][:6] == (
        "Acme Widgets",
        1,
        D("0.50"),
        D("75.00"),
        D("0.00"),
        D("75.00"),
    )


def test_the_wip_list_is_narrowed_by_client_and_search_and_htmx_gets_the_table(
    alice, worked, birch
):
    assert [r[0] for r in rows(alice.get(LIST, {"client": birch.pk}))] == ["Birch & Sons"]
    assert [r[0] for r in rows(alice.get(LIST, {"q": "acme"}))] == ["Acme Widgets"]
    partial = alice.get(LIST, {"q": "birch"}, headers={"HX-Request": "true"})
    assert partial.templates[0].name == "web/wip/_wip_table.html"
    assert b"<html" not in partial.content
    assert partial["Vary"] == "HX-Request" or "HX-Request" in partial["Vary"]


def test_an_invalid_filter_is_ignored_and_named(alice, worked, other_practice_invoice):
    response = alice.get(LIST, {"client": other_practice_invoice.client_id})
    assert response.status_code == 400
    assert len(rows(response)) == 2
    assert "Hidden Co" not in response.content.decode()
    assert "Select a valid choice" in text_of(response)


def test_the_wip_list_has_pages_and_totals_of_every_page(alice, worked, settings):
    settings.BILLING_LIST_PAGE_SIZE = 1
    first, second = alice.get(LIST), alice.get(LIST, {"page": 2})
    assert [r[0] for r in rows(first)] == ["Acme Widgets"]
    assert [r[0] for r in rows(second)] == ["Birch & Sons"]
    assert second.context["totals"]["value"] == D("445.00")
    assert "Total, every page" in text_of(second)


def test_the_bulk_action_makes_a_draft_per_client_and_reports_a_refusal_among_them(
    alice, practice, admin_member, client_a, birch, worked, other_practice_invoice
):
    idle = testing.make_client(practice, "Cedar Ltd")
    foreign = other_practice_invoice.client_id
    response = alice.post(
        LIST,
        {"action": "invoice_from_wip", "selected": [client_a.pk, idle.pk, birch.pk, foreign]},
    )
    assert response.status_code == 200
    outcomes = [(o.client_name, o.done) for o in response.context["report"].outcomes]
    assert outcomes == [
        ("Acme Widgets", True),
        ("Cedar Ltd", False),
        ("Birch & Sons", True),
        ("", False),
    ]
    report = response.context["report"]
    assert report.outcomes[1].message == "There is no unbilled work to invoice for that choice."
    assert report.outcomes[3].message == "No such client."
    acme, birch_draft = (Invoice.objects.get(client=c) for c in (client_a, birch))
    assert (acme.status, acme.subtotal, birch_draft.subtotal) == ("draft", D("310.00"), D("135.00"))
    assert not idle.invoices.exists()
    assert "Draft invoices from WIP: 2 made, 2 refused" in text_of(response)
    assert f"Draft {acme.number}: 3 lines, 310.00" in text_of(response)
    assert rows(response) == []  # everything is held on the drafts now
    assert "Hidden Co" not in response.content.decode()


def test_the_bulk_action_needs_a_selection_and_a_known_action(alice, client_a, worked):
    nothing = alice.post(LIST, {"action": "invoice_from_wip"})
    assert nothing.status_code == 400
    assert "Select at least one client first." in text_of(nothing)
    unknown = alice.post(LIST, {"action": "finalize", "selected": [client_a.pk]})
    assert unknown.status_code == 400
    assert not Invoice.objects.exists()


def test_without_process_time_the_action_is_hidden_and_refused(
    browser_for, staff, client_a, worked
):
    sam = browser_for(staff)
    page = sam.get(LIST)
    assert "Create draft invoices from WIP" not in page.content.decode()
    assert "You need the Process time permission to invoice WIP." in text_of(page)
    response = sam.post(LIST, {"action": "invoice_from_wip", "selected": [client_a.pk]})
    outcome = response.context["report"].outcomes[0]
    assert (outcome.done, outcome.message) == (
        False,
        "You need the “Process time” permission to do this.",
    )
    assert not Invoice.objects.exists()


def queries_of(browser, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    return len(queries)


def many_entries(member, clients, count, record):
    """`count` entries spread over clients and days (a day holds at most 24 hours)."""
    for index in range(count):
        record(
            member,
            30,
            date=datetime.date.today() - datetime.timedelta(days=1 + index % 120),
            client=clients[index % len(clients)],
        )


def test_the_wip_pages_cost_the_same_queries_for_ten_or_three_hundred_entries(
    alice, admin_member, client_a, birch, staff_rates, record
):
    many_entries(admin_member, [client_a, birch], 10, record)
    few = (queries_of(alice, LIST), queries_of(alice, wip_page(client_a)))
    many_entries(admin_member, [client_a, birch], 290, record)
    assert Entry.objects.count() == 300
    assert (queries_of(alice, LIST), queries_of(alice, wip_page(client_a))) == few == (7, 10)


# ---- a client's WIP -------------------------------------------------------------------------


def test_the_client_wip_page_shows_totals_by_work_code_by_person_aged_and_entries(
    alice, client_a, worked
):
    response = alice.get(wip_page(client_a))
    assert response.status_code == 200
    work = response.context["work"]
    assert (work.totals["entries"], work.totals["value"], response.context["hours"]) == (
        3,
        D("310.00"),
        D("1.50"),
    )
    assert [(r["name"], r["hours"], r["value"]) for r in response.context["by_work_code"]] == [
        ("", D("0.00"), D("35.00")),
        ("Bookkeeping", D("0.50"), D("75.00")),
        ("Tax preparation", D("1.00"), D("200.00")),
    ]
    assert [(r["name"], r["value"]) for r in response.context["by_person"]] == [
        ("alice", D("310.00"))
    ]
    assert work.aged[0] == ("0–30 days", D("310.00"))
    text = text_of(response)
    assert "Tax preparation 1 1.00 200.00" in text
    assert "Invoice this WIP" in text
    assert "All 3, oldest first." in text
    assert reverse("web:entry-detail", args=[worked["tax"].pk]) in response.content.decode()
    assert problems_in(response.content.decode()) == []


def test_the_client_wip_page_says_how_many_entries_are_not_listed(
    alice, client_a, worked, monkeypatch
):
    monkeypatch.setattr(wip, "LISTED", 2)
    response = alice.get(wip_page(client_a))
    assert len(response.context["work"].entries) == 2
    assert "The oldest 2 of 3: 1 more are not listed." in text_of(response)


def test_without_process_time_there_is_no_invoice_button(browser_for, staff, client_a, worked):
    response = browser_for(staff).get(wip_page(client_a))
    assert response.status_code == 200
    assert "Invoice this WIP" not in text_of(response)


def test_another_practices_client_is_not_found(alice, other_practice_invoice):
    foreign = other_practice_invoice.client
    for url in (wip_page(foreign), invoice_page(foreign)):
        assert alice.get(url).status_code == 404
    assert alice.post(invoice_page(foreign), {"create": "1"}).status_code == 404


# ---- invoice from WIP -----------------------------------------------------------------------


def choice(**fields) -> dict:
    """What the invoice-from-WIP form sends, with its defaults."""
    return {
        "scope": "all",
        "grouping": "work_code",
        "grouped_by": "work_code",
        "issue_date": "2026-03-02",
        **fields,
    }


def preview_of(response) -> list[tuple]:
    return [
        (line.group.description, line.group.standard, line.group.billed)
        for line in response.context["preview"].lines
    ]


def test_the_page_opens_on_all_wip_by_work_code_at_standard(alice, client_a, worked):
    response = alice.get(invoice_page(client_a))
    assert response.status_code == 200
    assert preview_of(response) == [
        ("Tax preparation", D("200.00"), D("200.00")),
        ("Bookkeeping", D("75.00"), D("75.00")),
        ("Disbursements", D("35.00"), D("35.00")),
    ]
    assert "3 lines 1.50 310.00 310.00" in text_of(response)
    assert problems_in(response.content.decode()) == []


def test_the_preview_follows_the_choice_and_a_typed_amount_over_htmx(
    alice, client_a, worked, work_codes
):
    tax = f"amount-w{work_codes['tax'].pk}"
    response = alice.post(
        invoice_page(client_a),
        choice(**{tax: "150.00"}),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.templates[0].name == "web/wip/_invoice_from_wip_form.html"
    assert preview_of(response)[0] == ("Tax preparation", D("200.00"), D("150.00"))
    assert response.context["preview"].difference == D("-50.00")
    assert f'name="{tax}" id="id_{tax}" value="150.00"' in response.content.decode()
    by_person = alice.post(invoice_page(client_a), choice(grouping="person", grouped_by="person"))
    assert preview_of(by_person) == [
        ("Professional services — alice", D("275.00"), D("275.00")),
        ("Disbursements", D("35.00"), D("35.00")),
    ]
    assert problems_in(response.content.decode()) == []
    assert not Invoice.objects.exists()


def test_a_typed_amount_for_a_line_no_longer_chosen_is_left_out_of_the_preview(
    alice, client_a, worked, work_codes
):
    response = alice.post(
        invoice_page(client_a),
        choice(
            scope="picked", entry=[worked["tax"].pk], **{f"amount-w{work_codes['books'].pk}": "1"}
        ),
    )
    assert response.status_code == 200
    assert preview_of(response) == [("Tax preparation", D("200.00"), D("200.00"))]


def test_create_with_a_write_down_makes_the_draft_and_goes_to_it(
    alice, client_a, worked, work_codes
):
    response = alice.post(
        invoice_page(client_a),
        choice(
            create="1",
            reason="First year",
            memo="March work",
            **{f"amount-w{work_codes['tax'].pk}": "150.00"},
        ),
    )
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:invoice-detail", args=[invoice.pk])
    assert (invoice.status, invoice.subtotal, invoice.memo, str(invoice.issue_date)) == (
        "draft",
        D("260.00"),
        "March work",
        "2026-03-02",
    )
    assert str(invoice.due_date) == "2026-04-01"
    line = invoice.lines.order_by("position").first()
    assert (line.description, line.quantity, line.unit_price, line.amount) == (
        "Tax preparation",
        D("1.00"),
        D("150.00"),
        D("150.00"),
    )
    adjustment = LineAdjustment.objects.get()
    assert (adjustment.invoice_line, adjustment.kind, adjustment.reason) == (
        line,
        "write_down",
        "First year",
    )
    held = Entry.objects.select_related("invoice_line__invoice")
    assert {e.state for e in held.filter(client=client_a)} == {EntryState.ON_DRAFT}


def test_create_with_a_fixed_fee_makes_one_line(alice, client_a, worked):
    alice.post(invoice_page(client_a), choice(create="1", fixed_fee="250", reason="Agreed fee"))
    line = Invoice.objects.get().lines.get()
    assert (line.description, line.amount) == ("Fixed fee", D("250.00"))
    assert LineAdjustment.objects.get().kind == "fixed_fee"
    assert Entry.objects.filter(invoice_line=line).count() == 3


def test_a_whole_invoice_amount_is_spread_over_the_lines(alice, client_a, worked):
    response = alice.post(invoice_page(client_a), choice(total="155.00"))
    assert [billed for _, _, billed in preview_of(response)] == [
        D("100.00"),
        D("37.50"),
        D("17.50"),
    ]
    assert response.context["preview"].billed == D("155.00")
    assert "The whole-invoice amount sets what each line bills" in text_of(response)


def test_only_the_ticked_entries_are_invoiced(alice, client_a, worked):
    alice.post(
        invoice_page(client_a),
        choice(scope="picked", entry=[worked["books"].pk, worked["fee"].pk], create="1"),
    )
    invoice = Invoice.objects.get()
    assert invoice.subtotal == D("110.00")
    assert set(Entry.objects.filter(invoice_line__invoice=invoice)) == {
        worked["books"],
        worked["fee"],
    }
    assert Entry.objects.get(pk=worked["tax"].pk).invoice_line is None


def test_work_through_a_date_only(alice, client_a, worked, record, admin_member):
    record(admin_member, 60, date=datetime.date.today())
    response = alice.post(invoice_page(client_a), choice(through=str(WEEK_AGO)))
    assert response.context["preview"].standard == D("310.00")


def test_a_write_down_without_a_reason_is_refused_and_nothing_is_made(
    alice, client_a, worked, work_codes
):
    response = alice.post(
        invoice_page(client_a),
        choice(create="1", **{f"amount-w{work_codes['tax'].pk}": "150.00"}),
    )
    assert response.status_code == 400
    text = text_of(response)
    assert "Say why the work is written up or down." in text
    assert "A reason is needed." in text
    assert preview_of(response)[0] == ("Tax preparation", D("200.00"), D("150.00"))
    assert not Invoice.objects.exists()
    assert not Entry.objects.filter(invoice_line__isnull=False).exists()


def test_an_entry_no_longer_wip_is_refused_on_the_page_and_nothing_is_made(
    alice, admin_member, client_a, worked
):
    billing.invoice_from_wip(
        admin_member, billing.WipBilling(client_id=client_a.pk, entry_ids=(worked["tax"].pk,))
    )
    response = alice.post(
        invoice_page(client_a),
        choice(scope="picked", entry=[worked["tax"].pk, worked["books"].pk], create="1"),
    )
    assert response.status_code == 409
    assert "1 of the chosen entries are no longer unbilled work of Acme Widgets" in text_of(
        response
    )
    assert Invoice.objects.count() == 1
    assert Entry.objects.get(pk=worked["books"].pk).invoice_line is None


def test_too_many_lines_are_not_listed_and_refused_and_nothing_is_made(
    alice, client_a, worked, monkeypatch
):
    monkeypatch.setattr(billing, "MAX_LINES", 2)
    by_entry = choice(grouping="entry", grouped_by="entry")
    preview = alice.post(invoice_page(client_a), by_entry)
    assert preview.status_code == 200
    assert "That makes 3 lines; an invoice has at most 2. Group by work code" in text_of(preview)
    assert 'name="amount-' not in preview.content.decode()
    response = alice.post(invoice_page(client_a), {**by_entry, "create": "1"})
    assert response.status_code == 400
    assert "That makes 3 lines; an invoice has at most 2." in text_of(response)
    assert not Invoice.objects.exists()


def test_amounts_typed_for_another_grouping_are_cleared_before_anything_is_made(
    alice, client_a, worked, work_codes
):
    response = alice.post(
        invoice_page(client_a),
        choice(
            grouping="person",
            grouped_by="work_code",
            create="1",
            reason="Why",
            **{f"amount-w{work_codes['tax'].pk}": "1.00"},
        ),
    )
    assert response.status_code == 409
    assert "the amounts typed for the old lines were cleared" in text_of(response)
    assert response.context["preview"].billed == D("310.00")
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    "sent, error",
    [
        ({"amount-w1": "abc"}, "“abc” is not an amount"),
        ({"fixed_fee": "-5"}, "Ensure this value is greater than or equal to 0."),
        ({"scope": "picked"}, "Tick the entries to invoice, or choose all unbilled work."),
        ({"entry": ["x"], "scope": "picked"}, "The ticked entries were not understood"),
        ({"amount-<script>": "1"}, "The lines were not understood"),
        ({"grouping": "client"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_named_and_nothing_is_made(alice, client_a, worked, sent, error):
    response = alice.post(invoice_page(client_a), choice(create="1", **sent))
    assert response.status_code == 400
    assert error in text_of(response)
    assert not Invoice.objects.exists()
    assert problems_in(response.content.decode()) == []


def test_invoicing_wip_needs_process_time(browser_for, staff, client_a, worked):
    sam = browser_for(staff)
    page = sam.get(invoice_page(client_a))
    assert page.status_code == 403
    assert "You need the “Process time” permission to do this." in text_of(page)
    refused = sam.post(invoice_page(client_a), choice(create="1"))
    assert refused.status_code == 403
    assert not Invoice.objects.exists()
