"""A person's weekly timesheet: the week as a grid of rows (a client and a work code) by days,
and the few things the grid does — set a day's hours, keep a row, copy last week's rows, start
a timer on today's cell.

The grid is built in one pass over one person's time entries of one week (`week_grid` is pure),
so a sheet costs the same few queries whatever the practice holds. Every change to an entry goes
through `services` (record, update, delete, start_timer), which check and log it; the rows kept
without hours (`TimesheetRow`) are the timesheet's own and are checked here by the same rule:
everyone keeps their own sheet, someone else's needs Process time."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from billbridge.practice.models import Membership
from billbridge.time import services
from billbridge.time.models import Entry, EntryKind, EntryState, TimesheetRow, WorkCode
from billbridge.time.values import format_duration

DAYS = 7
ONE_WEEK = datetime.timedelta(days=DAYS)
# A timer started on an empty cell records this much at once: the services keep no entry of
# zero minutes, and stopping adds every started minute on top (so a sheet's timer may count
# one minute more than the clock did — the price of never losing the entry it runs on).
TIMER_START_MINUTES = 1


def week_of(day: datetime.date) -> datetime.date:
    """The Monday of the week `day` is in."""
    return day - datetime.timedelta(days=day.weekday())


# ---- the grid (pure) -------------------------------------------------------------------------


@dataclass
class Cell:
    """One row's hours on one day: the time entries recorded there."""

    day: datetime.date
    entries: list[Entry] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return sum(entry.minutes for entry in self.entries)

    @property
    def duration(self) -> str:
        return format_duration(self.minutes) if self.entries else ""

    @property
    def entry(self) -> Entry | None:
        """The cell's one entry, if it holds exactly one."""
        return self.entries[0] if len(self.entries) == 1 else None

    @property
    def state(self) -> str:
        """ "" when empty, "several" when more than one entry, else the entry's state."""
        if not self.entries:
            return ""
        return self.entry.state if self.entry else "several"

    @property
    def editable(self) -> bool:
        """Typing sets the hours of an empty cell or of its one unbilled entry; anything else
        (several entries, held, billed or written off) is changed on the entries themselves."""
        return self.state in ("", EntryState.UNBILLED)

    @property
    def running(self) -> Entry | None:
        return next((entry for entry in self.entries if entry.timer_started_at), None)


@dataclass
class Row:
    client: Client
    work_code: WorkCode | None
    cells: list[Cell]
    kept: bool = False  # a TimesheetRow keeps it while it has no hours

    @property
    def key(self) -> str:
        return row_key(self.client.pk, self.work_code.pk if self.work_code else None)

    @property
    def minutes(self) -> int:
        return sum(cell.minutes for cell in self.cells)

    @property
    def duration(self) -> str:
        return format_duration(self.minutes)

    @property
    def value(self) -> Decimal:
        return sum((entry.value for cell in self.cells for entry in cell.entries), Decimal("0.00"))

    @property
    def removable(self) -> bool:
        """Only a kept row with no hours can go: a row with entries is there because of them."""
        return self.kept and not any(cell.entries for cell in self.cells)

    def cell_on(self, day: datetime.date) -> Cell:
        return self.cells[(day - self.cells[0].day).days]


@dataclass
class WeekGrid:
    week_start: datetime.date
    rows: list[Row]

    @property
    def days(self) -> list[datetime.date]:
        return [self.week_start + datetime.timedelta(days=n) for n in range(DAYS)]

    @property
    def day_minutes(self) -> list[int]:
        return [sum(row.cells[n].minutes for row in self.rows) for n in range(DAYS)]

    @property
    def day_totals(self) -> list[tuple[datetime.date, str]]:
        days = zip(self.days, self.day_minutes, strict=True)
        return [(day, format_duration(minutes)) for day, minutes in days]

    @property
    def minutes(self) -> int:
        return sum(row.minutes for row in self.rows)

    @property
    def duration(self) -> str:
        return format_duration(self.minutes)

    @property
    def value(self) -> Decimal:
        return sum((row.value for row in self.rows), Decimal("0.00"))

    def row(self, key: str) -> Row | None:
        return next((row for row in self.rows if row.key == key), None)

    @property
    def running(self) -> Entry | None:
        """The week's entry whose timer runs. Only the week is read: a timer running on work of
        another week shows on that week's sheet (and in the entries list)."""
        return next((cell.running for row in self.rows for cell in row.cells if cell.running), None)


def row_key(client_id: int, work_code_id: int | None) -> str:
    return f"{client_id}-{work_code_id or 0}"


def week_grid(
    week_start: datetime.date, entries: Iterable[Entry], kept: Iterable[TimesheetRow]
) -> WeekGrid:
    """The grid of a week from its time entries (with client, work code and invoice line's
    invoice selected) and its kept rows, rows ordered by client then work code."""
    rows: dict[str, Row] = {}
    days = WeekGrid(week_start, []).days

    def row_for(client: Client, work_code: WorkCode | None) -> Row:
        key = row_key(client.pk, work_code.pk if work_code else None)
        if key not in rows:
            rows[key] = Row(client, work_code, [Cell(day) for day in days])
        return rows[key]

    for kept_row in kept:
        row_for(kept_row.client, kept_row.work_code).kept = True
    for entry in entries:
        offset = (entry.date - week_start).days
        if entry.kind == EntryKind.TIME and 0 <= offset < DAYS:
            row_for(entry.client, entry.work_code).cells[offset].entries.append(entry)
    ordered = sorted(
        rows.values(),
        key=lambda row: (row.client.name, row.work_code.name if row.work_code else "", row.key),
    )
    return WeekGrid(week_start, ordered)


# ---- reading and changing a sheet -----------------------------------------------------------


def _require_sheet_of(membership: Membership, staff: Membership) -> None:
    if not services.may_change(membership, staff.pk):
        raise PermissionRefused(
            "You need the “Process time” permission to see or change someone else's timesheet."
        )


def staff_of(membership: Membership, staff_id: int) -> Membership:
    """A member of the practice; another practice's looks exactly like one that does not
    exist (Membership.DoesNotExist)."""
    return Membership.objects.select_related("user").get(practice=membership.practice, pk=staff_id)


def read_week(membership: Membership, staff: Membership, day: datetime.date) -> WeekGrid:
    """The sheet of the week `day` is in."""
    _require_sheet_of(membership, staff)
    week_start = week_of(day)
    entries = (
        services.entries_of(membership)
        .filter(
            staff=staff,
            kind=EntryKind.TIME,
            date__gte=week_start,
            date__lt=week_start + ONE_WEEK,
        )
        .select_related("client", "work_code", "invoice_line__invoice")
        .order_by("date", "pk")
    )
    kept = TimesheetRow.objects.filter(staff=staff, week_start=week_start).select_related(
        "client", "work_code"
    )
    return week_grid(week_start, entries, kept)


@dataclass(frozen=True)
class CellInput:
    staff_id: int
    client_id: int
    work_code_id: int | None
    day: datetime.date


def _cell_entries(membership: Membership, cell: CellInput) -> list[Entry]:
    return list(
        services.entries_of(membership)
        .filter(
            staff_id=cell.staff_id,
            client_id=cell.client_id,
            work_code_id=cell.work_code_id,
            date=cell.day,
            kind=EntryKind.TIME,
        )
        .select_related("invoice_line__invoice")
    )


def _refuse_several(entries: list[Entry], cell: CellInput, doing: str) -> None:
    if len(entries) > 1:
        raise TransitionRefused(
            f"{cell.day:%Y-%m-%d} holds {len(entries)} entries on this row, so {doing} here "
            "would not say which: change them on the entries page."
        )


@transaction.atomic
def set_cell(membership: Membership, cell: CellInput, minutes: int) -> Entry | None:
    """Set the hours of a row on a day: an empty cell records an entry, a cell with one unbilled
    entry updates it (0 deletes it), any other cell is refused. The row is kept on the sheet,
    so clearing its last hours does not make it vanish. Answers the cell's entry, if any."""
    staff = _staff_or_refused(membership, cell.staff_id)
    _require_sheet_of(membership, staff)
    entries = _cell_entries(membership, cell)
    _refuse_several(entries, cell, "typing hours")
    if not entries:
        entry = None
        if minutes:
            entry = services.record(
                membership,
                services.EntryInput(
                    client_id=cell.client_id,
                    date=cell.day,
                    minutes=minutes,
                    work_code_id=cell.work_code_id,
                    staff_id=staff.pk,
                ),
            )
    elif minutes == 0:
        services.delete(membership, entries[0].pk)
        entry = None
    else:
        entry = services.update(membership, entries[0].pk, _with_minutes(entries[0], minutes))
    _keep_row(staff, week_of(cell.day), cell.client_id, cell.work_code_id)
    return entry


def _with_minutes(entry: Entry, minutes: int) -> services.EntryInput:
    return services.EntryInput(
        client_id=entry.client_id,
        date=entry.date,
        kind=entry.kind,
        minutes=minutes,
        work_code_id=entry.work_code_id,
        description=entry.description,
        billable=entry.billable,
        staff_id=entry.staff_id,
    )


@transaction.atomic
def start_timer_on(membership: Membership, cell: CellInput) -> Entry:
    """Start a timer on a row's cell: on its one entry, or on a new entry of
    TIMER_START_MINUTES when the cell is empty."""
    staff = _staff_or_refused(membership, cell.staff_id)
    _require_sheet_of(membership, staff)
    entries = _cell_entries(membership, cell)
    _refuse_several(entries, cell, "starting a timer")
    if entries:
        entry = entries[0]
    else:
        entry = services.record(
            membership,
            services.EntryInput(
                client_id=cell.client_id,
                date=cell.day,
                minutes=TIMER_START_MINUTES,
                work_code_id=cell.work_code_id,
                staff_id=staff.pk,
            ),
        )
    _keep_row(staff, week_of(cell.day), cell.client_id, cell.work_code_id)
    return services.start_timer(membership, entry.pk)


def _staff_or_refused(membership: Membership, staff_id: int) -> Membership:
    try:
        return staff_of(membership, staff_id)
    except Membership.DoesNotExist:
        raise InvalidInput(
            "Choose a member of your practice.", {"staff": ["Choose a member of your practice."]}
        ) from None


def _keep_row(staff: Membership, week_start, client_id: int, work_code_id: int | None) -> bool:
    """Keep a row on the sheet; False when it was kept already. Looked for before it is made:
    the unique constraint treats a row without work code as distinct on SQLite."""
    kept = TimesheetRow.objects.filter(
        staff=staff, week_start=week_start, client_id=client_id, work_code_id=work_code_id
    )
    if kept.exists():
        return False
    TimesheetRow.objects.create(
        staff=staff, week_start=week_start, client_id=client_id, work_code_id=work_code_id
    )
    return True


@transaction.atomic
def add_row(
    membership: Membership,
    staff_id: int,
    week_start: datetime.date,
    client_id: int,
    work_code_id: int | None,
) -> bool:
    """Keep a row (a client and, optionally, a work code) on a week's sheet. Answers False when
    the sheet had it already."""
    staff = _staff_or_refused(membership, staff_id)
    _require_sheet_of(membership, staff)
    errors = {}
    practice = membership.practice
    if not Client.objects.for_practice(practice).filter(pk=client_id).exists():
        errors["client"] = ["Choose one of your practice's clients."]
    if work_code_id is not None:
        work_code = WorkCode.objects.filter(practice=practice, pk=work_code_id).first()
        if work_code is None:
            errors["work_code"] = ["Choose one of your practice's work codes."]
        elif not work_code.active:
            errors["work_code"] = [f"The work code {work_code.name} is no longer in use."]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors)
    return _keep_row(staff, week_of(week_start), client_id, work_code_id)


@transaction.atomic
def remove_row(
    membership: Membership,
    staff_id: int,
    week_start: datetime.date,
    client_id: int,
    work_code_id: int | None,
) -> None:
    """Stop keeping an empty row. A row with hours stays: its entries are its reason to be."""
    staff = _staff_or_refused(membership, staff_id)
    _require_sheet_of(membership, staff)
    week_start = week_of(week_start)
    has_hours = (
        services.entries_of(membership)
        .filter(
            staff=staff,
            kind=EntryKind.TIME,
            client_id=client_id,
            work_code_id=work_code_id,
            date__gte=week_start,
            date__lt=week_start + ONE_WEEK,
        )
        .exists()
    )
    if has_hours:
        raise TransitionRefused(
            "This row has hours this week: delete its entries first, then remove the row."
        )
    TimesheetRow.objects.filter(
        staff=staff, week_start=week_start, client_id=client_id, work_code_id=work_code_id
    ).delete()


@transaction.atomic
def copy_last_week(membership: Membership, staff_id: int, week_start: datetime.date) -> int:
    """Keep on this week's sheet the rows of last week — its clients and work codes, not its
    hours (as Harvest does). Rows of work codes no longer in use are left behind. Answers how
    many rows were added."""
    staff = _staff_or_refused(membership, staff_id)
    _require_sheet_of(membership, staff)
    week_start = week_of(week_start)
    last_week = week_start - ONE_WEEK
    worked = (
        services.entries_of(membership)
        .filter(staff=staff, kind=EntryKind.TIME, date__gte=last_week, date__lt=week_start)
        .values_list("client_id", "work_code_id")
        .distinct()
    )
    kept_last_week = TimesheetRow.objects.filter(staff=staff, week_start=last_week).values_list(
        "client_id", "work_code_id"
    )
    retired = set(
        WorkCode.objects.filter(practice=membership.practice, active=False).values_list(
            "pk", flat=True
        )
    )
    wanted = {pair for pair in (*worked, *kept_last_week) if pair[1] not in retired}
    have = set(
        TimesheetRow.objects.filter(staff=staff, week_start=week_start).values_list(
            "client_id", "work_code_id"
        )
    )
    new = sorted(wanted - have, key=lambda pair: (pair[0], pair[1] or 0))
    TimesheetRow.objects.bulk_create(
        TimesheetRow(staff=staff, week_start=week_start, client_id=client, work_code_id=code)
        for client, code in new
    )
    return len(new)
