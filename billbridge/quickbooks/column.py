"""What the QuickBooks Export column shows for each invoice.

The Billing list, the invoice page and the export progress partial all render
web/_qbo_export_cell.html with an ExportCell from `cells_for`. It takes a whole page of invoices
at once, so that the page costs the same few queries however many rows it shows: the QBO links,
the newest export row and the newest check of each invoice, and the practice's connection. A
credit note's cell names its QBO credit memo and says what became of its application to the
invoice ("Exported as credit memo 123; applied to INV-7"), from its QboCreditApplication row.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Max

from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.quickbooks import credit_application
from billbridge.quickbooks.attachments import warning_of
from billbridge.quickbooks.export.rows import noun_of
from billbridge.quickbooks.models import (
    ExportCheck,
    ExportState,
    InvoiceExport,
    QboAttachment,
    QboConnection,
    QboCreditApplication,
    QboInvoiceLink,
)
from billbridge.quickbooks.services import open_in_qbo_note, qbo_invoice_url

# The actions a cell offers. The QBO invoice was deleted there, and only the user may decide
# that a new one should replace it (a second invoice in their books otherwise surprises them).
CONFIRM_REPLACEMENT = "confirm_replacement"
# A QBO user changed, voided or deleted the QBO invoice: the user exports ours again or keeps
# QBO's version; nothing is overwritten until they say which.
RESOLVE_DRIFT = "resolve_drift"

DRIFT_DETAIL = {
    "changed": "A QuickBooks user changed the QuickBooks {noun} {number}.",
    "voided": "A QuickBooks user voided the QuickBooks {noun} {number}.",
    "deleted": "A QuickBooks user deleted the QuickBooks {noun} {number}.",
}


@dataclass(frozen=True)
class Finding:
    tone: str  # ok, warning or error
    text: str


@dataclass(frozen=True)
class Difference:
    field: str  # Total, Customer, Lines, Number or Status
    ours: str
    qbo: str


@dataclass(frozen=True)
class TotalDifference:
    """QBO's total is not the one we exported (its automated sales tax chose its own rate):
    shown for as long as the invoice lives, paid or not, since nothing else records it."""

    ours: Decimal
    qbo: Decimal


@dataclass(frozen=True)
class ExportCell:
    label: str
    tone: str = "muted"  # muted, busy, ok, warning or error: the CSS class of the cell
    detail: str = ""
    code: str = ""  # Intuit's error code, when QBO refused
    advice: str = ""  # what to do next
    url: str = ""  # the invoice in QBO
    number: str = ""  # the QBO invoice's number (DocNumber), or its Id when it has none
    noun: str = "invoice"  # what QBO holds: "invoice", or a credit note's "credit memo"
    action: str = ""  # CONFIRM_REPLACEMENT, RESOLVE_DRIFT, or nothing
    findings: tuple[Finding, ...] = ()  # a check's findings
    # A check shown beside the export state it does not replace ("Checked: ready").
    check_label: str = ""
    check_tone: str = ""
    differences: tuple[Difference, ...] = ()  # what a QBO user changed (drift)
    total_difference: TotalDifference | None = None

    @property
    def in_progress(self) -> bool:
        return self.tone == "busy"


NOT_EXPORTED = ExportCell("Not exported")

# When the caller has no connection at hand, cells_for reads it.
_READ_IT = object()


def _newest_per_invoice(model, invoice_ids: list[int]):
    """The newest row of `model` for each invoice, in one query (a subquery picks the ids)."""
    newest_ids = (
        model.objects.filter(invoice_id__in=invoice_ids)
        .values("invoice_id")
        .annotate(newest=Max("id"))
        .values("newest")
    )
    return {row.invoice_id: row for row in model.objects.filter(id__in=newest_ids)}


def _twin(link: QboInvoiceLink) -> tuple[str, str]:
    """The QBO invoice's number as the cell names it, and its address in QBO."""
    url = qbo_invoice_url(link.realm_id, link.qbo_invoice_id, link.entity)
    return link.doc_number or link.qbo_invoice_id, url


def _drifted(invoice: Invoice, link: QboInvoiceLink) -> ExportCell:
    number, url = _twin(link)
    kind = link.drift.get("kind", "changed")
    return ExportCell(
        "Changed in QBO",
        "warning",
        detail=DRIFT_DETAIL.get(kind, DRIFT_DETAIL["changed"]).format(
            noun=noun_of(invoice), number=number
        ),
        advice="Export ours again to put Billbridge's version back, or keep it as it is.",
        url="" if kind == "deleted" else url,
        number=number,
        action=RESOLVE_DRIFT,
        differences=tuple(
            Difference(item["field"], item["ours"], item["qbo"])
            for item in link.drift.get("differences", [])
        ),
    )


def _paid(link: QboInvoiceLink, invoice: Invoice) -> ExportCell | None:
    """What QBO's payments say, once the sync has read them: paid in full (and closed here
    by the sync), or partly; or nothing paid there on an invoice a person closed here."""
    number, url = _twin(link)
    if invoice.status == InvoiceStatus.CLOSED:
        if link.closed_by_sync:
            return ExportCell("Paid in QBO", "ok", url=url, number=number)
        if note := open_in_qbo_note(link):
            return ExportCell("Open in QBO", "warning", detail=note, url=url, number=number)
    balance = link.qbo_balance
    if balance is not None and 0 < balance < link.qbo_total:
        return ExportCell(
            f"Partially paid in QBO (balance {balance:.2f})", "ok", url=url, number=number
        )
    return None


def _exported(invoice: Invoice, row: InvoiceExport | None, link: QboInvoiceLink | None):
    """The cell of an invoice whose latest export went through, or that has a QBO twin, with
    QBO's total when it is not ours."""
    cell = _exported_state(invoice, row, link)
    if (
        link is not None
        and link.state == QboInvoiceLink.State.IN_QBO
        and link.exported_content_version == invoice.content_version
        and link.qbo_total != link.exported_total
    ):
        return replace(cell, total_difference=TotalDifference(link.exported_total, link.qbo_total))
    return cell


def _exported_state(invoice: Invoice, row: InvoiceExport | None, link: QboInvoiceLink | None):
    number = url = ""
    noun = noun_of(invoice)
    if link is not None:
        number, url = _twin(link)
    if link is not None and link.state == QboInvoiceLink.State.REMOVED:
        return ExportCell(
            "Removed from QBO",
            "muted",
            detail="Reverted to draft: the QuickBooks invoice was removed.",
            advice="Export it again once it is finalized.",
        )
    if link is not None and link.state == QboInvoiceLink.State.DELETED_IN_QBO:
        return ExportCell(
            "Removed from QBO",
            "warning",
            detail=f"QuickBooks {noun} {number} was deleted in QuickBooks.",
            advice="Create a new QBO invoice if it should be in QuickBooks again.",
            action=CONFIRM_REPLACEMENT,
        )
    # A credit memo's open amount is credit not yet spent, never a payment.
    paid = _paid(link, invoice) if link is not None and not invoice.is_credit else None
    if paid is not None:
        return paid
    if link is not None and link.exported_content_version != invoice.content_version:
        return ExportCell(
            "Changed since export",
            "warning",
            detail=f"QuickBooks {noun} {number} shows the {invoice.get_kind_display().lower()} "
            "as it was exported.",
            advice="Export it again to update the QuickBooks invoice.",
            url=url,
            number=number,
        )
    if row is not None and row.warning:
        return ExportCell("Warning", "warning", detail=row.warning, url=url, number=number)
    return ExportCell("Exported", "ok", url=url, number=number)


def _finished(invoice: Invoice, row: InvoiceExport, link: QboInvoiceLink | None) -> ExportCell:
    if row.state == ExportState.EXPORTED:
        return _exported(invoice, row, link)
    if row.state == ExportState.DELETED_IN_QBO:
        return ExportCell(
            "Removed from QBO",
            "warning",
            detail=row.message or "The QuickBooks invoice was deleted in QuickBooks.",
            advice=row.advice or "Create a new QBO invoice if it should be in QuickBooks again.",
            action=CONFIRM_REPLACEMENT,
        )
    label, tone = {
        ExportState.FAILED: ("Error", "error"),
        ExportState.NEEDS_REVIEW: ("Needs review", "warning"),
    }[row.state]
    return ExportCell(label, tone, detail=row.message, code=row.error_code, advice=row.advice)


def _in_progress(row: InvoiceExport, connection: QboConnection | None) -> ExportCell:
    if row.state != ExportState.QUEUED:
        return ExportCell(row.get_state_display(), "busy")
    if connection is None or not connection.is_connected:
        return ExportCell(
            "Queued",
            "warning",
            detail="Paused: reconnect QuickBooks.",
            advice="It is sent once QuickBooks Online is connected again.",
        )
    return ExportCell("Queued automatically" if row.automatic else "Queued", "busy")


def _with_pdf_warning(cell: ExportCell, warning: str) -> ExportCell:
    """The invoice is in QuickBooks, its PDF not (yet) on it: said beside what the cell says."""
    if not warning or cell.label not in ("Exported", "Warning"):
        return cell
    detail = f"{cell.detail} {warning}" if cell.detail else warning
    return replace(cell, label="Warning", tone="warning", detail=detail)


def _with_check(cell: ExportCell, check: ExportCheck) -> ExportCell:
    label, tone = ("Checked: ready", "ok") if check.ok else ("Checked: problems", "error")
    findings = tuple(Finding(item["tone"], item["text"]) for item in check.findings)
    if cell is NOT_EXPORTED or cell.tone == "error":
        # Nothing in QuickBooks to keep in view: the check is the newer answer to "will it go?"
        return ExportCell(label, tone, findings=findings)
    # What QuickBooks holds (its number, link, balance, a warning) stays in view: a check is
    # news beside the export state, not in its place.
    return replace(cell, check_label=label, check_tone=tone, findings=findings)


def _cell(invoice, row, check, link, connection, attachment=None) -> ExportCell:
    cell = _with_pdf_warning(
        _export_cell(invoice, row, check, link, connection), warning_of(attachment)
    )
    return replace(cell, noun=noun_of(invoice)) if cell.number else cell


def _with_application(
    cell: ExportCell,
    link: QboInvoiceLink | None,
    application: QboCreditApplication | None,
    invoice_number: str,
) -> ExportCell:
    """A credit note whose credit memo QBO holds: what became of its application to the
    invoice, said beside what the cell says."""
    if link is None or link.state != QboInvoiceLink.State.IN_QBO or not cell.number:
        return cell
    if cell.label not in ("Exported", "Warning"):
        return cell
    words, tone = credit_application.words_of(application, invoice_number)
    said = f"Exported as credit memo {cell.number}{'; ' + words if words else ''}."
    detail = f"{said} {cell.detail}" if cell.detail else said
    if tone == "warning":
        return replace(cell, label="Warning", tone="warning", detail=detail)
    if tone == "busy" and cell.tone == "ok":
        return replace(cell, tone="busy", detail=detail)
    return replace(cell, detail=detail)


def _export_cell(invoice, row, check, link, connection) -> ExportCell:
    if row is not None and not row.is_finished:
        return _in_progress(row, connection)
    # Until the user decides, a QBO user's change is the news, whatever came before it.
    # (A drift the user kept holds only what they accepted, and no kind: settled.)
    if link is not None and "kind" in link.drift and link.state != QboInvoiceLink.State.REMOVED:
        return _drifted(invoice, link)
    if row is not None:
        cell = _finished(invoice, row, link)
    elif link is not None:
        cell = _exported(invoice, None, link)
    else:
        cell = NOT_EXPORTED
    # A check made after the last export (and of the invoice as it is now) is the newer news.
    if (
        check is not None
        and check.invoice_version == invoice.version
        and (row is None or check.at > (row.finished_at or row.created_at))
    ):
        return _with_check(cell, check)
    return cell


def cells_for(
    invoices: Iterable[Invoice], *, connection: QboConnection | None = _READ_IT
) -> dict[int, ExportCell]:
    """Each invoice's cell, keyed by its id. All invoices are of one practice; pass its
    connection (or None) when the caller has already read it, to spare the query."""
    invoices: Sequence[Invoice] = list(invoices)
    if not invoices:
        return {}
    ids = [invoice.pk for invoice in invoices]
    if connection is _READ_IT:
        connection = QboConnection.objects.filter(practice_id=invoices[0].practice_id).first()
    links = {link.invoice_id: link for link in QboInvoiceLink.objects.filter(invoice_id__in=ids)}
    rows = _newest_per_invoice(InvoiceExport, ids)
    checks = _newest_per_invoice(ExportCheck, ids)
    pdfs = _newest_per_invoice(QboAttachment, ids)
    cells = {
        invoice.pk: _cell(
            invoice,
            rows.get(invoice.pk),
            checks.get(invoice.pk),
            links.get(invoice.pk),
            connection,
            pdfs.get(invoice.pk),
        )
        for invoice in invoices
    }
    notes = [invoice for invoice in invoices if invoice.is_credit]
    if notes:
        applications = {
            app.credit_note_id: app
            for app in QboCreditApplication.objects.filter(credit_note__in=notes)
        }
        numbers = dict(
            Invoice.objects.filter(pk__in={note.credited_invoice_id for note in notes}).values_list(
                "pk", "number"
            )
        )
        for note in notes:
            cells[note.pk] = _with_application(
                cells[note.pk],
                links.get(note.pk),
                applications.get(note.pk),
                numbers.get(note.credited_invoice_id, ""),
            )
    return cells
