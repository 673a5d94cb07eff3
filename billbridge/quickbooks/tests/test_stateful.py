"""Export and paid-status sync as a Hypothesis state machine (RELIABILITY.md §6.2, goal 8).

One practice, one emulator company, fresh for each example. The rules are what users on both
sides, the worker, Intuit's webhooks and the network do, in any order; the invariants are the
promises of the export (one QBO invoice per Billbridge invoice, no row left half-sent) and of the
paid rule (nothing closed unless QBO shows it paid in full, everything paid in full closed once
the dust settles). A failure shrinks to the shortest program that breaks a promise.

Webhooks travel for real: the emulator signs and POSTs its deliveries to a loopback receiver in
this test, which hands each body, signature and all, to Billbridge's endpoint through Django's
test client (the endpoint must run on the test's database connection to see its rows).

CI runs the default profile; HYPOTHESIS_PROFILE=nightly runs many more and longer programs.
"""

import os
import sys
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.test import Client as HttpClient
from django.utils import timezone
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from billbridge.core import testing
from billbridge.core.errors import ServiceError, TransitionRefused
from billbridge.invoicing import credits
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import Invoice, InvoiceStatus, TimelineEvent
from billbridge.invoicing.totals import LineInput
from billbridge.quickbooks import credit_application, export, paid_status, services
from billbridge.quickbooks.models import (
    APPLICATION_DUE_STATES,
    DUE_STATES,
    FINISHED_STATES,
    ApplicationState,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboCreditApplication,
    QboInvoiceLink,
)
from billbridge.quickbooks.testing import connect_practice
from qbo_emulator.config import App
from qbo_emulator.faults import QboFault as EmulatorRefusal

hypothesis_settings.register_profile(
    "ci", max_examples=15, stateful_step_count=20, deadline=None, print_blob=True
)
hypothesis_settings.register_profile(
    "nightly", max_examples=300, stateful_step_count=50, deadline=None, print_blob=True
)
PROFILE = hypothesis_settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

WEBHOOK_APP = "bb-stateful"
VERIFIER = "stateful-verifier"
MAX_INVOICES = 5
PICK = st.integers(min_value=0, max_value=MAX_INVOICES - 1)


class WebhookInbox:
    """A loopback HTTP server standing in for Billbridge's public URL: it keeps each delivery
    (raw body and Intuit's signature) and answers 200, as an accepting receiver does."""

    def __init__(self):
        self.deliveries: list[tuple[bytes, str]] = []
        self._lock = threading.Lock()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with inbox._lock:
                    inbox.deliveries.append((body, self.headers.get("intuit-signature", "")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/quickbooks/webhooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def take(self) -> list[tuple[bytes, str]]:
        with self._lock:
            taken, self.deliveries = self.deliveries, []
        return taken


def latest_event_id() -> int:
    return TimelineEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def is_voided(qbo: dict) -> bool:
    return qbo["TotalAmt"] == 0 and "Voided" in qbo.get("PrivateNote", "")


def is_paid_in_full(qbo: dict) -> bool:
    return qbo["TotalAmt"] > 0 and qbo["Balance"] == 0 and not is_voided(qbo)


class PaidSyncMachine(RuleBasedStateMachine):
    # Set by the `machine` fixture: the running emulator and the webhook inbox.
    qbo = None
    inbox = None

    def __init__(self):
        super().__init__()
        # Each example's rows vanish with this savepoint, in the test's transaction.
        self.savepoint = transaction.savepoint()
        self.qbo.reset()
        self.qbo.config.options.update({"webhook_window_seconds": 3600})  # we say when
        self.realm = self.qbo.emulator.create_company(name="Stateful Co", seed="sample").realm_id
        self.company = self.qbo.emulator.company(self.realm)
        self.practice = testing.make_practice("Stateful Co")
        self.member = testing.make_admin(self.practice)
        invoicing.update_tax_settings(
            self.member, primary_name="Sales tax", primary_rate=Decimal("8"), primary_enabled=True
        )
        # QBO knows the client already, so that the next batch after a fault is of invoices.
        self.company.create("Customer", {"DisplayName": "Harbor Books"})
        self.client = testing.make_client(self.practice, "Harbor Books")
        testing.assign(self.member, self.client)
        self.invoice_ids: list[int] = []
        self.credit_ids: list[int] = []  # finalized credit notes and write-offs
        self.payment_ids: list[str] = []
        # QBO's closing date as set in the rules, and what QBO held on or before it then:
        # transaction Id → (TotalAmt, line amounts). Billbridge must never change those.
        self.closed_through: str | None = None
        self.closed_picture: dict[tuple[str, str], tuple] = {}
        self.last_event_id = latest_event_id()

    def teardown(self):
        try:
            # Quiescence is judged only after a run that broke nothing on its way.
            if sys.exc_info()[0] is None:
                self.check_quiescence()
        finally:
            transaction.savepoint_rollback(self.savepoint)

    # ---- helpers --------------------------------------------------------------------------------

    def invoice(self, pick: int) -> Invoice:
        return Invoice.objects.get(pk=self.invoice_ids[pick % len(self.invoice_ids)])

    def marker(self, invoice_id: int) -> str:
        return f"[bb:{self.practice.pk}:{invoice_id}]"

    def ours_in_qbo(self) -> list[dict]:
        """The QBO invoices carrying one of our markers (voiding keeps the memo behind
        "Voided - ")."""
        return [
            qbo
            for qbo in self.company.list("Invoice")
            if any(self.marker(i) in qbo.get("PrivateNote", "") for i in self.invoice_ids)
        ]

    def twin(self, invoice: Invoice) -> dict | None:
        link = QboInvoiceLink.objects.filter(invoice=invoice).first()
        if link is None or link.state != QboInvoiceLink.State.IN_QBO:
            return None
        found = self.company.find("Invoice", link.qbo_invoice_id)
        return dict(found) if found else None

    def qbo_pick(self, pick: int, wanted) -> dict | None:
        candidates = [qbo for qbo in self.ours_in_qbo() if wanted(qbo)]
        return candidates[pick % len(candidates)] if candidates else None

    def user_in_qbo(self, action, *args) -> dict | None:
        """A QBO user's action; QBO's refusal (a paid invoice cannot be voided or deleted)
        changes nothing, as in QBO's screens."""
        try:
            return action(*args)
        except EmulatorRefusal:
            return None

    def make_due(self):
        past = timezone.now() - timedelta(seconds=1)
        InvoiceExport.objects.exclude(state__in=FINISHED_STATES).update(next_attempt_at=past)
        QboCreditApplication.objects.filter(state__in=APPLICATION_DUE_STATES).update(
            next_attempt_at=past
        )
        QboConnection.objects.update(paused_until=None)

    def drain(self):
        """What a worker does for the company: the exports, then the credits they made."""
        export.drain(self.realm)
        credit_application.drain(self.realm)

    def in_closed_period(self, qbo: dict) -> bool:
        return self.closed_through is not None and qbo.get("TxnDate", "") <= self.closed_through

    def transaction_picture(self, qbo: dict) -> tuple:
        return qbo["TotalAmt"], tuple(line["Amount"] for line in qbo.get("Line", []))

    def has(self, status: str) -> bool:
        return Invoice.objects.filter(pk__in=self.invoice_ids, status=status).exists()

    def sent_some(self) -> bool:
        """Whether QBO may hold any of our invoices: only then is a QBO user's step useful."""
        return InvoiceExport.objects.filter(practice=self.practice).exists()

    # ---- Billbridge users -----------------------------------------------------------------------

    @initialize(
        our_numbers=st.booleans(),
        count=st.integers(min_value=1, max_value=3),
        answer_lost=st.booleans(),
        request_ids_forgotten=st.booleans(),
    )
    def connected_and_exported(self, our_numbers, count, answer_lost, request_ids_forgotten):
        """Connected to a company that takes our invoice numbers or numbers them itself (a lost
        create is then looked up by customer and date, and QBO's refusal of a second DocNumber
        no longer guards against a duplicate); most programs start from exported invoices, the
        first export perhaps already hit."""
        self.company.set_preferences(custom_txn_numbers=our_numbers)
        connect_practice(self.practice, self.qbo, self.realm)
        self.qbo.connect(self.realm, WEBHOOK_APP)
        # QBO does not enforce its closing date here: only Billbridge's guards keep a closed
        # period as it was, and the invariant below watches them.
        self.company.set_preferences(closed_books_enforced=False)
        connection = QboConnection.objects.get(practice=self.practice)
        services.set_write_off_item(self.member, connection.default_item_id)
        if request_ids_forgotten:
            self.qbo_forgets_request_ids()
        if answer_lost:
            self.commit_then_drop_next("/v3/company/*/batch")
        for _ in range(count):
            self.finalize_a_new_invoice()
        self.export(set(range(count)))

    @precondition(lambda self: len(self.invoice_ids) < MAX_INVOICES)
    @rule()
    def finalize_a_new_invoice(self):
        draft = testing.make_invoice(self.member, self.client)
        self.invoice_ids.append(invoicing.finalize(self.member, draft.pk).pk)

    @precondition(lambda self: self.invoice_ids)
    @rule(picks=st.sets(PICK, min_size=1, max_size=MAX_INVOICES))
    def export(self, picks):
        ids = sorted({self.invoice_ids[p % len(self.invoice_ids)] for p in picks})
        services.request_export(self.member, ids)
        self.drain()

    @rule()
    def worker_retries_what_is_due(self):
        self.make_due()
        self.drain()

    @precondition(lambda self: self.has(InvoiceStatus.FINALIZED) or self.has(InvoiceStatus.CLOSED))
    @rule(pick=PICK)
    def revert_to_draft(self, pick):
        invoice = self.invoice(pick)
        here, there = self.local_picture(invoice), self.qbo_picture(invoice)
        try:
            invoicing.revert_to_draft(self.member, invoice.pk, "A line was wrong")
        except TransitionRefused as refusal:
            assert self.local_picture(invoice) == here, "a refused revert changed Billbridge"
            # Only a lost answer may hide a change QBO made; the refusal must then say so.
            if "may have made the last change" not in refusal.message:
                assert self.qbo_picture(invoice) == there, "a refused revert changed QBO"
            return
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.DRAFT
        # A draft is owed nothing in QBO: its twin is gone (R8) or kept with nothing applied (R9).
        twin = self.twin(invoice)
        assert twin is None or twin["Balance"] == twin["TotalAmt"], twin

    def local_picture(self, invoice: Invoice) -> tuple:
        invoice.refresh_from_db()
        link = QboInvoiceLink.objects.filter(invoice=invoice).values().first()
        return invoice.status, invoice.version, invoice.timeline.count(), link

    def qbo_picture(self, invoice: Invoice) -> tuple:
        twin = self.twin(invoice)
        return (
            twin and (twin["SyncToken"], twin["Balance"], twin["TotalAmt"]),
            sorted((p["Id"], p["SyncToken"]) for p in self.company.list("Payment")),
        )

    @precondition(lambda self: self.has(InvoiceStatus.DRAFT))
    @rule(pick=PICK, quantity=st.sampled_from(["1", "2", "3"]))
    def edit_and_finalize(self, pick, quantity):
        drafts = Invoice.objects.filter(pk__in=self.invoice_ids, status=InvoiceStatus.DRAFT)
        invoice = drafts.order_by("pk")[pick % drafts.count()]
        lines = [
            LineInput(
                "Monthly bookkeeping",
                Decimal(quantity),
                Decimal("450.00"),
                service_name="Bookkeeping",
                primary_taxable=True,
            )
        ]
        invoicing.update_draft(
            self.member,
            invoice.pk,
            invoicing.DraftInput(
                client_id=invoice.client_id,
                issue_date=invoice.issue_date,
                due_date=invoice.due_date,
                lines=lines,
            ),
        )
        invoicing.finalize(self.member, invoice.pk)

    @precondition(lambda self: self.invoice_ids)
    @rule(pick=PICK)
    def close_or_reopen_locally(self, pick):
        invoice = self.invoice(pick)
        if invoice.status == InvoiceStatus.FINALIZED:
            invoicing.close(self.member, invoice.pk, "Paid by cheque")
        elif invoice.status == InvoiceStatus.CLOSED:
            invoicing.reopen(self.member, invoice.pk, "Cheque bounced")

    # ---- QBO users ------------------------------------------------------------------------------

    @precondition(sent_some)
    @rule(pick=PICK)
    def pay_in_full(self, pick):
        qbo = self.qbo_pick(pick, lambda q: q["Balance"] > 0)
        if qbo:
            self.payment_ids.append(self.company.receive_payment(qbo["Id"])["Id"])

    @precondition(sent_some)
    @rule(pick=PICK, cents=st.integers(min_value=1, max_value=60000))
    def pay_in_part(self, pick, cents):
        qbo = self.qbo_pick(pick, lambda q: q["Balance"] > Decimal("0.01"))
        if qbo:
            amount = min(Decimal(cents) / 100, qbo["Balance"] - Decimal("0.01"))
            self.payment_ids.append(self.company.receive_payment(qbo["Id"], amount)["Id"])

    @precondition(sent_some)
    @rule(pick=PICK)
    def void_in_qbo(self, pick):
        # QBO refuses to void an invoice with payments: only open unpaid ones are offered.
        qbo = self.qbo_pick(
            pick, lambda q: q["Balance"] == q["TotalAmt"] > 0 and not self.in_closed_period(q)
        )
        if qbo:
            voided = self.company.void_invoice(qbo["Id"])
            assert is_voided(voided)

    @precondition(sent_some)
    @rule(pick=PICK)
    def delete_in_qbo(self, pick):
        qbo = self.qbo_pick(pick, lambda q: not self.in_closed_period(q))
        if qbo:
            self.user_in_qbo(self.company.delete_invoice, qbo["Id"])

    @precondition(lambda self: self.payment_ids)
    @rule(pick=st.integers(min_value=0, max_value=20), void=st.booleans())
    def remove_a_payment(self, pick, void):
        payment_id = self.payment_ids[pick % len(self.payment_ids)]
        if self.company.find("Payment", payment_id) is None:
            return
        action = self.company.void_payment if void else self.company.delete_payment
        self.user_in_qbo(action, payment_id)

    # ---- credit notes and closed periods --------------------------------------------------------

    @precondition(lambda self: self.has(InvoiceStatus.FINALIZED) or self.has(InvoiceStatus.CLOSED))
    @rule(
        pick=PICK,
        how=st.sampled_from(["all", "amount", "write_off"]),
        cents=st.integers(min_value=1, max_value=60000),
    )
    def credit_and_export(self, pick, how, cents):
        invoice = self.invoice(pick)
        data = invoicing.CreditInput(
            invoice.pk,
            "Overbilled",
            amount=Decimal(cents) / 100 if how == "amount" else None,
            write_off=how == "write_off",
        )
        try:
            note = invoicing.create_credit_note(self.member, data)
        except ServiceError:
            return  # nothing left to credit, a draft: refused, nothing made
        invoicing.finalize(self.member, note.pk)
        self.credit_ids.append(note.pk)
        services.request_export(self.member, [note.pk])
        self.drain()

    @precondition(sent_some)
    @rule(closing=st.sampled_from([None, "2026-11-01", "2026-11-02"]))
    def close_the_books_in_qbo(self, closing):
        """A QBO admin closes the books (the invoices here are dated 2 Nov 2026, credit notes
        later) or opens them again; Billbridge learns of it on its own."""
        self.company.set_preferences(book_close_date=closing)
        self.closed_through = closing
        self.closed_picture = {
            (entity, qbo["Id"]): self.transaction_picture(qbo)
            for entity in ("Invoice", "CreditMemo")
            for qbo in self.company.list(entity)
            if self.in_closed_period(qbo)
        }

    @invariant()
    def nothing_in_a_closed_period_changed(self):
        for (entity, qbo_id), picture in self.closed_picture.items():
            now = self.company.find(entity, qbo_id)
            assert now is not None, f"{entity} {qbo_id} in a closed period was deleted"
            assert self.transaction_picture(now) == picture, (entity, qbo_id, now)

    @invariant()
    def at_most_one_credit_memo_and_one_application_per_credit_note(self):
        notes = [qbo.get("PrivateNote", "") for qbo in self.company.list("CreditMemo")]
        for note_id in self.credit_ids:
            count = sum(self.marker(note_id) in note for note in notes)
            assert count <= 1, f"{count} QBO credit memos carry {self.marker(note_id)}"
        spent: dict[str, int] = {}
        for payment in self.company.list("Payment"):
            for line in payment.get("Line", []):
                for txn in line.get("LinkedTxn", []):
                    if txn.get("TxnType") == "CreditMemo":
                        spent[txn["TxnId"]] = spent.get(txn["TxnId"], 0) + 1
        assert all(count == 1 for count in spent.values()), spent

    # ---- Intuit's webhooks, the network, the sync --------------------------------------------

    @rule(mishap=st.sampled_from([None, "drop", "duplicate", "reorder"]))
    def deliver_webhooks(self, mishap):
        if mishap:
            self.qbo.runtime.webhooks.inject(mishap)
        self.qbo.runtime.webhooks.deliver_now()
        http = HttpClient()
        for body, signature in self.inbox.take():
            response = http.post(
                "/quickbooks/webhooks",
                data=body,
                content_type="application/json",
                headers={"intuit-signature": signature},
            )
            assert response.status_code == 200

    @rule(force=st.booleans())
    def sync(self, force):
        report = paid_status.sync_company(self.realm, force=force)
        assert "error" not in report, report

    @rule(path=st.sampled_from(["/v3/company/*/batch", "/v3/company/*/invoice"]))
    def commit_then_drop_next(self, path):
        self.qbo.runtime.faults.add({"kind": "drop", "method": "POST", "path": path, "count": 1})

    @rule()
    def qbo_forgets_request_ids(self):
        """From now on a repeated requestid is a new request (RELIABILITY.md §1.4): only our
        look-up before a re-send stands between a lost answer and a duplicate."""
        self.qbo.emulator.honour_request_id = False

    # ---- invariants -----------------------------------------------------------------------------

    @invariant()
    def closed_by_the_sync_only_when_paid_in_full(self):
        """Only a sync closes with actor "QuickBooks sync", and QBO cannot change between the
        sync and this check: what QBO shows now is what the sync saw."""
        events = TimelineEvent.objects.filter(
            id__gt=self.last_event_id, action="closed", actor_label=paid_status.ACTOR
        ).select_related("invoice")
        for closed in events:
            invoice = closed.invoice
            twin = self.twin(invoice)
            assert twin is not None, f"{invoice.number} closed with no QBO invoice"
            assert is_paid_in_full(twin), (invoice.number, twin)
            assert twin["TotalAmt"] == invoice.total, (
                f"{invoice.number} closed as paid: QBO shows {twin['TotalAmt']} paid, "
                f"the invoice is for {invoice.total}"
            )
        self.last_event_id = latest_event_id()

    @invariant()
    def at_most_one_qbo_invoice_per_marker(self):
        notes = [qbo.get("PrivateNote", "") for qbo in self.company.list("Invoice")]
        for invoice_id in self.invoice_ids:
            count = sum(self.marker(invoice_id) in note for note in notes)
            assert count <= 1, f"{count} QBO invoices carry {self.marker(invoice_id)}"

    @invariant()
    def every_export_row_is_finished_or_due(self):
        # Between steps no worker is running: nothing may hold a lease or be mid-send.
        for row in InvoiceExport.objects.filter(practice=self.practice):
            assert row.state in FINISHED_STATES or (
                row.state in DUE_STATES and row.lease_until is None
            ), (row.pk, row.state, row.lease_until)
        for app in QboCreditApplication.objects.filter(practice=self.practice):
            assert app.state == ApplicationState.APPLIED or (
                app.state in APPLICATION_DUE_STATES and app.lease_until is None
            ), (app.pk, app.state, app.lease_until)

    # ---- quiescence -----------------------------------------------------------------------------

    def settle(self):
        """The worker and the sweep run until nothing is due, then a CDC poll."""
        self.qbo.runtime.faults.clear()
        for _ in range(10):
            credit_application.queue_missing(self.realm)
            if not (
                InvoiceExport.objects.filter(practice=self.practice, state__in=DUE_STATES).exists()
                or QboCreditApplication.objects.filter(
                    practice=self.practice,
                    state__in=(ApplicationState.QUEUED, ApplicationState.UNKNOWN),
                ).exists()
            ):
                break
            self.make_due()
            self.drain()
        report = paid_status.sync_company(self.realm, force=True)
        assert "error" not in report, report
        self.closed_by_the_sync_only_when_paid_in_full()

    def check_quiescence(self):
        self.settle()
        self.at_most_one_qbo_invoice_per_marker()
        for row in InvoiceExport.objects.filter(practice=self.practice):
            assert row.state in FINISHED_STATES, (row.pk, row.state, row.message)
        for invoice in Invoice.objects.filter(pk__in=self.invoice_ids):
            link = QboInvoiceLink.objects.filter(invoice=invoice).first()
            twin = self.twin(invoice)
            if twin is None or link.exported_content_version != invoice.content_version:
                continue
            unchanged = twin["TotalAmt"] == link.qbo_total
            if invoice.status == InvoiceStatus.FINALIZED and unchanged:
                assert not is_paid_in_full(twin), (
                    f"{invoice.number} is paid in full in QBO ({twin['Id']}) but still Finalized"
                )
            self.balances_agree(invoice, twin)
        for app in QboCreditApplication.objects.filter(practice=self.practice):
            # Applied, or refused by QBO with the reason shown: never left half-done.
            assert app.state == ApplicationState.APPLIED or (
                app.state == ApplicationState.FAILED and app.error
            ), (app.pk, app.state, app.error)

    def balances_agree(self, invoice: Invoice, twin: dict) -> None:
        """Once every credit on an invoice is applied in QBO, what Billbridge says is due is
        what QBO shows as its balance."""
        notes = Invoice.objects.filter(credited_invoice=invoice, status=InvoiceStatus.FINALIZED)
        applied = QboCreditApplication.objects.filter(
            credit_note__in=notes, state=ApplicationState.APPLIED
        ).count()
        if applied != notes.count() or twin["TotalAmt"] != invoice.total or is_voided(twin):
            return
        due = credits.balance_of(invoice).due
        assert due == twin["Balance"], (invoice.number, due, twin["Balance"])


@pytest.fixture
def machine(db, qbo_settings, emulator, settings):
    """The machine's world: the emulator sending its webhooks to an inbox of ours."""
    settings.QBO_LOOKUP_DELAY_SECONDS = 0
    settings.QBO_WEBHOOK_VERIFIER = VERIFIER
    # Our own budget would pace this test to 10 requests a second; QBO's throttle is off.
    settings.QBO_REQUESTS_PER_SECOND = 10_000
    settings.QBO_REQUESTS_PER_MINUTE = 100_000
    settings.QBO_BATCH_REQUESTS_PER_MINUTE = 10_000
    inbox = WebhookInbox()
    inbox.thread.start()
    emulator.config.register_app(
        App(
            client_id=WEBHOOK_APP,
            client_secret="stateful-secret",  # noqa: S106 - the emulator's, not a real one
            redirect_uris=["http://127.0.0.1:8000/callback"],
            webhook_url=inbox.url,
            verifier_token=VERIFIER,
            webhook_entities=["Invoice", "Payment", "CreditMemo"],
        )
    )
    PaidSyncMachine.qbo, PaidSyncMachine.inbox = emulator, inbox
    try:
        yield PaidSyncMachine
    finally:
        emulator.config.remove_app(WEBHOOK_APP)
        inbox.server.shutdown()
        inbox.server.server_close()


def test_export_and_paid_sync_keep_their_promises(machine):
    run_state_machine_as_test(machine, settings=PROFILE)


def test_an_edited_version_is_not_closed_on_a_payment_of_the_old_one(machine):
    # Found by the machine: the sync closed an invoice edited after a revert (R9) on the
    # payment of the QBO invoice that still held the old version.
    state = machine()
    try:
        state.connected_and_exported(
            our_numbers=False, count=1, answer_lost=False, request_ids_forgotten=False
        )
        state.pay_in_full(pick=0)
        state.revert_to_draft(pick=0)  # the payment is unapplied; the QBO invoice stays (R9)
        state.edit_and_finalize(pick=0, quantity="1")  # 686.00 becomes 486.00, not exported
        state.pay_in_full(pick=0)  # the old QBO invoice, 686.00, paid again
        state.sync(force=True)
        state.closed_by_the_sync_only_when_paid_in_full()
    finally:
        transaction.savepoint_rollback(state.savepoint)


def test_a_new_version_is_not_created_again_while_the_last_send_is_unknown(machine):
    # Found by the machine: a new version's export was sent as a create while an earlier
    # version's export of the same invoice still waited for its look-up.
    state = machine()
    try:
        # QBO numbers the invoices itself, so no duplicate DocNumber refusal stands in the way.
        state.connected_and_exported(
            our_numbers=False, count=1, answer_lost=True, request_ids_forgotten=False
        )
        assert InvoiceExport.objects.get().state == ExportState.UNKNOWN
        state.close_or_reopen_locally(pick=0)  # closed: a new version
        state.close_or_reopen_locally(pick=0)  # reopened: another
        state.export(picks={0})
        state.at_most_one_qbo_invoice_per_marker()
    finally:
        transaction.savepoint_rollback(state.savepoint)
