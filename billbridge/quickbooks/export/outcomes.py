"""Stage 5, record: what became of each row, written where a user reads it (DESIGN.md §4.3).

Four outcomes: exported (the link to the QBO invoice, or to a credit note's QBO credit memo,
whose application to its invoice is queued with it), a fault QBO answered (an error with
Intuit's code, or, for an invoice deleted there, a person's decision to wait for), retry later
(a back-off, or Needs review after too many unclear tries: never a silent give-up), and
finished for any other reason. Successes are kept in memory and written together, in one
transaction, when the chunk ends (`save_exported`); the others are written at once.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billbridge.quickbooks import attachments, credit_application, payloads
from billbridge.quickbooks.client import QboFault
from billbridge.quickbooks.company import Company
from billbridge.quickbooks.faults import advice_for, describe
from billbridge.quickbooks.models import (
    ConnectionStatus,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboInvoiceLink,
)
from billbridge.quickbooks.qbo_invoice import QboInvoice
from billbridge.quickbooks.tokens import mark_reconnect_required

from .rows import Entity, entity_of, frozen_body, is_update, noun_of

ROW_OUTCOME_FIELDS = [
    "state", "error_code", "message", "advice", "warning", "intuit_tid", "lease_until",
    "finished_at", "updated_at",
]  # fmt: skip
LINK_FIELDS = [
    f for f in QboInvoiceLink._meta.concrete_fields if f.name not in ("id", "invoice", "created_at")
]
BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0
REPLACE_ADVICE = "Create a new QBO invoice from this one, or leave it out of QuickBooks."


def backoff(attempts: int) -> float:
    """Capped exponential back-off with full jitter (RELIABILITY.md §4.3)."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempts))  # noqa: S311


def pause_for_reconnect(connection: QboConnection, exc: Exception) -> None:
    """QBO refused our access: the company's exports wait for a person to reconnect it."""
    connection.refresh_from_db()
    if connection.status == ConnectionStatus.CONNECTED:
        mark_reconnect_required(
            connection,
            f"QuickBooks refused Billbridge's access ({exc}). Reconnect in Settings ▸ "
            "Integrations ▸ QuickBooks Online; queued exports wait until then.",
        )


@dataclass
class Outcomes:
    connection: QboConnection
    company: Company
    # Written together by save_exported: one transaction, not one per invoice.
    exported: list[tuple[InvoiceExport, QboInvoiceLink]] = field(default_factory=list, init=False)
    _invoice_data: dict[int, payloads.InvoiceData] = field(default_factory=dict, init=False)

    def invoice_data(self, invoice) -> payloads.InvoiceData:
        """The invoice as the payload builders see it, made once per chunk: the plan and the
        tax comparison of QBO's answer both need it."""
        if invoice.pk not in self._invoice_data:
            self._invoice_data[invoice.pk] = payloads.InvoiceData.of(invoice)
        return self._invoice_data[invoice.pk]

    def success(self, row: InvoiceExport, answer: dict) -> None:
        """Keep QBO's answer for save_exported: the link to the QBO invoice, and a warning
        when QBO's tax or total differ from ours (R7c)."""
        invoice = row.invoice
        qbo = QboInvoice.read(answer)
        warnings = [row.warning] if row.warning else []
        finding = payloads.compare_tax(
            self.invoice_data(invoice), answer, self.company, self.connection.ast_tax_handling
        )
        if finding:
            warnings.append(finding.text)
        link = QboInvoiceLink(
            invoice=invoice,
            realm_id=self.connection.realm_id,
            entity=entity_of(invoice),
            qbo_invoice_id=qbo.id,
            sync_token=qbo.sync_token,
            doc_number=qbo.doc_number,
            state=QboInvoiceLink.State.IN_QBO,
            exported_version=row.invoice_version,
            exported_content_version=invoice.content_version,
            exported_total=invoice.total,
            qbo_total=qbo.total,
            qbo_tax=qbo.tax,
            qbo_balance=qbo.balance,  # a credit memo's: its credit not yet spent
            qbo_customer_id=qbo.customer_id,
        )
        row.warning = " ".join(warnings)[:1000]
        self.finish(row, ExportState.EXPORTED, keep_warning=True, save=False)
        self.exported.append((row, link))

    def save_exported(self) -> None:
        if not self.exported:
            return
        rows, links = zip(*self.exported, strict=True)
        by_warning = defaultdict(list)
        for row in rows:
            by_warning[row.warning].append(row.pk)
        now = timezone.now()
        with transaction.atomic():
            QboInvoiceLink.objects.bulk_create(
                links,
                update_conflicts=True,
                unique_fields=["invoice"],
                update_fields=[f.name for f in LINK_FIELDS],
            )
            # Each exported invoice version's PDF is to be attached, by a drain of its own
            # (0025); a credit memo is applied to its invoice, by another (0027).
            attachments.queue([row for row, link in self.exported if link.entity == Entity.INVOICE])
            credit_application.queue(list(links))
            # Rows differ only by their warning: one UPDATE per distinct warning.
            for warning, ids in by_warning.items():
                InvoiceExport.objects.filter(pk__in=ids).update(
                    state=ExportState.EXPORTED,
                    warning=warning,
                    error_code="",
                    message="",
                    advice="",
                    intuit_tid="",
                    lease_until=None,
                    finished_at=now,
                    updated_at=now,
                )
        self.exported.clear()

    def fault(self, row: InvoiceExport, fault: QboFault) -> None:
        """QBO looked at the request and refused it."""
        if fault.code == "610" and is_update(frozen_body(row)):
            QboInvoiceLink.objects.filter(invoice=row.invoice).update(
                state=QboInvoiceLink.State.DELETED_IN_QBO
            )
            self.deleted_in_qbo(row, fault=fault)
            return
        if fault.transient:
            self.retry_later(row, ExportState.UNKNOWN, f"QuickBooks had trouble ({fault}).")
            return
        self.finish(
            row,
            ExportState.FAILED,
            code=fault.code,
            message=describe(fault),
            advice=advice_for(fault.code),
            tid=fault.intuit_tid,
        )

    def deleted_in_qbo(
        self, row: InvoiceExport, *, number: str = "", fault: QboFault | None = None
    ) -> None:
        """The QBO invoice this row would update was deleted in QuickBooks: only a person may
        decide that a new one replaces it (a second invoice in their books would surprise)."""
        named = f" {number}" if number else ""
        self.finish(
            row,
            ExportState.DELETED_IN_QBO,
            code=fault.code if fault else "",
            message=f"The QBO {noun_of(row.invoice)}{named} was deleted in QuickBooks.",
            advice=REPLACE_ADVICE,
            tid=fault.intuit_tid if fault else "",
        )

    def retry_later(
        self,
        row: InvoiceExport,
        state: str,
        message: str,
        *,
        delay: float | None = None,
    ) -> None:
        """Back to the queue (QUEUED) or to be looked up first (UNKNOWN), after a back-off;
        Needs review once it has been tried QBO_EXPORT_MAX_ATTEMPTS times."""
        if row.attempts >= settings.QBO_EXPORT_MAX_ATTEMPTS:
            self.finish(
                row,
                ExportState.NEEDS_REVIEW,
                message=f"After {row.attempts} tries Billbridge cannot tell whether QuickBooks "
                f"has this {noun_of(row.invoice)}. {message}",
                advice="Look for it in QuickBooks; if it is there, tell your administrator; if "
                "not, export it again.",
            )
            return
        if delay is None:
            delay = backoff(row.attempts)
            if state == ExportState.UNKNOWN:
                # QBO's queries may not show a fresh create at once (RELIABILITY.md §1.8).
                delay = max(delay, settings.QBO_LOOKUP_DELAY_SECONDS)
        row.state = state
        row.message = message[:1000]
        row.lease_until = None
        row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        row.save(
            update_fields=[
                "state", "message", "lease_until", "next_attempt_at", "attempts", "updated_at"
            ]
        )  # fmt: skip

    def finish(
        self,
        row: InvoiceExport,
        state: str,
        *,
        code: str = "",
        message: str = "",
        advice: str = "",
        tid: str = "",
        keep_warning: bool = False,
        save: bool = True,
    ) -> None:
        row.state = state
        row.error_code = code
        row.message = message[:1000]
        row.advice = advice[:500]
        row.intuit_tid = tid
        if not keep_warning:
            row.warning = ""
        row.lease_until = None
        row.finished_at = row.updated_at = timezone.now()
        if save:
            row.save(update_fields=ROW_OUTCOME_FIELDS)
