"""Billing ▸ QuickBooks reconciliation: the latest report, grouped by kind; "Run reconciliation"
queues a new one, which the page follows (htmx asks for it every second while a worker reads
QBO); `?format=csv` downloads it."""

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST, require_safe

from billbridge.core.errors import ServiceError
from billbridge.quickbooks import reconciliation, tasks
from billbridge.quickbooks.connection import connection_for
from billbridge.quickbooks.services import qbo_invoice_url
from billbridge.web.access import member_required, refused_by

CSV_COLUMNS = [
    "Finding", "Invoice", "QBO invoice numbers", "QBO invoice Ids", "Billbridge amount",
    "QBO amount", "Note",
]  # fmt: skip
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _to_billing(request, error: ServiceError):
    return refused_by(
        request, error, back_url=reverse("web:billing-list"), back_label="Back to Billing"
    )


def _numbers(row: dict) -> list[str]:
    # Reports made before rows carried QBO's numbers have only its Ids.
    return row.get("qbo_numbers") or row["qbo_ids"]


def _qbo_invoices(report, row: dict) -> list[dict]:
    """The row's QBO invoices by number, each linked to QBO as the QuickBooks Export column
    links it; one missing there has nothing to link to."""
    missing = row["kind"] == reconciliation.MISSING
    return [
        {"number": number, "url": "" if missing else qbo_invoice_url(report.realm_id, qbo_id)}
        for qbo_id, number in zip(row["qbo_ids"], _numbers(row), strict=True)
    ]


def _groups(report) -> list[dict]:
    return [
        {
            "kind": kind,
            "label": label,
            "rows": [{**row, "qbo_invoices": _qbo_invoices(report, row)} for row in rows],
        }
        for kind, label in reconciliation.KINDS.items()
        if (rows := [row for row in report.rows if row["kind"] == kind])
    ]


def _as_text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _csv(report) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    finished = report.finished_at or report.created_at
    response["Content-Disposition"] = (
        f'attachment; filename="qbo-reconciliation-{finished:%Y-%m-%d-%H%M}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        writer.writerow(
            [
                reconciliation.KINDS[row["kind"]],
                _as_text(row["number"]),
                _as_text(" ".join(_numbers(row))),
                " ".join(row["qbo_ids"]),
                row["ours"],
                row["qbo"],
                _as_text(row["note"]),
            ]
        )
    return response


@member_required
@require_safe
def reconciliation_page(request):
    try:
        report = reconciliation.latest(request.membership)
    except ServiceError as exc:
        return _to_billing(request, exc)
    if request.GET.get("format") == "csv" and report is not None and report.is_finished:
        return _csv(report)
    context = {
        "report": report,
        "stalled": report is not None and reconciliation.stalled(report),
        "groups": _groups(report) if report else [],
        "connection": connection_for(request.membership.practice),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "web/_reconciliation_report.html" if partial else "web/reconciliation.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@member_required
@require_POST
def reconciliation_run(request):
    try:
        report, is_new = reconciliation.request_report(request.membership)
    except ServiceError as exc:
        return _to_billing(request, exc)
    if is_new:
        tasks.reconcile_later(report.pk)
        messages.success(request, "The reconciliation is running: QuickBooks is being read.")
    else:
        messages.info(request, "A reconciliation is already running: this page follows it.")
    return redirect("web:qbo-reconciliation")
