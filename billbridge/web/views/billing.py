"""The Billing list: the main screen. Filters, pages and bulk actions answer the table partial
to htmx and the whole page to everyone else, so the list works without JavaScript too."""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods

from billbridge.core.errors import ServiceError
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice
from billbridge.practice.models import Permission
from billbridge.quickbooks import services as qbo_services
from billbridge.quickbooks.column import ExportCell, cells_for
from billbridge.quickbooks.connection import connection_for
from billbridge.quickbooks.models import ExportBatch
from billbridge.web.access import member_required
from billbridge.web.forms import BillingFilterForm

# The bulk actions the More actions menu offers, by the name apply_bulk knows them by.
BULK_ACTIONS = {"finalize": "Finalize", "revert_to_draft": "Revert to draft"}
# The QuickBooks actions: they start a batch whose progress the results panel follows.
QBO_ACTIONS = {
    "qbo_check": ("Check for QuickBooks Online", qbo_services.request_check),
    "qbo_export": ("Export to QuickBooks Online", qbo_services.request_export),
}
# More than any page holds; a longer selection is a forged request.
MAX_SELECTION = 1000


@dataclass(frozen=True)
class BillingRow:
    invoice: Invoice
    export: ExportCell


@dataclass
class BulkReport:
    """What a bulk action did, for the results panel above the table."""

    action_label: str = ""
    outcomes: list[services.Outcome] = field(default_factory=list)
    error: str = ""
    status_code: int = 200
    # A QuickBooks action's batch and its progress so far.
    batch: ExportBatch | None = None
    progress: qbo_services.Progress | None = None

    @property
    def done_count(self) -> int:
        return sum(outcome.done for outcome in self.outcomes)

    @property
    def refused_count(self) -> int:
        return len(self.outcomes) - self.done_count


def _refused(error: str, status_code: int = 400) -> BulkReport:
    return BulkReport(error=error, status_code=status_code)


def _run_bulk_action(request) -> BulkReport:
    action = request.POST.get("action", "")
    if action not in BULK_ACTIONS and action not in QBO_ACTIONS:
        return _refused("Choose an action from the More actions menu.")
    try:
        invoice_ids = [int(value) for value in request.POST.getlist("invoice")]
    except ValueError:
        return _refused("The selection was not understood. Reload the page and try again.")
    if not invoice_ids:
        return _refused("Select at least one invoice first.")
    if len(invoice_ids) > MAX_SELECTION:
        return _refused(f"Select at most {MAX_SELECTION} invoices at a time.")
    if action in BULK_ACTIONS:
        outcomes = services.apply_bulk(request.membership, action, invoice_ids)
        return BulkReport(action_label=BULK_ACTIONS[action], outcomes=outcomes)
    label, start = QBO_ACTIONS[action]
    try:
        batch = start(request.membership, invoice_ids)
    except ServiceError as exc:
        return _refused(exc.message, exc.status_code)
    return BulkReport(action_label=label, batch=batch, progress=qbo_services.batch_progress(batch))


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def billing_list(request):
    """GET shows the list; POST runs a bulk action on the selected invoices, then shows the
    list (filtered as before) under the per-invoice results."""
    practice = request.membership.practice
    report = _run_bulk_action(request) if request.method == "POST" else None

    filters = BillingFilterForm(practice, request.GET)
    invoices = filters.apply(
        Invoice.objects.for_practice(practice)
        .select_related("client")
        .order_by("-issue_date", "-id")
    )
    page = Paginator(invoices, settings.BILLING_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    connection = connection_for(practice)
    cells = cells_for(page.object_list, connection=connection)

    context = {
        "filters": filters,
        "page": page,
        "rows": [BillingRow(invoice, cells[invoice.pk]) for invoice in page.object_list],
        "report": report,
        "may_process_time": request.membership.has(Permission.PROCESS_TIME),
        "may_export": request.membership.has(Permission.EXPORT),
        "may_manage_settings": request.membership.has(Permission.MANAGE_SETTINGS),
        "connection": connection,
    }
    status = 400 if filters.errors else report.status_code if report else 200
    # A history restore asks for the whole page even though htmx sends it.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "web/_billing_table.html" if partial else "web/billing_list.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
