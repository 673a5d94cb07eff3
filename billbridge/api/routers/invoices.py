"""Invoices: reading, drafting, and the status transitions as actions. Every change goes
through billbridge.invoicing.services, which looks the invoice up in the caller's practice
(another practice's is "not found"), then checks permissions and guards; this module only
translates."""

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Query, Router, Status

from billbridge.api.errors import error_responses
from billbridge.api.paging import paginate
from billbridge.api.schemas import (
    BulkIn,
    BulkOut,
    CloseIn,
    InvoiceFilters,
    InvoiceIn,
    InvoiceOut,
    InvoicePage,
    InvoicePatch,
    LineIn,
    PageQuery,
    ReasonIn,
)
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice, TimelineEvent
from billbridge.invoicing.totals import LineInput
from billbridge.practice.models import Membership

router = Router(tags=["invoices"])

WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 422)
# These actions may be sent without a body; one that is sent is an object, never null.
NO_REASON = ReasonIn()


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
    description="Newest first. Closed invoices are left out unless `include_closed` is true or "
    "`status=closed` is asked for.",
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
    response={200: InvoiceOut, **WRITE_ERRORS},
    summary="Revert a finalized invoice to Draft",
    description="Needs the Process time permission and the Owner role on the invoice's client.",
)
def revert_invoice_to_draft(request: HttpRequest, invoice_id: int, payload: ReasonIn = NO_REASON):
    return _transition(request, invoice_id, services.revert_to_draft, payload.reason)


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
