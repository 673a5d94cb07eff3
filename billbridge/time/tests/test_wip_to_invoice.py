"""From recorded work to a draft invoice and back: values, holding, billing, releasing."""

import datetime
from decimal import Decimal

import pytest

from billbridge.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.totals import LineInput
from billbridge.time import billing, rate_card, services, wip
from billbridge.time.models import Entry, EntryState, LineAdjustment
from billbridge.time.tests.fixtures import WEEK_AGO
from billbridge.time.values import parse_duration


def states(*entries):
    return [
        Entry.objects.select_related("invoice_line__invoice").get(pk=e.pk).state for e in entries
    ]


def test_an_entry_is_valued_at_the_rate_in_force_that_day(
    admin_member, staff, work_codes, staff_rates, record
):
    by_code = record(staff, 90, work_codes["tax"])
    by_staff = record(staff, 45, work_codes["books"])
    assert (by_code.rate, by_code.value) == (Decimal("200.00"), Decimal("300.00"))
    assert (by_staff.rate, by_staff.value) == (Decimal("90.00"), Decimal("67.50"))


def test_a_new_rate_revalues_unbilled_work_from_its_date_only(
    admin_member, staff, work_codes, staff_rates, record
):
    before = record(staff, 60, work_codes["books"], date=WEEK_AGO - datetime.timedelta(days=2))
    after = record(staff, 60, work_codes["books"])
    _, revalued = rate_card.set_rate(
        admin_member,
        rate_card.RateInput(
            WEEK_AGO - datetime.timedelta(days=1), Decimal("100.00"), staff_id=staff.pk
        ),
    )
    before.refresh_from_db()
    after.refresh_from_db()
    assert revalued == 1
    assert (before.value, after.value) == (Decimal("90.00"), Decimal("100.00"))


def test_invoice_from_wip_holds_the_entries_and_finalizing_bills_them(
    admin_member, client_a, work_codes, staff_rates, record, expense
):
    one = record(admin_member, 60, work_codes["tax"])
    two = record(admin_member, 30, work_codes["books"])
    fee = expense(admin_member, "35.00")
    invoice = billing.invoice_from_wip(admin_member, billing.WipBilling(client_id=client_a.pk))
    lines = list(invoice.lines.order_by("position"))
    assert [(line.service_name, line.amount) for line in lines] == [
        ("Tax preparation", Decimal("200.00")),
        ("Bookkeeping", Decimal("75.00")),
        ("Disbursements", Decimal("35.00")),
    ]
    assert states(one, two, fee) == [EntryState.ON_DRAFT] * 3
    assert not wip.wip_of(admin_member).exists()
    invoicing.finalize(admin_member, invoice.pk)
    assert states(one, two, fee) == [EntryState.BILLED] * 3
    invoicing.revert_to_draft(admin_member, invoice.pk, "Wrong client")
    assert states(one, two, fee) == [EntryState.ON_DRAFT] * 3


def test_a_write_down_is_the_line_less_its_standard_value_with_its_reason(
    admin_member, client_a, work_codes, staff_rates, record
):
    record(admin_member, 60, work_codes["tax"])
    record(admin_member, 60, work_codes["tax"])
    invoice = billing.invoice_from_wip(
        admin_member,
        billing.WipBilling(
            client_id=client_a.pk,
            line_amounts={f"w{work_codes['tax'].pk}": Decimal("350.00")},
            reason="First year",
        ),
    )
    line = invoice.lines.get()
    assert (line.quantity, line.unit_price, line.amount) == (
        Decimal("2.00"),
        Decimal("175.00"),
        Decimal("350.00"),
    )
    adjustment = LineAdjustment.objects.get(invoice_line=line)
    assert (adjustment.kind, adjustment.reason) == ("write_down", "First year")


def test_a_write_down_needs_a_reason_and_refusing_it_changes_nothing(
    admin_member, client_a, work_codes, staff_rates, record
):
    entry = record(admin_member, 60, work_codes["tax"])
    with pytest.raises(InvalidInput, match="why"):
        billing.invoice_from_wip(
            admin_member, billing.WipBilling(client_id=client_a.pk, fixed_fee=Decimal("100.00"))
        )
    assert states(entry) == [EntryState.UNBILLED]
    assert not client_a.invoices.exists()


def test_removing_a_line_or_deleting_the_draft_returns_the_work_to_wip(
    admin_member, client_a, work_codes, staff_rates, record
):
    tax = record(admin_member, 60, work_codes["tax"])
    books = record(admin_member, 60, work_codes["books"])
    invoice = billing.invoice_from_wip(admin_member, billing.WipBilling(client_id=client_a.pk))
    kept, _removed = invoice.lines.order_by("position")
    # The editor sends the kept line back with its id, edited, and a new typed line.
    invoicing.update_draft(
        admin_member,
        invoice.pk,
        invoicing.DraftInput(
            client_id=client_a.pk,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            lines=[
                LineInput.of(kept).__class__(
                    **{**LineInput.of(kept).__dict__, "description": "Tax return 2025"}
                ),
                LineInput("Advice", Decimal("1"), Decimal("50.00")),
            ],
        ),
    )
    assert states(tax, books) == [EntryState.ON_DRAFT, EntryState.UNBILLED]
    assert books.history.last().action == "returned to WIP"
    invoicing.delete_draft(admin_member, invoice.pk)
    assert states(tax, books) == [EntryState.UNBILLED, EntryState.UNBILLED]


def test_billed_work_is_locked(admin_member, client_a, work_codes, staff_rates, record):
    entry = record(admin_member, 60, work_codes["tax"])
    invoice = billing.invoice_from_wip(admin_member, billing.WipBilling(client_id=client_a.pk))
    invoicing.finalize(admin_member, invoice.pk)
    with pytest.raises(TransitionRefused, match="billed"):
        services.delete(admin_member, entry.pk)
    with pytest.raises(TransitionRefused, match="billed"):
        rate_card.set_rate(
            admin_member,
            rate_card.RateInput(WEEK_AGO, Decimal("1.00"), staff_id=admin_member.pk),
        )


def test_someone_elses_time_needs_process_time(staff, admin_member, client_a, record):
    with pytest.raises(PermissionRefused, match="Process time"):
        services.record(
            staff,
            services.EntryInput(
                client_id=client_a.pk, date=WEEK_AGO, minutes=30, staff_id=admin_member.pk
            ),
        )
    mine = record(staff, 30)
    services.update(
        admin_member,
        mine.pk,
        services.EntryInput(client_id=client_a.pk, date=WEEK_AGO, minutes=45, staff_id=staff.pk),
    )
    mine.refresh_from_db()
    assert mine.minutes == 45
    assert mine.history.last().changes["minutes"] == [30, 45]


def test_a_day_has_twenty_four_hours(staff, record):
    record(staff, 20 * 60)
    with pytest.raises(InvalidInput, match="24 hours"):
        record(staff, 5 * 60)


def test_a_rate_is_set_once_per_scope_and_day(admin_member, staff):
    rate = rate_card.RateInput(WEEK_AGO, Decimal("95.00"), staff_id=staff.pk)
    rate_card.set_rate(admin_member, rate)
    with pytest.raises(InvalidInput, match="already has a change on that date"):
        rate_card.set_rate(admin_member, rate)


@pytest.mark.parametrize(
    ("typed", "minutes"), [("1:30", 90), ("1.5", 90), ("1,25", 75), ("1h 30m", 90), ("45m", 45)]
)
def test_a_duration_is_read_as_people_type_it(typed, minutes):
    assert parse_duration(typed) == minutes


@pytest.mark.parametrize("typed", ["", "abc", "1e999", "9" * 80, "NaN", "1:75"])
def test_what_is_not_a_duration_is_refused_in_words(typed):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(typed)


def test_a_change_built_on_an_old_read_is_refused_not_overwritten(staff, client_a, record):
    entry = record(staff, 30)
    read = entry.updated_at
    again = services.EntryInput(client_id=client_a.pk, date=WEEK_AGO, minutes=40)
    services.update(staff, entry.pk, again, read_at_change=read)
    with pytest.raises(TransitionRefused, match="changed by someone else"):
        services.update(
            staff,
            entry.pk,
            services.EntryInput(client_id=client_a.pk, date=WEEK_AGO, minutes=50),
            read_at_change=read,
        )
    entry.refresh_from_db()
    assert entry.minutes == 40
