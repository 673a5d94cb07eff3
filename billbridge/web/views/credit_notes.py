"""Crediting an invoice from its page (docs/decisions/0027-credit-notes.md): a credit note for
all of it, chosen lines or an amount; a write-off of what remains (bad debt); and a corrected
copy, a new draft of the same lines dated in the open period, for when the credited invoice
was wrong rather than too much.

What may be credited, how much and when is the invoicing service's to say: a refusal (more
than remains, a date in a closed period, a member who may not) is shown on the form, in its
words, with what was typed kept. A new credit note is a draft, shown on its own page to be
finalized."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from billbridge.core.errors import InvalidInput, ServiceError, TransitionRefused
from billbridge.core.money import format_money
from billbridge.invoicing import credits, periods, services
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.practice.models import Membership, Permission
from billbridge.practice.permissions import require, require_client_owner
from billbridge.web.access import invoice_or_404, member_required, refused_by
from billbridge.web.credit_forms import CreditNoteForm, WriteOffForm
from billbridge.web.forms import show_service_errors
from billbridge.web.views.invoices import _render_invoice


def _why_not_creditable(membership: Membership, invoice: Invoice) -> ServiceError | None:
    """Asked before showing a form the member could never send (display only: a POST meets
    the service's own refusal)."""
    if invoice.is_credit or invoice.status not in (InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED):
        return TransitionRefused(
            f"{invoice.get_kind_display()} {invoice.number} is "
            f"{invoice.get_status_display()}: only finalized or closed invoices can be credited."
        )
    try:
        require(membership, Permission.PROCESS_TIME)
        require_client_owner(membership, invoice.client_id)
    except ServiceError as exc:
        return exc
    return None


def _credit(request, pk: int, *, write_off: bool):
    membership = request.membership
    invoice = invoice_or_404(membership, pk)
    back_url = reverse("web:invoice-detail", args=[invoice.pk])
    if request.method != "POST" and (refused := _why_not_creditable(membership, invoice)):
        return refused_by(
            request, refused, back_url=back_url, back_label=f"Back to invoice {invoice.number}"
        )
    balance = credits.balance_of(invoice)
    form_class = WriteOffForm if write_off else CreditNoteForm
    status = 200
    if request.method == "POST":
        form = form_class(invoice, request.POST)
        if form.is_valid():
            try:
                note = services.create_credit_note(membership, form.credit_input())
            except InvalidInput as exc:
                show_service_errors(form, exc)
                if exc.field_errors:  # and the whole sentence, with the invoice's numbers
                    form.add_error(None, exc.message)
                status = 400
            except ServiceError as exc:  # not allowed, or the invoice changed meanwhile
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    f"{note.get_kind_display()} {note.number} for {format_money(note.total)} "
                    f"is a draft: finalize it to credit invoice {invoice.number}.",
                )
                return redirect("web:invoice-detail", pk=note.pk)
        else:
            status = 400
    else:
        initial = {"amount": balance.creditable} if write_off else {}
        form = form_class(
            invoice, initial={**initial, "issue_date": services.default_credit_date(invoice)}
        )
    context = {
        "invoice": invoice,
        "form": form,
        "write_off": write_off,
        "balance": balance,
        "closed": periods.closed_through(invoice.practice),
    }
    return render(request, "web/credit_note_form.html", context, status=status)


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def credit_note_new(request, pk: int):
    return _credit(request, pk, write_off=False)


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def write_off_new(request, pk: int):
    return _credit(request, pk, write_off=True)


@member_required
@require_POST
def corrected_copy(request, pk: int):
    invoice = invoice_or_404(request.membership, pk)
    try:
        copy = services.corrected_copy(request.membership, invoice.pk)
    except ServiceError as exc:
        return _render_invoice(request, invoice, error=exc.message, status=exc.status_code)
    messages.success(
        request,
        f"Draft {copy.number} is a corrected copy of invoice {invoice.number}, dated "
        f"{copy.issue_date:%d %b %Y}: edit it, then finalize it.",
    )
    return redirect("web:invoice-detail", pk=copy.pk)
