"""Closed periods: what is dated on or before the practice's lock date, or QuickBooks'
closed-books date as last read, is never reverted, re-exported or changed in the books again.
After month-end an invoice is corrected by a credit note (T4, docs/decisions/0027).
"""

import datetime
from dataclasses import dataclass

from billbridge.core.errors import TransitionRefused
from billbridge.invoicing import books
from billbridge.invoicing.models import Invoice
from billbridge.practice.models import Practice


@dataclass(frozen=True)
class ClosedThrough:
    day: datetime.date
    by: str  # whose date it is, in the user's words

    def __str__(self) -> str:
        return f"{self.by} closes the books through {self.day:%d %b %Y}"


def closed_through(practice: Practice) -> ClosedThrough | None:
    """The later of the practice's lock date and the books' closed-books date; None when
    neither is set."""
    dates = []
    if practice.lock_date:
        dates.append(ClosedThrough(practice.lock_date, "The practice's lock date"))
    if booked := books.external_books().closed_through(practice):
        dates.append(ClosedThrough(booked, "QuickBooks' closed-books date"))
    return max(dates, key=lambda closed: closed.day, default=None)


def closing(invoice: Invoice) -> ClosedThrough | None:
    """The date that closes `invoice`'s period; None when its period is open."""
    closed = closed_through(invoice.practice)
    return closed if closed and invoice.issue_date <= closed.day else None


class PeriodClosed(TransitionRefused):
    """A change refused because the invoice is in a closed period. The way forward is a
    credit note (and, if wanted, a corrected copy): pages offer it beside the message."""

    def __init__(self, invoice: Invoice, closed: ClosedThrough, doing: str):
        way_forward = (
            "Bill the amount again on a new invoice instead."
            if invoice.is_credit
            else "Issue a credit note instead, and a corrected copy if one is needed."
        )
        super().__init__(
            f"{invoice.get_kind_display()} {invoice.number} is dated "
            f"{invoice.issue_date:%d %b %Y}, in a closed period ({closed}), so it cannot be "
            f"{doing}. {way_forward}"
        )
        self.invoice_id = invoice.pk
        self.credit_possible = not invoice.is_credit


def refuse_if_closed(invoice: Invoice, doing: str) -> None:
    if closed := closing(invoice):
        raise PeriodClosed(invoice, closed, doing)


def first_open_day(practice: Practice, wanted: datetime.date) -> datetime.date:
    """`wanted`, or the first day after the closed period when `wanted` falls in it."""
    closed = closed_through(practice)
    if closed and wanted <= closed.day:
        return closed.day + datetime.timedelta(days=1)
    return wanted
