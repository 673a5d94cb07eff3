"""A revert in three steps (DESIGN.md §4.1, docs/decisions/0016-external-books-step.md), against
the running emulator: the local guards, then QBO's side with no database transaction open, then
the local change. What QBO answered (a rotated token, a dead grant, an invoice removed or made
Outstanding) is kept whatever the local step does next."""

from decimal import Decimal

import httpx
import pytest
from django.db import connection as db

from billbridge.core.errors import TransitionRefused
from billbridge.invoicing import books, periods
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.quickbooks import export, services
from billbridge.quickbooks.client.api import QboClient
from billbridge.quickbooks.export.claim import claim
from billbridge.quickbooks.models import (
    ConnectionStatus,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboInvoiceLink,
)
from billbridge.quickbooks.tests.test_export import row_of
from billbridge.quickbooks.tests.test_paid_revert import TOTAL, paid, state
from billbridge.quickbooks.tokens import DEAD_GRANT

REFUSED_DELETE = {
    "kind": "fault",
    "method": "POST",
    "path": "/v3/company/*/invoice",
    "status": 400,
    "code": "6000",
    "message": "A business validation error has occurred while processing your request",
    "fault_type": "ValidationFault",
}


@pytest.fixture
def no_refresh_grace(control):
    """Intuit documents no grace period for a rotated refresh token (RELIABILITY.md §2.1): the
    old one fails at once, as it may at Intuit. The emulator's default of a day hides a lost
    rotation."""
    control.patch("/options", json={"refresh_grace_seconds": 0}).raise_for_status()


def exported(setup):
    invoice = setup.invoice()
    setup.export(invoice)
    return invoice, QboInvoiceLink.objects.get(invoice=invoice)


def tokens():
    connection = QboConnection.objects.get()
    return connection.status, connection.access_token, connection.refresh_token


def test_a_revert_meeting_a_dead_grant_is_refused_and_the_connection_asks_to_reconnect(setup):
    invoice, link = exported(setup)
    before = state(invoice)
    httpx.post(f"{setup.qbo.control_url}/tokens/revoke", json={"realm_id": setup.realm})

    with pytest.raises(TransitionRefused) as refused:
        invoicing.revert_to_draft(setup.member, invoice.pk, "fix a line")

    assert refused.value.message == DEAD_GRANT
    assert state(invoice) == before
    connection = QboConnection.objects.get()
    assert (connection.status, connection.status_reason) == (ConnectionStatus.RECONNECT, DEAD_GRANT)
    assert [i["Id"] for i in setup.ours_in_qbo(invoice)] == [link.qbo_invoice_id]


def test_a_revert_refused_after_a_token_refresh_keeps_the_rotated_token(setup, no_refresh_grace):
    invoice, link = exported(setup)
    before, held = state(invoice), tokens()
    httpx.post(
        f"{setup.qbo.control_url}/tokens/expire", json={"realm_id": setup.realm}
    ).raise_for_status()
    setup.fault(**REFUSED_DELETE, count=1)

    with pytest.raises(TransitionRefused, match="it was not reverted"):
        invoicing.revert_to_draft(setup.member, invoice.pk, "fix a line")

    assert state(invoice) == before
    status, access, refresh = tokens()
    assert status == ConnectionStatus.CONNECTED
    assert access != held[1] and refresh != held[2]  # rotated by the revert, and kept
    # The next export uses the rotated pair: the refresh token it replaced is dead at QBO.
    other = setup.invoice("Pine & Sons")
    setup.export(other)
    assert tokens()[0] == ConnectionStatus.CONNECTED
    assert row_of(other).state == ExportState.EXPORTED, row_of(other).message


def test_no_database_transaction_is_open_while_qbo_is_asked(setup, monkeypatch):
    invoice, _, _ = paid(setup, Decimal("10.00"))
    outside = len(db.atomic_blocks)  # the test's own transaction
    depths = []
    exchange = QboClient._exchange

    def recording(client, request, token):
        depths.append(len(db.atomic_blocks))
        return exchange(client, request, token)

    monkeypatch.setattr(QboClient, "_exchange", recording)
    invoicing.revert_to_draft(setup.member, invoice.pk, "wrong hours")
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT
    # The closed-books date, the invoice, the payment read and updated, the invoice again.
    assert len(depths) == 5
    assert set(depths) == {outside}


def changed_meanwhile(setup, monkeypatch):
    """The books' step of the revert, followed by a change of the invoice made meanwhile by
    someone else (closed and reopened: still finalized, at a newer version)."""
    step = books.external_books()

    class Meanwhile(type(step)):
        def remove_before_revert(self, invoice):
            change = step.remove_before_revert(invoice)
            invoicing.close(setup.member, invoice.pk, "paid by cheque")
            invoicing.reopen(setup.member, invoice.pk, "cheque bounced")
            return change

    monkeypatch.setattr(books, "_registered", Meanwhile())


def test_an_invoice_changed_while_qbo_removed_it_is_not_reverted_and_the_next_export_repairs(
    setup, monkeypatch
):
    invoice, link = exported(setup)
    changed_meanwhile(setup, monkeypatch)

    with pytest.raises(TransitionRefused) as refused:
        invoicing.revert_to_draft(setup.member, invoice.pk, "fix a line")

    assert refused.value.message == (
        f"Invoice {invoice.number} changed while it was being reverted (it is Finalized now), "
        "so it was not reverted. It is no longer in QuickBooks: export it again to put it back "
        "there, or revert it again."
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.FINALIZED
    last = invoice.timeline.last()
    assert (last.action, last.reason) == ("revert refused", refused.value.message)
    link.refresh_from_db()
    assert link.state == QboInvoiceLink.State.REMOVED
    assert setup.ours_in_qbo(invoice) == []

    setup.export(invoice)
    assert row_of(invoice).state == ExportState.EXPORTED, row_of(invoice).message
    [again] = setup.ours_in_qbo(invoice)
    assert again["Id"] != link.qbo_invoice_id


def test_an_invoice_changed_while_its_payment_was_unapplied_keeps_the_outstanding_qbo_invoice(
    setup, monkeypatch
):
    invoice, link, payment = paid(setup, Decimal("10.00"))
    changed_meanwhile(setup, monkeypatch)

    with pytest.raises(TransitionRefused) as refused:
        invoicing.revert_to_draft(setup.member, invoice.pk, "wrong hours")

    assert refused.value.message == (
        f"Invoice {invoice.number} changed while it was being reverted (it is Finalized now), "
        f"so it was not reverted. Payment {payment['Id']} (10.00) unapplied in QuickBooks; it "
        "stays there as the customer's credit. Revert it again if it should still be a draft."
    )
    last = Invoice.objects.get(pk=invoice.pk).timeline.last()
    assert (last.action, last.reason) == ("revert refused", refused.value.message)
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.FINALIZED
    link.refresh_from_db()
    qbo_invoice = setup.company.read("Invoice", link.qbo_invoice_id)
    assert (link.state, link.sync_token, link.qbo_balance, link.payment_ids) == (
        QboInvoiceLink.State.IN_QBO,
        qbo_invoice["SyncToken"],
        TOTAL,
        "",
    )

    setup.export(Invoice.objects.get(pk=invoice.pk))
    assert row_of(invoice).state == ExportState.EXPORTED, row_of(invoice).message
    assert [i["Id"] for i in setup.ours_in_qbo(invoice)] == [link.qbo_invoice_id]


def queued(setup, invoice) -> InvoiceExport:
    """A second export of the invoice asked for and not started yet (no worker ran)."""
    invoicing.close(setup.member, invoice.pk, "paid by cheque")
    invoicing.reopen(setup.member, invoice.pk, "cheque bounced")
    services.request_export(setup.member, [invoice.pk])
    row = row_of(invoice)
    assert (row.state, row.lease_until, row.payload) == (ExportState.QUEUED, None, "")
    return row


def export_rows(invoice):
    return list(
        InvoiceExport.objects.filter(invoice=invoice)
        .order_by("id")
        .values("state", "message", "lease_until", "leased_by", "finished_at", "next_attempt_at")
    )


def test_an_export_not_started_is_held_while_qbo_changes_and_cancelled_by_the_revert(
    setup, monkeypatch
):
    invoice, link = exported(setup)
    row = queued(setup, invoice)
    claimed = []
    delete = QboClient.delete

    def deleting(client, *args, **kwargs):
        claimed.extend(claim(setup.realm, 10, "another worker"))
        return delete(client, *args, **kwargs)

    monkeypatch.setattr(QboClient, "delete", deleting)
    invoicing.revert_to_draft(setup.member, invoice.pk, "fix a line")

    assert claimed == []
    row.refresh_from_db()
    assert (row.state, row.message, row.lease_until) == (
        ExportState.FAILED,
        "Not sent: reverting the invoice to Draft cancelled this export before it started.",
        None,
    )
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT
    assert setup.ours_in_qbo(invoice) == []


def test_a_revert_refused_by_qbo_gives_the_held_export_back_as_it_was(setup):
    invoice, link = exported(setup)
    queued(setup, invoice)
    before, rows = state(invoice), export_rows(invoice)
    setup.fault(**REFUSED_DELETE, count=1)

    with pytest.raises(TransitionRefused, match="it was not reverted"):
        invoicing.revert_to_draft(setup.member, invoice.pk, "fix a line")

    assert (state(invoice), export_rows(invoice)) == (before, rows)
    export.drain(setup.realm)
    assert row_of(invoice).state == ExportState.EXPORTED, row_of(invoice).message


def test_an_export_on_its_way_makes_the_revert_wait_before_qbo_is_asked(setup):
    invoice, link = exported(setup)
    row = queued(setup, invoice)
    [claimed] = claim(setup.realm, 10, "a worker")
    before, rows = state(invoice), export_rows(invoice)

    with pytest.raises(TransitionRefused) as refused:
        invoicing.revert_to_draft(setup.member, invoice.pk, "fix a line")

    assert refused.value.message == (
        f"Invoice {invoice.number} is being exported to QuickBooks right now; revert it when "
        "the export has finished."
    )
    assert claimed.pk == row.pk
    assert (state(invoice), export_rows(invoice)) == (before, rows)
    assert [i["Id"] for i in setup.ours_in_qbo(invoice)] == [link.qbo_invoice_id]


def test_a_revert_reads_the_closed_books_date_qbo_has_now(setup):
    """Closed in QBO since Billbridge last read the company (and not enforced by QBO's API,
    as where its closing date only warns): the revert still asks first and changes nothing."""
    invoice, link = exported(setup)
    company = setup.company
    company.set_preferences(
        book_close_date=invoice.issue_date.isoformat(), closed_books_enforced=False
    )
    before = company.read("Invoice", link.qbo_invoice_id)
    with pytest.raises(periods.PeriodClosed, match="QuickBooks' closed-books date"):
        invoicing.revert_to_draft(setup.member, invoice.pk, "typo")
    assert company.read("Invoice", link.qbo_invoice_id) == before
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.FINALIZED
    # Kept: the next guard (and Check before export) reads it without asking QBO.
    assert periods.closing(invoice).day == invoice.issue_date
