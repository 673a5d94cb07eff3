"""One chunk of claimed rows taken through the stages, in order (RELIABILITY.md §1.8).

1. look up unclear sends (lookup.py); 2. find or create the clients' QBO customers
(quickbooks/customers.py); 3. plan and freeze each body (plan.py); 4. send (send.py); 5. record
what QBO answered (outcomes.py). Three waits sit between them: a new version waits while an
earlier version's send is unsettled, a credit note waits for its invoice's export (its credit
memo is applied to that QBO invoice), and invoices whose new customer another chunk is creating
go back for a moment.
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from django.db.models import Min
from django.utils import timezone

from billbridge.quickbooks.client import QboClient
from billbridge.quickbooks.company import Company
from billbridge.quickbooks.customers import CustomerStep
from billbridge.quickbooks.export.claim import release
from billbridge.quickbooks.export.lookup import LookUp
from billbridge.quickbooks.export.outcomes import Outcomes, backoff
from billbridge.quickbooks.export.plan import Planner
from billbridge.quickbooks.export.rows import export_first, in_qbo, link_of
from billbridge.quickbooks.export.send import Sender
from billbridge.quickbooks.leases import lease_length
from billbridge.quickbooks.models import ExportState, InvoiceExport, QboConnection

# An earlier send in one of these states may have made (or may yet make) the QBO invoice.
UNSETTLED = (
    ExportState.QUEUED,
    ExportState.SENDING,
    ExportState.UNKNOWN,
    ExportState.NEEDS_REVIEW,
)


def on_their_way(invoice_ids):
    """The export rows of these invoices that will yet reach QBO by themselves (queued, being
    sent, or being looked up; not those waiting for a person's review)."""
    return InvoiceExport.objects.filter(invoice_id__in=invoice_ids, state__in=UNSETTLED).exclude(
        state=ExportState.NEEDS_REVIEW
    )


@dataclass
class Chunk:
    connection: QboConnection
    client: QboClient
    company: Company
    rows: list[InvoiceExport]
    owner: str  # the drain's lease owner

    @cached_property
    def outcomes(self) -> Outcomes:
        return Outcomes(self.connection, self.company)

    @cached_property
    def customers(self) -> CustomerStep:
        return CustomerStep(self.client, self.connection.realm_id, self.owner, lease_length())

    def run(self) -> None:
        try:
            look_up = LookUp(self.client, self.outcomes)
            pending = [
                row
                for row in self.rows
                if row.state != ExportState.UNKNOWN or look_up.send_again(row)
            ]
            fresh = self._after_earlier_sends([row for row in pending if not row.payload])
            fresh = self._after_credited_invoices(fresh)
            resend = [row for row in pending if row.payload]
            sender = Sender(self.connection, self.client, self.outcomes)
            if fresh:
                self.customers.find({row.invoice.client for row in fresh})
                fresh = self._after_customer_creations(fresh)
                planner = Planner(self.connection, self.company, self.customers, self.outcomes)
                sender.send_batch([row for row in fresh if planner.plan(row)])
            for row in resend:
                sender.send_one(row)
        finally:
            # What QBO already answered is kept even when a later step of the chunk fails.
            self.outcomes.save_exported()

    def _after_earlier_sends(self, fresh: list[InvoiceExport]) -> list[InvoiceExport]:
        """A new version of an invoice QBO does not hold yet waits while an earlier version's
        send is unsettled (unknown, queued to be sent again, or for review): that one may have
        made the QBO invoice, which the new version must then update, not duplicate."""
        unlinked = {row.invoice_id for row in fresh if link_of(row.invoice) is None}
        waiting = set(
            InvoiceExport.objects.filter(invoice_id__in=unlinked)
            .exclude(pk__in=[row.pk for row in fresh])
            .exclude(payload="")
            .filter(state__in=UNSETTLED)
            .values_list("invoice_id", flat=True)
        )
        for row in fresh:
            if row.invoice_id in waiting:
                row.attempts += 1
                self.outcomes.retry_later(
                    row,
                    ExportState.QUEUED,
                    "Waiting for an earlier export of this invoice to be confirmed in QuickBooks.",
                    delay=max(backoff(row.attempts), 5),
                )
        return [row for row in fresh if row.invoice_id not in waiting]

    def _after_credited_invoices(self, fresh: list[InvoiceExport]) -> list[InvoiceExport]:
        """A credit note goes once QBO holds its invoice: its credit memo is applied to that
        QBO invoice, for its customer. While the invoice's own export is on its way the credit
        note waits for it (until that export is next due: not a try); an invoice that is not
        on its way is for a person to export first."""
        waiting_for = {
            row.invoice.credited_invoice_id
            for row in fresh
            if row.invoice.is_credit and in_qbo(row.invoice.credited_invoice) is None
        }
        if not waiting_for:
            return fresh
        due_at = dict(
            on_their_way(waiting_for)
            .values("invoice_id")
            .annotate(due=Min("next_attempt_at"))
            .values_list("invoice_id", "due")
        )
        going = []
        for row in fresh:
            if not row.invoice.is_credit or row.invoice.credited_invoice_id not in waiting_for:
                going.append(row)
                continue
            number = row.invoice.credited_invoice.number
            if row.invoice.credited_invoice_id in due_at:
                wait = due_at[row.invoice.credited_invoice_id] - timezone.now()
                self.outcomes.retry_later(
                    row,
                    ExportState.QUEUED,
                    f"Waiting for invoice {number} to be exported.",
                    delay=max(wait, timedelta(seconds=5)).total_seconds(),
                )
            else:
                self.outcomes.finish(row, ExportState.FAILED, **export_first(number))
        return going

    def _after_customer_creations(self, fresh: list[InvoiceExport]) -> list[InvoiceExport]:
        """Invoices whose new customer another chunk is creating go back for a moment: nothing
        was sent for them, and next time they find the customer it made."""
        waiting = [row for row in fresh if row.invoice.client_id in self.customers.busy]
        release(waiting, delay=1)
        return [row for row in fresh if row not in waiting]
