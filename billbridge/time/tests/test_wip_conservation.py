"""WIP conservation as a Hypothesis state machine (issue 10, "Tests and measures").

Staff record work, billers invoice it from WIP (with write-ups, write-downs and fixed fees),
edit and delete drafts, finalize and revert invoices, write work off and restore it, and the
rate card changes. The machine keeps its own account of where each entry should be; the
invariants: the database agrees with it, every entry is in exactly one state, billed and held
work keeps the value it had when it was invoiced, and the books balance —
standard value = billed + written off + remaining WIP − recorded adjustments.
"""

import datetime
from decimal import Decimal

from django.db import transaction
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
from billbridge.core.errors import ServiceError
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from billbridge.invoicing.totals import LineInput
from billbridge.time import billing, rate_card, services
from billbridge.time.models import Entry, EntryState
from billbridge.time.traced import work_behind
from billbridge.time.wip import wip_list, wip_totals

TODAY = datetime.date.today()
DAYS = st.integers(0, 120).map(lambda n: TODAY - datetime.timedelta(days=n))
ZERO = Decimal("0.00")


class WipBooks(RuleBasedStateMachine):
    @initialize()
    def practice(self):
        self.savepoint = transaction.savepoint()
        practice = testing.make_practice()
        self.biller = testing.make_admin(practice)
        self.staff = [self.biller, testing.make_member(practice)]
        self.clients = [testing.make_client(practice) for _ in range(2)]
        for client in self.clients:
            testing.assign(self.biller, client)
        self.codes = [
            rate_card.save_work_code(self.biller, rate_card.WorkCodeInput(name))
            for name in ("Audit", "Payroll")
        ]
        rate_card.set_rate(
            self.biller,
            rate_card.RateInput(
                TODAY - datetime.timedelta(days=400),
                Decimal("120.00"),
                work_code_id=self.codes[0].pk,
            ),
        )
        for member, rate in zip(self.staff, ("150.00", "80.00"), strict=True):
            rate_card.set_rate(
                self.biller,
                rate_card.RateInput(
                    TODAY - datetime.timedelta(days=400), Decimal(rate), staff_id=member.pk
                ),
            )
        # The machine's own account: entry id → where it should be, and the value frozen when
        # it was invoiced.
        self.expected: dict[int, str] = {}
        self.frozen: dict[int, Decimal] = {}

    def teardown(self):
        if hasattr(self, "savepoint"):
            transaction.savepoint_rollback(self.savepoint)

    # ---- what people do -------------------------------------------------------------------

    @rule(
        who=st.integers(0, 1),
        client=st.integers(0, 1),
        code=st.integers(0, 2),
        minutes=st.integers(1, 300),
        day=DAYS,
        billable=st.booleans(),
    )
    def record(self, who, client, code, minutes, day, billable):
        try:
            entry = services.record(
                self.staff[who],
                services.EntryInput(
                    client_id=self.clients[client].pk,
                    date=day,
                    minutes=minutes,
                    work_code_id=self.codes[code].pk if code < 2 else None,
                    billable=billable,
                ),
            )
        except ServiceError:
            return  # more than 24 hours that day: refused, and nothing stored
        self.expected[entry.pk] = EntryState.UNBILLED

    @rule(client=st.integers(0, 1), amount=st.integers(1, 50_000))
    def spend(self, client, amount):
        entry = services.record(
            self.biller,
            services.EntryInput(
                client_id=self.clients[client].pk,
                date=TODAY,
                kind="expense",
                amount=Decimal(amount) / 100,
            ),
        )
        self.expected[entry.pk] = EntryState.UNBILLED

    @rule(
        client=st.integers(0, 1),
        grouping=st.sampled_from(sorted(billing.GROUPINGS)),
        pricing=st.sampled_from(["standard", "line", "total", "fee"]),
        cents=st.integers(0, 2_000_000),
    )
    def invoice_from_wip(self, client, grouping, pricing, cents):
        amount = Decimal(cents) / 100
        ask = billing.WipBilling(client_id=self.clients[client].pk, grouping=grouping)
        if pricing != "standard":
            groups = billing.preview(self.biller, ask)
            ask = billing.WipBilling(
                client_id=ask.client_id,
                grouping=grouping,
                line_amounts={groups[0].key: amount} if pricing == "line" and groups else {},
                total=amount if pricing == "total" else None,
                fixed_fee=amount if pricing == "fee" else None,
                reason="Agreed with the client",
            )
        try:
            invoice = billing.invoice_from_wip(self.biller, ask)
        except ServiceError:
            return
        for entry_id in Entry.objects.filter(invoice_line__invoice=invoice).values_list(
            "pk", flat=True
        ):
            assert self.expected[entry_id] == EntryState.UNBILLED
            self.expected[entry_id] = EntryState.ON_DRAFT
        self.frozen.update(
            Entry.objects.filter(invoice_line__invoice=invoice).values_list("pk", "value")
        )

    def _invoices(self, status):
        return list(
            Invoice.objects.filter(practice=self.biller.practice, status=status).order_by("pk")
        )

    @precondition(lambda self: self._invoices(InvoiceStatus.DRAFT))
    @rule(pick=st.integers(0, 100), drop=st.integers(0, 10), cents=st.integers(0, 100_000))
    def edit_draft(self, pick, drop, cents):
        """The editor keeps every line by its id, drops one, and re-prices another."""
        drafts = self._invoices(InvoiceStatus.DRAFT)
        invoice = drafts[pick % len(drafts)]
        lines = list(invoice.lines.all())
        dropped = lines.pop(drop % len(lines)) if len(lines) > 1 else None
        kept = [LineInput.of(line) for line in lines]
        if kept:
            first = kept[0]
            kept[0] = LineInput(
                first.description, Decimal(1), Decimal(cents) / 100, line_id=first.line_id
            )
        invoicing.update_draft(
            self.biller,
            invoice.pk,
            invoicing.DraftInput(
                client_id=invoice.client_id,
                issue_date=invoice.issue_date,
                due_date=invoice.due_date,
                lines=kept,
            ),
        )
        if dropped is not None:
            self._returned(Entry.objects.filter(pk__in=self._on_line(dropped)))

    def _on_line(self, line: InvoiceLine):
        return [pk for pk, state in self.expected.items() if state and self._line_of(pk) == line.pk]

    def _line_of(self, entry_id):
        return self.lines_before.get(entry_id)

    def _returned(self, entries):
        for entry in entries:
            self.expected[entry.pk] = EntryState.UNBILLED
            self.frozen.pop(entry.pk, None)

    @precondition(lambda self: self._invoices(InvoiceStatus.DRAFT))
    @rule(pick=st.integers(0, 100))
    def delete_draft(self, pick):
        drafts = self._invoices(InvoiceStatus.DRAFT)
        invoice = drafts[pick % len(drafts)]
        held = [
            pk
            for pk, line in self.lines_before.items()
            if line in set(invoice.lines.values_list("pk", flat=True))
        ]
        invoicing.delete_draft(self.biller, invoice.pk)
        for pk in held:
            self.expected[pk] = EntryState.UNBILLED
            self.frozen.pop(pk, None)

    @precondition(lambda self: self._invoices(InvoiceStatus.DRAFT))
    @rule(pick=st.integers(0, 100))
    def finalize(self, pick):
        drafts = self._invoices(InvoiceStatus.DRAFT)
        invoice = drafts[pick % len(drafts)]
        try:
            invoicing.finalize(self.biller, invoice.pk)
        except ServiceError:
            return  # no lines left, say
        self._moved(invoice, EntryState.BILLED)

    @precondition(lambda self: self._invoices(InvoiceStatus.FINALIZED))
    @rule(pick=st.integers(0, 100))
    def revert(self, pick):
        finalized = self._invoices(InvoiceStatus.FINALIZED)
        invoice = finalized[pick % len(finalized)]
        invoicing.revert_to_draft(self.biller, invoice.pk, "A correction")
        self._moved(invoice, EntryState.ON_DRAFT)

    def _moved(self, invoice, state):
        for pk in Entry.objects.filter(invoice_line__invoice=invoice).values_list("pk", flat=True):
            self.expected[pk] = state

    @rule(pick=st.integers(0, 1000))
    def write_off(self, pick):
        unbilled = sorted(pk for pk, s in self.expected.items() if s == EntryState.UNBILLED)
        if not unbilled:
            return
        chosen = unbilled[pick % len(unbilled)]
        services.write_off(self.biller, [chosen], "Training time")
        self.expected[chosen] = EntryState.WRITTEN_OFF

    @rule(pick=st.integers(0, 1000))
    def restore(self, pick):
        off = sorted(pk for pk, s in self.expected.items() if s == EntryState.WRITTEN_OFF)
        if not off:
            return
        chosen = off[pick % len(off)]
        services.restore(self.biller, chosen)
        self.expected[chosen] = EntryState.UNBILLED

    @rule(who=st.integers(0, 1), day=DAYS, cents=st.integers(0, 40_000))
    def new_rate(self, who, day, cents):
        try:
            rate_card.set_rate(
                self.biller,
                rate_card.RateInput(day, Decimal(cents) / 100, staff_id=self.staff[who].pk),
            )
        except ServiceError:
            return  # billed work under it, or a rate already set that day: nothing changed

    # ---- what must hold -------------------------------------------------------------------

    @invariant()
    def where_each_entry_is(self):
        if not hasattr(self, "expected"):
            return
        entries = list(Entry.objects.select_related("invoice_line__invoice"))
        assert {e.pk: e.state for e in entries} == self.expected
        # Remembered for the rules above: which line each entry is on now.
        self.lines_before = {e.pk: e.invoice_line_id for e in entries if e.invoice_line_id}
        everything = Entry.objects.filter(practice=self.biller.practice)
        counts = [everything.in_state(state).count() for state in EntryState]
        assert sum(counts) == len(entries)

    @invariant()
    def invoiced_work_keeps_its_value(self):
        if not hasattr(self, "expected"):
            return
        values = dict(Entry.objects.filter(pk__in=list(self.frozen)).values_list("pk", "value"))
        assert values == self.frozen

    @invariant()
    def the_books_balance(self):
        if not hasattr(self, "expected"):
            return
        billable = Entry.objects.filter(practice=self.biller.practice, billable=True)
        standard = sum(billable.values_list("value", flat=True), ZERO)
        written_off = sum(
            billable.in_state(EntryState.WRITTEN_OFF).values_list("value", flat=True), ZERO
        )
        remaining = wip_totals(list(wip_list(self.biller)))["value"]
        billed = adjustments = ZERO
        for invoice in Invoice.objects.filter(practice=self.biller.practice):
            for behind in work_behind(invoice).values():
                billed += behind.billed
                adjustments += behind.difference
        assert standard == billed + written_off + remaining - adjustments


hypothesis_settings.register_profile(
    "wip-ci", max_examples=25, stateful_step_count=25, deadline=None, print_blob=True
)


def test_wip_is_conserved_through_any_sequence_of_billing(db):
    WipBooks.lines_before = {}
    run_state_machine_as_test(WipBooks, settings=hypothesis_settings.get_profile("wip-ci"))
