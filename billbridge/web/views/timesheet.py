"""The weekly timesheet: one person's week as rows (client × work code) by days.

Each cell is a small form. htmx posts it when it changes and swaps back the cell, with its
row's totals and the day and week totals out of band; without JavaScript, Enter posts it and
the sheet comes back whole. Whose sheet: the signed-in member's own, or with `?staff=` another
member's. Someone else's sheet without Process time answers 403 with the reason, not 404: the
practice's members are no secret inside it (their names are on every WIP page), so saying why is
more use than pretending they do not exist. A member of another practice answers 404."""

import datetime
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from billbridge.core.errors import InvalidInput, ServiceError, TransitionRefused
from billbridge.practice.models import Membership, Permission
from billbridge.time import timesheet
from billbridge.time.timesheet import CellInput
from billbridge.web.access import member_required, refusal
from billbridge.web.forms import show_service_errors
from billbridge.web.time_forms import (
    LONGEST_DURATION,
    CellForm,
    RowForm,
    SheetDayField,
    WeekForm,
    members_of,
    minutes_typed,
)
from billbridge.web.views.entries import RunningTimer

# Refusals shown on the sheet, by the cell or above the grid; a permission refused answers the
# refusal page instead (sheet_view).
EXPLAINED_IN_PLACE = (InvalidInput, TransitionRefused)


@dataclass(frozen=True)
class CellError:
    """What was wrong with the hours typed in one cell, shown next to it."""

    key: str
    day: datetime.date
    typed: str
    message: str


def sheet_url(membership: Membership, staff: Membership, day: datetime.date) -> str:
    query = {"week": timesheet.week_of(day).isoformat()}
    if staff != membership:
        query["staff"] = staff.pk
    return f"{reverse('web:timesheet')}?{urlencode(query)}"


def _back_to_own_sheet(request, message: str, status: int):
    return refusal(
        request,
        message,
        status=status,
        back_url=reverse("web:timesheet"),
        back_label="Back to your timesheet",
    )


def sheet_view(view):
    """A timesheet view that answers a refusal the view did not expect to explain in place
    (someone else's sheet without Process time, above all) with the refusal page."""

    @wraps(view)
    def answered(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ServiceError as exc:
            return _back_to_own_sheet(request, exc.message, exc.status_code)

    return answered


def _staff_or_404(membership: Membership, staff_id) -> Membership:
    if staff_id in (None, ""):
        return membership
    try:
        return timesheet.staff_of(membership, int(staff_id))
    except (ValueError, OverflowError, Membership.DoesNotExist):
        raise Http404("No such member in your practice.") from None


def _render_sheet(
    request,
    staff: Membership,
    day: datetime.date,
    *,
    error: CellError | None = None,
    alert: str = "",
    row_form: RowForm | None = None,
    status: int = 200,
):
    membership = request.membership
    grid = timesheet.read_week(membership, staff, day)
    if error and grid.row(error.key) is None:
        # Nothing on the sheet to put the message by (a row that is not the practice's).
        error, alert = None, error.message
    today = timezone.localdate()
    week = grid.week_start
    context = {
        "grid": grid,
        "staff": staff,
        "own": staff == membership,
        "today": today,
        "sheet_url": sheet_url(membership, staff, week),
        "previous_url": sheet_url(membership, staff, week - timesheet.ONE_WEEK),
        "next_url": sheet_url(membership, staff, week + timesheet.ONE_WEEK),
        "this_week_url": sheet_url(membership, staff, today),
        "is_this_week": week == timesheet.week_of(today),
        "running": RunningTimer.of(grid.running) if grid.running else None,
        "members": members_of(membership.practice)
        if membership.has(Permission.PROCESS_TIME)
        else None,
        "row_form": row_form or RowForm(membership.practice),
        "error": error,
        "alert": alert,
    }
    return render(request, "web/time/timesheet.html", context, status=status)


@member_required
@require_safe
@sheet_view
def timesheet_page(request):
    membership = request.membership
    staff = _staff_or_404(membership, request.GET.get("staff"))
    try:
        day = SheetDayField(required=False).clean(request.GET.get("week", ""))
    except ValidationError as exc:
        return _back_to_own_sheet(request, f"The week: {' '.join(exc.messages)}", 400)
    return _render_sheet(request, staff, day or timezone.localdate())


def _not_understood(request, form):
    fields = ", ".join(sorted(form.errors))
    return _back_to_own_sheet(
        request,
        f"That was not understood ({fields}): reload the timesheet and try again.",
        400,
    )


def _posted_cell(request) -> tuple[CellForm, Membership | None, CellInput | None]:
    form = CellForm(request.POST)
    if not form.is_valid():
        return form, None, None
    data = form.cleaned_data
    staff = _staff_or_404(request.membership, data["staff"])
    return form, staff, CellInput(staff.pk, data["client"], data["work_code"], data["date"])


@member_required
@require_POST
@sheet_view
def timesheet_cell(request):
    """Set the hours of one cell: timesheet.set_cell says what that records, changes or
    refuses. A refusal comes back by the cell, with what was typed, and stores nothing."""
    membership = request.membership
    form, staff, cell = _posted_cell(request)
    if cell is None:
        return _not_understood(request, form)
    typed = form.cleaned_data["hours"]
    key = timesheet.row_key(cell.client_id, cell.work_code_id)
    error, status = None, 200
    try:
        timesheet.set_cell(membership, cell, minutes_typed(typed))
    except ValueError as exc:
        error, status = CellError(key, cell.day, typed[:LONGEST_DURATION], str(exc)), 400
    except EXPLAINED_IN_PLACE as exc:
        error, status = CellError(key, cell.day, typed, exc.message), exc.status_code
    if not request.htmx:
        if error is None:
            return redirect(sheet_url(membership, staff, cell.day))
        return _render_sheet(request, staff, cell.day, error=error, status=status)
    grid = timesheet.read_week(membership, staff, cell.day)
    row = grid.row(key)
    if row is None:
        return _back_to_own_sheet(request, error.message if error else "No such row.", status)
    context = {
        "grid": grid,
        "row": row,
        "cell": row.cell_on(cell.day),
        "staff": staff,
        "today": timezone.localdate(),
        "error": error,
    }
    return render(request, "web/time/_timesheet_cell_saved.html", context, status=status)


@member_required
@require_POST
@sheet_view
def timesheet_timer(request):
    """Start a timer on a row's cell for today (timesheet.start_timer_on)."""
    membership = request.membership
    form, staff, cell = _posted_cell(request)
    if cell is None:
        return _not_understood(request, form)
    try:
        entry = timesheet.start_timer_on(membership, cell)
    except EXPLAINED_IN_PLACE as exc:
        return _render_sheet(request, staff, cell.day, alert=exc.message, status=exc.status_code)
    messages.success(request, f"The timer is running on {entry.client}.")
    return redirect(sheet_url(membership, staff, cell.day))


@member_required
@require_POST
@sheet_view
def timesheet_add_row(request):
    membership = request.membership
    form = RowForm(membership.practice, request.POST)
    if not form.is_valid() and {"staff", "week"} & form.errors.keys():
        return _not_understood(request, form)
    staff = _staff_or_404(membership, form.cleaned_data["staff"])
    week = form.cleaned_data["week"]
    if not form.errors:
        client, work_code = form.cleaned_data["client"], form.cleaned_data["work_code"]
        try:
            added = timesheet.add_row(
                membership, staff.pk, week, client.pk, work_code.pk if work_code else None
            )
        except InvalidInput as exc:
            show_service_errors(form, exc)
        else:
            row = f"{client} — {work_code}" if work_code else str(client)
            if added:
                messages.success(request, f"{row} is on the timesheet.")
            else:
                messages.info(request, f"{row} was on the timesheet already.")
            return redirect(sheet_url(membership, staff, week))
    return _render_sheet(request, staff, week, row_form=form, status=400)


@member_required
@require_POST
@sheet_view
def timesheet_remove_row(request):
    membership = request.membership
    form, staff, cell = _posted_cell(request)
    if cell is None:
        return _not_understood(request, form)
    try:
        timesheet.remove_row(membership, staff.pk, cell.day, cell.client_id, cell.work_code_id)
    except EXPLAINED_IN_PLACE as exc:
        return _render_sheet(request, staff, cell.day, alert=exc.message, status=exc.status_code)
    messages.success(request, "The row is off the timesheet.")
    return redirect(sheet_url(membership, staff, cell.day))


@member_required
@require_POST
@sheet_view
def timesheet_copy_last_week(request):
    membership = request.membership
    form = WeekForm(request.POST)
    if not form.is_valid():
        return _not_understood(request, form)
    staff = _staff_or_404(membership, form.cleaned_data["staff"])
    week = form.cleaned_data["week"]
    copied = timesheet.copy_last_week(membership, staff.pk, week)
    if copied:
        messages.success(
            request, f"{copied} row{'s' if copied != 1 else ''} copied from last week, no hours."
        )
    else:
        messages.info(request, "Last week has no rows that this week does not have already.")
    return redirect(sheet_url(membership, staff, week))
