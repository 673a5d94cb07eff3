"""Closed periods (docs/decisions/0027): the practice's lock date and QuickBooks' closed-books
date stop a revert, with the way forward; a credit note is dated in the open period."""

import datetime
from decimal import Decimal

import pytest

from billbridge.core import testing
from billbridge.core.errors import InvalidInput, PermissionRefused
from billbridge.invoicing import books, periods, services
from billbridge.invoicing.models import InvoiceStatus
from billbridge.invoicing.services import CreditInput

OCTOBER = datetime.date(2026, 10, 15)


@pytest.fixture
def old(admin_member, client_a):
    return testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED, issue_date=OCTOBER)


def test_a_revert_in_the_practices_locked_period_is_refused_with_the_way_forward(admin_member, old):
    services.update_lock_date(admin_member, datetime.date(2026, 10, 31))
    events = old.timeline.count()
    with pytest.raises(periods.PeriodClosed) as refused:
        services.revert_to_draft(admin_member, old.pk, "typo")
    assert refused.value.invoice_id == old.pk and refused.value.credit_possible
    assert refused.value.message == (
        f"Invoice {old.number} is dated 15 Oct 2026, in a closed period (The practice's lock "
        "date closes the books through 31 Oct 2026), so it cannot be reverted to Draft. Issue "
        "a credit note instead, and a corrected copy if one is needed."
    )
    old.refresh_from_db()
    assert (old.status, old.timeline.count()) == (InvoiceStatus.FINALIZED, events)
    # The way forward works: a credit note dated after the lock date, and a corrected copy.
    note = services.create_credit_note(admin_member, CreditInput(old.pk, "typo"))
    assert note.issue_date > datetime.date(2026, 10, 31)
    services.finalize(admin_member, note.pk)
    assert services.corrected_copy(admin_member, old.pk).status == InvoiceStatus.DRAFT


def test_the_books_closed_date_counts_too_and_the_later_date_wins(admin_member, old, monkeypatch):
    class ClosedBooks(books._NoBooks):
        def closed_through(self, practice):
            return datetime.date(2026, 11, 30)

    monkeypatch.setattr(books, "_registered", ClosedBooks())
    services.update_lock_date(admin_member, datetime.date(2026, 9, 30))
    closed = periods.closed_through(old.practice)
    assert (closed.day, closed.by) == (datetime.date(2026, 11, 30), "QuickBooks' closed-books date")
    with pytest.raises(periods.PeriodClosed, match="QuickBooks' closed-books date"):
        services.revert_to_draft(admin_member, old.pk)
    assert periods.first_open_day(old.practice, OCTOBER) == datetime.date(2026, 12, 1)


def test_a_credit_note_cannot_be_dated_in_a_closed_period(admin_member, old):
    services.update_lock_date(admin_member, datetime.date(2026, 10, 31))
    with pytest.raises(InvalidInput, match="closed period"):
        services.create_credit_note(
            admin_member, CreditInput(old.pk, "typo", issue_date=datetime.date(2026, 10, 20))
        )
    assert not old.credit_notes.exists()


def test_a_draft_credit_note_whose_date_was_locked_meanwhile_cannot_be_finalized(admin_member, old):
    note = services.create_credit_note(
        admin_member,
        CreditInput(old.pk, "typo", amount=Decimal("5"), issue_date=datetime.date(2026, 11, 3)),
    )
    services.update_lock_date(admin_member, datetime.date(2026, 11, 30))
    with pytest.raises(InvalidInput, match="closed period"):
        services.finalize(admin_member, note.pk)
    note.refresh_from_db()
    assert note.status == InvoiceStatus.DRAFT


def test_outside_a_closed_period_a_revert_goes_ahead(admin_member, old):
    services.update_lock_date(admin_member, datetime.date(2026, 10, 14))
    assert services.revert_to_draft(admin_member, old.pk).status == InvoiceStatus.DRAFT


def test_setting_the_lock_date_needs_manage_settings(practice):
    clerk = testing.make_member(practice, can_process_time=True)
    with pytest.raises(PermissionRefused):
        services.update_lock_date(clerk, datetime.date(2026, 1, 31))
    practice.refresh_from_db()
    assert practice.lock_date is None
