"""Exports to QuickBooks Online, and checks before them: asking for one answers at once with a
batch, which the caller polls until `progress.finished`. The work happens in the worker; the
rules (the Export permission, a connected company, finalized invoices only) are
billbridge.quickbooks.services'; this module only translates."""

from dataclasses import asdict

from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError

from billbridge.api.errors import error_responses
from billbridge.api.export_schemas import ExportBatchOut, ExportIn
from billbridge.invoicing.models import Invoice
from billbridge.quickbooks import services
from billbridge.quickbooks.column import ExportCell, cells_for
from billbridge.quickbooks.models import ExportBatch, QboInvoiceLink

router = Router(tags=["exports"])

START_ERRORS = error_responses(400, 401, 403, 409, 413, 422)
POLL = "Poll `GET /api/v1/exports/{id}` until `progress.finished`."


def _outcomes(batch: ExportBatch) -> list[tuple[Invoice, str, str, list[dict]]]:
    """(invoice, state, warning, findings) of each invoice the batch took on, so far."""
    if batch.kind == ExportBatch.Kind.EXPORT:
        rows = batch.exports.select_related("invoice").order_by("id")
        return [(row.invoice, row.state, row.warning, []) for row in rows]
    checks = batch.checks.select_related("invoice").order_by("id")
    return [
        (check.invoice, "ready" if check.ok else "problems", "", check.findings) for check in checks
    ]


def _invoice_out(
    invoice: Invoice, state: str, warning: str, findings: list[dict], cell: ExportCell, qbo_id: str
) -> dict:
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "state": state,
        "label": cell.label,
        "code": cell.code,
        "message": cell.detail,
        "advice": cell.advice,
        "warning": warning,
        "qbo_invoice_id": qbo_id,
        "qbo_number": cell.number,
        "qbo_url": cell.url,
        "findings": [
            {"tone": f["tone"], "text": f["text"], "advice": f.get("advice", "")} for f in findings
        ],
    }


def _batch_out(batch: ExportBatch) -> dict:
    outcomes = _outcomes(batch)
    invoices = [invoice for invoice, *_ in outcomes]
    cells = cells_for(invoices)
    in_qbo = dict(
        QboInvoiceLink.objects.filter(
            invoice__in=invoices, state=QboInvoiceLink.State.IN_QBO
        ).values_list("invoice_id", "qbo_invoice_id")
    )
    progress = services.batch_progress(batch)
    return {
        "id": batch.pk,
        "kind": batch.kind,
        "created_at": batch.created_at,
        "progress": {
            **asdict(progress),
            "finished": progress.finished,
            "summary": progress.summary(),
        },
        "refused": batch.refused,
        "invoices": [
            _invoice_out(
                invoice, state, warning, findings, cells[invoice.pk], in_qbo.get(invoice.pk, "")
            )
            for invoice, state, warning, findings in outcomes
        ],
    }


@router.post(
    "/invoices/export",
    response={202: ExportBatchOut, **START_ERRORS},
    summary="Export invoices to QuickBooks Online",
    description="Needs the Export to accounting software permission and a connected "
    "QuickBooks Online company (409 otherwise). Each invoice that is not finalized, not "
    "found, already in QuickBooks unchanged or already on its way is refused on its own, with "
    f"the reason, in `refused`; the others are queued. {POLL}",
)
def export_invoices(request: HttpRequest, payload: ExportIn):
    batch = services.request_export(request.auth, payload.invoices)
    return Status(202, _batch_out(batch))


@router.post(
    "/invoices/check",
    response={202: ExportBatchOut, **START_ERRORS},
    summary="Check invoices before exporting them",
    description="Makes every test an export would make, reading QuickBooks but writing "
    "nothing there; each invoice's `findings` say what an export would do or why it would "
    f"fail. The same permission and connection as an export are needed. {POLL}",
)
def check_invoices(request: HttpRequest, payload: ExportIn):
    batch = services.request_check(request.auth, payload.invoices)
    return Status(202, _batch_out(batch))


@router.get(
    "/exports/{int:batch_id}",
    response={200: ExportBatchOut, **error_responses(401, 404, 422)},
    summary="Follow an export or a check",
)
def get_export(request: HttpRequest, batch_id: int):
    try:
        batch = services.get_batch(request.auth, batch_id)
    except ExportBatch.DoesNotExist as exc:
        raise HttpError(404, "No such export batch.") from exc
    return _batch_out(batch)
