"""One chunk of claimed rows taken through the stages, in order (RELIABILITY.md §1.8).

1. look up unclear sends (lookup.py); 2. find or create the clients' QBO customers
(quickbooks/customers.py); 3. plan and freeze each body (plan.py); 4. send (send.py); 5. record
what QBO answered (outcomes.py). Two waits sit between them: a new version waits while an
earlier version's send is unsettled, and invoices whose new customer another chunk is creating
go back for a moment.
"""

from dataclasses import dataclass
from functools import cached_property

from billbridge.quickbooks.client import QboClient
from billbridge.quickbooks.company import Company
from billbridge.quickbooks.customers import CustomerStep
from billbridge.quickbooks.export.claim import release
from billbridge.quickbooks.export.lookup import LookUp
from billbridge.quickbooks.export.outcomes import Outcomes, backoff
from billbridge.quickbooks.export.plan import Planner
from billbridge.quickbooks.export.rows import link_of
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

    def _after_customer_creations(self, fresh: list[InvoiceExport]) -> list[InvoiceExport]:
        """Invoices whose new customer another chunk is creating go back for a moment: nothing
        was sent for them, and next time they find the customer it made."""
        waiting = [row for row in fresh if row.invoice.client_id in self.customers.busy]
        release(waiting, delay=1)
        return [row for row in fresh if row not in waiting]
