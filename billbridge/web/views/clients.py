"""Client pages: the list, a client's details and invoices, and the editor."""

from django.contrib import messages
from django.db.models import Count
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from billbridge.clients import services as client_services
from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput, ServiceError
from billbridge.invoicing.models import Invoice
from billbridge.practice.models import Permission
from billbridge.practice.permissions import require
from billbridge.quickbooks.models import CustomerLink
from billbridge.web.access import member_required, refused_by
from billbridge.web.forms import ClientForm, show_service_errors

# The client page shows the newest invoices; the Billing list, filtered to the client, has all.
RECENT_INVOICES = 20


def _client_or_404(request, pk: int) -> Client:
    return get_object_or_404(Client.objects.for_practice(request.membership.practice), pk=pk)


@member_required
@require_safe
def client_list(request):
    clients = Client.objects.for_practice(request.membership.practice).annotate(
        invoice_count=Count("invoices")
    )
    return render(
        request,
        "web/client_list.html",
        {"clients": clients, "may_edit": request.membership.has(Permission.PROCESS_TIME)},
    )


@member_required
@require_safe
def client_detail(request, pk: int):
    client = _client_or_404(request, pk)
    membership = request.membership
    invoices = Invoice.objects.for_practice(membership.practice).filter(client=client)
    return render(
        request,
        "web/client_detail.html",
        {
            "client": client,
            "invoices": invoices[:RECENT_INVOICES],
            "invoice_count": invoices.count(),
            "may_edit": membership.has(Permission.PROCESS_TIME),
            "qbo_customer": CustomerLink.objects.filter(client=client).first(),
            "may_link_customer": membership.has(Permission.MANAGE_SETTINGS)
            or membership.has(Permission.EXPORT),
        },
    )


def _edit_client(request, client: Client | None):
    membership = request.membership
    if client is None:
        back_url, back_label = reverse("web:client-list"), "Back to clients"
    else:
        back_url, back_label = reverse("web:client-detail", args=[client.pk]), f"Back to {client}"
    if request.method != "POST":
        # Asked before showing a form the member could never save, as the invoice editor does.
        # A POST is not checked here: the service refuses it in its own words.
        try:
            require(membership, Permission.PROCESS_TIME)
        except ServiceError as exc:
            return refused_by(request, exc, back_url=back_url, back_label=back_label)
    status = 200
    if request.method == "POST":
        form = ClientForm(request.POST)
        if form.is_valid():
            try:
                if client is None:
                    client = client_services.create_client(membership, **form.cleaned_data)
                else:
                    client = client_services.update_client(membership, client, **form.cleaned_data)
            except InvalidInput as exc:
                show_service_errors(form, exc)
            except ServiceError as exc:
                return refused_by(request, exc, back_url=back_url, back_label=back_label)
            else:
                messages.success(request, f"{client} is saved.")
                return redirect("web:client-detail", pk=client.pk)
        status = 400
    else:
        initial = model_to_dict(client, fields=client_services.EDITABLE_FIELDS) if client else None
        form = ClientForm(initial=initial)
    return render(
        request,
        "web/client_form.html",
        {"client": client, "form": form, "back_url": back_url, "back_label": back_label},
        status=status,
    )


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def client_new(request):
    return _edit_client(request, None)


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def client_edit(request, pk: int):
    return _edit_client(request, _client_or_404(request, pk))
