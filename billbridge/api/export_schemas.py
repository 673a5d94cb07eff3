"""What the API accepts and answers about exports to QuickBooks Online and checks before them."""

import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from billbridge.api.schemas import Id, Input

MAX_EXPORT_IDS = 1000


class ExportIn(Input):
    invoices: list[Id] = Field(
        min_length=1,
        max_length=MAX_EXPORT_IDS,
        description="Ids of your practice's invoices; only finalized ones are taken.",
    )


class ProgressOut(Schema):
    total: int = Field(
        description="The invoices taken on (refused ones are counted in `refused`, not here)."
    )
    queued: int = Field(description="Waiting to be exported (or checked).")
    exporting: int = Field(description="Sent, or being looked up in QuickBooks.")
    exported: int = Field(description="Exported; for a check, found ready.")
    warnings: int = Field(description="Exported with a warning.")
    errors: int = Field(description="Ended in error or needing review; for a check, problems.")
    refused: int = Field(description="Refused before anything was sent (see `refused`).")
    finished: bool = Field(description="Nothing is queued or exporting any more.")
    summary: str = Field(examples=["2 of 3 exported, 1 with errors."])


class RefusedOut(Schema):
    id: int
    number: str = Field(description="Empty when the id is not one of your practice's invoices.")
    message: str


class FindingOut(Schema):
    tone: Literal["ok", "warning", "error"]
    text: str
    advice: str


class ExportedInvoiceOut(Schema):
    id: int
    number: str
    state: str = Field(
        description="This batch's outcome for the invoice. An export: `queued`, `sending`, "
        "`unknown` (sent, its outcome being looked up in QuickBooks), `exported`, `failed`, "
        "`review` (needs review) or `confirm` (deleted in QuickBooks: a new QBO invoice needs "
        "your confirmation). A check: `ready` or `problems`."
    )
    label: str = Field(
        description="What the QuickBooks Export column shows for the invoice now, as do "
        "`code`, `message`, `advice` and the `qbo_` fields.",
        examples=["Exported"],
    )
    code: str = Field(description="Intuit's error code, when QuickBooks refused.")
    message: str
    advice: str = Field(description="What to do next.")
    warning: str = Field(description="A warning of this batch's export, such as a tax change.")
    qbo_invoice_id: str = Field(description="The QuickBooks invoice's Id, while it is there.")
    qbo_number: str = Field(description="The QuickBooks invoice's number (DocNumber).")
    qbo_url: str = Field(description="The invoice in QuickBooks Online.")
    findings: list[FindingOut] = Field(description="A check's findings; empty for an export.")


class ExportBatchOut(Schema):
    id: int
    kind: Literal["export", "check"]
    created_at: datetime.datetime
    progress: ProgressOut
    refused: list[RefusedOut]
    invoices: list[ExportedInvoiceOut] = Field(
        description="The batch's invoices in the order they were taken on; a check lists "
        "those checked so far."
    )
