"""A credit note's QBO CreditMemo applied to its invoice's QBO Invoice (docs/decisions/0027).

QBO spends a credit memo's credit through a Payment: one of 0 whose lines take the amount from
the credit memo and put it on the invoice, as QuickBooks' own Receive payment does when a
credit is ticked (QBO.md §3.4; the payment, not the credit memo, carries the link).

One QboCreditApplication row per credit note, queued in the transaction that records its credit
memo's first export (export/outcomes.py), and worked by a drain of its own (`drain`, the task
`apply_credits`), as the PDFs are (attachments.py). Exactly once, as exports are: the row is
SENDING and committed before the payment leaves, under the row's requestid. An unclear answer
(a timeout, a 5xx, a worker that died SENDING) makes it UNKNOWN, and the next try looks in QBO
first: the QBO invoice's LinkedTxn names its payments, and one whose lines link both the
invoice and the credit memo is ours (or a person's, who applied the credit by hand: either way
it is spent). Found, it is APPLIED; not found, the same body goes again under the same
requestid; a look-up that fails sends nothing. A refusal (more than the invoice's balance, an
inactive or merged customer) is FAILED with QBO's reason, shown in the QuickBooks Export column,
and tried again with the PDFs' back-off, looked up first, under a new requestid (nothing was
made). A 429 or a refused access is not a try. The sweep queues the row of a credit memo in
QBO that has none (`queue_missing`).
"""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billbridge.quickbooks.attachments import backoff
from billbridge.quickbooks.client import (
    QboClient,
    QboError,
    QboFault,
)
from billbridge.quickbooks.faults import describe
from billbridge.quickbooks.models import (
    APPLICATION_DUE_STATES,
    ApplicationState,
    QboCreditApplication,
    QboInvoiceLink,
)
from billbridge.quickbooks.qbo_invoice import QboInvoice
from billbridge.quickbooks.row_drains import NOT_A_TRY, RowDrain

NOT_FOUND = "610"
RETRIED = "retried automatically"


def marker(row: QboCreditApplication) -> str:
    """Our mark in the payment's PrivateNote, for a person reading QuickBooks."""
    return f"[bb:{row.practice_id}:{row.credit_note_id}:applied]"


# ---- queued when a credit memo is recorded ----------------------------------------------------


def queue(links: list[QboInvoiceLink]) -> None:
    """In the transaction recording these exports (links whose `invoice` is loaded): each
    credit memo is to be applied to its invoice's QBO invoice, once. Only a first export makes
    the row; a credit memo that replaces one deleted in QuickBooks (a new Id) is applied
    afresh, the old one's credit gone with it."""
    memos = {
        link.invoice_id: link for link in links if link.entity == QboInvoiceLink.Entity.CREDIT_MEMO
    }
    if not memos:
        return
    credited = {
        link.invoice_id: link
        for link in QboInvoiceLink.objects.filter(
            invoice_id__in=[link.invoice.credited_invoice_id for link in memos.values()]
        )
    }
    existing = {
        app.credit_note_id: app
        for app in QboCreditApplication.objects.select_for_update().filter(credit_note_id__in=memos)
    }
    now = timezone.now()
    new = []
    for credit_note_id, link in memos.items():
        note = link.invoice
        invoice_link = credited.get(note.credited_invoice_id)
        if invoice_link is None:
            continue  # never exported: nothing to apply it to (the plan refuses such a send)
        app = existing.get(credit_note_id) or QboCreditApplication(
            credit_note_id=credit_note_id, practice_id=note.practice_id
        )
        if app.pk is not None and app.qbo_credit_memo_id == link.qbo_invoice_id:
            continue  # applied (or on its way) already: a re-export changes nothing here
        app.realm_id = link.realm_id
        app.qbo_credit_memo_id = link.qbo_invoice_id
        app.qbo_invoice_id = invoice_link.qbo_invoice_id
        app.qbo_customer_id = link.qbo_customer_id
        # All the credit QBO's credit memo holds: the credit note's total, unless QBO's
        # automated sales tax chose its own tax (R7c), as it did on the invoice.
        app.amount = link.qbo_total
        app.state = ApplicationState.QUEUED
        app.qbo_payment_id = app.error = ""
        app.request_id = uuid.uuid4().hex
        app.attempts = 0
        app.next_attempt_at = now
        app.lease_until = None
        if app.pk is None:
            new.append(app)
        else:
            app.save()
    QboCreditApplication.objects.bulk_create(new, ignore_conflicts=True)


def queue_missing(realm_id: str) -> int:
    """The sweep's share: credit memos QBO holds as ours with no application row (a crash
    between, or a row queued before its invoice's link existed) get one. Returns how many."""
    links = list(
        QboInvoiceLink.objects.filter(
            realm_id=realm_id,
            entity=QboInvoiceLink.Entity.CREDIT_MEMO,
            state=QboInvoiceLink.State.IN_QBO,
            invoice__qbo_application__isnull=True,
        ).select_related("invoice")[:100]
    )
    if not links:
        return 0
    with transaction.atomic():
        queue(links)
    return QboCreditApplication.objects.filter(
        credit_note_id__in=[link.invoice_id for link in links]
    ).count()


ROWS = RowDrain(
    QboCreditApplication,
    APPLICATION_DUE_STATES,
    ApplicationState.SENDING,
    ApplicationState.UNKNOWN,
)
next_due_at = ROWS.next_due_at


# ---- the drain --------------------------------------------------------------------------------


def drain(realm_id: str) -> int:
    """Apply every due credit of the company, one row at a time; returns how many rows were
    worked on."""
    return ROWS.drain(realm_id, lambda client, row: Applying(client, row).run())


class Applying:
    """One row taken one step further: applied, or to be tried again."""

    def __init__(self, client: QboClient, row: QboCreditApplication) -> None:
        self.client, self.row = client, row

    def run(self) -> None:
        row = self.row
        if row.state in (ApplicationState.UNKNOWN, ApplicationState.FAILED):
            # Unclear, or refused earlier: QBO may hold it (ours, or a person's by hand).
            try:
                found = self._look_up()
            except NOT_A_TRY:
                raise
            except QboError as exc:
                row.attempts += 1
                self._failed(exc, f"Checking QuickBooks failed: {_reason(exc)}")
                return
            if found is not None:
                self._applied(found)
                return
            if row.qbo_payment_id:
                # Applied once, and that payment undone in QBO since: a new request, or QBO
                # would replay the old one's answer.
                row.qbo_payment_id = ""
                row.request_id = uuid.uuid4().hex
        self._send()

    def _send(self) -> None:
        row = self.row
        before = row.state
        row.state = ApplicationState.SENDING
        row.attempts += 1
        # Committed before the payment leaves (no transaction is open here).
        row.save(update_fields=["state", "attempts", "qbo_payment_id", "request_id", "updated_at"])
        try:
            answer = self.client.create("Payment", payment_body(row), request_id=row.request_id)
        except NOT_A_TRY:
            row.state = before
            row.attempts -= 1
            row.save(update_fields=["state", "attempts", "updated_at"])
            raise
        except QboError as exc:
            if isinstance(exc, QboFault) and not exc.transient:
                # Refused for sure, nothing made: the next try is a new request, or QBO could
                # replay this refusal after its cause is fixed (docs/decisions/0009).
                row.request_id = uuid.uuid4().hex
                self._failed(exc, _reason(exc), state=ApplicationState.FAILED)
            else:
                self._failed(
                    exc,
                    f"QuickBooks did not answer clearly ({exc}).",
                    state=ApplicationState.UNKNOWN,
                )
            return
        self._applied(str(answer.get("Id", "")))

    def _look_up(self) -> str | None:
        """The id of a QBO payment that links the row's invoice and credit memo ("" when the
        invoice names the credit memo itself, as QBO.md §6 says it may); None when QBO shows
        the credit not applied. Raises QboError when QBO cannot tell (nothing is sent)."""
        row = self.row
        invoice = self.client.read("Invoice", row.qbo_invoice_id)
        if ("CreditMemo", row.qbo_credit_memo_id) in _linked(invoice.get("LinkedTxn")):
            return ""
        for payment_id in QboInvoice.read(invoice).payment_ids:
            try:
                payment = self.client.read("Payment", payment_id)
            except QboFault as exc:
                if exc.code == NOT_FOUND:
                    continue  # deleted since the invoice was read: it links nothing now
                raise
            if links_both(payment, row.qbo_invoice_id, row.qbo_credit_memo_id):
                return str(payment.get("Id", payment_id))
        return None

    def _applied(self, payment_id: str) -> None:
        row = self.row
        row.state = ApplicationState.APPLIED
        row.qbo_payment_id = payment_id
        row.error = ""
        row.next_attempt_at = row.lease_until = None
        row.save()

    def _failed(self, exc: QboError, error: str, *, state: str | None = None) -> None:
        """Tried again after a back-off, for as long as it takes: a credit memo left unapplied
        would leave its invoice open in QuickBooks, and a person fixes the cause (a customer
        made active again) in QuickBooks, where Billbridge cannot see it. An unclear one, and
        one refused before, is looked for first."""
        row = self.row
        if state is not None:
            row.state = state
        elif row.state == ApplicationState.SENDING:
            row.state = ApplicationState.UNKNOWN
        row.error = error[:1000]
        delay = backoff(row.attempts)
        if row.state == ApplicationState.UNKNOWN:
            delay = max(delay, settings.QBO_LOOKUP_DELAY_SECONDS)
        row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        row.lease_until = None
        row.save()


def payment_body(row: QboCreditApplication) -> dict:
    """The Payment of 0 that spends the credit memo's `amount` on the invoice, dated as the
    credit note (a date in the open period: the credit note could not be finalized otherwise).
    Made from the row alone, so that every try sends the same bytes."""
    note = row.credit_note
    amount = row.amount
    return {
        "CustomerRef": {"value": row.qbo_customer_id},
        "TotalAmt": Decimal("0.00"),
        "TxnDate": note.issue_date.isoformat(),
        "PrivateNote": f"Billbridge {note.get_kind_display().lower()} {note.number} applied to "
        f"invoice {note.credited_invoice.number} {marker(row)}",
        "Line": [
            {"Amount": amount, "LinkedTxn": [{"TxnId": row.qbo_invoice_id, "TxnType": "Invoice"}]},
            {
                "Amount": amount,
                "LinkedTxn": [{"TxnId": row.qbo_credit_memo_id, "TxnType": "CreditMemo"}],
            },
        ],
    }


def links_both(payment: dict, qbo_invoice_id: str, qbo_credit_memo_id: str) -> bool:
    linked = set()
    for line in payment.get("Line") or []:
        linked |= _linked(line.get("LinkedTxn"))
    return {("Invoice", qbo_invoice_id), ("CreditMemo", qbo_credit_memo_id)} <= linked


def _linked(txns) -> set[tuple[str, str]]:
    return {(txn.get("TxnType"), str(txn.get("TxnId"))) for txn in txns or []}


def _reason(exc: QboError) -> str:
    return describe(exc) if isinstance(exc, QboFault) else str(exc)


# ---- what pages read --------------------------------------------------------------------------


def words_of(row: QboCreditApplication | None, invoice_number: str) -> tuple[str, str]:
    """The QuickBooks Export column's words for a credit memo's application, and their tone
    ("ok", "busy" or "warning"); ("", "") when there is nothing to say."""
    if row is None:
        return "", ""
    if row.state == ApplicationState.APPLIED:
        return f"applied to {invoice_number}", "ok"
    if row.state == ApplicationState.FAILED:
        # One removed in QuickBooks by a person waits for a person (paid_status.py).
        then = f"; {RETRIED}" if row.next_attempt_at is not None else ""
        return f"not applied: {row.error.rstrip('.')}{then}", "warning"
    return "applying", "busy"
