"""What pages, the API and commands ask of the QuickBooks integration.

Asking to export or check writes rows and wakes a worker after commit; the work itself happens in
tasks (export/, export_checks.py). Three things wait for QBO's answer in the request, because the
user must see it at once: removing an invoice from QBO, or unapplying its payments, when it is
reverted to Draft (R8, R9: QBO first, then the local change, or nothing locally), linking a
client to a QBO customer by hand, and "Test connection"
(docs/decisions/0011-when-a-request-waits-for-qbo.md).
"""

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from billbridge.core.money import CENT
from billbridge.invoicing import periods
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.books import NOTHING, BooksChange
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.practice.models import Membership, Permission
from billbridge.practice.permissions import require
from billbridge.quickbooks import attachments, payloads, tasks
from billbridge.quickbooks.client import QboError, QboFault
from billbridge.quickbooks.company import book_close_date_of
from billbridge.quickbooks.connection import NOT_CONNECTED, client_for, company_of, connection_for
from billbridge.quickbooks.customers import customers_called
from billbridge.quickbooks.export.chunk import on_their_way
from billbridge.quickbooks.export.rows import closed_period_refusal, export_first, noun_of
from billbridge.quickbooks.faults import describe
from billbridge.quickbooks.leases import Heartbeat, lease_length
from billbridge.quickbooks.models import (
    FINISHED_STATES,
    ApplicationState,
    CustomerLink,
    ExportBatch,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboCreditApplication,
    QboInvoiceLink,
)
from billbridge.quickbooks.qbo_invoice import QboInvoice
from billbridge.quickbooks.tokens import ReconnectRequired

MAX_ID = 2**63 - 1


def qbo_invoice_url(
    realm_id: str, qbo_invoice_id: str, entity: str = QboInvoiceLink.Entity.INVOICE
) -> str:
    """The QBO transaction's page: an invoice, or a credit memo (`entity` "CreditMemo")."""
    page = entity.lower()
    if settings.QBO_ENVIRONMENT == "emulator":
        return f"{settings.QBO_APP_URL}/{realm_id}#{page}-{qbo_invoice_id}"
    return f"{settings.QBO_APP_URL}/{page}?txnId={qbo_invoice_id}"


def open_in_qbo_note(link: QboInvoiceLink | None) -> str:
    """What to tell the person who closes an invoice here ("paid by cheque") while its QBO
    twin, as last read, still waits for money: nothing brings the two together by itself
    (the sync never closes QBO's side), so they must record the payment there. Empty when
    QBO has nothing left to pay, as far as we know."""
    if link is None or link.state != QboInvoiceLink.State.IN_QBO:
        return ""
    balance = link.qbo_total if link.qbo_balance is None else link.qbo_balance
    if balance <= 0:
        return ""
    return (
        f"QuickBooks still shows QBO invoice {link.doc_number or link.qbo_invoice_id} open, "
        f"with a balance of {balance:,.2f} when last read: record the payment in QuickBooks "
        "too, or the two stay apart."
    )


def still_open_in_qbo(invoice: Invoice) -> str:
    return open_in_qbo_note(QboInvoiceLink.objects.filter(invoice=invoice).first())


# ---- asking for exports and checks ---------------------------------------------------------


def _selected(membership: Membership, invoice_ids) -> tuple[list[int], dict[int, Invoice]]:
    require(membership, Permission.EXPORT)
    ids = list(dict.fromkeys(invoice_ids))
    found = Invoice.objects.for_practice(membership.practice).filter(
        pk__in=[i for i in ids if 0 < i <= MAX_ID]
    )
    return ids, {invoice.pk: invoice for invoice in found}


def _refusal(invoice_id: int, invoice: Invoice | None, message: str) -> dict:
    return {"id": invoice_id, "number": invoice.number if invoice else "", "message": message}


def _not_finalized(invoice: Invoice) -> str:
    return (
        f"Invoice {invoice.number} is {invoice.get_status_display()}; only finalized invoices "
        "go to QuickBooks."
    )


@transaction.atomic
def request_export(membership: Membership, invoice_ids) -> ExportBatch:
    """Queue the export of each selected finalized invoice (R1, R2). Each other invoice is
    refused on its own, with the reason, and nothing stops the rest: one not finalized, one
    already on its way or in QBO as it is, one in QBO dated in a closed period (T4), and a
    credit note whose invoice is neither in QBO nor on its way there."""
    ids, invoices = _selected(membership, invoice_ids)
    connection = connection_for(membership.practice)
    if connection is None:
        raise TransitionRefused(NOT_CONNECTED)
    return _queue_exports(connection, ids, invoices, requested_by=membership.user)


@transaction.atomic
def queue_automatic_export(practice, invoice_ids) -> ExportBatch | None:
    """The practice's automatic export (automatic_export.py) asks, not a person: the same rows
    as request_export's, marked automatic ("Queued automatically" in the column). None when
    the practice is not connected (nothing is queued)."""
    connection = connection_for(practice)
    if connection is None or not connection.is_connected:
        return None
    ids = list(dict.fromkeys(invoice_ids))
    invoices = {
        invoice.pk: invoice for invoice in Invoice.objects.for_practice(practice).filter(pk__in=ids)
    }
    return _queue_exports(connection, ids, invoices, requested_by=None, automatic=True)


def _queue_exports(
    connection, ids: list[int], invoices: dict[int, Invoice], *, requested_by, automatic=False
) -> ExportBatch:
    batch = ExportBatch.objects.create(
        practice_id=connection.practice_id, kind=ExportBatch.Kind.EXPORT, requested_by=requested_by
    )
    rows = {
        (row.invoice_id, row.invoice_version): row
        for row in InvoiceExport.objects.filter(invoice__in=invoices.values())
    }
    credited_ids = {i.credited_invoice_id for i in invoices.values() if i.is_credit}
    links = {
        link.invoice_id: link
        for link in QboInvoiceLink.objects.filter(
            Q(invoice__in=invoices.values()) | Q(invoice_id__in=credited_ids)
        )
    }
    # Credited invoices already on their way to QBO: their credit notes wait for them.
    on_the_way = set(on_their_way(credited_ids).values_list("invoice_id", flat=True))
    closed = periods.closed_through(connection.practice)
    refused, new_rows = {}, []
    # Invoices first: a credit note may go with its invoice, queued in this same request.
    for invoice_id in sorted(ids, key=lambda i: i in invoices and invoices[i].is_credit):
        invoice = invoices.get(invoice_id)
        if invoice is None:
            refused[invoice_id] = _refusal(invoice_id, None, "No such invoice.")
            continue
        problem = _why_not(invoice, links, on_the_way, closed)
        if not problem:
            row = rows.get((invoice_id, invoice.version))
            if row is None:
                new_rows.append(_new_row(invoice, batch, connection.realm_id, automatic=automatic))
            else:
                problem = _queue_again(
                    row, invoice, links.get(invoice_id), batch, automatic=automatic
                )
        if problem:
            refused[invoice_id] = _refusal(invoice_id, invoice, problem)
        else:
            on_the_way.add(invoice_id)
    InvoiceExport.objects.bulk_create(new_rows)
    batch.refused = [refused[i] for i in ids if i in refused]
    batch.size = len(ids) - len(refused)
    batch.save(update_fields=["refused", "size", "updated_at"])
    tasks.wake_exporter(connection.realm_id)
    return batch


def _why_not(invoice: Invoice, links: dict, on_the_way: set[int], closed) -> str:
    """Why this invoice is refused before any row is made; "" when it may be queued."""
    if invoice.status != InvoiceStatus.FINALIZED:
        return _not_finalized(invoice)
    link = links.get(invoice.pk)
    updating = (
        link is not None
        and link.state == QboInvoiceLink.State.IN_QBO
        and link.exported_version != invoice.version
    )
    if refusal := closed_period_refusal(invoice, closed, updating=updating):
        return refusal.message
    if invoice.is_credit:
        credited = links.get(invoice.credited_invoice_id)
        in_qbo = credited is not None and credited.state == QboInvoiceLink.State.IN_QBO
        if not in_qbo and invoice.credited_invoice_id not in on_the_way:
            return export_first(invoice.credited_invoice.number)["message"]
    return ""


def _new_row(
    invoice: Invoice, batch: ExportBatch, realm_id: str, *, automatic: bool = False
) -> InvoiceExport:
    return InvoiceExport(
        invoice=invoice,
        automatic=automatic,
        invoice_version=invoice.version,
        batch=batch,
        practice_id=invoice.practice_id,
        realm_id=realm_id,
        request_id=uuid.uuid4().hex,
        next_attempt_at=timezone.now(),
    )


def _queue_again(row, invoice, link, batch, *, automatic: bool = False) -> str:
    """Queue this version of the invoice once more; returns why not, or ""."""
    if not row.is_finished:
        return f"Invoice {invoice.number} is already on its way to QuickBooks."
    if row.state == ExportState.EXPORTED:
        shown = f" as {link.doc_number}" if link and link.doc_number else ""
        return f"Invoice {invoice.number} is already in QuickBooks{shown}; nothing changed since."
    if row.state == ExportState.DELETED_IN_QBO:
        return (
            f"Invoice {invoice.number} was deleted in QuickBooks: choose Create a new QBO "
            "invoice on it first."
        )
    # A failure QBO answered for sure sent nothing: plan again from scratch. A row needing
    # review may have reached QBO: look for it again before anything is sent.
    _requeue(
        row,
        batch,
        look_up_first=row.state == ExportState.NEEDS_REVIEW and bool(row.payload),
        automatic=automatic,
    )
    return ""


def _requeue(
    row: InvoiceExport,
    batch: ExportBatch,
    *,
    look_up_first: bool = False,
    replace: bool = False,
    automatic: bool = False,
) -> None:
    """Give a finished row to the worker again, for `batch`. Planned anew (a new body and
    request id), unless it must first be looked for in QBO with the body it last sent.
    `replace`: a new QBO invoice may replace one deleted in QuickBooks."""
    row.state = ExportState.UNKNOWN if look_up_first else ExportState.QUEUED
    if not look_up_first:
        row.payload = ""
        row.request_id = uuid.uuid4().hex
    row.replace_confirmed = replace
    row.automatic = automatic
    row.batch = batch
    row.attempts = 0
    row.next_attempt_at = timezone.now()
    row.error_code = row.message = row.advice = row.warning = row.intuit_tid = ""
    row.finished_at = None
    row.save()


def _refuse_in_closed_period(invoice: Invoice) -> None:
    """Sending ours again changes QBO: refused for what is dated in a closed period (T4)."""
    closed = periods.closed_through(invoice.practice)
    if refusal := closed_period_refusal(invoice, closed, updating=True):
        raise refusal


def _batch_of_one(membership: Membership) -> ExportBatch:
    return ExportBatch.objects.create(
        practice=membership.practice,
        kind=ExportBatch.Kind.EXPORT,
        requested_by=membership.user,
        size=1,
    )


@transaction.atomic
def confirm_replacement(membership: Membership, invoice_id: int) -> ExportBatch:
    """The user agrees that a new QBO invoice replaces the one deleted in QuickBooks."""
    ids, invoices = _selected(membership, [invoice_id])
    invoice = invoices.get(invoice_id)
    if invoice is None:
        raise Invoice.DoesNotExist
    row = (
        InvoiceExport.objects.select_for_update()
        .filter(invoice=invoice, state=ExportState.DELETED_IN_QBO)
        .order_by("-id")
        .first()
    )
    if row is None or row.invoice_version != invoice.version:
        raise TransitionRefused(
            f"Invoice {invoice.number} is not waiting for a decision about a deleted QBO invoice."
        )
    _refuse_in_closed_period(invoice)
    batch = _batch_of_one(membership)
    _requeue(row, batch, replace=True)
    tasks.wake_exporter(row.realm_id)
    return batch


@transaction.atomic
def request_check(membership: Membership, invoice_ids) -> ExportBatch:
    ids, invoices = _selected(membership, invoice_ids)
    connection = connection_for(membership.practice)
    if connection is None:
        raise TransitionRefused(NOT_CONNECTED)
    refused = []
    for invoice_id in ids:
        invoice = invoices.get(invoice_id)
        if invoice is None:
            refused.append(_refusal(invoice_id, None, "No such invoice."))
        elif invoice.status != InvoiceStatus.FINALIZED:
            refused.append(_refusal(invoice_id, invoice, _not_finalized(invoice)))
    batch = ExportBatch.objects.create(
        practice=membership.practice,
        kind=ExportBatch.Kind.CHECK,
        requested_by=membership.user,
        refused=refused,
        size=len(ids) - len(refused),
    )
    to_check = [i for i in ids if i in invoices and invoices[i].status == InvoiceStatus.FINALIZED]
    if to_check:
        tasks.check_invoices_later(batch.pk, to_check)
    return batch


def get_batch(membership: Membership, batch_id: int) -> ExportBatch:
    return ExportBatch.objects.get(practice=membership.practice, pk=batch_id)


@transaction.atomic
def resolve_drift(membership: Membership, invoice_id: int, *, keep: bool) -> ExportBatch | None:
    """A QBO user changed, voided or deleted an exported invoice, or a credit note's credit
    memo: the user decides. *Keep as is* accepts QBO's version (later reads compare with it);
    *Export ours again* sends ours, over a changed or voided QBO transaction, or as a new one
    when it was deleted there. A credit memo's credit, taken off its invoice in QBO (it must be,
    before QBO voids or deletes it), is applied again once ours is back."""
    _, invoices = _selected(membership, [invoice_id])
    invoice = invoices.get(invoice_id)
    if invoice is None:
        raise Invoice.DoesNotExist
    link = QboInvoiceLink.objects.select_for_update().filter(invoice=invoice).first()
    drift = (link.drift or {}) if link else {}
    if "kind" not in drift:
        raise TransitionRefused(
            f"{invoice.get_kind_display()} {invoice.number} has no change in QuickBooks to settle."
        )
    if keep:
        link.drift = {"accepted": drift.get("qbo") or {}} if drift.get("qbo") else {}
        link.save(update_fields=["drift", "updated_at"])
        invoicing.record_note(
            invoice, membership, "kept the QuickBooks version", _kept(link, drift)
        )
        return None
    if invoice.status != InvoiceStatus.FINALIZED:
        raise TransitionRefused(_not_finalized(invoice))
    _refuse_in_closed_period(invoice)
    row = InvoiceExport.objects.filter(invoice=invoice, invoice_version=invoice.version).first()
    if row is not None and not row.is_finished:
        raise TransitionRefused(
            f"{invoice.get_kind_display()} {invoice.number} is already on its way to QuickBooks."
        )
    deleted = drift["kind"] == "deleted"
    if deleted:
        link.state = QboInvoiceLink.State.DELETED_IN_QBO
    link.drift = {}
    link.save(update_fields=["drift", "state", "updated_at"])
    batch = _batch_of_one(membership)
    _requeue(row or _new_row(invoice, batch, link.realm_id), batch, replace=deleted)
    if link.entity == QboInvoiceLink.Entity.CREDIT_MEMO:
        # Taken off by a QBO user (paid_status marks it so, and due never): due again. A credit
        # memo that replaces a deleted one is queued afresh by credit_application.queue.
        QboCreditApplication.objects.filter(
            credit_note=invoice, state=ApplicationState.FAILED, next_attempt_at__isnull=True
        ).update(next_attempt_at=timezone.now())
    tasks.wake_exporter(link.realm_id)
    return batch


def _kept(link: QboInvoiceLink, drift: dict) -> str:
    """What Keep as is accepted, in the timeline's words."""
    changes = "; ".join(
        f"{item['field']} {item['ours']} here, {item['qbo']} in QBO"
        for item in drift.get("differences", [])
    )
    return (
        f"Kept as a QuickBooks user left QBO {noun_of(link.invoice)} "
        f"{link.doc_number or link.qbo_invoice_id} "
        f"({drift.get('kind', 'changed')} there){': ' + changes if changes else ''}."
    )


# ---- progress --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    kind: str
    total: int
    queued: int
    exporting: int
    exported: int
    warnings: int
    errors: int
    refused: int

    @property
    def finished(self) -> bool:
        return self.queued + self.exporting == 0

    def summary(self) -> str:
        if self.kind == ExportBatch.Kind.CHECK:
            done = self.exported + self.errors
            text = f"{done} of {self.total} checked"
            if self.errors:
                text += f", {self.errors} with problems"
        else:
            text = f"{self.exported} of {self.total} exported"
            if self.warnings:
                text += f" ({self.warnings} with warnings)"
            if self.errors:
                text += f", {self.errors} with errors"
            if self.queued:
                text += f", {self.queued} queued"
            if self.exporting:
                text += f", {self.exporting} exporting"
        if self.refused:
            text += f"; {self.refused} refused"
        return text + "."


def batch_progress(batch: ExportBatch) -> Progress:
    refused = len(batch.refused)
    if batch.kind == ExportBatch.Kind.CHECK:
        counts = batch.checks.aggregate(done=Count("id"), problems=Count("id", filter=Q(ok=False)))
        checked = counts["done"]
        expected = batch.size
        return Progress(
            kind=batch.kind,
            total=expected,
            queued=max(expected - checked, 0),
            exporting=0,
            exported=checked - counts["problems"],
            warnings=0,
            errors=counts["problems"],
            refused=refused,
        )
    counts = batch.exports.aggregate(
        total=Count("id"),
        queued=Count("id", filter=Q(state=ExportState.QUEUED)),
        exporting=Count("id", filter=Q(state__in=[ExportState.SENDING, ExportState.UNKNOWN])),
        exported=Count("id", filter=Q(state=ExportState.EXPORTED)),
        warnings=Count("id", filter=Q(state=ExportState.EXPORTED) & ~Q(warning="")),
        errors=Count("id", filter=Q(state__in=FINISHED_STATES) & ~Q(state=ExportState.EXPORTED)),
    )
    return Progress(kind=batch.kind, refused=refused, **counts)


# ---- the write-off item ----------------------------------------------------------------------


def set_write_off_item(membership: Membership, item_id: str) -> QboConnection:
    """Choose the QBO item a write-off's lines are exported as (docs/decisions/0027): one of
    the company's items as last read, active and fit for a sales line; "" clears the choice
    (write-offs are then refused at export, with the reason). It decides how bad debt is
    booked: both Export to accounting software and Manage settings."""
    require(membership, Permission.EXPORT)
    require(membership, Permission.MANAGE_SETTINGS)
    connection = connection_for(membership.practice)
    if connection is None:
        raise TransitionRefused(NOT_CONNECTED)
    item_id = (item_id or "").strip()
    if not item_id:
        connection.write_off_item_id = connection.write_off_item_name = ""
    else:
        item = company_of(connection).item(item_id)
        if item is None or not item.active or item.type in payloads.UNUSABLE_ITEM_TYPES:
            raise InvalidInput(
                "Choose an active product or service of the QuickBooks company for write-offs.",
                {"write_off_item_id": ["Not an active item of the company."]},
            )
        connection.write_off_item_id, connection.write_off_item_name = item.id, item.name
    connection.save(update_fields=["write_off_item_id", "write_off_item_name", "updated_at"])
    return connection


# ---- customers linked by hand ----------------------------------------------------------------


def _may_link(membership: Membership) -> None:
    if not (membership.has(Permission.EXPORT) or membership.has(Permission.MANAGE_SETTINGS)):
        raise PermissionRefused(
            "Linking a client to a QuickBooks customer needs the Export to accounting software "
            "or the Manage settings permission."
        )


def link_customer_by_hand(
    membership: Membership, client_id: int, qbo_customer: str
) -> CustomerLink:
    """Link a client to an existing QBO customer, given its Id or its exact display name: the
    way out when QBO refuses the client's name (a vendor or employee has it, or QBO rejects it)."""
    client = Client.objects.for_practice(membership.practice).get(pk=client_id)
    _may_link(membership)
    connection = connection_for(membership.practice)
    if connection is None:
        raise TransitionRefused(NOT_CONNECTED)
    wanted = qbo_customer.strip()
    if not wanted or len(wanted) > 500:
        raise InvalidInput(
            "Give the QBO customer's Id or its exact display name.",
            {"qbo_customer": ["Needed."]},
        )
    try:
        with client_for(connection) as qbo:
            if wanted.isdigit():
                found = [qbo.read("Customer", wanted)]
            else:
                found = customers_called(qbo, wanted)
    except ReconnectRequired as exc:
        raise TransitionRefused(exc.message) from exc
    except QboFault as exc:
        if exc.code in ("610", "2500"):
            found = []
        else:
            raise TransitionRefused(f"QuickBooks refused: {describe(exc)}") from exc
    except QboError as exc:
        raise TransitionRefused(
            f"QuickBooks did not answer ({exc}); nothing changed. Try again."
        ) from exc
    if not found:
        raise InvalidInput(
            f"QuickBooks has no active customer {wanted!r}.",
            {"qbo_customer": ["No such customer in QuickBooks."]},
        )
    customer = found[0]
    if customer.get("Active") is False:
        raise InvalidInput(
            f"The QuickBooks customer {customer['DisplayName']!r} is inactive: make it active in "
            "QuickBooks first.",
            {"qbo_customer": ["Inactive in QuickBooks."]},
        )
    link, _ = CustomerLink.objects.update_or_create(
        client=client,
        defaults={
            "realm_id": connection.realm_id,
            "qbo_customer_id": customer["Id"],
            "display_name": customer["DisplayName"],
            "how": CustomerLink.How.LINKED_BY_HAND,
        },
    )
    return link


def unlink_customer(membership: Membership, client_id: int) -> None:
    client = Client.objects.for_practice(membership.practice).get(pk=client_id)
    _may_link(membership)
    CustomerLink.objects.filter(client=client).delete()


# ---- revert to Draft (R8, R9) ----------------------------------------------------------------

# What QBO computes or stamps on a Payment; sent back, it would be ignored at best.
PAYMENT_READ_ONLY = ("MetaData", "UnappliedAmt", "domain", "sparse")


@dataclass
class _Unapplying:
    """The payments unapplied in QBO so far, so that a later refusal can say they stay so:
    QBO has no transaction spanning several writes."""

    done: list[tuple[str, Decimal]] = field(default_factory=list)

    def _words(self, one: str, many: str) -> str:
        listed = ", ".join(f"{payment_id} ({amount})" for payment_id, amount in self.done)
        return (one if len(self.done) == 1 else many).format(listed=listed)

    def note(self) -> str:
        if not self.done:
            return ""
        return self._words(
            "Payment {listed} unapplied in QuickBooks; it stays there as the customer's credit.",
            "Payments {listed} unapplied in QuickBooks; they stay there as the customer's credit.",
        )

    def change(self) -> BooksChange:
        note = self.note()
        if not note:
            return NOTHING
        return BooksChange(
            kept=f"{note} Revert it again if it should still be a draft.",
            event=("payment unapplied in QuickBooks", note),
        )

    def refusal(self, message: str) -> TransitionRefused:
        if self.done:
            message += self._words(
                " Payment {listed} had already been unapplied in QuickBooks and stays "
                "unapplied there: apply it again in QuickBooks, or revert again.",
                " Payments {listed} had already been unapplied in QuickBooks and stay "
                "unapplied there: apply them again in QuickBooks, or revert again.",
            )
        return TransitionRefused(message)


GONE = "It is no longer in QuickBooks: export it again to put it back there, or revert it again."


class QuickBooksOnline:
    """The practice's QBO company as invoicing's external books (invoicing/books.py),
    registered by QuickbooksConfig.ready()."""

    def remove_before_revert(self, invoice: Invoice) -> BooksChange:
        """The step of invoicing.services.revert_to_draft between its guards and its change,
        run with no transaction open: make QBO ready for the invoice to be a draft. An unpaid
        QBO invoice is deleted (R8); a paid one has its payments unapplied and stays, so that
        the next export updates it (R9). What QBO answers is kept as it comes (a rotated token,
        a dead grant), and the link records what QBO holds before the invoice changes: if that
        change is then refused, the next export starts from there. Raises TransitionRefused
        when QBO refuses or cannot be asked, the link and the export rows as they were."""
        with Heartbeat() as owner:
            waiting = _hold_waiting_exports(invoice, owner)
            try:
                change = _ready_in_qbo(invoice)
            except BaseException:
                _give_back(waiting)
                raise
            _cancel_held(waiting)
        return change

    def still_open(self, invoice: Invoice) -> str:
        return still_open_in_qbo(invoice)

    def keeps_history_of(self, invoice: Invoice) -> str:
        if not InvoiceExport.objects.filter(invoice=invoice).exists():
            return ""
        return (
            "it was exported to QuickBooks Online before, and its export history is kept. "
            "Edit it instead."
        )

    def payment_link(self, invoice: Invoice) -> str:
        """QBO's payment link of the invoice's exported content version, as stored."""
        link = QboInvoiceLink.objects.filter(
            invoice=invoice,
            state=QboInvoiceLink.State.IN_QBO,
            exported_content_version=invoice.content_version,
            payment_link_version=invoice.content_version,
        ).first()
        return link.payment_link if link else ""

    def collected(self, invoice_ids) -> dict[int, Decimal]:
        """Paid is QBO's total less its balance, for the invoices QBO still holds as ours,
        less the credits Billbridge applied there (a credit is not money collected)."""
        invoice_ids = list(invoice_ids)
        links = QboInvoiceLink.objects.filter(
            invoice_id__in=invoice_ids,
            state=QboInvoiceLink.State.IN_QBO,
            entity=QboInvoiceLink.Entity.INVOICE,
        ).values_list("invoice_id", "qbo_total", "qbo_balance")
        applied = dict(
            QboCreditApplication.objects.filter(
                credit_note__credited_invoice_id__in=invoice_ids,
                state=ApplicationState.APPLIED,
            )
            .values("credit_note__credited_invoice_id")
            .annotate(total=Sum("amount"))
            .values_list("credit_note__credited_invoice_id", "total")
        )
        return {
            invoice_id: max(
                total - (total if balance is None else balance) - applied.get(invoice_id, 0),
                Decimal("0.00"),
            )
            for invoice_id, total, balance in links
        }

    def holds(self, invoice: Invoice) -> bool:
        return QboInvoiceLink.objects.filter(
            invoice=invoice, state=QboInvoiceLink.State.IN_QBO
        ).exists()

    def closed_through(self, practice) -> datetime.date | None:
        connection = connection_for(practice)
        if connection is None or not connection.company:
            return None
        return company_of(connection).book_close_date


def _ready_in_qbo(invoice: Invoice) -> BooksChange:
    link = QboInvoiceLink.objects.filter(invoice=invoice, state=QboInvoiceLink.State.IN_QBO).first()
    if link is None:
        return NOTHING
    connection = connection_for(invoice.practice)
    if connection is None or connection.realm_id != link.realm_id:
        raise TransitionRefused(
            f"Invoice {invoice.number} is in QuickBooks, which is not connected: reverting it "
            "must change it there first. Reconnect QuickBooks Online, then revert."
        )
    unapplying = _Unapplying()
    try:
        with client_for(connection) as qbo:
            _refuse_if_closed_in_qbo(qbo, connection, invoice)
            current = qbo.read("Invoice", link.qbo_invoice_id)
            payment_ids = QboInvoice.read(current).payment_ids
            # Last seen paid, now with no payment: an earlier revert unapplied them and lost
            # QBO's answer. It stays the paid invoice's twin (R9) rather than being deleted.
            if not payment_ids and not link.payment_ids.strip(","):
                _delete_unpaid(qbo, invoice, link, current)
                return BooksChange(kept=GONE)
            for payment_id in payment_ids:
                _unapply(qbo, payment_id, link.qbo_invoice_id, unapplying)
            after = qbo.read("Invoice", link.qbo_invoice_id) if payment_ids else current
    except ReconnectRequired as exc:
        raise unapplying.refusal(exc.message) from exc
    except QboFault as exc:
        if exc.code != "610":  # 610: the invoice is already gone from QBO, as a delete wants
            raise unapplying.refusal(
                f"QuickBooks refused to change invoice {invoice.number} ({describe(exc)}); "
                "it was not reverted."
            ) from exc
        _mark_removed(link)
        return BooksChange(kept=GONE)
    except QboError as exc:
        maybe = (
            " QuickBooks may have made the last change all the same; reverting again starts "
            "from what it shows."
            if exc.ambiguous
            else ""
        )
        raise unapplying.refusal(
            f"QuickBooks did not answer ({exc}); invoice {invoice.number} was not reverted. "
            f"Try again.{maybe}"
        ) from exc
    _record_outstanding(invoice, link, after, unapplying)
    return unapplying.change()


def _refuse_if_closed_in_qbo(qbo, connection: QboConnection, invoice: Invoice) -> None:
    """QBO's closed-books date as it is now, not as last read: a revert deletes or unapplies
    in QBO, which must never happen in a closed period (docs/decisions/0027), and the date may
    have been set since the last drain. What QBO says is kept for the next guard to read."""
    closed = book_close_date_of(qbo.preferences())
    stored = connection.company.get("book_close_date")
    if connection.company and stored != (closed.isoformat() if closed else None):
        connection.company["book_close_date"] = closed.isoformat() if closed else None
        connection.save(update_fields=["company", "updated_at"])
    if closed and invoice.issue_date <= closed:
        raise periods.PeriodClosed(
            invoice,
            periods.ClosedThrough(closed, "QuickBooks' closed-books date"),
            "reverted to Draft",
        )


def _delete_unpaid(qbo, invoice: Invoice, link: QboInvoiceLink, current: dict) -> None:
    shown = QboInvoice.read(current)
    total, balance = shown.total, shown.balance
    if balance < total:
        # Paid by something no Payment records (QBO links credit memos through payments):
        # there is nothing Billbridge knows how to unapply.
        raise TransitionRefused(
            f"Invoice {invoice.number} has {total - balance} paid in QuickBooks (balance "
            f"{balance} of {total}) by no payment Billbridge can unapply, so it was not "
            "reverted. Remove what pays it in QuickBooks first."
        )
    # Its PDF leaves QBO first: no orphan stays in the company's attachment list.
    attachments.remove_before_delete(qbo, invoice, link.qbo_invoice_id)
    try:
        qbo.delete(
            "Invoice", link.qbo_invoice_id, current["SyncToken"], request_id=uuid.uuid4().hex
        )
    except BaseException:
        attachments.attach_again(invoice)
        raise
    _mark_removed(link)


def _mark_removed(link: QboInvoiceLink) -> None:
    """Saved at once, before the invoice changes: the next export creates a new QBO invoice."""
    link.state = QboInvoiceLink.State.REMOVED
    link.save(update_fields=["state", "updated_at"])


def _links_invoice(line: dict, qbo_invoice_id: str) -> bool:
    return any(
        link.get("TxnType") == "Invoice" and str(link.get("TxnId")) == qbo_invoice_id
        for link in line.get("LinkedTxn") or []
    )


def _unapply(qbo, payment_id: str, qbo_invoice_id: str, unapplying: _Unapplying) -> None:
    """Take the invoice out of one payment by a full update whose Line no longer links it
    (QBO.md §3.4): the payment keeps its total, the money becomes the customer's credit, and
    its lines for other invoices stay as they are."""
    try:
        payment = qbo.read("Payment", payment_id)
        lines = payment.get("Line") or []
        removed = [line for line in lines if _links_invoice(line, qbo_invoice_id)]
        if not removed:
            return
        body = {key: value for key, value in payment.items() if key not in PAYMENT_READ_ONLY}
        body["sparse"] = False
        # LineEx is QBO's report of each applied invoice's open balance, not something we set.
        body["Line"] = [
            {key: value for key, value in line.items() if key != "LineEx"}
            for line in lines
            if not _links_invoice(line, qbo_invoice_id)
        ]
        qbo.update("Payment", body, request_id=uuid.uuid4().hex)
    except QboFault as exc:
        if exc.code == "610":  # deleted in QBO since the invoice was read: it pays nothing now
            return
        raise
    amount = sum((Decimal(str(line.get("Amount", "0"))) for line in removed), Decimal("0"))
    unapplying.done.append((payment_id, amount.quantize(CENT)))


def _record_outstanding(
    invoice: Invoice, link: QboInvoiceLink, qbo_invoice: dict, unapplying: _Unapplying
) -> None:
    """The QBO invoice stays linked: keep what QBO now shows, including the SyncToken the
    payment changes moved, so that the export after the edit updates it."""
    shown = QboInvoice.read(qbo_invoice)
    total, balance = shown.total, shown.balance
    if balance < total or shown.payment_ids:
        # Someone applied money to it in QBO while we were unapplying.
        raise unapplying.refusal(
            f"Invoice {invoice.number} still has {total - balance} paid in QuickBooks after "
            "its payments were unapplied: something was applied to it meanwhile. It was not "
            "reverted."
        )
    link.sync_token = qbo_invoice["SyncToken"]
    link.qbo_balance = balance
    link.payment_ids = ""
    link.closed_by_sync = False
    link.read_at = timezone.now()
    link.save(
        update_fields=[
            "sync_token",
            "qbo_balance",
            "payment_ids",
            "closed_by_sync",
            "read_at",
            "updated_at",
        ]
    )


def _hold_waiting_exports(invoice: Invoice, owner: str) -> dict[int, str]:
    """Exports of the invoice not started yet are held, leased as a worker would lease them,
    so that none is sent while QBO changes; one a worker holds, or whose outcome is unknown,
    makes the revert wait: QBO may be about to hold (or already hold) the invoice. Returns each
    held row's id and former lease owner, to give it back as it was."""
    with transaction.atomic():
        unfinished = list(
            InvoiceExport.objects.select_for_update()
            .filter(invoice=invoice)
            .exclude(state__in=FINISHED_STATES)
        )
        waiting = {
            row.pk: row.leased_by
            for row in unfinished
            if row.state == ExportState.QUEUED and row.lease_until is None and not row.payload
        }
        if len(waiting) < len(unfinished):
            raise TransitionRefused(
                f"Invoice {invoice.number} is being exported to QuickBooks right now; revert it "
                "when the export has finished."
            )
        InvoiceExport.objects.filter(pk__in=waiting).update(
            lease_until=timezone.now() + lease_length(), leased_by=owner
        )
    return waiting


def _give_back(held: dict[int, str]) -> None:
    for pk, leased_by in held.items():
        InvoiceExport.objects.filter(pk=pk).update(lease_until=None, leased_by=leased_by)


def _cancel_held(held: dict[int, str]) -> None:
    # Before the invoice's own change, which may yet be refused: the words hold either way.
    InvoiceExport.objects.filter(pk__in=held).update(
        state=ExportState.FAILED,
        message="Not sent: reverting the invoice to Draft cancelled this export before it started.",
        lease_until=None,
        finished_at=timezone.now(),
    )
