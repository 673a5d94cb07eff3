"""The QuickBooks Export column: what each invoice's cell says, from its export rows, its QBO
link (what the paid-status sync read there, and a QBO user's changes), its checks and the
connection, and what a page of cells costs in queries."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from billbridge.core import testing
from billbridge.quickbooks.column import (
    CONFIRM_REPLACEMENT,
    NOT_EXPORTED,
    RESOLVE_DRIFT,
    Difference,
    ExportCell,
    Finding,
    TotalDifference,
    cells_for,
)
from billbridge.quickbooks.models import (
    ConnectionStatus,
    ExportBatch,
    ExportCheck,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboInvoiceLink,
)

REALM = "9130350000000001"
APP = "http://qbo.test/ui"


@pytest.fixture(autouse=True)
def qbo_app(settings):
    settings.QBO_ENVIRONMENT = "emulator"
    settings.QBO_APP_URL = APP


@pytest.fixture
def connection(practice):
    return QboConnection.objects.create(practice=practice, realm_id=REALM)


@pytest.fixture
def invoice(admin_member, client_a):
    return testing.make_invoice(admin_member, client_a, "finalized", number="INV-7")


def export_row(invoice, state, *, version=None, at=None, **outcome) -> InvoiceExport:
    finished = state in (
        ExportState.EXPORTED,
        ExportState.FAILED,
        ExportState.NEEDS_REVIEW,
        ExportState.DELETED_IN_QBO,
    )
    at = at or timezone.now()
    return InvoiceExport.objects.create(
        invoice=invoice,
        invoice_version=version or invoice.version,
        practice_id=invoice.practice_id,
        realm_id=REALM,
        state=state,
        request_id=uuid.uuid4().hex,
        next_attempt_at=at,
        finished_at=at if finished else None,
        **outcome,
    )


def link(
    invoice, *, state=QboInvoiceLink.State.IN_QBO, content_version=None, qbo_id="145", **read
) -> QboInvoiceLink:
    """The invoice's QBO twin; `read` sets what the sync saw there (qbo_balance, drift...)."""
    return QboInvoiceLink.objects.create(
        invoice=invoice,
        realm_id=REALM,
        qbo_invoice_id=qbo_id,
        sync_token="0",
        doc_number="INV-7",
        state=state,
        exported_version=invoice.version,
        exported_content_version=content_version or invoice.content_version,
        exported_total=invoice.total,
        qbo_total=invoice.total,
        **read,
    )


def check(invoice, *, ok, findings, at=None) -> ExportCheck:
    batch = ExportBatch.objects.create(practice_id=invoice.practice_id, kind="check")
    made = ExportCheck.objects.create(
        batch=batch, invoice=invoice, invoice_version=invoice.version, ok=ok, findings=findings
    )
    if at is not None:
        ExportCheck.objects.filter(pk=made.pk).update(at=at)
        made.refresh_from_db()
    return made


def cell_of(invoice) -> ExportCell:
    return cells_for([invoice])[invoice.pk]


def test_an_invoice_never_exported_is_not_exported(connection, invoice):
    assert cell_of(invoice) == NOT_EXPORTED == ExportCell("Not exported", "muted")


def test_no_invoices_cost_no_queries(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert cells_for([]) == {}


def test_a_queued_export_is_queued(connection, invoice):
    export_row(invoice, ExportState.QUEUED)
    assert cell_of(invoice) == ExportCell("Queued", "busy")


@pytest.mark.parametrize(
    "status", [ConnectionStatus.RECONNECT, None], ids=["reconnect", "disconnected"]
)
def test_a_queued_export_says_it_waits_for_the_connection(practice, invoice, status):
    if status:
        QboConnection.objects.create(practice=practice, realm_id=REALM, status=status)
    export_row(invoice, ExportState.QUEUED)
    assert cell_of(invoice) == ExportCell(
        "Queued",
        "warning",
        detail="Paused: reconnect QuickBooks.",
        advice="It is sent once QuickBooks Online is connected again.",
    )


@pytest.mark.parametrize(
    "state, label",
    [(ExportState.SENDING, "Exporting"), (ExportState.UNKNOWN, "Exporting (checking QuickBooks)")],
)
def test_a_row_being_sent_is_exporting(connection, invoice, state, label):
    export_row(invoice, state)
    assert cell_of(invoice) == ExportCell(label, "busy")
    assert cell_of(invoice).in_progress


def test_an_exported_invoice_shows_its_qbo_number_and_link(connection, invoice):
    export_row(invoice, ExportState.EXPORTED)
    link(invoice)
    assert cell_of(invoice) == ExportCell(
        "Exported", "ok", url=f"{APP}/{REALM}#invoice-145", number="INV-7"
    )


def test_an_export_with_a_warning_shows_it(connection, invoice):
    warning = "QuickBooks calculated 41.25 of sales tax; the invoice has 40.00."
    export_row(invoice, ExportState.EXPORTED, warning=warning)
    link(invoice)
    assert cell_of(invoice) == ExportCell(
        "Warning", "warning", detail=warning, url=f"{APP}/{REALM}#invoice-145", number="INV-7"
    )


def test_an_error_shows_the_code_the_words_and_what_to_do(connection, invoice):
    export_row(
        invoice,
        ExportState.FAILED,
        error_code="6000",
        message="QuickBooks has no sales tax set up.",
        advice="Set up sales tax in QuickBooks, then export again.",
    )
    assert cell_of(invoice) == ExportCell(
        "Error",
        "error",
        detail="QuickBooks has no sales tax set up.",
        code="6000",
        advice="Set up sales tax in QuickBooks, then export again.",
    )


def test_a_row_needing_review_says_so(connection, invoice):
    export_row(
        invoice,
        ExportState.NEEDS_REVIEW,
        message="QuickBooks did not say whether it saved the invoice.",
        advice="Look for it in QuickBooks.",
    )
    assert cell_of(invoice) == ExportCell(
        "Needs review",
        "warning",
        detail="QuickBooks did not say whether it saved the invoice.",
        advice="Look for it in QuickBooks.",
    )


def test_a_change_after_the_export_is_changed_since_export(connection, invoice):
    export_row(invoice, ExportState.EXPORTED)
    link(invoice, content_version=invoice.content_version + 1)
    assert cell_of(invoice) == ExportCell(
        "Changed since export",
        "warning",
        detail="QuickBooks invoice INV-7 shows the invoice as it was exported.",
        advice="Export it again to update the QuickBooks invoice.",
        url=f"{APP}/{REALM}#invoice-145",
        number="INV-7",
    )


def test_a_reverted_invoice_was_removed_from_qbo(connection, invoice):
    export_row(invoice, ExportState.EXPORTED)
    link(invoice, state=QboInvoiceLink.State.REMOVED)
    assert cell_of(invoice) == ExportCell(
        "Removed from QBO",
        "muted",
        detail="Reverted to draft: the QuickBooks invoice was removed.",
        advice="Export it again once it is finalized.",
    )


def test_an_invoice_deleted_in_qbo_offers_a_new_one(connection, invoice):
    export_row(invoice, ExportState.EXPORTED)
    link(invoice, state=QboInvoiceLink.State.DELETED_IN_QBO)
    cell = cell_of(invoice)
    assert cell == ExportCell(
        "Removed from QBO",
        "warning",
        detail="QuickBooks invoice INV-7 was deleted in QuickBooks.",
        advice="Create a new QBO invoice if it should be in QuickBooks again.",
        action=CONFIRM_REPLACEMENT,
    )


def test_a_row_waiting_for_confirmation_offers_a_new_one(connection, invoice):
    export_row(
        invoice,
        ExportState.DELETED_IN_QBO,
        message="QuickBooks invoice 145 was deleted in QuickBooks.",
    )
    assert cell_of(invoice).label == "Removed from QBO"
    assert cell_of(invoice).action == CONFIRM_REPLACEMENT
    assert cell_of(invoice).detail == "QuickBooks invoice 145 was deleted in QuickBooks."


def test_a_check_newer_than_the_export_shows_its_findings(connection, invoice):
    export_row(invoice, ExportState.FAILED, at=timezone.now() - datetime.timedelta(hours=1))
    check(
        invoice,
        ok=False,
        findings=[
            {"tone": "ok", "text": "Customer Acme Widgets matches."},
            {"tone": "error", "text": "Tax rate 8.875 % has no QuickBooks tax code."},
        ],
    )
    assert cell_of(invoice) == ExportCell(
        "Checked: problems",
        "error",
        findings=(
            Finding("ok", "Customer Acme Widgets matches."),
            Finding("error", "Tax rate 8.875 % has no QuickBooks tax code."),
        ),
    )


def test_a_ready_check_of_a_new_invoice(connection, invoice):
    check(invoice, ok=True, findings=[{"tone": "ok", "text": "Ready to export."}])
    assert cell_of(invoice) == ExportCell(
        "Checked: ready", "ok", findings=(Finding("ok", "Ready to export."),)
    )


def test_an_export_after_the_check_wins(connection, invoice):
    check(
        invoice,
        ok=True,
        findings=[{"tone": "ok", "text": "Ready to export."}],
        at=timezone.now() - datetime.timedelta(minutes=5),
    )
    export_row(invoice, ExportState.EXPORTED)
    link(invoice)
    assert cell_of(invoice).label == "Exported"


def test_a_running_export_wins_over_a_newer_check(connection, invoice):
    export_row(invoice, ExportState.SENDING, at=timezone.now() - datetime.timedelta(minutes=5))
    check(invoice, ok=True, findings=[])
    assert cell_of(invoice).label == "Exporting"


def test_a_check_of_an_earlier_version_is_not_shown(connection, admin_member, invoice):
    check(invoice, ok=True, findings=[{"tone": "ok", "text": "Ready to export."}])
    invoice.version += 1
    invoice.save(update_fields=["version"])
    assert cell_of(invoice) == NOT_EXPORTED


def test_the_newest_row_of_each_invoice_counts(connection, invoice):
    export_row(invoice, ExportState.EXPORTED, version=1)
    export_row(invoice, ExportState.FAILED, message="Refused.")
    assert cell_of(invoice).label == "Error"


@pytest.mark.parametrize("count", [5, 50])
def test_a_page_of_cells_costs_five_queries_whatever_its_length(
    connection, admin_member, client_a, django_assert_num_queries, count
):
    invoices = [
        testing.make_invoice(admin_member, client_a, "finalized", number=f"P-{n}")
        for n in range(count)
    ]
    for position, invoice in enumerate(invoices):
        if position % 3 == 0:
            export_row(invoice, ExportState.EXPORTED)
            link(invoice, qbo_id=str(1000 + position))
        elif position % 3 == 1:
            check(invoice, ok=True, findings=[])
    # The connection, the links, the newest rows, the newest checks, the newest PDF rows.
    with django_assert_num_queries(5):
        cells = cells_for(invoices)
    assert [cells[invoice.pk].label for invoice in invoices[:3]] == [
        "Exported",
        "Checked: ready",
        "Not exported",
    ]
    with django_assert_num_queries(4):
        cells_for(invoices, connection=connection)


# ---- what the paid-status sync read in QBO ---------------------------------------------------

TWIN = {"url": f"{APP}/{REALM}#invoice-145", "number": "INV-7"}
CHANGED = {
    "kind": "changed",
    "seen_at": "2026-11-26T03:00:00+00:00",
    "differences": [
        {"field": "Total", "ours": "108.00", "qbo": "120.00"},
        {"field": "Customer", "ours": "58", "qbo": "Birch & Sons"},
    ],
}


def test_a_partly_paid_invoice_shows_its_balance(connection, invoice):
    assert invoice.total == Decimal("650.00")
    export_row(invoice, ExportState.EXPORTED)
    link(invoice, qbo_balance=Decimal("25.5"))
    assert cell_of(invoice) == ExportCell("Partially paid in QBO (balance 25.50)", "ok", **TWIN)


@pytest.mark.parametrize("balance", [None, Decimal("650.00")], ids=["never read", "unpaid"])
def test_an_unpaid_invoice_is_exported(connection, invoice, balance):
    export_row(invoice, ExportState.EXPORTED)
    link(invoice, qbo_balance=balance)
    assert cell_of(invoice) == ExportCell("Exported", "ok", **TWIN)


def test_an_invoice_the_sync_closed_is_paid_in_qbo(connection, admin_member, client_a):
    closed = testing.make_invoice(admin_member, client_a, "closed", number="INV-7")
    export_row(closed, ExportState.EXPORTED)
    link(closed, qbo_balance=Decimal("0.00"), closed_by_sync=True)
    assert cell_of(closed) == ExportCell("Paid in QBO", "ok", **TWIN)


def test_an_invoice_reopened_after_the_sync_closed_it_is_not_paid(connection, invoice):
    """The flag alone is not enough: the invoice must still be Closed here."""
    export_row(invoice, ExportState.EXPORTED)
    link(invoice, qbo_balance=Decimal("650.00"), closed_by_sync=True)
    assert cell_of(invoice).label == "Exported"


def test_an_invoice_changed_in_qbo_shows_what_differs_and_offers_the_choice(connection, invoice):
    export_row(invoice, ExportState.EXPORTED)
    link(invoice, drift=CHANGED)
    assert cell_of(invoice) == ExportCell(
        "Changed in QBO",
        "warning",
        detail="A QuickBooks user changed the QuickBooks invoice INV-7.",
        advice="Export ours again to put Billbridge's version back, or keep it as it is.",
        action=RESOLVE_DRIFT,
        differences=(
            Difference("Total", "108.00", "120.00"),
            Difference("Customer", "58", "Birch & Sons"),
        ),
        **TWIN,
    )


@pytest.mark.parametrize(
    "kind, detail, url",
    [
        ("voided", "A QuickBooks user voided the QuickBooks invoice INV-7.", TWIN["url"]),
        ("deleted", "A QuickBooks user deleted the QuickBooks invoice INV-7.", ""),
    ],
)
def test_an_invoice_voided_or_deleted_in_qbo_is_changed_in_qbo(
    connection, invoice, kind, detail, url
):
    export_row(invoice, ExportState.EXPORTED)
    status = [{"field": "Status", "ours": "Open", "qbo": kind.title()}]
    link(
        invoice, drift={"kind": kind, "seen_at": "2026-11-26T03:00:00+00:00", "differences": status}
    )
    cell = cell_of(invoice)
    assert (cell.label, cell.detail, cell.url, cell.action) == (
        "Changed in QBO",
        detail,
        url,
        RESOLVE_DRIFT,
    )
    assert cell.differences == (Difference("Status", "Open", kind.title()),)


def test_a_drift_wins_over_a_newer_check(connection, invoice):
    export_row(invoice, ExportState.EXPORTED, at=timezone.now() - datetime.timedelta(hours=1))
    link(invoice, drift=CHANGED)
    check(invoice, ok=True, findings=[{"tone": "ok", "text": "Ready to export."}])
    assert cell_of(invoice).label == "Changed in QBO"


def test_an_export_under_way_wins_over_a_drift(connection, invoice):
    export_row(invoice, ExportState.QUEUED)
    link(invoice, drift=CHANGED)
    assert cell_of(invoice) == ExportCell("Queued", "busy")


def test_a_drift_kept_as_is_is_settled(connection, invoice):
    """Keep as is leaves only what was accepted (services.resolve_drift), without a kind."""
    export_row(invoice, ExportState.EXPORTED)
    link(invoice, drift={"accepted": {"total": "120.00", "customer": "58", "number": "INV-7"}})
    assert cell_of(invoice) == ExportCell("Exported", "ok", **TWIN)


# ---- what stays visible: the QBO invoice beside a check, a difference in totals, an invoice
# closed here that QBO still shows open --------------------------------------------------------

READY = [{"tone": "ok", "text": "Tax: 8% matches QBO tax code 'California'"}]


def test_a_check_of_an_exported_invoice_keeps_its_qbo_invoice_in_view(connection, invoice):
    export_row(invoice, ExportState.EXPORTED, at=timezone.now() - datetime.timedelta(hours=1))
    link(invoice)
    check(invoice, ok=True, findings=READY)
    assert cell_of(invoice) == ExportCell(
        "Exported",
        "ok",
        check_label="Checked: ready",
        check_tone="ok",
        findings=(Finding("ok", READY[0]["text"]),),
        **TWIN,
    )


def test_a_check_with_problems_keeps_a_partial_payment_in_view(connection, invoice):
    export_row(invoice, ExportState.EXPORTED, at=timezone.now() - datetime.timedelta(hours=1))
    link(invoice, qbo_balance=Decimal("25.50"))
    check(invoice, ok=False, findings=[{"tone": "error", "text": "No sales tax set up."}])
    cell = cell_of(invoice)
    assert (cell.label, cell.number, cell.check_label, cell.check_tone) == (
        "Partially paid in QBO (balance 25.50)",
        "INV-7",
        "Checked: problems",
        "error",
    )


def ast_link(invoice, **read) -> QboInvoiceLink:
    """QBO's automated sales tax chose its own rate: its total is not ours."""
    made = link(invoice, **read)
    made.qbo_total = invoice.total - Decimal("202.80")
    made.save()
    return made


def test_a_total_qbo_calculated_differently_stays_in_view_once_paid(
    connection, admin_member, client_a
):
    closed = testing.make_invoice(admin_member, client_a, "closed", number="INV-7")
    export_row(closed, ExportState.EXPORTED, warning="QuickBooks calculated tax 5.00 (…).")
    ast_link(closed, qbo_balance=Decimal("0.00"), closed_by_sync=True)
    assert cell_of(closed) == ExportCell(
        "Paid in QBO",
        "ok",
        total_difference=TotalDifference(ours=closed.total, qbo=closed.total - Decimal("202.80")),
        **TWIN,
    )


def test_a_total_difference_is_shown_beside_the_export_warning(connection, invoice):
    export_row(invoice, ExportState.EXPORTED, warning="QuickBooks calculated tax 5.00 (…).")
    ast_link(invoice)
    cell = cell_of(invoice)
    assert (cell.label, cell.total_difference) == (
        "Warning",
        TotalDifference(ours=Decimal("650.00"), qbo=Decimal("447.20")),
    )


def test_an_invoice_changed_since_its_export_shows_no_total_difference(connection, invoice):
    export_row(invoice, ExportState.EXPORTED)
    ast_link(invoice, content_version=invoice.content_version + 1)
    assert cell_of(invoice).total_difference is None


def test_an_invoice_closed_here_but_open_in_qbo_says_so(connection, admin_member, client_a):
    closed = testing.make_invoice(admin_member, client_a, "closed", number="INV-7")
    export_row(closed, ExportState.EXPORTED)
    link(closed, qbo_balance=Decimal("650.00"))
    assert cell_of(closed) == ExportCell(
        "Open in QBO",
        "warning",
        detail=(
            "QuickBooks still shows QBO invoice INV-7 open, with a balance of 650.00 when "
            "last read: record the payment in QuickBooks too, or the two stay apart."
        ),
        **TWIN,
    )
