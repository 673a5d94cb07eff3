"""Stage 3, plan and freeze: each invoice's QBO body, built once and kept in its row.

The body is frozen at the first send, not when the export is asked for: it names the QBO
customer, items and tax code, which are only known once QBO has been read (and a customer maybe
created). From then on every retry sends the same bytes under the same requestid
(docs/decisions/0009). An invoice that cannot go is finished here with the reason, and nothing
is sent for it.
"""

from dataclasses import dataclass
from functools import cached_property

from django.utils import timezone

from billbridge.quickbooks import payloads
from billbridge.quickbooks.client.api import dumps
from billbridge.quickbooks.company import Company
from billbridge.quickbooks.connection import item_choices
from billbridge.quickbooks.customers import CustomerStep
from billbridge.quickbooks.export.outcomes import Outcomes
from billbridge.quickbooks.export.rows import link_of
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
        link = link_of(invoice)
        existing = None
        if link and link.state == QboInvoiceLink.State.IN_QBO:
            existing = (link.qbo_invoice_id, link.sync_token)  # an update of that one (R4)
        elif (
            link and link.state == QboInvoiceLink.State.DELETED_IN_QBO and not row.replace_confirmed
        ):
            self.outcomes.deleted_in_qbo(row, number=link.doc_number or link.qbo_invoice_id)
            return False
        items_by_service, default_item = self._item_choices
        plan = payloads.plan_invoice(
            self.outcomes.invoice_data(invoice),
            self.company,
            customer_id=self.customers.customers.get(invoice.client_id),
            items_by_service=items_by_service,
            default_item=default_item,
            ast_handling=self.connection.ast_tax_handling,
            existing=existing,
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
    def _item_choices(self) -> tuple[dict[str, tuple[str, str]], tuple[str, str] | None]:
        # Read once per chunk: every invoice of the chunk maps its lines the same way.
        return item_choices(self.connection)
