"""The Billing list: the main screen. Filters, pages and bulk actions answer the table partial
to htmx and the whole page to everyone else, so the list works without JavaScript too."""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods

from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice
from billbridge.practice.models import Permission
from billbridge.web.access import member_required
from billbridge.web.forms import BillingFilterForm
from billbridge.web.qbo_export import ExportCell, export_cells

# The bulk actions the More actions menu offers, by the name apply_bulk knows them by.
BULK_ACTIONS = {"finalize": "Finalize", "revert_to_draft": "Revert to draft"}
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

    @property
    def done_count(self) -> int:
        return sum(outcome.done for outcome in self.outcomes)

    @property
    def refused_count(self) -> int:
        return len(self.outcomes) - self.done_count


def _run_bulk_action(request) -> BulkReport:
    action = request.POST.get("action", "")
    if action not in BULK_ACTIONS:
        return BulkReport(error="Choose an action from the More actions menu.")
    try:
        invoice_ids = [int(value) for value in request.POST.getlist("invoice")]
    except ValueError:
        return BulkReport(error="The selection was not understood. Reload the page and try again.")
    if not invoice_ids:
        return BulkReport(error="Select at least one invoice first.")
    if len(invoice_ids) > MAX_SELECTION:
        return BulkReport(error=f"Select at most {MAX_SELECTION} invoices at a time.")
    outcomes = services.apply_bulk(request.membership, action, invoice_ids)
    return BulkReport(action_label=BULK_ACTIONS[action], outcomes=outcomes)


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
    cells = export_cells(page.object_list)

    context = {
        "filters": filters,
        "page": page,
        "rows": [BillingRow(invoice, cells[invoice.pk]) for invoice in page.object_list],
        "report": report,
        "may_process_time": request.membership.has(Permission.PROCESS_TIME),
    }
    status = 400 if filters.errors or (report and report.error) else 200
    # A history restore asks for the whole page even though htmx sends it.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "web/_billing_table.html" if partial else "web/billing_list.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
