"""The weekly timesheet: the grid built from a week's entries and kept rows (pure), and the
cell, row and timer changes made through it."""

import datetime
from decimal import Decimal

import pytest

from billbridge.clients.models import Client
from billbridge.core import testing
from billbridge.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from billbridge.invoicing.models import Invoice, InvoiceLine
from billbridge.time import billing, rate_card, services, timesheet
from billbridge.time.models import Entry, EntryChange, EntryKind, TimesheetRow, WorkCode
from billbridge.time.timesheet import CellInput

MONDAY = datetime.date(2026, 3, 2)
TUESDAY = MONDAY + datetime.timedelta(days=1)
SUNDAY = MONDAY + datetime.timedelta(days=6)


# ---- the grid, without a database ---------------------------------------------------------

ACME = Client(pk=1, name="Acme Widgets")
BIRCH = Client(pk=2, name="Birch & Sons")
TAX = WorkCode(pk=10, name="Tax preparation")
BOOKS = WorkCode(pk=11, name="Bookkeeping")


def entry(client, work_code, day, minutes, value="0.00", **more) -> Entry:
    return Entry(
        client=client,
        work_code=work_code,
        date=day,
        minutes=minutes,
        value=Decimal(value),
        kind=more.pop("kind", EntryKind.TIME),
        **more,
    )


def billed_on(status: str, pk: int = 5) -> InvoiceLine:
    return InvoiceLine(pk=pk, invoice=Invoice(status=status, number="INV-7"))


def test_week_of_is_the_monday():
    assert [timesheet.week_of(MONDAY + datetime.timedelta(days=n)) for n in range(7)] == [
        MONDAY
    ] * 7
    assert timesheet.week_of(MONDAY - datetime.timedelta(days=1)) == MONDAY - timesheet.ONE_WEEK


def test_the_grid_has_a_row_per_client_and_work_code_ordered_with_totals():
    grid = timesheet.week_grid(
        MONDAY,
        [
            entry(BIRCH, None, MONDAY, 30, "45.00"),
            entry(ACME, TAX, MONDAY, 90, "300.00"),
            entry(ACME, TAX, SUNDAY, 60, "200.00"),
            entry(ACME, BOOKS, TUESDAY, 45, "67.50"),
        ],
        [],
    )
    assert [(row.client.name, row.work_code and row.work_code.name) for row in grid.rows] == [
        ("Acme Widgets", "Bookkeeping"),
        ("Acme Widgets", "Tax preparation"),
        ("Birch & Sons", None),
    ]
    tax = grid.row("1-10")
    assert [cell.minutes for cell in tax.cells] == [90, 0, 0, 0, 0, 0, 60]
    assert [cell.duration for cell in tax.cells] == ["1:30", "", "", "", "", "", "1:00"]
    assert (tax.minutes, tax.duration, tax.value) == (150, "2:30", Decimal("500.00"))
    assert grid.day_minutes == [120, 45, 0, 0, 0, 0, 60]
    assert grid.day_totals[0] == (MONDAY, "2:00")
    assert (grid.minutes, grid.duration, grid.value) == (225, "3:45", Decimal("612.50"))
    assert grid.row("2-0").work_code is None


def test_kept_rows_show_without_hours_and_only_they_can_be_removed():
    grid = timesheet.week_grid(
        MONDAY,
        [entry(ACME, TAX, MONDAY, 60)],
        [
            TimesheetRow(client=BIRCH, work_code=BOOKS, week_start=MONDAY),
            TimesheetRow(client=ACME, work_code=TAX, week_start=MONDAY),
        ],
    )
    assert [(row.key, row.kept, row.removable) for row in grid.rows] == [
        ("1-10", True, False),
        ("2-11", True, True),
    ]
    assert grid.row("2-11").minutes == 0


def test_expenses_and_days_outside_the_week_are_not_on_the_grid():
    grid = timesheet.week_grid(
        MONDAY,
        [
            entry(ACME, None, MONDAY, 0, "35.00", kind=EntryKind.EXPENSE),
            entry(ACME, TAX, SUNDAY + datetime.timedelta(days=1), 60),
        ],
        [],
    )
    assert grid.rows == []
    assert grid.minutes == 0


def test_a_cell_is_typed_in_when_empty_or_holding_one_unbilled_entry():
    running = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    grid = timesheet.week_grid(
        MONDAY,
        [
            entry(ACME, TAX, MONDAY, 60, timer_started_at=running),
            entry(ACME, TAX, TUESDAY, 60),
            entry(ACME, TAX, TUESDAY, 30),
            entry(
                ACME, TAX, MONDAY + datetime.timedelta(days=2), 60, invoice_line=billed_on("draft")
            ),
            entry(
                ACME,
                TAX,
                MONDAY + datetime.timedelta(days=3),
                60,
                invoice_line=billed_on("finalized"),
            ),
            entry(ACME, TAX, MONDAY + datetime.timedelta(days=4), 60, written_off=True),
        ],
        [],
    )
    cells = grid.rows[0].cells
    assert [cell.state for cell in cells] == [
        "unbilled",
        "several",
        "on_draft",
        "billed",
        "written_off",
        "",
        "",
    ]
    assert [cell.editable for cell in cells] == [True, False, False, False, False, True, True]
    assert cells[0].running is not None and cells[1].running is None
    assert grid.running is cells[0].running
    assert cells[1].entry is None and cells[1].minutes == 90


# ---- changing a sheet ------------------------------------------------------------------------


@pytest.fixture
def codes(admin_member):
    tax = rate_card.save_work_code(admin_member, rate_card.WorkCodeInput("Tax preparation"))
    rate_card.set_rate(
        admin_member,
        rate_card.RateInput(datetime.date(2020, 1, 1), Decimal("200.00"), work_code_id=tax.pk),
    )
    return tax


def cell_of(member, client, work_code, day=MONDAY) -> CellInput:
    return CellInput(member.pk, client.pk, work_code.pk if work_code else None, day)


def test_setting_an_empty_cell_records_an_entry_and_keeps_the_row(admin_member, client_a, codes):
    entry = timesheet.set_cell(admin_member, cell_of(admin_member, client_a, codes), 90)
    assert (entry.minutes, entry.value, entry.staff, entry.date) == (
        90,
        Decimal("300.00"),
        admin_member,
        MONDAY,
    )
    assert TimesheetRow.objects.filter(
        staff=admin_member, week_start=MONDAY, client=client_a, work_code=codes
    ).exists()


def test_setting_a_cell_with_one_entry_updates_it_and_zero_deletes_it(
    admin_member, client_a, codes
):
    cell = cell_of(admin_member, client_a, codes, TUESDAY)
    first = timesheet.set_cell(admin_member, cell, 60)
    services.update(
        admin_member,
        first.pk,
        services.EntryInput(
            client_id=client_a.pk,
            date=TUESDAY,
            minutes=60,
            work_code_id=codes.pk,
            description="Returns",
            billable=False,
        ),
    )
    updated = timesheet.set_cell(admin_member, cell, 45)
    assert updated.pk == first.pk
    assert (updated.minutes, updated.description, updated.billable) == (45, "Returns", False)
    assert EntryChange.objects.filter(entry=first, action="edited").count() == 2
    assert timesheet.set_cell(admin_member, cell, 0) is None
    assert not Entry.objects.exists()
    # Its row stays on the sheet, now empty.
    assert TimesheetRow.objects.filter(staff=admin_member, week_start=MONDAY).count() == 1


def test_a_cell_of_several_entries_or_of_billed_work_is_refused_and_unchanged(
    admin_member, client_a, codes, record
):
    record(admin_member, 30, codes, date=MONDAY)
    record(admin_member, 30, codes, date=MONDAY)
    with pytest.raises(TransitionRefused, match="holds 2 entries"):
        timesheet.set_cell(admin_member, cell_of(admin_member, client_a, codes), 90)
    held = record(admin_member, 60, codes, date=TUESDAY)
    billing.invoice_from_wip(
        admin_member, billing.WipBilling(client_id=client_a.pk, entry_ids=[held.pk])
    )
    with pytest.raises(TransitionRefused, match="on a draft invoice"):
        timesheet.set_cell(admin_member, cell_of(admin_member, client_a, codes, TUESDAY), 90)
    assert sorted(Entry.objects.values_list("minutes", flat=True)) == [30, 30, 60]
    assert not TimesheetRow.objects.exists()


@pytest.mark.parametrize(
    ("minutes", "message"),
    [(-30, "more than zero"), (25 * 60, "more than 24 hours")],
)
def test_bad_hours_are_refused_by_the_service_and_store_nothing(
    admin_member, client_a, codes, minutes, message
):
    with pytest.raises(InvalidInput, match=message):
        timesheet.set_cell(admin_member, cell_of(admin_member, client_a, codes), minutes)
    assert not Entry.objects.exists()
    assert not TimesheetRow.objects.exists()


def test_someone_elses_sheet_needs_process_time(practice, admin_member, client_a, codes):
    sam = testing.make_member(practice, "sam")
    with pytest.raises(PermissionRefused, match="someone else's timesheet"):
        timesheet.read_week(sam, admin_member, MONDAY)
    with pytest.raises(PermissionRefused):
        timesheet.set_cell(sam, cell_of(admin_member, client_a, codes), 60)
    with pytest.raises(PermissionRefused):
        timesheet.add_row(sam, admin_member.pk, MONDAY, client_a.pk, None)
    # Alice has Process time: she keeps Sam's sheet.
    entry = timesheet.set_cell(admin_member, cell_of(sam, client_a, codes), 60)
    assert entry.staff == sam
    assert timesheet.read_week(admin_member, sam, MONDAY).minutes == 60


def test_another_practices_client_or_member_is_not_found(admin_member, client_a, codes):
    other = testing.make_practice("Elsewhere")
    stranger = testing.make_admin(other, "mallory")
    hidden = testing.make_client(other, "Hidden Co")
    with pytest.raises(InvalidInput, match="your practice's clients"):
        timesheet.set_cell(admin_member, cell_of(admin_member, hidden, None), 60)
    with pytest.raises(InvalidInput, match="member of your practice"):
        timesheet.set_cell(admin_member, cell_of(stranger, client_a, None), 60)
    with pytest.raises(InvalidInput, match="your practice's clients"):
        timesheet.add_row(admin_member, admin_member.pk, MONDAY, hidden.pk, None)
    assert not Entry.objects.exists() and not TimesheetRow.objects.exists()


def test_add_row_keeps_a_row_once_and_refuses_a_retired_work_code(admin_member, client_a, codes):
    assert timesheet.add_row(admin_member, admin_member.pk, TUESDAY, client_a.pk, codes.pk)
    assert not timesheet.add_row(admin_member, admin_member.pk, MONDAY, client_a.pk, codes.pk)
    assert timesheet.add_row(admin_member, admin_member.pk, MONDAY, client_a.pk, None)
    assert not timesheet.add_row(admin_member, admin_member.pk, MONDAY, client_a.pk, None)
    retired = rate_card.save_work_code(
        admin_member, rate_card.WorkCodeInput("Old work", active=False)
    )
    with pytest.raises(InvalidInput, match="no longer in use"):
        timesheet.add_row(admin_member, admin_member.pk, MONDAY, client_a.pk, retired.pk)
    assert TimesheetRow.objects.filter(week_start=MONDAY).count() == 2


def test_a_row_with_hours_is_not_removed(admin_member, client_a, codes, record):
    timesheet.add_row(admin_member, admin_member.pk, MONDAY, client_a.pk, codes.pk)
    record(admin_member, 60, codes, date=TUESDAY)
    with pytest.raises(TransitionRefused, match="has hours"):
        timesheet.remove_row(admin_member, admin_member.pk, MONDAY, client_a.pk, codes.pk)
    timesheet.remove_row(admin_member, admin_member.pk, MONDAY, client_a.pk, None)
    assert TimesheetRow.objects.count() == 1


def test_copy_last_week_copies_its_rows_not_its_hours(
    practice, admin_member, client_a, codes, record
):
    birch = testing.make_client(practice, "Birch & Sons")
    last_monday = MONDAY - timesheet.ONE_WEEK
    record(admin_member, 60, codes, date=last_monday)
    record(admin_member, 30, codes, date=last_monday + datetime.timedelta(days=1))
    record(admin_member, 30, None, date=last_monday, client=birch)
    timesheet.add_row(admin_member, admin_member.pk, last_monday, birch.pk, codes.pk)
    retired = rate_card.save_work_code(admin_member, rate_card.WorkCodeInput("Old work"))
    record(admin_member, 30, retired, date=last_monday)
    rate_card.save_work_code(
        admin_member, rate_card.WorkCodeInput("Old work", active=False), retired.pk
    )
    timesheet.add_row(admin_member, admin_member.pk, MONDAY, client_a.pk, codes.pk)

    assert timesheet.copy_last_week(admin_member, admin_member.pk, TUESDAY) == 2
    grid = timesheet.read_week(admin_member, admin_member, MONDAY)
    assert [row.key for row in grid.rows] == [
        f"{client_a.pk}-{codes.pk}",
        f"{birch.pk}-0",
        f"{birch.pk}-{codes.pk}",
    ]
    assert grid.minutes == 0
    # Copied again: nothing more.
    assert timesheet.copy_last_week(admin_member, admin_member.pk, MONDAY) == 0


def test_a_timer_on_an_empty_cell_records_a_minute_and_runs(admin_member, client_a, codes, record):
    today = datetime.date.today()
    entry = timesheet.start_timer_on(admin_member, cell_of(admin_member, client_a, codes, today))
    assert (entry.minutes, entry.timer_started_at is not None) == (1, True)
    again = timesheet.start_timer_on(admin_member, cell_of(admin_member, client_a, codes, today))
    assert again.pk == entry.pk
    assert timesheet.read_week(admin_member, admin_member, today).running.pk == entry.pk
    record(admin_member, 30, None, date=today)
    record(admin_member, 30, None, date=today)
    with pytest.raises(TransitionRefused, match="holds 2 entries"):
        timesheet.start_timer_on(admin_member, cell_of(admin_member, client_a, None, today))
