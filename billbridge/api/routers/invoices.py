"""Invoices: reading, drafting, and the status transitions as actions. Every change goes
through billbridge.invoicing.services, which looks the invoice up in the caller's practice
(another practice's is "not found"), then checks permissions and guards; this module only
translates."""

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Status

from billbridge.api.errors import error_responses
from billbridge.api.paging import paginate
from billbridge.api.schemas import (
    BulkIn,
    BulkOut,
    CloseIn,
    CreditNoteIn,
    InvoiceFilters,
    InvoiceIn,
    InvoiceOut,
    InvoicePage,
    InvoicePatch,
    LineIn,
    PageQuery,
    PeriodClosedOut,
    ReasonIn,
)
from billbridge.api.sending_schemas import SendIn, SendOut
from billbridge.documents import emailing
from billbridge.documents.rendering import invoice_pdf
from billbridge.invoicing import periods, services
from billbridge.invoicing.models import Invoice, TimelineEvent
from billbridge.invoicing.totals import LineInput
from billbridge.practice.models import Membership
from billbridge.quickbooks import sending as qbo_sending

router = Router(tags=["invoices"])

WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 422)
# These actions may be sent without a body; one that is sent is an object, never null.
NO_REASON = ReasonIn()
NO_OPTIONS = SendIn()


def _invoice_out(membership: Membership, invoice_id: int) -> Invoice:
    return (
        Invoice.objects.for_practice(membership.practice)
        .select_related("client")
        .prefetch_related(
            "lines", Prefetch("timeline", queryset=TimelineEvent.objects.select_related("actor"))
        )
        .get(pk=invoice_id)
    )


def _line_input(line: LineIn) -> LineInput:
    # LineInput.of would read a stored line's pk; a line sent names the line it keeps by `id`.
    return LineInput(line_id=line.id, **line.dict(exclude={"id"}))


def _draft_input(payload: InvoiceIn) -> services.DraftInput:
    return services.DraftInput(
        client_id=payload.client,
        issue_date=payload.issue_date,
        due_date=payload.due_date,
        memo=payload.memo,
        number=payload.number,
        lines=[_line_input(line) for line in payload.lines],
    )


@router.get(
    "",
    response={200: InvoicePage, **error_responses(401, 422)},
    summary="List invoices",
    description="Newest first, credit notes and write-offs among them (`kind` narrows). Closed "
    "invoices are left out unless `include_closed` is true or `status=closed` is asked for.",
)
def list_invoices(request: HttpRequest, filters: Query[InvoiceFilters], page: Query[PageQuery]):
    invoices = (
        Invoice.objects.for_practice(request.auth.practice)
        .select_related("client")
        .narrowed(
            client_id=filters.client,
            status=filters.status or "",
            include_closed=filters.include_closed,
            search=filters.search,
            kind=filters.kind or "",
        )
    )
    return paginate(invoices, page)


@router.post(
    "",
    response={201: InvoiceOut, **WRITE_ERRORS},
    summary="Create a draft invoice",
    description="Needs the Process time permission. Without a number the invoice takes the "
    "practice's next one.",
)
def create_invoice(request: HttpRequest, payload: InvoiceIn):
    invoice = services.create_draft(request.auth, _draft_input(payload))
    return Status(201, _invoice_out(request.auth, invoice.pk))


@router.get(
    "/{int:invoice_id}",
    response={200: InvoiceOut, **error_responses(401, 404, 422)},
    summary="Get an invoice with its lines and timeline",
)
def get_invoice(request: HttpRequest, invoice_id: int):
    return _invoice_out(request.auth, invoice_id)


@router.put(
    "/{int:invoice_id}",
    response={200: InvoiceOut, **WRITE_ERRORS},
    summary="Replace a draft invoice",
    description="Drafts only (409 otherwise). Needs the Process time permission.",
)
def replace_invoice(request: HttpRequest, invoice_id: int, payload: InvoiceIn):
    services.update_draft(request.auth, invoice_id, _draft_input(payload))
    return _invoice_out(request.auth, invoice_id)


@router.patch(
    "/{int:invoice_id}",
    response={200: InvoiceOut, **WRITE_ERRORS},
    summary="Update a draft invoice",
    description="Changes only the fields sent; `lines`, when sent, replaces all the lines. "
    "Drafts only (409 otherwise). Needs the Process time permission.",
)
def update_invoice(request: HttpRequest, invoice_id: int, payload: InvoicePatch):
    current = _invoice_out(request.auth, invoice_id)
    changes = payload.dict(exclude_unset=True)
    if "lines" in changes:
        lines = [_line_input(line) for line in payload.lines]
    else:
        # The stored lines, each naming itself, so that their time stays held on them.
        lines = [LineInput.of(line) for line in current.lines.all()]
    data = services.DraftInput(
        client_id=changes.get("client", current.client_id),
        issue_date=changes.get("issue_date", current.issue_date),
        due_date=changes.get("due_date", current.due_date),
        memo=changes.get("memo", current.memo),
        number=changes.get("number"),
        lines=lines,
    )
    # The merge above read `current`; a change committed since then must not be overwritten.
    services.update_draft(request.auth, invoice_id, data, expected_version=current.version)
    return _invoice_out(request.auth, invoice_id)


@router.delete(
    "/{int:invoice_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a draft invoice",
    description="Drafts only, and only one never exported to QuickBooks Online (409 "
    "otherwise: edit it instead). The work held on its lines returns to WIP. Needs the Process "
    "time permission.",
)
def delete_invoice(request: HttpRequest, invoice_id: int):
    services.delete_draft(request.auth, invoice_id)
    return Status(204, None)


@router.get(
    "/{int:invoice_id}/pdf",
    response={200: None, **error_responses(401, 404, 422)},
    summary="Get an invoice's PDF",
    description="The PDF the client receives: a finalized or closed invoice's is the one frozen "
    "when it was finalized (the same bytes until it changes); a draft's says DRAFT across it.",
    openapi_extra={
        "responses": {
            200: {
                "description": "The invoice's PDF, named by its number.",
                # Bytes, described by their media type alone: a JSON schema describes text.
                "content": {"application/pdf": {}},
            }
        }
    },
)
def get_invoice_pdf(request: HttpRequest, invoice_id: int):
    pdf, name = invoice_pdf(services.get_invoice(request.auth, invoice_id))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _transition(request: HttpRequest, invoice_id: int, action, *args) -> Invoice:
    action(request.auth, invoice_id, *args)
    return _invoice_out(request.auth, invoice_id)


@router.post(
    "/{int:invoice_id}/finalize",
    response={200: InvoiceOut, **WRITE_ERRORS},
    summary="Finalize a draft",
    description="Needs the Process time permission; the invoice needs lines and a due date.",
)
def finalize_invoice(request: HttpRequest, invoice_id: int):
    return _transition(request, invoice_id, services.finalize)


@router.post(
    "/{int:invoice_id}/revert-to-draft",
    response={200: InvoiceOut, **WRITE_ERRORS, 409: PeriodClosedOut},
    summary="Revert a finalized invoice to Draft",
    description="Needs the Process time permission and the Owner role on the invoice's client. "
    "An invoice in a closed period (the practice's lock date, QuickBooks' closed-books date) "
    "is refused with 409, `credit_note` naming where to credit it instead.",
)
def revert_invoice_to_draft(request: HttpRequest, invoice_id: int, payload: ReasonIn = NO_REASON):
    try:
        return _transition(request, invoice_id, services.revert_to_draft, payload.reason)
    except periods.PeriodClosed as closed:
        way_forward = reverse("api:credit_invoice", args=[invoice_id])
        return Status(
            409,
            {
                "detail": closed.message,
                "errors": {},
                "credit_note": way_forward if closed.credit_possible else None,
            },
        )


@router.post(
    "/{int:invoice_id}/close",
    response={200: InvoiceOut, **WRITE_ERRORS},
    summary="Close a finalized invoice",
    description="Needs the Process time permission and a reason.",
)
def close_invoice(request: HttpRequest, invoice_id: int, payload: CloseIn):
    return _transition(request, invoice_id, services.close, payload.reason)


@router.post(
    "/{int:invoice_id}/reopen",
    response={200: InvoiceOut, **WRITE_ERRORS},
    summary="Reopen a closed invoice (back to Finalized)",
    description="Needs the Process time permission and the Owner role on the invoice's client.",
)
def reopen_invoice(request: HttpRequest, invoice_id: int, payload: ReasonIn = NO_REASON):
    return _transition(request, invoice_id, services.reopen, payload.reason)


@router.post(
    "/{int:invoice_id}/credit-notes",
    response={201: InvoiceOut, **WRITE_ERRORS},
    url_name="credit_invoice",
    summary="Draft a credit note or write-off against an invoice",
    description="Against a finalized or closed invoice (409 otherwise): all of it, the lines "
    "named or an amount; a write-off takes back an amount, by default all that remains. "
    "Answers the draft, to be finalized like an invoice. Needs the Process time permission "
    "and the Owner role on the invoice's client. 400 for more than remains, a date in a "
    "closed period or before the invoice, line ids that are not the invoice's, or lines with "
    "an amount.",
)
def credit_invoice(request: HttpRequest, invoice_id: int, payload: CreditNoteIn):
    note = services.create_credit_note(
        request.auth,
        services.CreditInput(
            invoice_id=invoice_id,
            reason=payload.reason,
            line_ids=tuple(payload.line_ids),
            amount=payload.amount,
            issue_date=payload.issue_date,
            write_off=payload.write_off,
        ),
    )
    return Status(201, _invoice_out(request.auth, note.pk))


@router.post(
    "/{int:invoice_id}/corrected-copy",
    response={201: InvoiceOut, **WRITE_ERRORS},
    summary="Make a corrected copy of an invoice as a new draft",
    description="The invoice's client and lines on a new draft dated in the open period (today, "
    "or the first day after a closed period), to edit and finalize once the invoice is "
    "credited. A finalized or closed invoice only (409 otherwise). Needs the Process time "
    "permission.",
)
def copy_invoice(request: HttpRequest, invoice_id: int):
    copy = services.corrected_copy(request.auth, invoice_id)
    return Status(201, _invoice_out(request.auth, copy.pk))


@router.post(
    "/bulk",
    response={200: BulkOut, **error_responses(400, 401, 403, 413, 422)},
    summary="Run one action on several invoices",
    description="Each invoice is handled on its own: one refusal neither stops nor undoes the "
    "others. The answer says what happened to each.",
)
def bulk_action(request: HttpRequest, payload: BulkIn):
    outcomes = services.apply_bulk(request.auth, payload.action, payload.ids)
    return {
        "outcomes": [
            {"id": o.invoice_id, "number": o.number, "done": o.done, "message": o.message}
            for o in outcomes
        ]
    }


@router.post(
    "/{int:invoice_id}/send",
    response={202: SendOut, **WRITE_ERRORS},
    summary="Email a finalized invoice to its client",
    description="Needs the Process time permission. Queues one email with the invoice's PDF "
    "attached; the answer is its send row, to be read again at `/sends` (sent, failed with the "
    "reason, or unknown). 409 for a draft; 400 when there is no address to send to. With the "
    "practice's Send from QuickBooks on, QuickBooks Online emails it instead (channel "
    "`quickbooks`): that needs the Export permission, an invoice exported with its PDF attached "
    "(409 otherwise) and one address; subject and body are QuickBooks' own.",
)
def send_invoice(request: HttpRequest, invoice_id: int, payload: SendIn = NO_OPTIONS):
    invoice = services.get_invoice(request.auth, invoice_id)
    if qbo_sending.sends_from_quickbooks(request.auth.practice, invoice):
        given = payload.recipients
        row = qbo_sending.request_one(
            request.auth, invoice_id, recipients=given.split(",") if given else None
        )
    else:
        row = emailing.request_send(request.auth, invoice_id, **payload.dict())
    return Status(202, row)


@router.get(
    "/{int:invoice_id}/sends",
    response={200: list[SendOut], **error_responses(401, 404, 422)},
    summary="The emails of an invoice, newest first",
)
def list_sends(request: HttpRequest, invoice_id: int):
    return list(emailing.sends_of(request.auth, invoice_id))
