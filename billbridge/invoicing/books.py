"""The practice's books outside Billbridge (its QuickBooks Online company), as invoicing sees them.

A revert to Draft must first change the books (R8: the invoice leaves QBO; R9: its payments are
unapplied there), and closing an invoice by hand says when the books still wait for its money.
invoicing never imports the integration that knows (DESIGN.md §4.0): the quickbooks app
registers its books when Django starts (QuickbooksConfig.ready()), and services.py looks them
up. Until then there are no books elsewhere and nothing to do
(docs/decisions/0016-external-books-step.md).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from billbridge.invoicing.models import Invoice
from billbridge.practice.models import Practice


@dataclass(frozen=True)
class BooksChange:
    """What the books changed so that an invoice can be a draft, in the user's words."""

    # Said when the invoice changed meanwhile and is not reverted after all: the books keep the
    # change. "" when the books changed nothing.
    kept: str = ""
    # (action, reason) of the timeline entry written after "reverted to draft"; None for none.
    event: tuple[str, str] | None = None


NOTHING = BooksChange()


class ExternalBooks(Protocol):
    def remove_before_revert(self, invoice: Invoice) -> BooksChange:
        """Make the books ready for `invoice` (finalized or closed, its guards passed) to be a
        draft. Called with no database transaction open: the step saves what the books
        answered as it goes, whatever the invoice's own change does next. Raises
        TransitionRefused when the books refuse or cannot be asked, having kept nothing that
        the refusal does not name."""
        ...

    def still_open(self, invoice: Invoice) -> str:
        """What to tell the person who closes `invoice` by hand while the books, as last read,
        still wait for its money; "" when they do not. Reads only what is stored."""
        ...

    def keeps_history_of(self, invoice: Invoice) -> str:
        """Why the draft `invoice` must not be deleted, because the books have a history of
        it (it was exported before); "" when nothing stands in the way."""
        ...

    def payment_link(self, invoice: Invoice) -> str:
        """Where the client pays `invoice` online (QBO's payment link of its current content
        version), for its PDF and page; "" when the books know none. Reads only what is
        stored."""
        ...

    def collected(self, invoice_ids: Iterable[int]) -> dict[int, Decimal]:
        """The money the books, as last read, show paid on each of these invoices (credits
        applied there are not money paid); an invoice the books do not know is left out.
        Reads only what is stored."""
        ...

    def holds(self, invoice: Invoice) -> bool:
        """Whether the books hold `invoice` (it was exported and is there): then they, not
        Billbridge, say when its balance reaches zero. Reads only what is stored."""
        ...

    def closed_through(self, practice: Practice) -> datetime.date | None:
        """The books' closed-books date, as last read; None when they have none."""
        ...


class _NoBooks:
    def remove_before_revert(self, invoice: Invoice) -> BooksChange:
        return NOTHING

    def still_open(self, invoice: Invoice) -> str:
        return ""

    def keeps_history_of(self, invoice: Invoice) -> str:
        return ""

    def payment_link(self, invoice: Invoice) -> str:
        return ""

    def collected(self, invoice_ids: Iterable[int]) -> dict[int, Decimal]:
        return {}

    def holds(self, invoice: Invoice) -> bool:
        return False

    def closed_through(self, practice: Practice) -> datetime.date | None:
        return None


_registered: ExternalBooks = _NoBooks()


def register(books: ExternalBooks) -> None:
    global _registered
    _registered = books


def external_books() -> ExternalBooks:
    return _registered
