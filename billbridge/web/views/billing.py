"""The Billing list: the main screen. Filters, pages and bulk actions answer the table partial
to htmx and the whole page to everyone else, so the list works without JavaScript too."""

from dataclasses import dataclass, field, replace

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods

from billbridge.core.errors import ServiceError
from billbridge.documents import emailing
from billbridge.invoicing import periods, services
from billbridge.invoicing.models import Invoice
from billbridge.practice.models import Permission
from billbridge.quickbooks import sending as qbo_sending
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
# Emailing the selection to the clients: each invoice's outcome is listed, as BULK_ACTIONS' are.
EMAIL_ACTIONS = {"email": ("Email selected invoices", qbo_sending.send_selected)}
# More than any page holds; a longer selection is a forged request, and "Select all matching"
# beyond it is refused (narrow the filters): one bulk action runs in one request.
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
    # What was selected, ticked again in the table that comes back: a Check or Finalize
    # must not clear the selection the next action needs.
    selected: frozenset[int] = frozenset()
    all_matching: bool = False
    # Refused because they are in a closed period: each gets a link to credit it instead.
    credit_instead: frozenset[int] = frozenset()

    @property
    def done_count(self) -> int:
        return sum(outcome.done for outcome in self.outcomes)

    @property
    def refused_count(self) -> int:
        return len(self.outcomes) - self.done_count


class Refused(Exception):
    """A bulk action refused as a whole, before any invoice was touched."""

    def __init__(self, error: str, status_code: int = 400):
        super().__init__(error)
        self.report = BulkReport(error=error, status_code=status_code)


def _ticked_ids(request) -> list[int]:
    try:
        invoice_ids = [int(value) for value in request.POST.getlist("invoice")]
    except ValueError as exc:
        raise Refused("The selection was not understood. Reload the page and try again.") from exc
    if len(invoice_ids) > MAX_SELECTION:
        raise Refused(f"Select at most {MAX_SELECTION} invoices at a time.")
    return invoice_ids


def _all_matching_ids(request, filters: BillingFilterForm, matching) -> list[int]:
    """Every invoice the list's filters match, on every page. The count the user saw travels
    with the request: a list that changed since is looked at again, not acted on blindly."""
    if filters.errors:
        raise Refused("The filters were not understood: correct them before selecting all.")
    seen = request.POST.get("all_matching", "")
    count = matching.count()
    if seen != str(count):
        raise Refused(
            f"The filters now match {count} invoice{'s' if count != 1 else ''}, not {seen}: "
            "look at the list again before acting on all of them."
        )
    if count > MAX_SELECTION:
        raise Refused(
            f"All {count} matching invoices are more than {MAX_SELECTION} at a time: narrow "
            "the filters."
        )
    return list(matching.values_list("pk", flat=True))


def selection(request, invoice_ids: list[int], all_matching: bool, filters, matching) -> list[int]:
    """The invoices a bulk action runs on: the ticked `invoice_ids`, or every invoice the
    filters match when "Select all matching" is ticked; Refused when that is none."""
    if all_matching:
        invoice_ids = _all_matching_ids(request, filters, matching)
    if not invoice_ids:
        raise Refused("Select at least one invoice first.")
    return invoice_ids


def selected_ids(request, filters, matching) -> list[int]:
    """The selection of a bulk action posted to a URL of its own (the PDFs' ZIP)."""
    all_matching = bool(request.POST.get("all_matching"))
    return selection(request, _ticked_ids(request), all_matching, filters, matching)


def _act(request, invoice_ids: list[int], all_matching: bool, filters, matching) -> BulkReport:
    action = request.POST.get("action", "")
    if action not in BULK_ACTIONS and action not in QBO_ACTIONS and action not in EMAIL_ACTIONS:
        raise Refused("Choose an action from the More actions menu.")
    invoice_ids = selection(request, invoice_ids, all_matching, filters, matching)
    if action in EMAIL_ACTIONS:
        label, start = EMAIL_ACTIONS[action]
        try:
            outcomes = start(request.membership, invoice_ids)
        except ServiceError as exc:  # Send from QuickBooks, and QuickBooks not connected
            raise Refused(exc.message, exc.status_code) from exc
        return BulkReport(action_label=label, outcomes=outcomes)
    if action in BULK_ACTIONS:
        return _transition_each(request.membership, action, invoice_ids)
    label, start = QBO_ACTIONS[action]
    try:
        batch = start(request.membership, invoice_ids)
    except ServiceError as exc:
        raise Refused(exc.message, exc.status_code) from exc
    return BulkReport(action_label=label, batch=batch, progress=qbo_services.batch_progress(batch))


def _transition_each(membership, action: str, invoice_ids: list[int]) -> BulkReport:
    """apply_bulk's run of one transition on each invoice, noting those refused for their
    closed period, whose way forward is a credit note."""
    done, transition = services.BULK_ACTIONS[action]
    credit_instead = set()

    def act(invoice_id: int) -> str:
        try:
            transition(membership, invoice_id)
        except periods.PeriodClosed as closed:
            if closed.credit_possible:
                credit_instead.add(invoice_id)
            raise
        return done

    outcomes = services.each_invoice(membership, invoice_ids, act)
    return BulkReport(
        action_label=BULK_ACTIONS[action],
        outcomes=outcomes,
        credit_instead=frozenset(credit_instead),
    )


def _run_bulk_action(request, filters: BillingFilterForm, matching) -> BulkReport:
    try:
        invoice_ids = _ticked_ids(request)
    except Refused as refused:
        return refused.report
    all_matching = bool(request.POST.get("all_matching"))
    try:
        report = _act(request, invoice_ids, all_matching, filters, matching)
    except Refused as refused:
        report = refused.report
    # Done or refused, what was selected comes back ticked: the Export after a Check needs it.
    return replace(report, selected=frozenset(invoice_ids), all_matching=all_matching)


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def billing_list(request):
    """GET shows the list; POST runs a bulk action on the selected invoices, then shows the
    list (filtered as before) under the per-invoice results."""
    practice = request.membership.practice
    filters = BillingFilterForm(practice, request.GET)
    invoices = filters.apply(
        Invoice.objects.for_practice(practice)
        .select_related("client")
        .order_by("-issue_date", "-id")
    )
    # The action runs first, so that the list below shows what it did.
    report = _run_bulk_action(request, filters, invoices) if request.method == "POST" else None
    page = Paginator(invoices, settings.BILLING_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    connection = connection_for(practice)
    cells = cells_for(page.object_list, connection=connection)

    context = {
        "filters": filters,
        "page": page,
        "rows": [BillingRow(invoice, cells[invoice.pk]) for invoice in page.object_list],
        "emailed": emailing.latest_sends(page.object_list),
        "report": report,
        "selected": report.selected if report else frozenset(),
        # Still "all matching" only while the filters match what the user saw: after a Finalize
        # of every draft the list is another one, and acting on it needs a new look.
        "all_matching": bool(report and report.all_matching)
        and request.POST.get("all_matching") == str(page.paginator.count),
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
