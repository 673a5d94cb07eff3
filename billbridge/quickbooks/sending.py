"""Send from QuickBooks: QBO emails the invoice to the client (POST /invoice/{id}/send), with
the PDF attached to the QBO invoice, instead of our own mail (the practice's option,
QboConnection.send_from_quickbooks; docs/decisions/0025).

Each send is an InvoiceSend row (channel QUICKBOOKS), the record of truth as the email rows
are: QUEUED when asked, SENDING and committed before the request leaves, then SENT with QBO's
DeliveryInfo or FAILED with its reason. An unclear answer (a timeout, a 5xx, a worker that died
SENDING) is UNKNOWN, and is never sent again by itself: QBO takes no look-up for an email sent,
so a person checks in QuickBooks and decides.
"""

import uuid
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tasks import task

from billbridge.core.errors import TransitionRefused
from billbridge.documents import emailing
from billbridge.documents.models import InvoiceSend, SendChannel, SendState
from billbridge.invoicing.models import CREDIT_KINDS, Invoice
from billbridge.invoicing.services import MAX_ID, Outcome
from billbridge.practice.models import Membership, Permission
from billbridge.practice.permissions import require
from billbridge.quickbooks.client import QboAuthFailed, QboError, QboFault, QboThrottled
from billbridge.quickbooks.connection import NOT_CONNECTED, client_for, connection_for
from billbridge.quickbooks.faults import describe
from billbridge.quickbooks.models import AttachmentState, QboAttachment, QboInvoiceLink
from billbridge.quickbooks.tokens import ReconnectRequired

SUBJECT = "Invoice emailed by QuickBooks Online"
BODY = "QuickBooks Online writes this email from the company's own template, the PDF attached."
# A row SENDING this long has lost its worker: QBO answers a send in seconds.
ABANDONED_AFTER = timedelta(minutes=10)
# A row QUEUED this long has lost its wake-up.
LOST_AFTER = timedelta(minutes=2)


def sends_from_quickbooks(practice, invoice: Invoice | None = None) -> bool:
    """The practice's choice: QuickBooks emails its invoices, not our mail. Credit notes
    always go by our mail: QBO's send here is the invoice's (docs/decisions/0027)."""
    if invoice is not None and invoice.is_credit:
        return False
    connection = connection_for(practice)
    return connection is not None and connection.send_from_quickbooks


def send_selected(membership: Membership, invoice_ids) -> list[Outcome]:
    """More actions ▸ Email selected invoices, by the practice's channel: QuickBooks when it
    chose Send from QuickBooks (its credit notes by our mail), our mail otherwise."""
    if not sends_from_quickbooks(membership.practice):
        return emailing.request_email(membership, invoice_ids)
    ids = list(dict.fromkeys(invoice_ids))
    credits = set(
        Invoice.objects.for_practice(membership.practice)
        .filter(pk__in=[i for i in ids if 0 < i <= MAX_ID], kind__in=CREDIT_KINDS)
        .values_list("pk", flat=True)
    )
    mailed, rest = [i for i in ids if i in credits], [i for i in ids if i not in credits]
    by_mail = emailing.request_email(membership, mailed) if mailed else []
    by_quickbooks = request_send(membership, rest) if rest else []
    outcomes = {outcome.invoice_id: outcome for outcome in [*by_mail, *by_quickbooks]}
    return [outcomes[i] for i in ids]


def request_one(
    membership: Membership, invoice_id: int, *, recipients: list[str] | None = None
) -> InvoiceSend:
    """One invoice sent by QuickBooks, for its page and the API: its send row. Raises
    Invoice.DoesNotExist for another practice's invoice and ServiceError for a refusal;
    nothing is written then."""
    Invoice.objects.for_practice(membership.practice).get(pk=invoice_id)
    (outcome,) = request_send(membership, [invoice_id], recipients=recipients)
    if not outcome.done:
        raise TransitionRefused(outcome.message)
    return InvoiceSend.objects.filter(invoice_id=invoice_id, channel=SendChannel.QUICKBOOKS)[0]


def request_send(
    membership: Membership, invoice_ids, *, recipients: list[str] | None = None
) -> list[Outcome]:
    """Ask QuickBooks to email each selected invoice to its client (the client's email, or
    the one address given). Only an invoice QuickBooks holds as it is now, its PDF attached
    there, can go: another is refused with the reason. Each is decided on its own."""
    require(membership, Permission.EXPORT)
    connection = connection_for(membership.practice)
    if connection is None or not connection.is_connected:
        raise TransitionRefused(
            NOT_CONNECTED if connection is None else connection.status_reason or NOT_CONNECTED
        )
    ids = list(dict.fromkeys(invoice_ids))
    invoices = {
        invoice.pk: invoice
        for invoice in Invoice.objects.for_practice(membership.practice)
        .filter(pk__in=[i for i in ids if 0 < i <= MAX_ID])
        .select_related("client")
    }
    outcomes, queued = [], []
    with transaction.atomic():
        for invoice_id in ids:
            invoice = invoices.get(invoice_id)
            if invoice is None:
                outcomes.append(Outcome(invoice_id, "", False, "No such invoice."))
                continue
            problem, attachment = _not_sendable(invoice)
            address, refused = _recipient(invoice, recipients)
            if problem or refused:
                outcomes.append(Outcome(invoice_id, invoice.number, False, problem or refused))
                continue
            row = InvoiceSend.objects.create(
                practice=membership.practice,
                invoice=invoice,
                document=attachment.document,
                requested_by=membership.user,
                channel=SendChannel.QUICKBOOKS,
                recipients=address,
                subject=SUBJECT,
                body=BODY,
                message_id=uuid.uuid4().hex,  # QBO's requestid of this send
            )
            queued.append(row.pk)
            outcomes.append(
                Outcome(
                    invoice_id,
                    invoice.number,
                    True,
                    f"Invoice {invoice.number} is being emailed by QuickBooks to {address}.",
                )
            )
        transaction.on_commit(lambda: [send_from_quickbooks.enqueue(pk) for pk in queued])
    return outcomes


def _not_sendable(invoice: Invoice) -> tuple[str, QboAttachment | None]:
    """Why QBO cannot email the invoice as it is now ("" when it can), and its attached PDF."""
    if invoice.is_draft:
        return f"Invoice {invoice.number} is a draft: finalize it and export it first.", None
    link = QboInvoiceLink.objects.filter(invoice=invoice, state=QboInvoiceLink.State.IN_QBO).first()
    if link is None or link.exported_content_version != invoice.content_version:
        return (
            f"Invoice {invoice.number} is not in QuickBooks as it is now: export it first.",
            None,
        )
    attachment = QboAttachment.objects.filter(
        invoice=invoice,
        content_version=invoice.content_version,
        state=AttachmentState.ATTACHED,
    ).first()
    if attachment is None:
        return (
            f"The PDF of invoice {invoice.number} is not attached in QuickBooks yet: export it "
            "first, and send it once the QuickBooks Export column shows it exported.",
            None,
        )
    return "", attachment


def _recipient(invoice: Invoice, recipients: list[str] | None) -> tuple[str, str]:
    """QBO's send takes one address (sendTo): the one given, or the client's first billing
    address."""
    given = [address.strip() for address in recipients or [] if address.strip()]
    if len(given) > 1:
        return "", "QuickBooks emails an invoice to one address: give one."
    billing = invoice.client.billing_addresses()
    address = given[0] if given else billing[0] if billing else ""
    if not address:
        return "", (
            f"Client {invoice.client.name} has no email address: add one to the client, or "
            "give the address to send to."
        )
    try:
        validate_email(address)
    except ValidationError:
        return "", f"{address!r} is not an email address."
    return address, ""


@task()
def send_from_quickbooks(send_id: int) -> str:
    return send(send_id)


def send(send_id: int) -> str:
    """Ask QBO to email one queued row's invoice, once; returns the row's state. A row that is
    not QUEUED any more (sent, failed, unknown, or taken by another worker) is left alone."""
    with transaction.atomic():
        row = (
            InvoiceSend.objects.select_for_update()
            .select_related("invoice__client", "invoice__practice")
            .filter(pk=send_id, channel=SendChannel.QUICKBOOKS)
            .first()
        )
        if row is None or row.state != SendState.QUEUED:
            return row.state if row else ""
        problem, _ = _not_sendable(row.invoice)
        connection = connection_for(row.invoice.practice)
        if not problem and (connection is None or not connection.is_connected):
            problem = NOT_CONNECTED
        if problem:
            _finish(row, SendState.FAILED, error=problem)
            return row.state
        row.state = SendState.SENDING
        row.attempts += 1
        row.started_at = timezone.now()
        row.save(update_fields=["state", "attempts", "started_at", "updated_at"])
    # Committed: from here a crash leaves SENDING, which the sweep makes UNKNOWN.
    qbo_invoice_id = row.invoice.qbo_link.qbo_invoice_id
    try:
        with client_for(connection) as client:
            answer = client.send_invoice(qbo_invoice_id, row.recipients, request_id=row.message_id)
    except (ReconnectRequired, QboAuthFailed, QboThrottled) as exc:
        # Refused before anything was sent.
        _finish(row, SendState.FAILED, error=f"Nothing was sent: {exc} Send it again later.")
        return row.state
    except QboFault as exc:
        if not exc.transient:
            _finish(row, SendState.FAILED, error=f"QuickBooks refused: {describe(exc)}")
            return row.state
        _finish(row, SendState.UNKNOWN, error=_unclear(exc))
        return row.state
    except QboError as exc:
        state = SendState.UNKNOWN if exc.ambiguous else SendState.FAILED
        error = _unclear(exc) if exc.ambiguous else f"Nothing was sent: {exc}"
        _finish(row, state, error=error)
        return row.state
    _sent(row, answer)
    return row.state


def _unclear(exc: QboError) -> str:
    return (
        f"QuickBooks did not answer clearly ({exc}): it may have emailed the invoice. Check in "
        "QuickBooks before sending it again."
    )[:500]


def _sent(row: InvoiceSend, answer: dict) -> None:
    """QBO's answer: the invoice with EmailStatus EmailSent and its DeliveryInfo."""
    delivery = answer.get("DeliveryInfo") or {}
    when = parse_datetime(str(delivery.get("DeliveryTime") or "")) or timezone.now()
    how = delivery.get("DeliveryType") or "Email"
    row.body = (
        f"{BODY} QuickBooks answered {answer.get('EmailStatus') or 'EmailSent'}, delivery "
        f"{how} at {when.isoformat()}."
    )
    _finish(row, SendState.SENT, sent_at=when)


def _finish(row: InvoiceSend, state: str, *, error: str = "", sent_at: datetime | None = None):
    row.state = state
    row.error = error[:500]
    row.sent_at = sent_at
    row.save(update_fields=["state", "error", "sent_at", "body", "updated_at"])


def settle_abandoned(now: datetime) -> int:
    """The sweep's part for sends by QuickBooks (emailing.settle_abandoned): a worker that died
    SENDING leaves an UNKNOWN, never sent again by itself. Returns how many became UNKNOWN."""
    unknown, _ = emailing.settle_abandoned(
        SendChannel.QUICKBOOKS,
        sending_before=now - ABANDONED_AFTER,
        queued_before=now - LOST_AFTER,
        error="The worker stopped before QuickBooks answered: it may have emailed the invoice. "
        "Check in QuickBooks before sending it again.",
        wake=send_from_quickbooks.enqueue,
        actor_label="QuickBooks",
    )
    return unknown
