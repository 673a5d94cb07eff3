import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billbridge.clients.models import ClientRole
from billbridge.core import testing
from billbridge.invoicing.models import Invoice
from billbridge.invoicing.totals import LineInput

LIST = reverse("web:billing-list")


def numbers(response) -> list[str]:
    return [row.invoice.number for row in response.context["rows"]]


@pytest.fixture
def ledger(practice, admin_member, client_a):
    """Two clients' invoices in each status, issued on different days."""
    client_b = testing.make_client(practice, "Birch & Sons")
    testing.assign(admin_member, client_b)
    made = {}
    day = datetime.date(2026, 10, 1)
    for offset, (client, status, number) in enumerate(
        [
            (client_a, "draft", "A-1"),
            (client_a, "finalized", "A-2"),
            (client_a, "closed", "A-3"),
            (client_b, "draft", "B-1"),
            (client_b, "finalized", "B-2"),
            (client_b, "closed", "B-3"),
        ]
    ):
        made[number] = testing.make_invoice(
            admin_member,
            client,
            status,
            number=number,
            issue_date=day + datetime.timedelta(days=offset),
        )
    made["client_b"] = client_b
    return made


def test_it_lists_open_invoices_newest_first(alice, ledger):
    response = alice.get(LIST)
    assert response.status_code == 200
    assert numbers(response) == ["B-2", "B-1", "A-2", "A-1"]
    assert b"Not exported" in response.content


def test_it_shows_closed_invoices_when_asked(alice, ledger):
    response = alice.get(LIST, {"show_closed": "on"})
    assert numbers(response) == ["B-3", "B-2", "B-1", "A-3", "A-2", "A-1"]


def test_the_closed_status_filter_shows_closed_ones_without_the_tick(alice, ledger):
    assert numbers(alice.get(LIST, {"status": "closed"})) == ["B-3", "A-3"]


def test_it_filters_by_status(alice, ledger):
    assert numbers(alice.get(LIST, {"status": "finalized"})) == ["B-2", "A-2"]
    assert numbers(alice.get(LIST, {"status": "draft", "show_closed": "on"})) == ["B-1", "A-1"]


def test_it_narrows_to_one_client(alice, ledger, client_a):
    response = alice.get(LIST, {"client": client_a.pk, "show_closed": "on"})
    assert numbers(response) == ["A-3", "A-2", "A-1"]
    # The drop-down keeps the choice, so the page says what it is showing.
    assert f'<option value="{client_a.pk}" selected>'.encode() in response.content


def test_it_searches_by_number(alice, ledger):
    assert numbers(alice.get(LIST, {"q": "b-2"})) == ["B-2"]


def test_it_searches_by_client_name(alice, ledger):
    assert numbers(alice.get(LIST, {"q": "birch", "show_closed": "on"})) == ["B-3", "B-2", "B-1"]


def test_an_unknown_client_in_the_link_is_a_clear_400(alice, ledger, other_practice_invoice):
    response = alice.get(LIST, {"client": other_practice_invoice.client_id})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    # The rest of the list still shows; the bad filter is the only thing left out.
    assert numbers(response) == ["B-2", "B-1", "A-2", "A-1"]


def test_it_pages_through_the_list(alice, ledger, settings):
    settings.BILLING_LIST_PAGE_SIZE = 4
    first = alice.get(LIST, {"show_closed": "on"})
    assert numbers(first) == ["B-3", "B-2", "B-1", "A-3"]
    assert b"1\xe2\x80\x934 of 6 invoices" in first.content
    assert b'href="?show_closed=on&amp;page=2"' in first.content
    second = alice.get(LIST, {"show_closed": "on", "page": "2"})
    assert numbers(second) == ["A-2", "A-1"]
    # A page number that makes no sense falls back to a page that exists instead of failing.
    assert numbers(alice.get(LIST, {"show_closed": "on", "page": "zzz"})) == numbers(first)
    assert numbers(alice.get(LIST, {"show_closed": "on", "page": "99"})) == numbers(second)


def test_htmx_gets_the_table_and_a_plain_request_the_page(alice, ledger):
    plain = alice.get(LIST)
    assert b"<html" in plain.content
    assert b'id="billing-table"' in plain.content

    htmx = alice.get(LIST, headers={"HX-Request": "true"})
    assert htmx.status_code == 200
    assert b"<html" not in htmx.content
    assert b'id="bulk-form"' in htmx.content
    assert numbers(htmx) == numbers(plain)
    assert "HX-Request" in htmx["Vary"]

    restore = alice.get(LIST, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert b"<html" in restore.content


def test_bulk_finalize_reports_each_invoice(alice, ledger):
    response = alice.post(
        f"{LIST}?status=draft",
        {"action": "finalize", "invoice": [ledger["A-1"].pk, ledger["A-2"].pk]},
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert [(o.number, o.done) for o in report.outcomes] == [("A-1", True), ("A-2", False)]
    content = response.content.decode()
    assert "Finalize: 1 done, 1 refused" in content
    assert "only draft invoices can be finalized" in content
    assert Invoice.objects.get(pk=ledger["A-1"].pk).status == "finalized"
    # The table under the results keeps the filter the list had.
    assert numbers(response) == ["B-1"]


def test_bulk_revert_reports_what_was_refused_and_why(
    browser_for, practice, admin_member, ledger, client_a
):
    clerk = testing.make_member(practice, "bob", can_process_time=True)
    testing.assign(clerk, client_a, ClientRole.OWNER)
    testing.assign(clerk, ledger["client_b"], ClientRole.STAFF)
    response = browser_for(clerk).post(
        LIST,
        {"action": "revert_to_draft", "invoice": [ledger["A-2"].pk, ledger["B-2"].pk]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert "Revert to draft: 1 done, 1 refused" in content
    assert "You need the Owner role on this client to do this." in content
    assert Invoice.objects.get(pk=ledger["A-2"].pk).status == "draft"
    assert Invoice.objects.get(pk=ledger["B-2"].pk).status == "finalized"


def test_a_selected_id_beyond_any_key_is_reported_not_found(alice, ledger):
    response = alice.post(LIST, {"action": "finalize", "invoice": [str(2**70)]})
    assert response.status_code == 200
    assert "No such invoice." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "finalize"}, "Select at least one invoice first."),
        ({"action": "delete", "invoice": ["1"]}, "Choose an action from the More actions menu."),
        ({"action": "finalize", "invoice": ["1; drop"]}, "The selection was not understood."),
    ],
)
def test_a_bulk_request_that_makes_no_sense_is_a_clear_400(alice, ledger, data, message):
    response = alice.post(LIST, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Invoice.objects.filter(status="draft").count() == 2


def ticked(response) -> list[str]:
    """The invoices whose row comes back ticked."""
    html = response.content.decode()
    return [
        row.invoice.number
        for row in response.context["rows"]
        if f'value="{row.invoice.pk}" aria-label="Select invoice {row.invoice.number}" '
        "data-row-check checked>" in html
    ]


def test_the_selection_comes_back_ticked_after_an_action(alice, ledger):
    chosen = [ledger["A-1"].pk, ledger["B-2"].pk]
    response = alice.post(
        LIST, {"action": "finalize", "invoice": chosen}, headers={"HX-Request": "true"}
    )
    assert ticked(response) == ["B-2", "A-1"]
    assert "2 selected" in response.content.decode()
    # Refused as a whole (no action chosen): the ticks are kept too.
    refused = alice.post(LIST, {"action": "", "invoice": chosen})
    assert refused.status_code == 400 and ticked(refused) == ["B-2", "A-1"]


def test_select_all_matching_acts_on_every_page_of_the_filtered_list(alice, ledger, settings):
    settings.BILLING_LIST_PAGE_SIZE = 1
    page = alice.get(LIST, {"status": "draft"}).content.decode()
    assert 'name="all_matching" value="2"' in page
    assert "Select all 2 matching invoices" in page
    # Only the first page's row is ticked; the server finds the other draft itself.
    response = alice.post(
        f"{LIST}?status=draft",
        {"action": "finalize", "invoice": [ledger["B-1"].pk], "all_matching": "2"},
    )
    report = response.context["report"]
    assert sorted((o.number, o.done) for o in report.outcomes) == [("A-1", True), ("B-1", True)]
    assert not Invoice.objects.filter(status="draft").exists()


def test_select_all_matching_is_refused_when_the_list_changed_since(alice, ledger, settings):
    settings.BILLING_LIST_PAGE_SIZE = 1
    response = alice.post(f"{LIST}?status=draft", {"action": "finalize", "all_matching": "3"})
    assert response.status_code == 400
    assert (
        "The filters now match 2 invoices, not 3: look at the list again before acting on all "
        "of them."
    ) in response.content.decode()
    assert Invoice.objects.filter(status="draft").count() == 2


def test_select_all_matching_beyond_the_cap_asks_to_narrow_the_filters(alice, ledger, monkeypatch):
    monkeypatch.setattr("billbridge.web.views.billing.MAX_SELECTION", 1)
    response = alice.post(f"{LIST}?status=draft", {"action": "finalize", "all_matching": "2"})
    assert response.status_code == 400
    assert "All 2 matching invoices are more than 1 at a time: narrow the filters." in (
        response.content.decode()
    )
    assert Invoice.objects.filter(status="draft").count() == 2


def test_a_member_who_may_not_process_time_sees_no_bulk_transitions(browser_for, practice, ledger):
    viewer = testing.make_member(practice, "vera")
    content = browser_for(viewer).get(LIST).content.decode()
    assert 'value="finalize"' not in content
    assert "You need the Process time permission" in content
    # Nor the QuickBooks actions: a note says what is missing, as for the transitions.
    assert 'value="qbo_export"' not in content
    assert "You need the Export to accounting software permission" in content


def test_a_forged_bulk_finalize_is_refused_by_the_service(browser_for, practice, ledger):
    viewer = testing.make_member(practice, "vera")
    response = browser_for(viewer).post(LIST, {"action": "finalize", "invoice": [ledger["A-1"].pk]})
    assert "You need the “Process time” permission" in response.content.decode()
    assert Invoice.objects.get(pk=ledger["A-1"].pk).status == "draft"


def test_money_has_two_decimals_and_thousands_separators(alice, admin_member, client_a):
    testing.make_invoice(
        admin_member, client_a, lines=[LineInput("Audit", Decimal("3"), Decimal("4115.2"))]
    )
    assert b"12,345.60" in alice.get(LIST).content


# Session, user, membership, practice, the client drop-down, the count, the page of invoices
# with their clients, and the QuickBooks Export column (the connection, the QBO links, the
# newest export rows, the newest checks, the PDFs attached in QBO), the Emailed column's newest
# sends, and the notices banner: none of them depends on how many rows the page shows.
QUERIES_PER_PAGE = 14


@pytest.mark.parametrize("page_size", [5, 50])
def test_a_page_costs_the_same_queries_whatever_its_size(
    alice, practice, admin_member, settings, django_assert_num_queries, page_size
):
    for index in range(12):
        client = testing.make_client(practice, f"Client {index}")
        testing.assign(admin_member, client)
        for status in ("draft", "finalized", "closed", "finalized", "draft"):
            testing.make_invoice(admin_member, client, status)
    settings.BILLING_LIST_PAGE_SIZE = page_size
    with django_assert_num_queries(QUERIES_PER_PAGE):
        response = alice.get(LIST, {"show_closed": "on", "q": "client"})
    assert len(response.context["rows"]) == page_size
