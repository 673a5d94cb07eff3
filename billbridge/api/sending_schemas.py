"""What the API accepts and answers about emailing invoices to clients (issue 11)."""

import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from billbridge.api.schemas import Input
from billbridge.documents import emailing
from billbridge.documents.models import SendChannel, SendState


class SendIn(Input):
    recipients: str | None = Field(
        default=None,
        max_length=2000,
        description="Comma-separated addresses; the client's billing email when left out.",
        examples=["ap@harbor.example, owner@harbor.example"],
    )
    subject: str | None = Field(
        default=None,
        max_length=emailing.MAX_SUBJECT,
        description="From the practice's invoice template when left out.",
    )
    body: str | None = Field(
        default=None,
        max_length=emailing.MAX_BODY,
        description="From the practice's invoice template when left out.",
    )


class SendOut(Schema):
    id: int
    invoice: int = Field(validation_alias="invoice_id")
    channel: Literal[tuple(SendChannel.values)] = Field(  # type: ignore[valid-type]
        description="email (our mail server) or quickbooks (QuickBooks Online emailed it: the "
        "practice's Send from QuickBooks)."
    )
    recipients: str
    subject: str
    state: Literal[tuple(SendState.values)] = Field(  # type: ignore[valid-type]
        description="queued, then sending; then sent (the mail server accepted it), failed "
        "(see `error`; nothing was delivered) or unknown (the sending stopped after the mail "
        "was handed over: check the mailbox, then send again if it did not arrive)."
    )
    error: str
    message_id: str
    attempts: int
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    sent_at: datetime.datetime | None
