"""Billing ▸ QuickBooks reconciliation: the practice's exported invoices and credit notes against
the QBO company's invoices and credit memos.

A worker reads every invoice and every credit memo of the company (reads only, a thousand a
page) and `compare` sets them beside what Billbridge remembers of its exports. Six kinds of
finding, each a row a user can act on: an invoice (or a credit note's credit memo) of ours
missing in QBO, amounts that differ (a credit memo voided or changed there among them), an
invoice paid there but open here, one closed here but open there, QBO invoices and credit memos
that carry our marker without being the twin of ours (duplicates of a lost create, or copies
made in QBO), and a credit Billbridge applied that QBO does not show applied (its zero payment
gone from the invoice, or the credit memo's credit unspent). Each row names its kind (invoice or
credit memo) and the QBO transactions by their numbers, as QBO's users know them. Nothing is
changed on either side.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billbridge.core.errors import TransitionRefused
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.practice.models import Membership, Permission
from billbridge.practice.permissions import require
from billbridge.quickbooks.client import QboError
from billbridge.quickbooks.connection import NOT_CONNECTED, client_for, connection_for
from billbridge.quickbooks.models import (
    ApplicationState,
    QboConnection,
    QboCreditApplication,
    QboInvoiceLink,
    ReconciliationReport,
)
from billbridge.quickbooks.qbo_invoice import QboInvoice
from billbridge.quickbooks.tokens import ReconnectRequired

PAGE_SIZE = 1000  # QBO's largest page (maxresults)

INVOICE, CREDIT_MEMO = QboInvoiceLink.Entity.INVOICE, QboInvoiceLink.Entity.CREDIT_MEMO
NOUNS = {INVOICE: "invoice", CREDIT_MEMO: "credit memo"}
OURS = {INVOICE: "invoice", CREDIT_MEMO: "credit note"}  # what a QBO twin is the twin of

MISSING = "missing"
AMOUNT = "amount"
PAID_OPEN = "paid_open"
CLOSED_OPEN = "closed_open"
DUPLICATE = "duplicate"
UNAPPLIED = "unapplied"
# In the order the page shows them, with their headings.
KINDS = {
    MISSING: "Missing in QBO",
    AMOUNT: "Amounts differ",
    PAID_OPEN: "Paid in QBO, open here",
    CLOSED_OPEN: "Closed here, open in QBO",
    DUPLICATE: "Duplicates carrying our marker",
    UNAPPLIED: "Credit not applied in QBO",
}

# A report left unfinished this long lost its worker: asking again starts a new one.
STALE_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Applied:
    """A credit note's credit as Billbridge applied it in QBO: by this zero payment, on this
    QBO invoice (docs/decisions/0027)."""

    qbo_invoice_id: str
    qbo_payment_id: str
    amount: Decimal


@dataclass(frozen=True)
class Ours:
    """What Billbridge knows of one invoice (or credit note), as the comparison needs it.
    `qbo_invoice_id` is the Id of its QBO twin, an Invoice or a credit note's CreditMemo
    (`entity`); empty when it has none (never exported, or removed from QBO)."""

    invoice_id: int
    number: str
    status: str
    total: Decimal
    qbo_invoice_id: str = ""
    qbo_number: str = ""  # its DocNumber as we last knew it (shown when QBO has it no more)
    exported_total: Decimal | None = None  # what we sent
    exported_qbo_total: Decimal | None = None  # what QBO answered at export (AST may differ)
    changed_since_export: bool = False
    entity: str = INVOICE
    applied: Applied | None = None  # a credit note's credit, when ours says it is applied


def _money(value) -> str:
    return f"{Decimal(str(value)):.2f}"


def _row(
    kind, ours: Ours | None, entity: str, qbo_ids, *, ours_amount="", qbo_amount="", note=""
) -> dict:
    return {
        "kind": kind,
        "entity": entity,
        "number": ours.number if ours else "",
        "invoice_id": ours.invoice_id if ours else None,
        "qbo_ids": sorted(qbo_ids, key=lambda qbo_id: (len(qbo_id), qbo_id)),
        "ours": ours_amount,
        "qbo": qbo_amount,
        "note": note,
    }


def _marked_invoice_ids(invoices: Iterable[QboInvoice], practice_id: int) -> dict[int, list[str]]:
    """QBO invoice (or credit memo) ids by the Billbridge invoice their PrivateNote's marker
    names (payloads.marker: "bb:<practice>:<invoice>"), for this practice's markers only."""
    pattern = re.compile(rf"\bbb:{practice_id}:(\d+)\b")
    marked = defaultdict(list)
    for invoice in invoices:
        found = pattern.search(invoice.note)
        if found:
            marked[int(found.group(1))].append(invoice.id)
    return marked


def _amount_note(mine: Ours, twin: QboInvoice) -> str:
    if twin.voided:
        return "Voided in QuickBooks."
    if mine.changed_since_export:
        return "Changed in Billbridge since its export: export it again."
    if (
        mine.exported_qbo_total is not None
        and twin.total == mine.exported_qbo_total
        and mine.exported_qbo_total != mine.exported_total
    ):
        return "QuickBooks calculated its own tax at export (automated sales tax)."
    return "Changed in QuickBooks after the export."


def _compare_twin(mine: Ours, twin: QboInvoice) -> Iterator[dict]:
    ids = [twin.id]
    amounts = {"ours_amount": _money(mine.total), "qbo_amount": _money(twin.total)}
    if twin.total != mine.total:
        yield _row(AMOUNT, mine, mine.entity, ids, **amounts, note=_amount_note(mine, twin))
    if mine.entity != INVOICE:
        return  # a credit memo is not paid: its application is looked at apart
    # Paid in full there, whatever the total (an amount that differs is its own finding).
    if twin.paid_in_full and mine.status != InvoiceStatus.CLOSED:
        status = InvoiceStatus(mine.status).label.lower()
        yield _row(
            PAID_OPEN,
            mine,
            INVOICE,
            ids,
            **amounts,
            note=f"Paid in full in QuickBooks; {status} here.",
        )
    # Closed by hand ("paid by cheque") with the payment never recorded in QBO, or a payment
    # removed there that the sync has not read yet: QBO still waits for the money.
    if mine.status == InvoiceStatus.CLOSED and twin.balance > 0:
        yield _row(
            CLOSED_OPEN,
            mine,
            INVOICE,
            ids,
            **amounts,
            note=f"Closed here, but QuickBooks shows a balance of {twin.balance:,.2f}: record "
            "the payment in QuickBooks (or reopen the invoice here if it was not paid).",
        )


def _compare_application(mine: Ours, memo: QboInvoice, invoices: dict) -> dict | None:
    """A credit ours says is applied, which QBO does not show applied: its zero payment gone
    from the invoice's LinkedTxn, or credit left unspent on the credit memo."""
    applied = mine.applied
    if applied is None or memo.voided:  # a voided credit memo is an amount finding already
        return None
    invoice = invoices.get(applied.qbo_invoice_id)
    if invoice is None:
        note = f"QuickBooks has no invoice {applied.qbo_invoice_id} to carry its credit any more."
    elif applied.qbo_payment_id not in invoice.payment_ids:
        note = (
            f"QBO invoice {invoice.doc_number or invoice.id} no longer lists payment "
            f"{applied.qbo_payment_id}, which applied this credit: it was deleted or voided in "
            "QuickBooks."
        )
    elif memo.balance > max(memo.total - applied.amount, 0):
        note = f"The credit memo shows {memo.balance:,.2f} of its credit unspent in QuickBooks."
    else:
        return None
    return _row(
        UNAPPLIED,
        mine,
        CREDIT_MEMO,
        [memo.id],
        ours_amount=_money(applied.amount),
        qbo_amount=_money(memo.total - memo.balance),
        note=note,
    )


def _duplicate_note(mine: Ours | None, entity: str, twin_id: str, carriers: list[str]) -> str:
    if mine is None:
        named = "an invoice" if entity == INVOICE else "a credit note"
        return f"Our marker names {named} this practice does not have."
    if twin_id in carriers:
        return f"Besides its QBO {NOUNS[entity]} {twin_id}."
    return f"None of them is the {OURS[mine.entity]}'s QBO twin."


def compare(
    ours: Iterable[Ours],
    qbo_invoices: Iterable[dict],
    practice_id: int,
    qbo_credit_memos: Iterable[dict] = (),
) -> list[dict]:
    """The findings, grouped by kind (in KINDS' order) and by invoice number within a kind.

    `ours` holds the invoices and credit notes with a QBO twin, and any other a marker in QBO
    names; `qbo_invoices` and `qbo_credit_memos` every invoice and credit memo of the company,
    as QBO's query answers them."""
    ours = {mine.invoice_id: mine for mine in ours}
    read = {
        INVOICE: [QboInvoice.read(answer) for answer in qbo_invoices],
        CREDIT_MEMO: [QboInvoice.read(answer) for answer in qbo_credit_memos],
    }
    # An invoice and a credit memo may share an Id in QBO: each entity is looked up apart.
    by_id = {entity: {doc.id: doc for doc in docs} for entity, docs in read.items()}
    rows = []
    for mine in ours.values():
        if not mine.qbo_invoice_id:
            continue
        twin = by_id[mine.entity].get(mine.qbo_invoice_id)
        if twin is None:
            rows.append(
                _row(
                    MISSING,
                    mine,
                    mine.entity,
                    [mine.qbo_invoice_id],
                    ours_amount=_money(mine.total),
                    note=f"QuickBooks has no {NOUNS[mine.entity]} {mine.qbo_invoice_id} any more.",
                )
            )
            continue
        rows.extend(_compare_twin(mine, twin))
        if mine.entity == CREDIT_MEMO and (row := _compare_application(mine, twin, by_id[INVOICE])):
            rows.append(row)
    for entity, docs in read.items():
        for invoice_id, carriers in _marked_invoice_ids(docs, practice_id).items():
            mine = ours.get(invoice_id)
            twin_id = mine.qbo_invoice_id if mine is not None and mine.entity == entity else ""
            if not [qbo_id for qbo_id in carriers if qbo_id != twin_id]:
                continue
            rows.append(
                _row(
                    DUPLICATE,
                    mine,
                    entity,
                    carriers,
                    ours_amount=_money(mine.total) if mine else "",
                    qbo_amount=", ".join(
                        _money(by_id[entity][qbo_id].total) for qbo_id in sorted(carriers)
                    ),
                    note=_duplicate_note(mine, entity, twin_id, carriers),
                )
            )
    # QBO's users know a transaction by its number (DocNumber), not by its internal Id; one
    # gone from QBO keeps the number we last knew.
    numbers = {(mine.entity, mine.qbo_invoice_id): mine.qbo_number for mine in ours.values()}
    numbers.update(
        ((entity, doc.id), doc.doc_number) for entity, docs in read.items() for doc in docs
    )
    for row in rows:
        row["qbo_numbers"] = [
            numbers.get((row["entity"], qbo_id)) or qbo_id for qbo_id in row["qbo_ids"]
        ]
    order = list(KINDS)
    return sorted(rows, key=lambda row: (order.index(row["kind"]), row["number"], row["qbo_ids"]))


# ---- asking for a report, and the worker's side ----------------------------------------------


def stalled(report: ReconciliationReport) -> bool:
    """Unfinished for so long that its worker must be gone: a new request starts afresh."""
    return not report.is_finished and report.created_at <= timezone.now() - STALE_AFTER


def latest(membership: Membership) -> ReconciliationReport | None:
    require(membership, Permission.EXPORT)
    return ReconciliationReport.objects.filter(practice=membership.practice).order_by("-id").first()


@transaction.atomic
def request_report(membership: Membership) -> tuple[ReconciliationReport, bool]:
    """A new report to be made by a worker, or the one already being made. Returns the report
    and whether it is new (the caller wakes a worker for a new one)."""
    require(membership, Permission.EXPORT)
    connection = connection_for(membership.practice)
    if connection is None:
        raise TransitionRefused(NOT_CONNECTED)
    # Two clicks at once make one report: the connection's row serialises them.
    QboConnection.objects.select_for_update().filter(pk=connection.pk).first()
    running = (
        ReconciliationReport.objects.filter(practice=membership.practice, finished_at__isnull=True)
        .order_by("-id")
        .first()
    )
    if running is not None and not stalled(running):
        return running, False
    report = ReconciliationReport.objects.create(
        practice=membership.practice, requested_by=membership.user, realm_id=connection.realm_id
    )
    return report, True


def _read_all(qbo, entity: str) -> list[dict]:
    found, start = [], 1
    while True:
        page = qbo.query(f"select * from {entity} startposition {start} maxresults {PAGE_SIZE}")
        found.extend(page)
        if len(page) < PAGE_SIZE:
            return found
        start += PAGE_SIZE


def _ours(practice_id: int, realm_id: str, marked_ids: Iterable[int]) -> list[Ours]:
    links = QboInvoiceLink.objects.filter(
        invoice__practice_id=practice_id, realm_id=realm_id, state=QboInvoiceLink.State.IN_QBO
    ).select_related("invoice")
    applied = {
        application.credit_note_id: Applied(
            application.qbo_invoice_id, application.qbo_payment_id, application.amount
        )
        for application in QboCreditApplication.objects.filter(
            practice_id=practice_id, realm_id=realm_id, state=ApplicationState.APPLIED
        )
    }
    found = [
        Ours(
            invoice_id=link.invoice_id,
            number=link.invoice.number,
            status=link.invoice.status,
            total=link.invoice.total,
            qbo_invoice_id=link.qbo_invoice_id,
            qbo_number=link.doc_number,
            exported_total=link.exported_total,
            exported_qbo_total=link.qbo_total,
            changed_since_export=link.exported_content_version != link.invoice.content_version,
            entity=link.entity,
            applied=applied.get(link.invoice_id),
        )
        for link in links
    ]
    linked = {mine.invoice_id for mine in found}
    others = Invoice.objects.filter(practice_id=practice_id, pk__in=set(marked_ids) - linked)
    found.extend(
        Ours(
            invoice_id=invoice.pk,
            number=invoice.number,
            status=invoice.status,
            total=invoice.total,
            entity=CREDIT_MEMO if invoice.is_credit else INVOICE,
        )
        for invoice in others
    )
    return found


def run(report_id: int) -> ReconciliationReport:
    """The worker's part: read the company's invoices and credit memos, compare, record the
    outcome."""
    report = ReconciliationReport.objects.select_related("practice").get(pk=report_id)
    if report.is_finished:
        return report
    connection = connection_for(report.practice)
    if connection is None or connection.realm_id != report.realm_id:
        report.error = "QuickBooks Online is no longer connected to the same company."
    else:
        try:
            with client_for(connection) as qbo:
                qbo_invoices = _read_all(qbo, INVOICE)
                qbo_credit_memos = _read_all(qbo, CREDIT_MEMO)
        except ReconnectRequired as exc:  # before QboError: its message says what to do
            report.error = exc.message
        except QboError as exc:
            report.error = f"QuickBooks did not answer ({exc}). Run the reconciliation again."
        else:
            marked = {
                invoice_id
                for answers in (qbo_invoices, qbo_credit_memos)
                for invoice_id in _marked_invoice_ids(
                    map(QboInvoice.read, answers), report.practice_id
                )
            }
            ours = _ours(report.practice_id, report.realm_id, marked)
            report.rows = compare(ours, qbo_invoices, report.practice_id, qbo_credit_memos)
            report.qbo_invoices = len(qbo_invoices)
            report.qbo_credit_memos = len(qbo_credit_memos)
            linked = [mine for mine in ours if mine.qbo_invoice_id]
            report.our_invoices = sum(1 for mine in linked if mine.entity == INVOICE)
            report.our_credit_notes = len(linked) - report.our_invoices
    report.finished_at = timezone.now()
    report.save()
    return report
