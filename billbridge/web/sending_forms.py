"""The invoice page's Send form and what its Emails card shows (issue 11)."""

from django import forms

from billbridge.documents import emailing
from billbridge.invoicing.models import Invoice
from billbridge.practice.models import Membership, Permission
from billbridge.quickbooks.sending import sends_from_quickbooks


class SendForm(forms.Form):
    recipients = forms.CharField(
        label="To",
        max_length=2000,
        help_text="Several addresses? Separate them with commas.",
        widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    subject = forms.CharField(max_length=emailing.MAX_SUBJECT)
    body = forms.CharField(
        label="Message", max_length=emailing.MAX_BODY, widget=forms.Textarea(attrs={"rows": 6})
    )


class QuickBooksSendForm(forms.Form):
    """Send from QuickBooks: QBO writes the mail from the company's own template and sends it
    to one address."""

    recipients = forms.EmailField(
        label="To",
        max_length=100,
        help_text="QuickBooks Online emails an invoice to one address.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def sending_panel(membership: Membership, invoice: Invoice, form: forms.Form | None = None) -> dict:
    """The invoice page's context for its Send form and its Emails card. The form is offered to
    members who may send, on a finalized or closed invoice; the card shows every send. With
    Send from QuickBooks on, QuickBooks sends it, and sending it is an export's permission."""
    by_quickbooks = sends_from_quickbooks(membership.practice, invoice)
    permission = Permission.EXPORT if by_quickbooks else emailing.SEND_PERMISSION
    may_send = membership.has(permission)
    sendable = invoice.status in emailing.SENDABLE
    if form is None and may_send and sendable:
        if by_quickbooks:
            billing = invoice.client.billing_addresses()
            form = QuickBooksSendForm(initial={"recipients": billing[0] if billing else ""})
        else:
            subject, body = emailing.drafted_message(invoice)
            form = SendForm(
                initial={
                    "recipients": emailing.client_recipients(invoice),
                    "subject": subject,
                    "body": body,
                }
            )
    return {
        "by_quickbooks": by_quickbooks,
        "may_send": may_send,
        "sendable": sendable,
        "send_form": form,
        "send_permission": permission.label,
        "again_states": emailing.SEND_AGAIN_STATES,
        "sends": list(emailing.sends_of(membership, invoice.pk).select_related("requested_by")),
    }
