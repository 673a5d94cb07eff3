"""Settings ▸ Integrations ▸ QuickBooks Online (with the paid-status sync's health), and the
QuickBooks actions of the other pages: export progress, exporting one invoice, replacing a QBO
invoice deleted in QuickBooks, settling a QBO user's change (drift), and a client's QBO customer.

Every change goes through billbridge.quickbooks' services, which check the permissions; the
pages only decide what to offer."""

from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput, ServiceError, TransitionRefused
from billbridge.invoicing.models import Invoice
from billbridge.practice.models import Permission
from billbridge.practice.permissions import require
from billbridge.quickbooks import automatic_export
from billbridge.quickbooks import connection as qbo_connection
from billbridge.quickbooks import services as qbo_services
from billbridge.quickbooks.column import cells_for
from billbridge.quickbooks.models import (
    AstTaxHandling,
    AutoExport,
    ExportBatch,
    ExportState,
    IgnoredWebhooks,
    InvoiceExport,
    ItemMapping,
    QboConnection,
    WebhookEvent,
)
from billbridge.web.access import invoice_or_404, member_required, refused_by

SETTINGS_BACK = "Back to the QuickBooks Online settings"
# Intuit's Builder tier blocks every read past this many a month, for every company connected
# through the app (RELIABILITY.md §4.2); the settings page warns from 80 % on.
READ_BUDGET = 500_000
READ_WARNING = READ_BUDGET * 8 // 10


def _to_settings(request, error: ServiceError):
    return refused_by(
        request, error, back_url=reverse("web:quickbooks-settings"), back_label=SETTINGS_BACK
    )


def company_or_none(connection):
    """What the connection knows of its company; nothing when it could not be read yet."""
    return qbo_connection.company_of(connection) if connection and connection.company else None


def settings_managers(practice) -> list[str]:
    """Who in the practice has Manage settings, by name: told to a member who lacks it."""
    members = practice.memberships.filter(can_manage_settings=True).select_related("user")
    return sorted(m.user.get_full_name() or m.user.username for m in members)


@member_required
@require_safe
def quickbooks_settings(request):
    """Every member may look; only a member with Manage settings gets the forms. The others
    are told which permission they lack and who has it, rather than meeting a refusal."""
    membership = request.membership
    may_manage = membership.has(Permission.MANAGE_SETTINGS)
    connection = qbo_connection.connection_for(membership.practice)
    company = company_or_none(connection)
    items = [item for item in company.items if item.active] if company else []
    context = {
        "may_manage": may_manage,
        "managers": [] if may_manage else settings_managers(membership.practice),
        "connection": connection,
        "health": sync_health(connection, staff=request.user.is_staff) if connection else None,
        "company": company,
        "items": items,
        "ast_choices": AstTaxHandling.choices,
        "auto_export_choices": AutoExport.choices,
        "mappings": ItemMapping.objects.filter(practice=membership.practice).order_by(
            "service_name"
        ),
    }
    response = render(request, "web/quickbooks_settings.html", context)
    # Connect posts to us and is redirected to Intuit's consent page; the browser holds that
    # redirect to the page's form-action, so Intuit's origin joins 'self' on this page only.
    # (What csp_update sets, decided per request: the URL is a setting.)
    authorize = urlsplit(settings.QBO_AUTHORIZE_URL)
    response._csp_update = {"form-action": [f"{authorize.scheme}://{authorize.netloc}"]}
    return response


def sync_health(connection: QboConnection, *, staff: bool) -> dict:
    """How the paid-status sync is doing: when QBO last told us and we last asked, what waits,
    and the month's read calls against Intuit's budget. The reads are the app's, whichever
    company made them: the budget is the Intuit app's, shared by every company connected."""
    month = timezone.now().strftime("%Y-%m")
    reads = (
        QboConnection.objects.filter(reads_month=month).aggregate(n=Sum("reads_this_month"))["n"]
        or 0
    )
    company_reads = connection.reads_this_month if connection.reads_month == month else 0
    return {
        "last_webhook_at": connection.last_webhook_at,
        "last_cdc_poll_at": connection.last_cdc_poll_at,
        "events_waiting": WebhookEvent.objects.filter(
            realm_id=connection.realm_id, processed_at__isnull=True
        ).count(),
        # Written with thousands separators: "412,000 of 500,000".
        "reads": f"{reads:,}",
        "company_reads": f"{company_reads:,}",
        "read_budget": f"{READ_BUDGET:,}",
        "reads_percent": (Decimal(reads) * 100 / READ_BUDGET).quantize(Decimal("0.1")),
        "reads_warning": reads >= READ_WARNING,
        # Operators' business (a company whose app points at us without a practice): staff only.
        "ignored": list(IgnoredWebhooks.objects.order_by("-last_at")) if staff else None,
    }


@member_required
@require_POST
def quickbooks_connect(request):
    try:
        authorization_url = qbo_connection.start_connect(request.membership, request.session)
    except ServiceError as exc:
        return _to_settings(request, exc)
    return redirect(authorization_url)


@member_required
@require_safe
def quickbooks_callback(request):
    """Where Intuit sends the browser back, with the code, the state and the company's id."""
    try:
        connection = qbo_connection.finish_connect(
            request.membership,
            request.session,
            code=request.GET.get("code", ""),
            state=request.GET.get("state", ""),
            realm_id=request.GET.get("realmId", ""),
            error=request.GET.get("error", ""),
        )
    except ServiceError as exc:
        return _to_settings(request, exc)
    company = company_or_none(connection)
    name = company.name if company else f"company {connection.realm_id}"
    messages.success(request, f"QuickBooks Online is connected to {name}.")
    return redirect("web:quickbooks-settings")


def _settings_action(run):
    """A POST that runs one connection service, then shows the settings page again with what
    `run` says was done."""

    @member_required
    @require_POST
    def view(request):
        try:
            done = run(request)
        except ServiceError as exc:
            return _to_settings(request, exc)
        messages.success(request, done)
        return redirect("web:quickbooks-settings")

    return view


def _test(request) -> str:
    return qbo_connection.test_connection(request.membership).last_test_outcome


def _save_settings(request) -> str:
    # An unticked box sends nothing: the form says it showed the box.
    shown = request.POST.get("send_from_quickbooks_shown") == "1"
    send_from_quickbooks = request.POST.get("send_from_quickbooks") == "on" if shown else None
    write_off = request.POST.get("write_off_item_id")
    with transaction.atomic():  # all the form's choices, or none of them
        connection = qbo_connection.update_settings(
            request.membership,
            default_item_id=request.POST.get("default_item_id") or None,
            ast_tax_handling=request.POST.get("ast_tax_handling") or None,
            send_from_quickbooks=send_from_quickbooks,
        )
        # Only a change asks for the write-off item's own permissions (Export as well).
        if write_off is not None and write_off != connection.write_off_item_id:
            qbo_services.set_write_off_item(request.membership, write_off)
    return "The export settings are saved."


def _change_mapping(request) -> str:
    service_name = request.POST.get("service_name", "")
    if request.POST.get("remove"):
        qbo_connection.remove_item_mapping(request.membership, service_name)
        return f"Lines of “{service_name}” are exported with the default item again."
    mapping = qbo_connection.set_item_mapping(
        request.membership, service_name, request.POST.get("qbo_item_id", "")
    )
    return f"Lines of “{mapping.service_name}” are exported as “{mapping.qbo_item_name}”."


@member_required
@require_POST
def quickbooks_auto_export(request):
    """When invoices go to QuickBooks by themselves. Turning it on first shows how many
    finalized invoices that sends now; only the confirmation's POST changes anything."""
    mode = request.POST.get("auto_export", "")
    at = request.POST.get("auto_export_time", "")
    try:
        preview = automatic_export.preview(request.membership, mode, at)
        if preview["needs_confirmation"] and request.POST.get("confirm") != "1":
            return render(request, "web/quickbooks_auto_export_confirm.html", preview)
        queued = automatic_export.change(request.membership, mode, at)
    except ServiceError as exc:
        return _to_settings(request, exc)
    done = {
        AutoExport.BY_HAND: "Invoices are exported by hand again.",
        AutoExport.WHEN_FINALIZED: "Invoices are exported to QuickBooks Online when finalized.",
        AutoExport.DAILY: f"Finalized invoices are exported every day at {at.strip()}.",
    }[mode]
    if queued:
        done += f" {queued} finalized invoice{'s are' if queued != 1 else ' is'} on the way now."
    messages.success(request, done)
    return redirect("web:quickbooks-settings")


quickbooks_test = _settings_action(_test)
quickbooks_save_settings = _settings_action(_save_settings)
quickbooks_items = _settings_action(_change_mapping)


# The confirm button's value: a POST without it (a stale form, a forged request) only asks.
CONFIRM_DISCONNECT = "disconnect"


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def quickbooks_disconnect(request):
    """Disconnect asks first, on a page of its own (so no JavaScript is needed): what stops and
    what stays. Only a POST with the confirm button's value disconnects."""
    membership = request.membership
    try:
        require(membership, Permission.MANAGE_SETTINGS)
        connection = qbo_connection.connection_for(membership.practice)
        if connection is None:
            raise TransitionRefused("QuickBooks Online is not connected.")
        if request.method == "POST" and request.POST.get("confirm") == CONFIRM_DISCONNECT:
            qbo_connection.disconnect(membership)
            messages.success(
                request, "QuickBooks Online is disconnected: Billbridge no longer holds its tokens."
            )
            return redirect("web:quickbooks-settings")
    except ServiceError as exc:
        return _to_settings(request, exc)
    waiting = InvoiceExport.objects.filter(
        practice=membership.practice, state=ExportState.QUEUED
    ).count()
    company = company_or_none(connection)
    context = {
        "connection": connection,
        "company_name": company.name if company else f"company {connection.realm_id}",
        "waiting": waiting,
        "confirm": CONFIRM_DISCONNECT,
    }
    return render(request, "web/quickbooks_disconnect.html", context)


# ---- exports ---------------------------------------------------------------------------------


def batch_or_404(membership, batch_id: int) -> ExportBatch:
    try:
        return qbo_services.get_batch(membership, batch_id)
    except ExportBatch.DoesNotExist as exc:
        raise Http404("No such export.") from exc


def progress_context(batch: ExportBatch) -> dict:
    return {"batch": batch, "progress": qbo_services.batch_progress(batch)}


@member_required
@require_safe
def export_progress(request, batch_id: int):
    """A batch's progress. To htmx (polling while the batch runs): the progress line, with
    the batch's invoices' QuickBooks Export cells swapped in out of band. To a browser without
    JavaScript: a page of the batch's invoices with their cells."""
    batch = batch_or_404(request.membership, batch_id)
    invoices = list(
        Invoice.objects.for_practice(request.membership.practice)
        .filter(
            Q(pk__in=batch.exports.values("invoice_id"))
            | Q(pk__in=batch.checks.values("invoice_id"))
        )
        .select_related("client")
    )
    cells = cells_for(invoices)
    context = {
        **progress_context(batch),
        "rows": [(invoice, cells[invoice.pk]) for invoice in invoices],
        "may_export": request.membership.has(Permission.EXPORT),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "web/_export_progress.html" if partial else "web/export_progress.html"
    response = render(request, template, {**context, "oob": partial})
    patch_vary_headers(response, ["HX-Request"])
    return response


def _after_export(request, invoice: Invoice, batch: ExportBatch):
    """Back to the invoice page, which follows the batch's progress. An htmx request (the
    button in the Billing list's cell) is told to load that page whole."""
    url = f"{reverse('web:invoice-detail', args=[invoice.pk])}?{urlencode({'batch': batch.pk})}"
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _invoice_refusal(request, invoice: Invoice, error: ServiceError):
    return refused_by(
        request,
        error,
        back_url=reverse("web:invoice-detail", args=[invoice.pk]),
        back_label=f"Back to invoice {invoice.number}",
    )


@member_required
@require_POST
def invoice_export(request, pk: int):
    invoice = invoice_or_404(request.membership, pk)
    try:
        batch = qbo_services.request_export(request.membership, [invoice.pk])
    except ServiceError as exc:
        return _invoice_refusal(request, invoice, exc)
    for refused in batch.refused:
        messages.error(request, refused["message"])
    return _after_export(request, invoice, batch)


@member_required
@require_POST
def invoice_confirm_replacement(request, pk: int):
    invoice = invoice_or_404(request.membership, pk)
    try:
        batch = qbo_services.confirm_replacement(request.membership, invoice.pk)
    except ServiceError as exc:
        return _invoice_refusal(request, invoice, exc)
    messages.success(request, f"A new QuickBooks invoice is being created for {invoice.number}.")
    return _after_export(request, invoice, batch)


# The buttons' values: "Export ours again" does not keep QBO's version, "Keep as is" does.
DRIFT_DECISIONS = {"ours": False, "keep": True}


@member_required
@require_POST
def invoice_resolve_drift(request, pk: int):
    """Export ours again, or keep what the QBO user made of it: the choice a drifted cell
    offers on the invoice page."""
    invoice = invoice_or_404(request.membership, pk)
    keep = DRIFT_DECISIONS.get(request.POST.get("decision", ""))
    if keep is None:
        return _invoice_refusal(
            request,
            invoice,
            InvalidInput("Choose Export ours again or Keep as is.", {"decision": ["Needed."]}),
        )
    try:
        batch = qbo_services.resolve_drift(request.membership, invoice.pk, keep=keep)
    except ServiceError as exc:
        return _invoice_refusal(request, invoice, exc)
    if batch is None:
        messages.success(
            request, f"Invoice {invoice.number} keeps the QuickBooks version as it is."
        )
        return redirect("web:invoice-detail", pk=invoice.pk)
    messages.success(request, f"Invoice {invoice.number} is being exported to QuickBooks again.")
    return _after_export(request, invoice, batch)


# ---- a client's QBO customer -----------------------------------------------------------------


def _client_action(run, done: str):
    @member_required
    @require_POST
    def view(request, pk: int):
        client = get_object_or_404(Client.objects.for_practice(request.membership.practice), pk=pk)
        try:
            run(request, client)
        except ServiceError as exc:
            return refused_by(
                request,
                exc,
                back_url=reverse("web:client-detail", args=[client.pk]),
                back_label=f"Back to {client}",
            )
        messages.success(request, done.format(client=client))
        return redirect("web:client-detail", pk=client.pk)

    return view


client_link_customer = _client_action(
    lambda request, client: qbo_services.link_customer_by_hand(
        request.membership, client.pk, request.POST.get("qbo_customer", "")
    ),
    "{client} is linked to the QuickBooks customer.",
)
client_unlink_customer = _client_action(
    lambda request, client: qbo_services.unlink_customer(request.membership, client.pk),
    "{client} is no longer linked to a QuickBooks customer.",
)
