"""A client's work in progress, and invoices made from it. Looking at WIP needs no permission,
like looking at billing (docs/decisions/0003-permissions.md); invoicing it needs Process time,
which billbridge.time.billing checks. The client is looked up in the caller's practice first,
so another practice's client is "not found" to everyone."""

from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Status

from billbridge.api.errors import error_responses
from billbridge.api.routers.clients import client_of
from billbridge.api.routers.invoices import WRITE_ERRORS, _invoice_out
from billbridge.api.schemas import InvoiceOut
from billbridge.api.time_schemas import ClientWipOut, WipBillingIn, WipPreviewOut
from billbridge.core.errors import InvalidInput
from billbridge.time import billing
from billbridge.time.values import hours
from billbridge.time.wip import client_wip

router = Router(tags=["time"])


@router.get(
    "/clients/{int:client_id}/wip",
    response={200: ClientWipOut, **error_responses(401, 404, 422)},
    summary="Get a client's work in progress",
    description="Its unbilled billable time and expenses: totals, by work code, by person, "
    "by age, and the entries themselves.",
)
def get_client_wip(request: HttpRequest, client_id: int):
    wip = client_wip(request.auth, client_id)
    for entry in wip.entries:
        # All the client's: its row is read once, not once per entry.
        entry.client = wip.client
    totals = wip.totals
    return {
        "client": wip.client,
        "totals": {**totals, "hours": hours(totals["minutes"])},
        "by_work_code": [
            {
                "work_code": None
                if row["work_code_id"] is None
                else {"id": row["work_code_id"], "name": row["name"]},
                "entries": row["entries"],
                "hours": hours(row["minutes"]),
                "value": row["value"],
            }
            for row in wip.by_work_code
        ],
        "by_person": [
            {
                "staff": {"id": row["staff_id"], "username": row["staff__user__username"]},
                "name": _full_name(row) or row["staff__user__username"],
                "entries": row["entries"],
                "hours": hours(row["minutes"]),
                "value": row["value"],
            }
            for row in wip.by_person
        ],
        "aged": [{"label": label, "value": value} for label, value in wip.aged],
        "entries": wip.entries,
        "more": wip.more,
    }


def _full_name(row: dict) -> str:
    return " ".join(
        part for part in (row["staff__user__first_name"], row["staff__user__last_name"]) if part
    )


def _billing(client_id: int, payload: WipBillingIn) -> billing.WipBilling:
    """The service's input, refusing choices that would silently drop part of the request."""
    if payload.entry_ids is not None and payload.through is not None:
        raise InvalidInput(
            "Choose the entries or a date to invoice through, not both.",
            {"through": ["Leave out `through` when sending `entry_ids`."]},
        )
    if payload.fixed_fee is not None and (payload.total is not None or payload.line_amounts):
        raise InvalidInput(
            "A fixed fee replaces the lines' amounts and the total: send one or the other.",
            {"fixed_fee": ["Not with `total` or `line_amounts`."]},
        )
    return billing.WipBilling(
        client_id=client_id,
        entry_ids=tuple(payload.entry_ids or ()),
        through=payload.through,
        grouping=payload.grouping,
        line_amounts=payload.line_amounts,
        total=payload.total,
        fixed_fee=payload.fixed_fee,
        reason=payload.reason,
        issue_date=payload.issue_date,
        due_date=payload.due_date,
        memo=payload.memo,
    )


@router.post(
    "/clients/{int:client_id}/invoices-from-wip/preview",
    response={200: WipPreviewOut, **WRITE_ERRORS},
    summary="Preview the lines of an invoice from WIP",
    description="The lines the same request to `…/invoices-from-wip` would make, with their "
    "keys for `line_amounts`. Changes nothing. Needs the Process time permission.",
)
def preview_invoice_from_wip(request: HttpRequest, client_id: int, payload: WipBillingIn):
    client_of(request.auth, client_id)
    groups = billing.preview(request.auth, _billing(client_id, payload))
    return {
        "lines": [
            {
                "key": group.key,
                "description": group.description,
                "service_name": group.service_name,
                "entries": len(group.entries),
                "hours": hours(group.minutes),
                "standard": group.standard,
                "billed": group.billed,
            }
            for group in groups
        ],
        "standard": sum((group.standard for group in groups), Decimal("0.00")),
        "billed": sum((group.billed for group in groups), Decimal("0.00")),
    }


@router.post(
    "/clients/{int:client_id}/invoices-from-wip",
    response={201: InvoiceOut, **WRITE_ERRORS},
    summary="Make a draft invoice from WIP",
    description="Needs the Process time permission. The entries are held on the draft's lines "
    "until it is finalized (billed) or they are removed from it (back to WIP). Work that is no "
    "longer WIP, or none at all, answers 409 and nothing is made.",
)
def create_invoice_from_wip(request: HttpRequest, client_id: int, payload: WipBillingIn):
    client_of(request.auth, client_id)
    invoice = billing.invoice_from_wip(request.auth, _billing(client_id, payload))
    return Status(201, _invoice_out(request.auth, invoice.pk))
