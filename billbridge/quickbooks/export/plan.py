"""Stage 3, plan and freeze: each invoice's QBO body, built once and kept in its row.

The body is frozen at the first send, not when the export is asked for: it names the QBO
customer, items and tax code, which are only known once QBO has been read (and a customer maybe
created). From then on every retry sends the same bytes under the same requestid
(docs/decisions/0009). An invoice that cannot go is finished here with the reason, and nothing
is sent for it: that includes an update of a QBO invoice dated in a period closed since it was
queued, and a credit note whose invoice QBO does not hold (its credit memo goes to that
invoice's QBO customer, to be applied to it).
"""

from dataclasses import dataclass
from functools import cached_property

from django.utils import timezone

from billbridge.invoicing import periods
from billbridge.quickbooks import payloads
from billbridge.quickbooks.client.api import dumps
from billbridge.quickbooks.company import Company
from billbridge.quickbooks.connection import item_choices
from billbridge.quickbooks.customers import CustomerStep
from billbridge.quickbooks.export.outcomes import Outcomes
from billbridge.quickbooks.export.rows import closed_period_refusal, export_first, in_qbo, link_of
from billbridge.quickbooks.models import ExportState, InvoiceExport, QboConnection, QboInvoiceLink


@dataclass
class Planner:
    connection: QboConnection
    company: Company
    customers: CustomerStep  # has found (or made) each client's QBO customer
    outcomes: Outcomes

    def plan(self, row: InvoiceExport) -> bool:
        """Freeze the row's body (not saved yet: marking it SENDING saves it). False when the
        invoice cannot go, its row then finished with the reason."""
        invoice = row.invoice
        if invoice.version != row.invoice_version:
            self.outcomes.finish(
                row,
                ExportState.FAILED,
                message=f"Invoice {invoice.number} changed after it was queued (it is now "
                f"{invoice.get_status_display()}); nothing was sent.",
                advice="Export it again once it is finalized.",
            )
            return False
        problem = self.customers.problems.get(invoice.client_id)
        if problem and problem.is_error:
            self.outcomes.finish(
                row,
                ExportState.FAILED,
                code=problem.code,
                message=problem.text,
                advice="Link this client to an existing QBO customer on the client's page, or "
                "rename the client.",
            )
            return False
        customer_id = self.customers.customers.get(invoice.client_id)
        if invoice.is_credit:
            credited = in_qbo(invoice.credited_invoice)
            if credited is None:  # its link changed since the chunk looked (a sync, a revert)
                self.outcomes.finish(
                    row, ExportState.FAILED, **export_first(invoice.credited_invoice.number)
                )
                return False
            # The credit memo is applied to the QBO invoice: it must be that one's customer's.
            customer_id = credited.qbo_customer_id or customer_id
        link = link_of(invoice)
        existing = None
        if link and link.state == QboInvoiceLink.State.IN_QBO:
            existing = (link.qbo_invoice_id, link.sync_token)  # an update of that one (R4)
        elif (
            link and link.state == QboInvoiceLink.State.DELETED_IN_QBO and not row.replace_confirmed
        ):
            self.outcomes.deleted_in_qbo(row, number=link.doc_number or link.qbo_invoice_id)
            return False
        # Its date may have closed since it was queued: an update, or a replacement of one
        # deleted in QBO, changes the closed period there.
        updating = existing is not None or bool(link and row.replace_confirmed)
        refusal = closed_period_refusal(invoice, self._closed_through, updating=updating)
        if refusal is not None:
            self.outcomes.finish(row, ExportState.FAILED, message=refusal.message)
            return False
        items_by_service, default_item = self._item_choices
        plan = payloads.plan_invoice(
            self.outcomes.invoice_data(invoice),
            self.company,
            customer_id=customer_id,
            items_by_service=items_by_service,
            default_item=default_item,
            ast_handling=self.connection.ast_tax_handling,
            existing=existing,
            write_off_item=write_off_item(self.connection),
        )
        if plan.errors:
            self.outcomes.finish(
                row,
                ExportState.FAILED,
                message=" ".join(f.text for f in plan.errors),
                advice=next((f.advice for f in plan.errors if f.advice), ""),
            )
            return False
        warnings = [f.text for f in plan.warnings]
        if problem:
            warnings.insert(0, problem.text)
        row.payload = dumps(plan.body)
        row.warning = " ".join(warnings)[:1000]
        row.updated_at = timezone.now()
        return True

    @cached_property
    def _closed_through(self) -> periods.ClosedThrough | None:
        # Read once per chunk, as the company is: the practice's lock date and QBO's date.
        return periods.closed_through(self.connection.practice)

    @cached_property
    def _item_choices(self) -> tuple[dict[str, tuple[str, str]], tuple[str, str] | None]:
        # Read once per chunk: every invoice of the chunk maps its lines the same way.
        return item_choices(self.connection)


def write_off_item(connection: QboConnection) -> tuple[str, str] | None:
    """The practice's QBO item for write-offs (Settings ▸ Integrations), as plan_invoice takes
    it; None when none is chosen."""
    if not connection.write_off_item_id:
        return None
    return connection.write_off_item_id, connection.write_off_item_name
