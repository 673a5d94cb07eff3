"""The export's stages one at a time, where a whole drain against the emulator cannot reach the
case (quickbooks/export/)."""

import pytest

from billbridge.invoicing.models import Invoice
from billbridge.quickbooks.client import QboError, QboUnavailable
from billbridge.quickbooks.client.api import dumps
from billbridge.quickbooks.export.lookup import LookUp
from billbridge.quickbooks.models import ExportState, InvoiceExport
from billbridge.quickbooks.tokens import ReconnectRequired


class Refusing:
    """A QBO client whose every request fails with `error`."""

    def __init__(self, error: QboError):
        self.error = error

    def query(self, text):
        raise self.error

    def read(self, entity, entity_id):
        raise self.error


class NoOutcome:
    """Outcomes that must not be reached."""

    def __getattr__(self, name):
        raise AssertionError(f"an outcome was recorded: {name}")


def unclear_row() -> InvoiceExport:
    body = {"CustomerRef": {"value": "3"}, "TxnDate": "2026-11-02", "PrivateNote": "[bb:1:2]"}
    # The look-up reads the invoice's kind (an Invoice or a credit note's CreditMemo).
    return InvoiceExport(
        invoice=Invoice(pk=2), practice_id=1, state=ExportState.UNKNOWN, attempts=1,
        payload=dumps(body),
    )  # fmt: skip


def test_reconnect_required_in_a_look_up_pauses_the_drain_and_counts_no_try():
    # A QboError like any other, but not this row's trouble: the drain pauses the company
    # (export/worker.py) and gives the rows back untouched, as before it was a QboError.
    assert issubclass(ReconnectRequired, QboError)
    row = unclear_row()
    with pytest.raises(ReconnectRequired):
        LookUp(Refusing(ReconnectRequired("Reconnect.")), NoOutcome()).send_again(row)
    assert (row.state, row.attempts) == (ExportState.UNKNOWN, 1)


def test_a_look_up_that_fails_otherwise_sends_nothing_and_tries_again_later():
    retried = []

    class Outcomes(NoOutcome):
        def retry_later(self, row, state, message, **kwargs):
            retried.append((state, message))

    row = unclear_row()
    error = QboUnavailable("timed out", ambiguous=False)
    assert LookUp(Refusing(error), Outcomes()).send_again(row) is False
    assert row.attempts == 2
    assert retried == [(ExportState.UNKNOWN, "Checking QuickBooks failed: timed out")]
