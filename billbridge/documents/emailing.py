"""Emailing invoices to clients (issue 11): the requests and the sweep. The sending itself, by
a worker, is delivery.py.

A request makes one InvoiceSend row per invoice, QUEUED, in a short transaction of its own,
and wakes a worker after commit. The row is the record of truth, as export rows are: a worker
claims it before the mail leaves, so a retried or doubled task never mails twice, and a worker
killed mid-send leaves a SENDING row that the sweep turns into UNKNOWN, never into a second
mail (docs/decisions/0024-sending-invoices.md).

Who may send: members with the Process time permission, the people who finalize invoices.
"""

import re
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from billbridge.clients.models import email_list
from billbridge.core.errors import InvalidInput, ServiceError, TransitionRefused
from billbridge.core.money import format_money
from billbridge.documents import delivery, tasks
from billbridge.documents.models import InvoiceSend, InvoiceTemplate, SendChannel, SendState
from billbridge.documents.services import template_for
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.invoicing.services import Outcome
from billbridge.practice.models import Membership, Permission
from billbridge.practice.permissions import require

SEND_PERMISSION = Permission.PROCESS_TIME
SENDABLE = (InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED)
MAX_RECIPIENTS = 20
SEND_AGAIN_STATES = (SendState.FAILED, SendState.UNKNOWN)
MAX_SUBJECT = 300  # InvoiceSend.subject
MAX_BODY = 5000  # InvoiceTemplate.email_body
# A SENDING row this many EMAIL_TIMEOUTs old has lost its worker: every step of an SMTP
# conversation is bounded by EMAIL_TIMEOUT, and a conversation has a handful of steps.
SENDING_STALE_TIMEOUTS = 5
# A QUEUED row whose wake-up was lost (a crash before the task was stored) gets another.
QUEUED_STALE = timedelta(minutes=2)
STOPPED = "The sending stopped before the mail server's answer was recorded."
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# A credit note's words: the practice's template writes an invoice's (an amount "due"), and a
# credit note is owed nothing. The member may still edit them before sending.
CREDIT_SUBJECT = "Credit note {number} from {practice}"
CREDIT_BODY = (
    "Dear {client},\n\n"
    "Please find attached credit note {number} for {total}, which credits invoice {credited}."
    "\n\nThank you,\n{practice}"
)


# ---- the message's words ---------------------------------------------------------------------


def placeholders(invoice: Invoice, template: InvoiceTemplate) -> dict[str, str]:
    return {
        "number": invoice.number,
        "practice": template.display_name or invoice.practice.name,
        "client": invoice.client.name,
        "total": format_money(invoice.total),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else "on receipt",
    }


def fill(text: str, values: dict[str, str]) -> str:
    """The template's words with the placeholders filled. Lenient: an unknown {name} or a lone
    brace stays as typed (the template page refuses them; an old template must still send), and
    no format spec is ever interpreted, so a template cannot ask for a huge padding."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def drafted_message(invoice: Invoice) -> tuple[str, str]:
    """The subject and body the practice's template makes for this invoice."""
    template = template_for(invoice.practice)
    values = placeholders(invoice, template)
    if invoice.is_credit:
        values["credited"] = invoice.credited_invoice.number
        return one_line(fill(CREDIT_SUBJECT, values)), fill(CREDIT_BODY, values)
    return one_line(fill(template.email_subject, values)), fill(template.email_body, values)


def one_line(subject: str) -> str:
    """A subject is one header line: line breaks would forge other headers."""
    return " ".join(subject.split())


def parse_recipients(text: str) -> list[str]:
    """Addresses separated by commas (or semicolons, as some mail programs write them)."""
    addresses = email_list(text)
    if not addresses:
        raise InvalidInput("Give at least one email address.", {"recipients": ["Required."]})
    if len(addresses) > MAX_RECIPIENTS:
        message = f"Send to at most {MAX_RECIPIENTS} addresses at a time."
        raise InvalidInput(message, {"recipients": [message]})
    for address in addresses:
        try:
            # A display name ("Ann <ann@x>") is not accepted: the To line holds addresses.
            validate_email(address)
        except ValidationError as exc:
            message = f"“{address[:100]}” is not an email address."
            raise InvalidInput(message, {"recipients": [message]}) from exc
    return addresses


def client_recipients(invoice: Invoice) -> str:
    return ", ".join(invoice.client.billing_addresses())


# ---- requests --------------------------------------------------------------------------------


def _refusal(invoice: Invoice, recipients: str | None) -> ServiceError | None:
    if invoice.status not in SENDABLE:
        return TransitionRefused(
            f"Invoice {invoice.number} is a draft: finalize it first, then send it."
        )
    if recipients is None and not client_recipients(invoice):
        return InvalidInput(
            f"Add a billing email to {invoice.client.name} first (Clients ▸ {invoice.client.name}"
            " ▸ Edit), or type an address on the invoice's Send form."
        )
    return None


def _message_id(send_id_hint: str) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "billbridge.localhost"
    return f"<invoice-send.{send_id_hint}@{domain}>"


def request_send(
    membership: Membership,
    invoice_id: int,
    *,
    recipients: str | None = None,
    subject: str | None = None,
    body: str | None = None,
) -> InvoiceSend:
    """Queue one email of one invoice. `recipients` (comma-separated), `subject` and `body`
    default to the client's email and the practice's template. Raises Invoice.DoesNotExist for
    another practice's invoice, ServiceError for a refusal; nothing is written then."""
    invoice = (
        Invoice.objects.for_practice(membership.practice)
        .select_related("client", "practice")
        .get(pk=invoice_id)
    )
    require(membership, SEND_PERMISSION)
    if refused := _refusal(invoice, recipients):
        raise refused
    addresses = parse_recipients(client_recipients(invoice) if recipients is None else recipients)
    drafted_subject, drafted_body = drafted_message(invoice)
    subject = one_line(drafted_subject if subject is None else subject)
    body = drafted_body if body is None else body.replace("\r\n", "\n")
    if not subject:
        raise InvalidInput("The subject cannot be empty.", {"subject": ["Required."]})
    if len(subject) > MAX_SUBJECT:
        message = f"The subject can have at most {MAX_SUBJECT} characters."
        raise InvalidInput(message, {"subject": [message]})
    if len(body) > MAX_BODY:
        message = f"The message can have at most {MAX_BODY} characters."
        raise InvalidInput(message, {"body": [message]})
    if "\x00" in subject + body:
        raise InvalidInput("The message cannot contain NUL characters.")
    to = ", ".join(addresses)
    with transaction.atomic():
        row = InvoiceSend.objects.create(
            practice=membership.practice,
            invoice=invoice,
            requested_by=membership.user,
            recipients=to,
            subject=subject,
            body=body,
            message_id=_message_id(uuid.uuid4().hex),
        )
        invoicing.record_note(invoice, membership, "email requested", f"To {to}")
        tasks.send_later(row.pk)
    return row


def request_email(
    membership: Membership, invoice_ids: Iterable[int], *, recipients: str | None = None
) -> list[Outcome]:
    """Queue an email of each invoice (More actions ▸ Email selected invoices): each is handled
    on its own, and the answer says what happened to each, in the order given."""

    def email(invoice_id: int) -> str:
        row = request_send(membership, invoice_id, recipients=recipients)
        return f"Queued to {row.recipients}"

    return invoicing.each_invoice(membership, invoice_ids, email)


def send_again(membership: Membership, send_id: int) -> InvoiceSend:
    """A new send of a FAILED or UNKNOWN one, to the same addresses with the same words; the
    old row stays as the record of what happened."""
    old = InvoiceSend.objects.filter(practice=membership.practice).get(pk=send_id)
    require(membership, SEND_PERMISSION)
    if old.channel != SendChannel.EMAIL:
        raise TransitionRefused("This invoice was sent from QuickBooks Online: send it from there.")
    if old.state not in SEND_AGAIN_STATES:
        raise TransitionRefused(
            f"This email is {old.get_state_display().lower()}: only a failed or unknown one "
            "can be sent again."
        )
    return request_send(
        membership, old.invoice_id, recipients=old.recipients, subject=old.subject, body=old.body
    )


def sends_of(membership: Membership, invoice_id: int):
    """The sends of one of the practice's invoices, newest first."""
    invoice = invoicing.get_invoice(membership, invoice_id)
    return InvoiceSend.objects.filter(practice=membership.practice, invoice=invoice)


def latest_sends(invoices: Iterable[Invoice]) -> dict[int, InvoiceSend]:
    """The latest send of each invoice, for the Billing list's Emailed column: one query."""
    ids = [invoice.pk for invoice in invoices]
    latest: dict[int, InvoiceSend] = {}
    rows = InvoiceSend.objects.filter(invoice_id__in=ids).only(
        "invoice_id", "state", "created_at", "sent_at", "recipients", "error"
    )
    for row in rows.order_by("invoice_id", "-created_at", "-id"):
        latest.setdefault(row.invoice_id, row)
    return latest


def may_send(membership: Membership) -> bool:
    return membership.has(SEND_PERMISSION)


# ---- the sweep -------------------------------------------------------------------------------


def settle_abandoned(
    channel: SendChannel,
    *,
    sending_before: datetime,
    queued_before: datetime,
    error: str,
    wake: Callable[[int], object],
    actor_label: str,
) -> tuple[int, int]:
    """The sweep's part, for one channel's sends. A SENDING row older than `sending_before`
    has lost its worker: it becomes UNKNOWN, said on the invoice's timeline (the mail may have
    left, so it is never sent again by itself). A QUEUED row older than `queued_before` lost
    its wake-up: `wake(pk)` again (the claim makes a doubled wake-up harmless). Returns how
    many became unknown and how many were woken."""
    rows = InvoiceSend.objects.filter(channel=channel)
    unknown = 0
    stuck = rows.filter(state=SendState.SENDING, started_at__lt=sending_before)
    for row in stuck.select_related("invoice"):
        if InvoiceSend.objects.filter(pk=row.pk, state=SendState.SENDING).update(
            state=SendState.UNKNOWN, error=error
        ):
            unknown += 1
            invoicing.record_note(
                row.invoice, None, "email unknown", error, actor_label=actor_label
            )
    waiting = list(
        rows.filter(state=SendState.QUEUED, created_at__lt=queued_before).values_list(
            "pk", flat=True
        )
    )
    for send_id in waiting:
        wake(send_id)
    return unknown, len(waiting)


def sweep(now: datetime | None = None) -> dict:
    """Called by the QuickBooks sweep's clock, for the sends by our mail (every SMTP step is
    bounded by EMAIL_TIMEOUT)."""
    now = now or timezone.now()
    unknown, woken = settle_abandoned(
        SendChannel.EMAIL,
        sending_before=now - timedelta(seconds=SENDING_STALE_TIMEOUTS * settings.EMAIL_TIMEOUT),
        queued_before=now - QUEUED_STALE,
        error=f"{STOPPED} {delivery.UNKNOWN_ADVICE}",
        wake=tasks.send_invoice.enqueue,
        actor_label="Mail",
    )
    return {"sends_unknown": unknown, "sends_woken": woken}
