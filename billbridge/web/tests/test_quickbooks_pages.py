"""The QuickBooks pages against the running emulator, over HTTP on loopback: Settings ▸
Integrations ▸ QuickBooks Online (connect, status, test, export settings, item mappings,
disconnect), the Billing list's Check and Export actions with their progress partial, the
invoice page's export and replacement, and a client's QBO customer."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
from django.urls import reverse
from django.utils import timezone

from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.quickbooks.models import (
    AstTaxHandling,
    ConnectionStatus,
    CustomerLink,
    ExportBatch,
    ExportState,
    InvoiceExport,
    ItemMapping,
    QboConnection,
    QboInvoiceLink,
)
from billbridge.quickbooks.tests.test_oauth import approve
from billbridge.web.tests.test_accessibility import problems_in

SETTINGS_PAGE = reverse("web:quickbooks-settings")
LIST = reverse("web:billing-list")


def words(html: str) -> str:
    """Text as a user reads it: no tags, entities decoded, runs of white space as one space."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def text_of(response) -> str:
    return words(response.content.decode())


def cell_text(response, invoice) -> str:
    """What the QuickBooks Export cell of `invoice` says."""
    html = response.content.decode()
    start = html.index(">", html.index(f'id="export-cell-{invoice.pk}"')) + 1
    return words(html[start : html.index("</div>", start)])


# ---- Settings ▸ Integrations ▸ QuickBooks Online ---------------------------------------------


def test_without_manage_settings_the_page_says_which_permission_and_who_has_it(
    browser_for, practice, admin_member, connected
):
    admin_member.user.first_name, admin_member.user.last_name = "Alice", "Owens"
    admin_member.user.save()
    exporter = testing.make_member(practice, "erin", can_export=True)
    browser = browser_for(exporter)
    response = browser.get(SETTINGS_PAGE)
    assert response.status_code == 200
    page = text_of(response)
    assert (
        "need the Manage settings permission, which you do not have. Ask Alice Owens: they have it."
    ) in page
    assert "Status Connected" in page  # what there is to see, read-only
    html = response.content.decode()
    for action in ("quickbooks-test", "quickbooks-save-settings", "quickbooks-items"):
        assert reverse(f"web:{action}") not in html
    assert "Disconnect" not in page
    # A forged request still meets the service's refusal, and changes nothing.
    refused = browser.post(reverse("web:quickbooks-disconnect"), {"confirm": "disconnect"})
    assert refused.status_code == 403
    assert "You need the “Manage settings” permission to do this." in text_of(refused)
    assert QboConnection.objects.filter(pk=connected.pk).exists()


def test_connect_runs_oauth_and_the_callback_stores_the_company(alice, qbo, practice):
    response = alice.get(SETTINGS_PAGE)
    assert "Connect to QuickBooks Online" in text_of(response)

    response = alice.post(reverse("web:quickbooks-connect"))
    assert response.status_code == 302
    authorize = urlsplit(response["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == (
        f"{qbo.base_url}/connect/oauth2"
    )
    state = parse_qs(authorize.query)["state"][0]
    # The consent page, approved for our company as the user would.
    consent = httpx.get(
        f"{response['Location']}&emulator_realm={qbo.realm}", follow_redirects=False
    )
    assert consent.status_code == 302
    back = urlsplit(consent.headers["location"])
    assert back.path == reverse("web:quickbooks-callback")
    assert parse_qs(back.query)["state"] == [state]

    response = alice.get(f"{back.path}?{back.query}")
    assert response.status_code == 302
    assert response["Location"] == SETTINGS_PAGE
    connection = QboConnection.objects.get(practice=practice)
    assert connection.realm_id == qbo.realm
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.default_item_name == "Services"

    page = text_of(alice.get(SETTINGS_PAGE))
    assert "QuickBooks Online is connected to Sandbox Company US 1." in page
    assert f"Realm (company Id) {qbo.realm}" in page
    assert "Company Sandbox Company US 1" in page
    assert "Country US" in page
    assert "Custom transaction numbers On" in page
    assert "Books closed up to 2026-06-30" in page
    assert "Last test" in page and "Connected to Sandbox Company US 1." in page


def test_a_callback_with_a_forged_state_connects_nothing(alice, qbo, practice):
    alice.post(reverse("web:quickbooks-connect"))
    response = alice.get(
        reverse("web:quickbooks-callback"),
        {"code": "made-up", "state": "not-ours", "realmId": qbo.realm},
    )
    assert response.status_code == 400
    assert "does not belong to a connection you started" in text_of(response)
    assert not QboConnection.objects.exists()


def test_a_callback_naming_another_company_than_approved_is_refused_in_words(alice, qbo):
    their_books = qbo.emulator.create_company(name="Another Firm's Books").realm_id
    callback = approve(alice.post(reverse("web:quickbooks-connect"))["Location"], qbo.realm)

    response = alice.get(reverse("web:quickbooks-callback"), {**callback, "realmId": their_books})

    assert response.status_code == 409
    page = text_of(response)
    assert (
        "QuickBooks Online was not connected: the authorization given in QuickBooks is not for "
        f"company {their_books}. Connect again and choose the company there." in page
    )
    assert "Back to the QuickBooks Online settings" in page
    assert not QboConnection.objects.exists()


def test_a_cancelled_consent_says_so(alice, qbo):
    response = alice.post(reverse("web:quickbooks-connect"))
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    response = alice.get(
        reverse("web:quickbooks-callback"), {"error": "access_denied", "state": state}
    )
    assert response.status_code == 409
    assert "the authorization was cancelled or refused" in text_of(response)
    assert not QboConnection.objects.exists()


def test_the_status_panel_shows_the_company_and_the_token_expiry(alice, connected):
    page = text_of(alice.get(SETTINGS_PAGE))
    assert "Status Connected" in page
    assert "Sales tax Set up" in page
    assert "Automated sales tax Off" in page
    expiry = connected.refresh_token_expires_at.strftime("%Y-%m-%d")
    assert f"Connection expires {expiry}" in page


def test_test_connection_reads_the_company_again_and_says_what_it_found(alice, connected, qbo):
    qbo.company.set_preferences(automated_sales_tax=True)
    response = alice.post(reverse("web:quickbooks-test"), follow=True)
    connected.refresh_from_db()
    assert connected.last_test_outcome.startswith("Connection works: read Sandbox Company US 1 (")
    page = text_of(response)
    assert connected.last_test_outcome in page
    assert "Automated sales tax On" in page


def test_the_default_item_and_the_tax_handling_are_saved(alice, connected):
    page = alice.get(SETTINGS_PAGE).content.decode()
    design = re.search(r'<option value="(\d+)">Design</option>', page).group(1)
    response = alice.post(
        reverse("web:quickbooks-save-settings"),
        {"default_item_id": design, "ast_tax_handling": AstTaxHandling.SEND_OURS},
        follow=True,
    )
    connected.refresh_from_db()
    assert (connected.default_item_id, connected.default_item_name) == (design, "Design")
    assert connected.ast_tax_handling == AstTaxHandling.SEND_OURS
    page = response.content.decode()
    assert f'<option value="{design}" selected>Design</option>' in page
    assert 'value="send_ours" checked' in page


def test_an_unknown_default_item_is_refused(alice, connected):
    response = alice.post(reverse("web:quickbooks-save-settings"), {"default_item_id": "99999"})
    assert response.status_code == 400
    assert "Choose an active item of the QuickBooks company." in text_of(response)
    connected.refresh_from_db()
    assert connected.default_item_name == "Services"


def test_item_mappings_are_added_and_removed(alice, connected, practice):
    page = alice.get(SETTINGS_PAGE).content.decode()
    gardening = re.search(r'<option value="(\d+)">Gardening</option>', page).group(1)
    response = alice.post(
        reverse("web:quickbooks-items"),
        {"service_name": "Bookkeeping", "qbo_item_id": gardening},
        follow=True,
    )
    assert "Lines of “Bookkeeping” are exported as “Gardening”." in text_of(response)
    assert list(ItemMapping.objects.values_list("service_name", "qbo_item_name")) == [
        ("Bookkeeping", "Gardening")
    ]
    response = alice.post(
        reverse("web:quickbooks-items"), {"service_name": "Bookkeeping", "remove": "1"}, follow=True
    )
    assert "No mappings: every line is exported with the default item." in text_of(response)
    assert not ItemMapping.objects.exists()


def test_disconnect_asks_first_without_javascript(alice, connected, qbo):
    disconnect = reverse("web:quickbooks-disconnect")
    assert f'href="{disconnect}">Disconnect…</a>' in alice.get(SETTINGS_PAGE).content.decode()
    ask = alice.get(disconnect)
    assert ask.status_code == 200
    assert "Disconnect QuickBooks Online? Disconnect Sandbox Company US 1" in text_of(ask)
    assert problems_in(ask.content.decode()) == []
    # A POST that does not say so (a stale form) only asks again.
    again = alice.post(disconnect)
    assert again.status_code == 200 and "Cancel: keep it connected" in text_of(again)
    assert QboConnection.objects.filter(pk=connected.pk).exists()


def test_disconnect_revokes_at_intuit_and_forgets_the_tokens(alice, connected, qbo):
    response = alice.post(
        reverse("web:quickbooks-disconnect"), {"confirm": "disconnect"}, follow=True
    )
    assert "QuickBooks Online is disconnected" in text_of(response)
    assert "Connect to QuickBooks Online" in text_of(response)
    assert not QboConnection.objects.exists()
    grants = httpx.get(f"{qbo.control_url}/tokens").json()
    assert [grant["revoked"] for grant in grants["grants"]] == [True]


def test_reconnect_required_is_shown_on_the_settings_the_list_and_the_invoice(
    alice, connected, admin_member, client_a
):
    invoice = testing.make_invoice(admin_member, client_a, "finalized")
    connected.status = ConnectionStatus.RECONNECT
    connected.status_reason = "QuickBooks refused the saved authorization."
    connected.save()
    for url in (SETTINGS_PAGE, LIST, reverse("web:invoice-detail", args=[invoice.pk])):
        page = text_of(alice.get(url))
        assert "QuickBooks refused the saved authorization." in page, url
        assert "Reconnect" in page, url
    listing = alice.get(LIST).content.decode()
    assert 'value="qbo_export"' not in listing
    assert "QuickBooks Online needs to be reconnected first." in listing
    assert (
        "Export to QuickBooks Online</button>"
        not in alice.get(reverse("web:invoice-detail", args=[invoice.pk])).content.decode()
    )


# ---- the Billing list's QuickBooks actions ---------------------------------------------------


def test_the_actions_wait_for_a_connection(alice, qbo, admin_member, client_a):
    testing.make_invoice(admin_member, client_a, "finalized")
    listing = alice.get(LIST).content.decode()
    assert 'value="qbo_export"' not in listing
    assert "Connect QuickBooks Online first, in Settings ▸ Integrations." in listing


def test_a_member_without_the_export_permission_sees_a_note_and_is_refused(
    browser_for, practice, connected, admin_member, client_a
):
    invoice = testing.make_invoice(admin_member, client_a, "finalized")
    clerk = testing.make_member(practice, "carl", can_process_time=True)
    browser = browser_for(clerk)
    assert "You need the Export to accounting software permission" in text_of(browser.get(LIST))
    response = browser.post(LIST, {"action": "qbo_export", "invoice": [invoice.pk]})
    assert response.status_code == 403
    assert "You need the “Export to accounting software” permission" in text_of(response)
    assert not ExportBatch.objects.exists()


def test_export_selected_shows_refusals_at_once_then_the_progress_fills_the_column(
    alice, connected, admin_member, client_a, django_capture_on_commit_callbacks
):
    first = testing.make_invoice(admin_member, client_a, "finalized", number="Q-1")
    second = testing.make_invoice(admin_member, client_a, "finalized", number="Q-2")
    draft = testing.make_invoice(admin_member, client_a, number="Q-3")
    with django_capture_on_commit_callbacks() as wake_ups:
        response = alice.post(
            LIST,
            {"action": "qbo_export", "invoice": [first.pk, second.pk, draft.pk]},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    page = text_of(response)
    assert "Export to QuickBooks Online" in page
    assert "Refused at once: 1." in page
    assert "Invoice Q-3 is Draft; only finalized invoices go to QuickBooks." in page
    assert "0 of 2 exported, 2 queued; 1 refused." in page
    batch = ExportBatch.objects.get()
    progress_url = reverse("web:export-progress", args=[batch.pk])
    # Until the batch is done the progress line asks for itself again every second.
    assert f'hx-get="{progress_url}" hx-trigger="every 1s"' in response.content.decode()
    assert cell_text(response, first) == "Queued"

    for wake_up in wake_ups:
        wake_up()  # the worker: here the immediate backend, in this process
    progress = alice.get(progress_url, headers={"HX-Request": "true"})
    html = progress.content.decode()
    assert "2 of 2 exported; 1 refused." in text_of(progress)
    assert "hx-trigger" not in html  # finished: no more polling
    for invoice in (first, second):
        qbo_id = QboInvoiceLink.objects.get(invoice=invoice).qbo_invoice_id
        assert f'id="export-cell-{invoice.pk}" hx-swap-oob="true"' in html
        assert cell_text(progress, invoice).split() == [
            "Exported",
            "QBO",
            "invoice",
            invoice.number,
        ]
        assert f'href="{connected.url_of(qbo_id)}"' in html
    assert f"export-cell-{draft.pk}" not in html


def test_each_check_reads_the_company_afresh_and_the_settings_page_shows_the_read(
    alice, connected, qbo, admin_member, client_a, django_capture_on_commit_callbacks
):
    invoice = testing.make_invoice(admin_member, client_a, "finalized", number="F-1")
    qbo.company.set_preferences(sales_tax=False)  # after the read at connect
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(LIST, {"action": "qbo_check", "invoice": [invoice.pk]})
    assert "no sales tax set up" in cell_text(alice.get(LIST), invoice)
    connected.refresh_from_db()
    page = text_of(alice.get(SETTINGS_PAGE))
    read_at = timezone.localtime(connected.company_read_at).strftime("%Y-%m-%d %H:%M:%S")
    assert f"Read from QuickBooks {read_at}" in page
    assert "Sales tax Not set up" in page


def test_a_check_of_an_exported_invoice_keeps_its_qbo_invoice_in_the_column(
    alice, connected, admin_member, client_a, django_capture_on_commit_callbacks
):
    invoice = testing.make_invoice(admin_member, client_a, "finalized", number="E-1")
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(LIST, {"action": "qbo_export", "invoice": [invoice.pk]})
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(LIST, {"action": "qbo_check", "invoice": [invoice.pk]})
    cell = cell_text(alice.get(LIST), invoice)
    assert cell.startswith("Exported QBO invoice E-1 Checked: ready ")
    qbo_id = QboInvoiceLink.objects.get(invoice=invoice).qbo_invoice_id
    assert f'href="{connected.url_of(qbo_id)}"' in alice.get(LIST).content.decode()


def test_check_selected_shows_the_findings_in_the_column(
    alice, connected, admin_member, client_a, django_capture_on_commit_callbacks
):
    invoice = testing.make_invoice(admin_member, client_a, "finalized", number="C-1")
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(LIST, {"action": "qbo_check", "invoice": [invoice.pk]})
    batch = ExportBatch.objects.get(kind=ExportBatch.Kind.CHECK)
    check = batch.checks.get()
    response = alice.get(LIST)
    cell = cell_text(response, invoice)
    assert cell.startswith(f"Checked: {'ready' if check.ok else 'problems'}")
    for finding in check.findings:
        assert finding["text"] in text_of(response)
    assert not InvoiceExport.objects.exists()  # a check writes nothing to QBO


def test_another_practices_progress_is_not_found(alice, browser_for, other_practice_invoice):
    other = ExportBatch.objects.create(practice=other_practice_invoice.practice, kind="export")
    assert alice.get(reverse("web:export-progress", args=[other.pk])).status_code == 404


# ---- the invoice page ------------------------------------------------------------------------


def test_the_invoice_page_exports_a_finalized_invoice_and_follows_it(
    alice, connected, admin_member, client_a, django_capture_on_commit_callbacks
):
    invoice = testing.make_invoice(admin_member, client_a, "finalized", number="I-1")
    page = reverse("web:invoice-detail", args=[invoice.pk])
    assert "Export to QuickBooks Online</button>" in alice.get(page).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(reverse("web:invoice-qbo-export", args=[invoice.pk]))
    batch = ExportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{page}?batch={batch.pk}"
    followed = alice.get(response["Location"])
    assert "1 of 1 exported." in text_of(followed)
    assert cell_text(followed, invoice) == "Exported QBO invoice I-1"


def test_a_draft_offers_no_export(alice, connected, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    page = alice.get(reverse("web:invoice-detail", args=[invoice.pk])).content.decode()
    assert "Export to QuickBooks Online</button>" not in page


def test_a_qbo_invoice_deleted_there_is_replaced_from_the_cell(
    alice, connected, qbo, admin_member, client_a, django_capture_on_commit_callbacks
):
    invoice = testing.make_invoice(admin_member, client_a, "finalized", number="R-1")
    export = reverse("web:invoice-qbo-export", args=[invoice.pk])
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(export)
    old = QboInvoiceLink.objects.get(invoice=invoice).qbo_invoice_id
    qbo.company.delete_invoice(old)
    # A new version of the invoice, so that it can be exported again.
    invoicing.close(admin_member, invoice.pk, "paid by cheque")
    invoicing.reopen(admin_member, invoice.pk, "cheque bounced")
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(export)
    row = InvoiceExport.objects.filter(invoice=invoice).latest("id")
    assert row.state == ExportState.DELETED_IN_QBO
    listing = alice.get(LIST)
    assert cell_text(listing, invoice) == (
        f"Removed from QBO {row.message} {row.advice} Create a new QBO invoice"
    )
    replace = reverse("web:invoice-qbo-replace", args=[invoice.pk])
    assert f'formaction="{replace}"' in listing.content.decode()

    # From the Billing list (htmx): the invoice page is loaded whole, following the new batch.
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(replace, headers={"HX-Request": "true"})
    assert response.status_code == 204
    batch = ExportBatch.objects.latest("id")
    assert response["HX-Redirect"] == (
        f"{reverse('web:invoice-detail', args=[invoice.pk])}?batch={batch.pk}"
    )
    new = QboInvoiceLink.objects.get(invoice=invoice)
    assert new.state == QboInvoiceLink.State.IN_QBO
    assert new.qbo_invoice_id != old


def test_replacing_an_invoice_that_was_not_deleted_is_refused(
    alice, connected, admin_member, client_a
):
    invoice = testing.make_invoice(admin_member, client_a, "finalized")
    response = alice.post(reverse("web:invoice-qbo-replace", args=[invoice.pk]))
    assert response.status_code == 409
    assert "is not waiting for a decision about a deleted QBO invoice" in text_of(response)
    assert not ExportBatch.objects.exists()


# ---- a client's QBO customer -----------------------------------------------------------------


def test_a_client_is_linked_by_name_and_unlinked(alice, connected, client_a):
    page = reverse("web:client-detail", args=[client_a.pk])
    assert "Not linked yet (matched or created at the first export)" in text_of(alice.get(page))
    response = alice.post(
        reverse("web:client-qbo-link", args=[client_a.pk]),
        {"qbo_customer": "Cool Cars"},
        follow=True,
    )
    link = CustomerLink.objects.get(client=client_a)
    assert (link.display_name, link.how) == ("Cool Cars", CustomerLink.How.LINKED_BY_HAND)
    shown = text_of(response)
    assert f"Customer Cool Cars QBO Id {link.qbo_customer_id} How Linked by hand" in shown

    response = alice.post(reverse("web:client-qbo-unlink", args=[client_a.pk]), follow=True)
    assert "Not linked yet" in text_of(response)
    assert not CustomerLink.objects.exists()


def test_a_client_is_linked_by_qbo_id(alice, connected, qbo, client_a):
    customer = qbo.company.create("Customer", {"DisplayName": "Acme Widgets Inc"})
    alice.post(reverse("web:client-qbo-link", args=[client_a.pk]), {"qbo_customer": customer["Id"]})
    assert CustomerLink.objects.get(client=client_a).display_name == "Acme Widgets Inc"


def test_an_unknown_customer_is_refused_in_words(alice, connected, client_a):
    response = alice.post(
        reverse("web:client-qbo-link", args=[client_a.pk]), {"qbo_customer": "Nobody Ltd"}
    )
    assert response.status_code == 400
    assert "QuickBooks has no active customer 'Nobody Ltd'." in text_of(response)
    assert not CustomerLink.objects.exists()


def test_linking_needs_export_or_manage_settings(browser_for, practice, connected, client_a):
    clerk = testing.make_member(practice, "carl", can_process_time=True)
    browser = browser_for(clerk)
    page = browser.get(reverse("web:client-detail", args=[client_a.pk])).content.decode()
    assert "Link to a QBO customer" not in page
    response = browser.post(
        reverse("web:client-qbo-link", args=[client_a.pk]), {"qbo_customer": "Cool Cars"}
    )
    assert response.status_code == 403
    assert not CustomerLink.objects.exists()


# ---- without JavaScript, and the accessibility basics ----------------------------------------


def test_without_javascript_the_progress_is_a_page_of_the_batchs_invoices(
    alice, connected, admin_member, client_a, django_capture_on_commit_callbacks
):
    invoice = testing.make_invoice(admin_member, client_a, "finalized", number="N-1")
    with django_capture_on_commit_callbacks() as wake_ups:
        listing = alice.post(LIST, {"action": "qbo_export", "invoice": [invoice.pk]})
    batch = ExportBatch.objects.get()
    progress_url = reverse("web:export-progress", args=[batch.pk])
    # The poller is a form whose button, shown only without JavaScript, opens the page.
    assert f'<form method="get" action="{progress_url}"' in listing.content.decode()
    assert "See how far it got" in text_of(listing)
    page = alice.get(progress_url)
    assert "Export for QuickBooks Online" in text_of(page)
    assert cell_text(page, invoice) == "Queued"
    for wake_up in wake_ups:
        wake_up()
    page = alice.get(progress_url)
    assert "1 of 1 exported." in text_of(page)
    assert cell_text(page, invoice) == "Exported QBO invoice N-1"
    assert "See how far it got" not in text_of(page)


def test_the_quickbooks_pages_have_labels_names_and_work_without_javascript(
    alice, connected, admin_member, client_a, django_capture_on_commit_callbacks
):
    invoice = testing.make_invoice(admin_member, client_a, "finalized")
    with django_capture_on_commit_callbacks():
        listing = alice.post(LIST, {"action": "qbo_export", "invoice": [invoice.pk]})
    batch = ExportBatch.objects.get()
    ItemMapping.objects.create(
        practice=connected.practice, service_name="Payroll", qbo_item_id="1", qbo_item_name="X"
    )
    pages = {
        "settings": alice.get(SETTINGS_PAGE),
        "billing list, export running": listing,
        "progress page": alice.get(reverse("web:export-progress", args=[batch.pk])),
        "invoice page": alice.get(
            reverse("web:invoice-detail", args=[invoice.pk]), {"batch": batch.pk}
        ),
        "client page": alice.get(reverse("web:client-detail", args=[client_a.pk])),
    }
    found = {name: problems_in(page.content.decode()) for name, page in pages.items()}
    assert {name: problems for name, problems in found.items() if problems} == {}
