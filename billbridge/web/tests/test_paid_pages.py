"""The paid-status pages against the running emulator: the QuickBooks Export column once QBO
shows a payment, a QBO user's change settled from the invoice page, Billing ▸ QuickBooks
reconciliation (run, follow, download) and the sync's health on the QuickBooks settings page."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billbridge.core import testing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import paid_status, reconciliation
from billbridge.quickbooks.models import (
    ExportBatch,
    IgnoredWebhooks,
    QboConnection,
    QboInvoiceLink,
    ReconciliationReport,
    WebhookEvent,
)
from billbridge.web.tests.test_accessibility import problems_in
from billbridge.web.tests.test_quickbooks_pages import cell_text, text_of

LIST = reverse("web:billing-list")
RECONCILIATION = reverse("web:qbo-reconciliation")
RUN = reverse("web:qbo-reconciliation-run")
SETTINGS_PAGE = reverse("web:quickbooks-settings")


@pytest.fixture
def exported(alice, connected, admin_member, client_a, django_capture_on_commit_callbacks):
    """Export finalized invoices through the invoice page; returns them with their QBO ids."""

    def export(*numbers: str) -> list[tuple]:
        made = []
        for number in numbers:
            invoice = testing.make_invoice(admin_member, client_a, "finalized", number=number)
            with django_capture_on_commit_callbacks(execute=True):
                alice.post(reverse("web:invoice-qbo-export", args=[invoice.pk]))
            made.append((invoice, QboInvoiceLink.objects.get(invoice=invoice).qbo_invoice_id))
        paid_status.sync_company(connected.realm_id, force=True)  # the first sync: a catch-up read
        return made

    return export


def page_of(invoice) -> str:
    return reverse("web:invoice-detail", args=[invoice.pk])


# ---- the column, once QBO shows a payment ----------------------------------------------------


def test_a_partial_payment_shows_the_balance_and_a_full_one_paid_in_qbo(
    alice,
    exported,
    qbo,
    connected,
):
    (invoice, qbo_id), (other, other_id) = exported("P-1", "P-2")
    qbo.company.receive_payment(qbo_id, Decimal("100.00"))
    qbo.company.receive_payment(other_id)
    paid_status.sync_company(connected.realm_id, force=True)

    balance = invoice.total - Decimal("100.00")
    listing = alice.get(LIST)
    assert (
        cell_text(listing, invoice) == f"Partially paid in QBO (balance {balance}) QBO invoice P-1"
    )
    other.refresh_from_db()
    assert other.status == InvoiceStatus.CLOSED
    assert cell_text(alice.get(page_of(other)), other) == "Paid in QBO QBO invoice P-2"


def test_a_total_qbos_own_sales_tax_made_stays_in_view_once_paid(
    alice,
    exported,
    qbo,
    connected,
):
    qbo.company.set_preferences(automated_sales_tax=True)
    [(invoice, qbo_id)] = exported("T-1")
    qbo_total = QboInvoiceLink.objects.get(invoice=invoice).qbo_total
    assert qbo_total != invoice.total  # the AST engine's rate is not our 8 %
    qbo.company.receive_payment(qbo_id)
    paid_status.sync_company(connected.realm_id, force=True)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CLOSED

    difference = f"QBO total {qbo_total:,.2f}, ours {invoice.total:,.2f}"
    listing = alice.get(LIST, {"show_closed": "on"})
    assert cell_text(listing, invoice) == f"Paid in QBO QBO invoice T-1 {difference}"
    page = alice.get(page_of(invoice))
    assert cell_text(page, invoice) == f"Paid in QBO QBO invoice T-1 {difference}"
    assert f"Total {invoice.total:,.2f} Total in QuickBooks {qbo_total:,.2f}" in text_of(page)


def test_closing_by_hand_an_invoice_open_in_qbo_says_so_and_what_to_do(
    alice,
    exported,
    django_capture_on_commit_callbacks,
):
    [(invoice, qbo_id)] = exported("H-1")
    response = alice.post(
        reverse("web:invoice-transition", args=[invoice.pk, "close"]),
        {"reason": "paid by cheque"},
        follow=True,
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CLOSED
    note = (
        "QuickBooks still shows QBO invoice H-1 open, with a balance of "
        f"{invoice.total:,.2f} when last read: record the payment in QuickBooks too, or the "
        "two stay apart."
    )
    page = text_of(response)
    assert f"Invoice H-1 is closed. {note}" in page  # the messages after closing
    assert f"Still open in QuickBooks {note}" in page  # and the timeline, for good
    assert cell_text(response, invoice) == f"Open in QBO QBO invoice H-1 {note}"

    with django_capture_on_commit_callbacks(execute=True):
        alice.post(RUN)
    report = ReconciliationReport.objects.get()
    assert [(row["kind"], row["qbo_numbers"]) for row in report.rows] == [
        (reconciliation.CLOSED_OPEN, ["H-1"])
    ]
    assert "Closed here, open in QBO (1)" in text_of(alice.get(RECONCILIATION))


def test_a_close_by_the_sync_has_nothing_to_warn_of(
    alice,
    exported,
    qbo,
    connected,
):
    [(invoice, qbo_id)] = exported("H-2")
    qbo.company.receive_payment(qbo_id)
    paid_status.sync_company(connected.realm_id, force=True)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CLOSED  # the sync closed it
    assert not invoice.timeline.filter(action="still open in QuickBooks").exists()


# ---- a QBO user's change ---------------------------------------------------------------------


def test_a_change_in_qbo_is_flagged_on_the_list_and_settled_by_keeping_it(
    alice,
    exported,
    qbo,
    connected,
):
    [(invoice, qbo_id)] = exported("D-1")
    qbo.company.edit_invoice(qbo_id, {"DocNumber": "D-1-QBO"})
    paid_status.sync_company(connected.realm_id, force=True)

    listing = alice.get(LIST)
    assert cell_text(listing, invoice).startswith("Changed in QBO QBO invoice D-1 ")
    assert f'<a class="export export-warning" href="{page_of(invoice)}">Changed in QBO</a>' in (
        listing.content.decode()
    )
    assert "Keep as is" not in cell_text(listing, invoice)  # decided on the invoice page only

    page = alice.get(page_of(invoice))
    html = page.content.decode()
    assert problems_in(html) == []
    assert cell_text(page, invoice) == (
        "Changed in QBO QBO invoice D-1 A QuickBooks user changed the QuickBooks invoice D-1. "
        "Export ours again to put Billbridge's version back, or keep it as it is. "
        "What differs in QuickBooks Field Ours In QBO Number D-1 D-1-QBO "
        "Export ours again Keep as is"
    )
    resolve = reverse("web:invoice-qbo-drift", args=[invoice.pk])
    assert html.count(f'formaction="{resolve}"') == 2

    batches = ExportBatch.objects.count()
    response = alice.post(resolve, {"decision": "keep"})
    assert response.status_code == 302 and response["Location"] == page_of(invoice)
    after = alice.get(page_of(invoice))
    assert "Invoice D-1 keeps the QuickBooks version as it is." in text_of(after)
    assert cell_text(after, invoice) == "Exported QBO invoice D-1"
    assert (
        "Kept the QuickBooks version Kept as a QuickBooks user left QBO invoice D-1 (changed "
        "there): Number D-1 here, D-1-QBO in QBO."
    ) in text_of(after)  # in the timeline, with who decided
    assert ExportBatch.objects.count() == batches  # nothing sent to QBO


def test_export_ours_again_puts_our_version_back(
    alice,
    exported,
    qbo,
    connected,
    django_capture_on_commit_callbacks,
):
    [(invoice, qbo_id)] = exported("D-2")
    qbo.company.edit_invoice(qbo_id, {"DocNumber": "D-2-QBO"})
    paid_status.sync_company(connected.realm_id, force=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(
            reverse("web:invoice-qbo-drift", args=[invoice.pk]), {"decision": "ours"}
        )
    batch = ExportBatch.objects.latest("id")
    assert response["Location"] == f"{page_of(invoice)}?batch={batch.pk}"
    followed = alice.get(response["Location"])
    assert "Invoice D-2 is being exported to QuickBooks again." in text_of(followed)
    assert cell_text(followed, invoice) == "Exported QBO invoice D-2"
    assert qbo.company.read("Invoice", qbo_id)["DocNumber"] == "D-2"


def test_a_decision_must_be_one_of_the_two(alice, exported):
    [(invoice, _)] = exported("D-3")
    response = alice.post(reverse("web:invoice-qbo-drift", args=[invoice.pk]), {"decision": "x"})
    assert response.status_code == 400
    assert "Choose Export ours again or Keep as is." in text_of(response)


def test_nothing_to_settle_is_refused(alice, exported):
    [(invoice, _)] = exported("D-4")
    response = alice.post(reverse("web:invoice-qbo-drift", args=[invoice.pk]), {"decision": "keep"})
    assert response.status_code == 409
    assert "Invoice D-4 has no change in QuickBooks to settle." in text_of(response)


# ---- Billing ▸ QuickBooks reconciliation -----------------------------------------------------


def test_the_reconciliation_runs_and_shows_its_findings_by_kind(
    alice,
    exported,
    qbo,
    connected,
    django_capture_on_commit_callbacks,
):
    (paid, paid_id), (gone, gone_id), _ = exported("R-1", "R-2", "R-3")
    qbo.company.receive_payment(paid_id)  # not synced: still open here
    qbo.company.delete_invoice(gone_id)

    before = alice.get(RECONCILIATION)
    assert "No reconciliation yet" in text_of(before)
    assert problems_in(before.content.decode()) == []
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(RUN)
    assert response.status_code == 302 and response["Location"] == RECONCILIATION

    page = alice.get(RECONCILIATION)
    html = page.content.decode()
    assert problems_in(html) == []
    assert "hx-trigger" not in html  # finished: nothing polls
    report = ReconciliationReport.objects.get()
    words = text_of(page)
    assert "The reconciliation is running: QuickBooks is being read." in words
    assert (
        f"3 exported invoices compared with {report.qbo_invoices} invoices in QuickBooks: "
        "2 findings."
    ) in words
    assert "Missing in QBO : 1 Paid in QBO, open here : 1" in words  # a link, then its count
    total = f"{gone.total:.2f}"
    # QBO invoices by their numbers (here QBO keeps ours), as the Billing list shows them.
    assert (
        f"Missing in QBO (1) Invoice QBO invoice Billbridge QBO Note "
        f"R-2 R-2 {total} — QuickBooks has no invoice {gone_id} any more."
    ) in words
    assert (
        f"Paid in QBO, open here (1) Invoice QBO invoice Billbridge QBO Note "
        f"R-1 R-1 {total} {total} Paid in full in QuickBooks; finalized here."
    ) in words
    assert f'<a href="{connected.url_of(paid_id)}" target="_blank" rel="noopener">R-1</a>' in html

    download = alice.get(RECONCILIATION, {"format": "csv"})
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"].startswith('attachment; filename="qbo-reconciliation-')
    assert list(csv.reader(io.StringIO(download.content.decode()))) == [
        [
            "Finding",
            "Invoice",
            "QBO invoice numbers",
            "QBO invoice Ids",
            "Billbridge amount",
            "QBO amount",
            "Note",
        ],
        [
            "Missing in QBO",
            "R-2",
            "R-2",
            gone_id,
            total,
            "",
            f"QuickBooks has no invoice {gone_id} any more.",
        ],
        [
            "Paid in QBO, open here",
            "R-1",
            "R-1",
            paid_id,
            total,
            total,
            "Paid in full in QuickBooks; finalized here.",
        ],
    ]


def test_a_running_reconciliation_is_followed_by_polling(
    alice,
    connected,
    admin_member,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as wake_ups:  # no worker yet
        alice.post(RUN)
    assert len(wake_ups) == 1
    page = alice.get(RECONCILIATION)
    html = page.content.decode()
    assert f'hx-get="{RECONCILIATION}" hx-trigger="every 1s" hx-swap="outerHTML"' in html
    assert "Reading the invoices in QuickBooks" in text_of(page)
    # Asking again while it runs queues nothing more.
    with django_capture_on_commit_callbacks() as again:
        alice.post(RUN)
    assert again == [] and ReconciliationReport.objects.count() == 1
    # htmx gets the report alone; a CSV is not made of a report still running.
    partial = alice.get(RECONCILIATION, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    assert 'id="reconciliation-report"' in partial.content.decode()
    assert "text/html" in alice.get(RECONCILIATION, {"format": "csv"})["Content-Type"]

    wake_ups[0]()  # the worker
    done = alice.get(RECONCILIATION, headers={"HX-Request": "true"})
    assert "everything matches" in text_of(done)
    assert "hx-trigger" not in done.content.decode()


def test_a_report_whose_worker_is_gone_stops_polling_and_is_run_afresh(
    alice,
    connected,
    practice,
    django_capture_on_commit_callbacks,
):
    lost = ReconciliationReport.objects.create(practice=practice, realm_id=connected.realm_id)
    ReconciliationReport.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - reconciliation.STALE_AFTER
    )
    page = alice.get(RECONCILIATION)
    assert "hx-trigger" not in page.content.decode()
    assert "no worker finished it. Run the reconciliation again." in text_of(page)
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(RUN)
    fresh = ReconciliationReport.objects.latest("id")
    assert fresh.pk != lost.pk and fresh.is_finished and fresh.error == ""


def test_a_cell_that_a_spreadsheet_would_run_is_written_as_text(alice, connected, practice):
    ReconciliationReport.objects.create(
        practice=practice,
        realm_id=connected.realm_id,
        finished_at=timezone.now(),
        rows=[
            {
                "kind": "amount",
                "number": "=HYPERLINK(1)",
                "invoice_id": None,
                "qbo_ids": ["5"],
                "qbo_numbers": ["=1+1"],  # a DocNumber a QBO user typed
                "ours": "-1.00",
                "qbo": "2.00",
                "note": "@note",
            }
        ],
    )
    rows = list(
        csv.reader(io.StringIO(alice.get(RECONCILIATION, {"format": "csv"}).content.decode()))
    )
    assert rows[1] == [
        "Amounts differ", "'=HYPERLINK(1)", "'=1+1", "5", "-1.00", "2.00", "'@note"
    ]  # fmt: skip


def test_the_reconciliation_needs_the_export_permission(browser_for, practice, connected):
    clerk = browser_for(testing.make_member(practice, "clerk", can_process_time=True))
    for response in (clerk.get(RECONCILIATION), clerk.post(RUN)):
        assert response.status_code == 403
        assert "Export to accounting software" in text_of(response)
    assert "QuickBooks reconciliation" not in text_of(clerk.get(LIST))
    assert not ReconciliationReport.objects.exists()


def test_without_a_connection_there_is_nothing_to_run(alice, admin_member):
    page = alice.get(RECONCILIATION)
    assert "Run reconciliation" not in text_of(page)
    assert "Connect QuickBooks Online in Settings ▸ Integrations" in text_of(page)
    assert alice.post(RUN).status_code == 409


# ---- the sync's health on the settings page --------------------------------------------------


def test_the_settings_page_shows_the_syncs_health(alice, connected, practice):
    now = timezone.now()
    QboConnection.objects.filter(pk=connected.pk).update(
        last_webhook_at=datetime(2026, 11, 25, 9, 30, 5, tzinfo=UTC),
        last_cdc_poll_at=datetime(2026, 11, 25, 9, 35, tzinfo=UTC),
        reads_month=now.strftime("%Y-%m"),
        reads_this_month=1234,
    )
    for n, processed in enumerate([None, None, now]):
        WebhookEvent.objects.create(
            dedupe_key=f"e{n}",
            realm_id=connected.realm_id,
            entity="Invoice",
            entity_id=str(n),
            operation="Update",
            processed_at=processed,
        )
    IgnoredWebhooks.objects.create(realm_id="999000", count=4)
    page = alice.get(SETTINGS_PAGE)
    assert problems_in(page.content.decode()) == []
    words = text_of(page)
    assert (
        "Last webhook received 2026-11-25 09:30:05 UTC Last check for changes 2026-11-25 09:35:00 "
        "UTC Events waiting 2 Read calls this month 1,234 of 500,000 (0.2 %)"
    ) in words
    assert "this company's: 1,234" in words
    assert "of this month's read calls are used" not in words
    assert "999000" not in words  # staff only


def test_reads_past_80_percent_warn_and_staff_see_ignored_events(
    alice,
    connected,
    admin_member,
    practice,
):
    month = timezone.now().strftime("%Y-%m")
    QboConnection.objects.filter(pk=connected.pk).update(
        reads_month=month, reads_this_month=390_000
    )
    elsewhere = testing.make_practice("Elsewhere LLP")
    QboConnection.objects.create(
        practice=elsewhere, realm_id="777", reads_month=month, reads_this_month=10_000
    )
    QboConnection.objects.create(  # last month's count is not this month's
        practice=testing.make_practice("Old LLP"),
        realm_id="778",
        reads_month="2001-01",
        reads_this_month=99_999,
    )
    IgnoredWebhooks.objects.create(realm_id="999000", count=4)
    admin_member.user.is_staff = True
    admin_member.user.save(update_fields=["is_staff"])
    words = text_of(alice.get(SETTINGS_PAGE))
    assert "80.0 % of this month's read calls are used." in words
    assert "Read calls this month 400,000 of 500,000 (80.0 %)" in words
    assert "this company's: 390,000" in words
    assert "Events for companies no practice is connected to Company (realm) Id Events ignored" in (
        words
    )
    assert "999000 4" in words
