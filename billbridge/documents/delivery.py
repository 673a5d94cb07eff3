"""A worker sending one InvoiceSend row: claim it, build the mail, talk SMTP step by step.

The row is claimed QUEUED → SENDING by a conditional UPDATE and committed before the mail is
built, so of two workers given the same row one sends and the other does nothing. Then the
SMTP conversation is held one command at a time (smtplib's send_message would hide how far it
got): a failure before the message's last line is sent means the server never had it
(FAILED, its reason in plain words); a failure after it and before the server's final answer
means it may have it (UNKNOWN: a person checks). Only the server's 250 makes a row SENT.
No transaction is open while the mail server is spoken to.
"""

import contextlib
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F
from django.utils import timezone

from billbridge.documents.models import InvoiceDocument, InvoiceSend, SendChannel, SendState
from billbridge.documents.rendering import invoice_pdf
from billbridge.documents.services import template_for
from billbridge.invoicing import services as invoicing
from billbridge.practice.models import Membership

log = logging.getLogger(__name__)

MAX_ERROR = 500  # InvoiceSend.error
UNKNOWN_ADVICE = "It may have been delivered: check the mailbox, then send again if it was not."


@dataclass(frozen=True)
class Delivery:
    state: SendState
    error: str = ""


class Refused(Exception):
    """The mail server said no before it had the message: nothing was delivered."""


def send(send_id: int) -> str:
    """Send the row if this worker wins its claim; returns the row's state afterwards."""
    if not _claim(send_id):
        return "not claimed"
    row = InvoiceSend.objects.select_related("invoice__client", "practice").get(pk=send_id)
    try:
        message = build_message(row)
    except Exception as exc:  # noqa: BLE001 - whatever stops the PDF, the row must say so
        log.exception("invoice send %s: the mail could not be built", send_id)
        delivery = Delivery(SendState.FAILED, f"The invoice's PDF could not be made ({exc}).")
    else:
        delivery = deliver(message)
    _record(row, delivery)
    return delivery.state


def _claim(send_id: int) -> bool:
    return bool(
        InvoiceSend.objects.filter(
            pk=send_id, channel=SendChannel.EMAIL, state=SendState.QUEUED
        ).update(state=SendState.SENDING, started_at=timezone.now(), attempts=F("attempts") + 1)
    )


def build_message(row: InvoiceSend) -> EmailMessage:
    """The mail as the client reads it: From the practice's name at our address, Reply-To the
    practice's contact email, the frozen PDF attached, our Message-ID from the row."""
    invoice = row.invoice
    template = template_for(row.practice)
    pdf, file_name = invoice_pdf(invoice)
    document = InvoiceDocument.objects.filter(
        invoice=invoice, sha256=InvoiceDocument.digest(pdf)
    ).first()
    if document is not None:
        InvoiceSend.objects.filter(pk=row.pk).update(document=document)
    message = EmailMessage(
        subject=row.subject,
        body=row.body,
        from_email=formataddr(
            (template.display_name or row.practice.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1])
        ),
        to=[address.strip() for address in row.recipients.split(",")],
        reply_to=[template.contact_email] if template.contact_email else None,
        headers={"Message-ID": row.message_id},
    )
    message.attach(file_name, pdf, "application/pdf")
    return message


def _record(row: InvoiceSend, delivery: Delivery) -> None:
    """The outcome, on the row and the invoice's timeline. An UNKNOWN the sweep wrote while
    this worker was slow gives way to what the server really answered."""
    changed = InvoiceSend.objects.filter(
        pk=row.pk, state__in=[SendState.SENDING, SendState.UNKNOWN]
    ).update(
        state=delivery.state,
        error=delivery.error[:MAX_ERROR],
        sent_at=timezone.now() if delivery.state == SendState.SENT else None,
    )
    if not changed:
        return
    requester = Membership.objects.filter(user_id=row.requested_by_id).first()
    if delivery.state == SendState.SENT:
        invoicing.record_note(row.invoice, requester, "emailed", f"To {row.recipients}")
    elif delivery.state == SendState.FAILED:
        invoicing.record_note(row.invoice, requester, "email failed", delivery.error)
    else:
        invoicing.record_note(row.invoice, requester, "email unknown", delivery.error)


# ---- SMTP, one command at a time -------------------------------------------------------------


def _said(code: int, answer: bytes | str) -> str:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer
    return f"{code} {' '.join(text.split())}"


def _timed_out(exc: BaseException) -> bool:
    # smtplib turns a socket time-out while reading into SMTPServerDisconnected("… timed out").
    return (
        isinstance(exc, TimeoutError)
        or isinstance(exc.__context__, TimeoutError)
        or ("timed out" in str(exc))
    )


def _where() -> str:
    return f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"


def _before_data(exc: BaseException) -> str:
    """A failure before the server had the message, in plain words."""
    if isinstance(exc, Refused):
        return str(exc)
    if _timed_out(exc):
        return (
            f"The mail server at {_where()} did not answer within {settings.EMAIL_TIMEOUT} "
            "seconds; nothing was sent."
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"The mail server refused the login ({_said(exc.smtp_code, exc.smtp_error)})."
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"The mail server at {_where()} closed the connection; nothing was sent."
    if isinstance(exc, ssl.SSLError):
        return f"The secure connection to the mail server at {_where()} failed ({exc})."
    if isinstance(exc, smtplib.SMTPException):
        return f"The mail server at {_where()} refused the mail ({exc})."
    if isinstance(exc, ConnectionRefusedError):
        return f"The mail server at {_where()} could not be reached: the connection was refused."
    return f"The mail server at {_where()} could not be reached ({exc})."


def _connect() -> smtplib.SMTP:
    kind = smtplib.SMTP_SSL if settings.EMAIL_USE_SSL else smtplib.SMTP
    return kind(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=settings.EMAIL_TIMEOUT)


def _up_to_data(smtp: smtplib.SMTP, sender: str, recipients: list[str]) -> None:
    smtp.ehlo_or_helo_if_needed()
    if settings.EMAIL_USE_TLS:
        smtp.starttls(context=ssl.create_default_context())
        smtp.ehlo()
    if settings.EMAIL_HOST_USER:
        smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
    code, answer = smtp.mail(sender)
    if code != 250:
        raise Refused(f"The mail server refused the sender {sender}: {_said(code, answer)}.")
    for recipient in recipients:
        code, answer = smtp.rcpt(recipient)
        if code not in (250, 251):
            # All or none: the client's other addresses are not mailed alone.
            raise Refused(f"The mail server refused {recipient}: {_said(code, answer)}.")
    code, answer = smtp.docmd("DATA")
    if code != 354:
        raise Refused(f"The mail server refused the message: {_said(code, answer)}.")


def _dot_stuffed(data: bytes) -> bytes:
    """RFC 5321 §4.5.2: a line starting with "." gets another, and "." alone ends the data."""
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def deliver(message: EmailMessage) -> Delivery:
    sender = parseaddr(message.from_email)[1]
    recipients = message.recipients()
    data = _dot_stuffed(message.message().as_bytes(linesep="\r\n"))
    try:
        smtp = _connect()
    except (OSError, smtplib.SMTPException) as exc:
        return Delivery(SendState.FAILED, _before_data(exc))
    try:
        try:
            _up_to_data(smtp, sender, recipients)
        except (OSError, smtplib.SMTPException, Refused) as exc:
            return Delivery(SendState.FAILED, _before_data(exc))
        # From here the server may have the message: only its final answer tells.
        try:
            smtp.send(data)
            code, answer = smtp.getreply()
        except (OSError, smtplib.SMTPException):
            return Delivery(
                SendState.UNKNOWN,
                f"The connection to the mail server ended after the message was sent and "
                f"before the server confirmed it. {UNKNOWN_ADVICE}",
            )
        if code != 250:
            return Delivery(
                SendState.FAILED,
                f"The mail server did not accept the message: {_said(code, answer)}.",
            )
        # Delivered already: a rude goodbye changes nothing.
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()
        return Delivery(SendState.SENT)
    finally:
        smtp.close()
