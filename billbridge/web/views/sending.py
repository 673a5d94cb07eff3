"""Emailing an invoice from its page: Send (by our mail, or by QuickBooks when the practice
chose Send from QuickBooks), and Send again on a failed or unknown email. The Billing list's
"Email selected invoices" is one of its bulk actions (views/billing.py)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from billbridge.core.errors import InvalidInput, ServiceError
from billbridge.documents import emailing
from billbridge.documents.models import InvoiceSend
from billbridge.quickbooks import sending as qbo_sending
from billbridge.web.access import invoice_or_404, member_required
from billbridge.web.forms import show_service_errors
from billbridge.web.sending_forms import QuickBooksSendForm, SendForm
from billbridge.web.views.invoices import _render_invoice


def _queued(request, row: InvoiceSend) -> None:
    messages.success(
        request,
        f"{row.invoice.get_kind_display()} {row.invoice.number} is on its way to "
        f"{row.recipients}: the Emails card says "
        "when the mail server has it.",
    )


def _send_by_quickbooks(request, invoice):
    form = QuickBooksSendForm(request.POST)
    if not form.is_valid():
        return _render_invoice(request, invoice, send_form=form, status=400)
    try:
        row = qbo_sending.request_one(
            request.membership, invoice.pk, recipients=[form.cleaned_data["recipients"]]
        )
    except ServiceError as exc:
        return _render_invoice(
            request, invoice, error=exc.message, send_form=form, status=exc.status_code
        )
    messages.success(
        request,
        f"QuickBooks Online is emailing invoice {invoice.number} to {row.recipients}: the "
        "Emails card says when it has.",
    )
    return redirect("web:invoice-detail", pk=invoice.pk)


@member_required
@require_POST
def invoice_send(request, pk: int):
    invoice = invoice_or_404(request.membership, pk)
    if qbo_sending.sends_from_quickbooks(request.membership.practice, invoice):
        return _send_by_quickbooks(request, invoice)
    form = SendForm(request.POST)
    if not form.is_valid():
        return _render_invoice(request, invoice, send_form=form, status=400)
    try:
        row = emailing.request_send(request.membership, invoice.pk, **form.cleaned_data)
    except InvalidInput as exc:
        show_service_errors(form, exc)
        return _render_invoice(request, invoice, send_form=form, status=400)
    except ServiceError as exc:
        return _render_invoice(
            request, invoice, error=exc.message, send_form=form, status=exc.status_code
        )
    _queued(request, row)
    return redirect("web:invoice-detail", pk=invoice.pk)


@member_required
@require_POST
def invoice_send_again(request, pk: int, send_id: int):
    invoice = invoice_or_404(request.membership, pk)
    if not emailing.sends_of(request.membership, invoice.pk).filter(pk=send_id).exists():
        raise Http404("No such email.")
    try:
        row = emailing.send_again(request.membership, send_id)
    except ServiceError as exc:
        return _render_invoice(request, invoice, error=exc.message, status=exc.status_code)
    _queued(request, row)
    return redirect("web:invoice-detail", pk=invoice.pk)
