"""Time entries and expenses. Recording, changing and deleting go through
billbridge.time.services, which looks the entry up in the caller's practice (another practice's
is "not found"), then checks who may change it and whether it is still unbilled; this module
only translates.

Seeing an entry follows the rule for changing one (docs/decisions/0003-permissions.md):
everyone sees their own time; someone else's needs Process time. The list of a member without
it is their own entries, and naming someone else in it is refused rather than answered with an
empty page, which would read as "they recorded nothing"."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from billbridge.api.errors import error_responses
from billbridge.api.paging import paginate
from billbridge.api.schemas import PageQuery
from billbridge.api.time_schemas import EntryFilters, EntryIn, EntryOut, EntryPage, EntryPatch
from billbridge.core.errors import InvalidInput, PermissionRefused
from billbridge.practice.models import Membership, Permission
from billbridge.time import services
from billbridge.time.models import Entry, EntryKind

router = Router(tags=["time"])

WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 422)


def _entries(membership: Membership):
    return services.entries_of(membership).select_related(
        "staff__user", "client", "work_code", "invoice_line__invoice"
    )


def _require_may_see(membership: Membership, staff_id: int) -> None:
    if not services.may_change(membership, staff_id):
        raise PermissionRefused(
            "You need the “Process time” permission to see someone else's time."
        )


def _seen_entry(membership: Membership, entry_id: int) -> Entry:
    """The entry, looked up in the practice before the permission is checked (404 first)."""
    entry = _entries(membership).get(pk=entry_id)
    _require_may_see(membership, entry.staff_id)
    return entry


def _entry_input(fields: dict) -> services.EntryInput:
    """The service's input from the API's fields, refusing what a time entry or an expense
    cannot have (a rule across fields, so the document can only say it in words)."""
    kind, minutes, amount = fields["kind"], fields["minutes"], fields["amount"]
    if kind == EntryKind.TIME and amount is not None:
        raise InvalidInput(
            "Only an expense has an amount; a time entry has minutes.",
            {"amount": ["Only an expense has an amount."]},
        )
    if kind == EntryKind.TIME and minutes is None:
        raise InvalidInput(
            "A time entry needs its minutes.", {"minutes": ["Give the minutes worked."]}
        )
    if kind == EntryKind.EXPENSE and minutes is not None:
        raise InvalidInput(
            "An expense has an amount, not minutes.",
            {"minutes": ["Only a time entry has minutes."]},
        )
    return services.EntryInput(
        client_id=fields["client"],
        date=fields["date"],
        kind=kind,
        minutes=minutes or 0,
        work_code_id=fields["work_code"],
        description=fields["description"],
        billable=fields["billable"],
        amount=amount,
        staff_id=fields["staff"],
    )


def _fields_of(entry: Entry) -> dict:
    """A stored entry as the API's fields, for a PATCH to change some of them."""
    expense = entry.kind == EntryKind.EXPENSE
    return {
        "kind": entry.kind,
        "client": entry.client_id,
        "date": entry.date,
        "staff": entry.staff_id,
        "minutes": None if expense else entry.minutes,
        "amount": entry.value if expense else None,
        "work_code": entry.work_code_id,
        "description": entry.description,
        "billable": entry.billable,
    }


@router.get(
    "",
    response={200: EntryPage, **error_responses(401, 403, 422)},
    summary="List time entries and expenses",
    description="Newest first. Without the Process time permission, only your own entries: "
    "asking for someone else's (`staff`) answers 403.",
)
def list_time_entries(request: HttpRequest, filters: Query[EntryFilters], page: Query[PageQuery]):
    membership = request.auth
    staff = filters.staff
    if staff is not None:
        _require_may_see(membership, staff)
    elif not membership.has(Permission.PROCESS_TIME):
        staff = membership.pk
    entries = _entries(membership)
    for lookup, value in (
        ("client_id", filters.client),
        ("staff_id", staff),
        ("date__gte", filters.date_from),
        ("date__lte", filters.date_to),
        ("kind", filters.kind),
    ):
        if value is not None:
            entries = entries.filter(**{lookup: value})
    if filters.state is not None:
        entries = entries.in_state(filters.state)
    return paginate(entries.order_by("-date", "-id"), page)


@router.post(
    "",
    response={201: EntryOut, **WRITE_ERRORS},
    summary="Record time or an expense",
    description="Your own, or with the Process time permission anyone's in the practice. A "
    'time entry has `minutes` (no `amount`); an expense has `kind: "expense"` and an '
    "`amount` (no `minutes`). The rate in force on the date values it.",
)
def create_time_entry(request: HttpRequest, payload: EntryIn):
    entry = services.record(request.auth, _entry_input(payload.dict()))
    return Status(201, _entries(request.auth).get(pk=entry.pk))


@router.get(
    "/{int:entry_id}",
    response={200: EntryOut, **error_responses(401, 403, 404, 422)},
    summary="Get a time entry or expense",
    description="Someone else's needs the Process time permission.",
)
def get_time_entry(request: HttpRequest, entry_id: int):
    return _seen_entry(request.auth, entry_id)


@router.patch(
    "/{int:entry_id}",
    response={200: EntryOut, **WRITE_ERRORS},
    summary="Change a time entry or expense",
    description="Changes only the fields sent, and values the entry again. Unbilled entries "
    "only: one held on a draft, billed or written off answers 409. Someone else's needs the "
    "Process time permission.",
)
def update_time_entry(request: HttpRequest, entry_id: int, payload: EntryPatch):
    seen = _seen_entry(request.auth, entry_id)
    fields = _fields_of(seen) | payload.dict(exclude_unset=True)
    services.update(request.auth, entry_id, _entry_input(fields), read_at_change=seen.updated_at)
    return _entries(request.auth).get(pk=entry_id)


@router.delete(
    "/{int:entry_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a time entry or expense",
    description="Unbilled entries only: one held on a draft, billed or written off answers "
    "409. Someone else's needs the Process time permission.",
)
def delete_time_entry(request: HttpRequest, entry_id: int):
    services.delete(request.auth, entry_id)
    return Status(204, None)
