"""Fixtures for the QuickBooks app's tests, on top of the project's (the root conftest.py: the
emulator, `setup`, a practice connected to a fresh company)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billbridge.invoicing import services as invoicing
from billbridge.quickbooks import credit_application, export
from billbridge.quickbooks.models import (
    APPLICATION_DUE_STATES,
    DUE_STATES,
    ApplicationState,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboCreditApplication,
)


@pytest.fixture
def credit(setup):
    """credit(invoice, reason, **choice) → a finalized credit note on an exported invoice,
    exported as a QBO credit memo and applied to the invoice's QBO invoice by a zero payment,
    as the export pipeline and the application drain do it. `choice` is CreditInput's: line_ids,
    amount, write_off (none: all of the invoice)."""

    def make(invoice, reason="Billed in error", **choice):
        note = Credits(setup).note(invoice, reason, **choice)
        setup.export(note)
        credit_application.drain(setup.realm)
        return note

    return make


@pytest.fixture
def credits(setup):
    """The credit export's tests' hands and eyes beside `setup` (test_credit_export.py,
    test_credit_faults.py): credit notes finalized but not exported, what QBO holds of them,
    and the drains of exports and applications run as the workers and the sweep would."""
    return Credits(setup)


class Credits:
    def __init__(self, setup):
        self.setup = setup

    def note(self, invoice, reason="Billed in error", **choice):
        """A finalized credit note (a write-off with write_off=True) on `invoice`."""
        note = invoicing.create_credit_note(
            self.setup.member, invoicing.CreditInput(invoice.pk, reason, **choice)
        )
        return invoicing.finalize(self.setup.member, note.pk)

    def memos(self, note) -> list[dict]:
        """The QBO credit memos carrying the credit note's marker."""
        mark = f"[bb:{note.practice_id}:{note.pk}]"
        return [
            memo
            for memo in self.setup.company.list("CreditMemo")
            if mark in memo.get("PrivateNote", "")
        ]

    def payments(self, memo_id: str) -> list[dict]:
        """The QBO payments spending credit memo `memo_id`'s credit."""
        return [
            payment
            for payment in self.setup.company.list("Payment")
            if any(
                (txn["TxnType"], txn["TxnId"]) == ("CreditMemo", memo_id)
                for line in payment.get("Line", [])
                for txn in line.get("LinkedTxn", [])
            )
        ]

    def apply(self) -> int:
        """Drain the company's applications, every back-off over (leases are kept)."""
        QboCreditApplication.objects.exclude(next_attempt_at=None).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        return credit_application.drain(self.setup.realm)

    def settle(self, rounds: int = 12) -> None:
        """Exports, then applications, drained until nothing is left to do."""
        for _ in range(rounds):
            exporting = InvoiceExport.objects.filter(state__in=DUE_STATES + (ExportState.SENDING,))
            applying = QboCreditApplication.objects.filter(
                state__in=APPLICATION_DUE_STATES + (ApplicationState.SENDING,)
            ).exclude(state=ApplicationState.FAILED)
            if not exporting.exists() and not applying.exists():
                return
            InvoiceExport.objects.update(
                next_attempt_at=timezone.now() - timedelta(seconds=1), lease_until=None
            )
            QboConnection.objects.update(paused_until=None)
            export.drain(self.setup.realm)
            self.apply()
