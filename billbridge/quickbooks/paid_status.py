"""Paid in QuickBooks → Closed in Billbridge (R6), and what QBO users changed (drift).

Not a two-way sync of invoices (R4: there is none): the paid status and the drift are all it
reads back from QBO.

A company's sync reads what changed in QBO since its watermark with one change-data-capture call
for invoices, and applies the paid rule to each of our invoices among the changes. A payment
applied, deleted or voided changes its invoices' Balance, so the invoices themselves show up in
the capture. An answer at QBO's 1,000-object cap may have been cut, so a full one falls back to
reading our invoices by Id. Webhooks never carry state here: a stored event only makes the next
sync come at once, and one sync serves every event waiting (coalesced). CDC looks back 30 days at
most, so a watermark older than that (or none) is replaced by a full catch-up: our linked invoices
read by Id.

The paid rule (RELIABILITY.md §3.4; stated once, in qbo_invoice.QboInvoice.pays_ours): an invoice
is closed only when QBO shows Balance 0, a total equal to what we exported, it is neither voided
nor deleted, and QBO holds our current version. A payment that goes away reopens an invoice the
sync closed. Whatever else a QBO user changed is recorded as drift for a person to settle;
nothing is overwritten.
"""

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billbridge.core.money import CENT
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks.client import QboClient, QboError
from billbridge.quickbooks.connection import client_for
from billbridge.quickbooks.export.rows import body_from_text
from billbridge.quickbooks.models import (
    ConnectionStatus,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboInvoiceLink,
    WebhookEvent,
)
from billbridge.quickbooks.qbo_invoice import QboInvoice

log = logging.getLogger(__name__)

ACTOR = "QuickBooks sync"
PAID_REASON = "Paid in QuickBooks"
CDC_WINDOW = timedelta(days=30)
CDC_PAGE = 1000  # QBO answers at most this many objects per entity (QBO.md §2.10)


def sync_due(connection: QboConnection, now: datetime | None = None) -> bool:
    """Whether the company has events waiting or has not been polled for an interval."""
    now = now or timezone.now()
    interval = timedelta(seconds=settings.QBO_CDC_INTERVAL_SECONDS)
    if connection.last_cdc_poll_at is None or connection.last_cdc_poll_at <= now - interval:
        return True
    return WebhookEvent.objects.filter(
        realm_id=connection.realm_id, processed_at__isnull=True
    ).exists()


def sync_company(realm_id: str, *, force: bool = False) -> dict:
    """Bring our invoices of this company in line with QBO. Returns what was done."""
    report = {"read": 0, "closed": 0, "reopened": 0, "drift": 0, "skipped": False}
    connection = QboConnection.objects.filter(realm_id=realm_id).first()
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        report["skipped"] = True
        return report
    if not force and not sync_due(connection):
        report["skipped"] = True  # a sync since the events arrived already covered them
        return report
    started = timezone.now()
    waiting = list(
        WebhookEvent.objects.filter(
            realm_id=realm_id, processed_at__isnull=True, received_at__lte=started
        ).values_list("pk", flat=True)
    )
    try:
        with client_for(connection) as qbo:
            invoices, deleted, watermark = _changes(connection, qbo)
    except QboError as exc:
        log.warning("QBO %s: sync could not read QuickBooks: %s", realm_id, exc)
        report["error"] = str(exc)
        return report
    links = {
        link.qbo_invoice_id: link
        for link in QboInvoiceLink.objects.filter(
            realm_id=realm_id,
            state=QboInvoiceLink.State.IN_QBO,
            qbo_invoice_id__in=[i["Id"] for i in invoices] + deleted,
        ).select_related("invoice")
    }
    for qbo_invoice in invoices:
        link = links.get(qbo_invoice["Id"])
        if (
            link is not None
            and link.read_at
            and link.sync_token == str(qbo_invoice["SyncToken"])
            and link.read_at >= link.invoice.updated_at
        ):
            # Seen as it is now by an earlier sync (the overlap brings it again), and ours is
            # unchanged since: a person who reopened an invoice QBO shows paid has it closed
            # again, as R6 wants, until the payment goes in QBO.
            continue
        if link is not None:  # invoices made in QBO are none of ours (R4)
            report["read"] += 1
            outcome = apply_qbo_invoice(link, qbo_invoice)
            if outcome:
                report[outcome] += 1
    for qbo_id in deleted:
        link = links.get(qbo_id)
        if link is not None and _record_drift(link, "deleted", []):
            report["drift"] += 1
    QboConnection.objects.filter(pk=connection.pk).update(
        cdc_watermark=watermark, last_cdc_poll_at=timezone.now()
    )
    WebhookEvent.objects.filter(pk__in=waiting).update(processed_at=timezone.now())
    return report


def _changes(connection: QboConnection, qbo: QboClient) -> tuple[list[dict], list[str], datetime]:
    """The QBO invoices changed since the watermark, the ids of those deleted, and the next
    watermark (QBO's clock less the overlap, so a change committed as we read is not missed)."""
    now = timezone.now()
    overlap = timedelta(seconds=settings.QBO_CDC_OVERLAP_SECONDS)
    watermark = connection.cdc_watermark
    if watermark is not None and watermark > now - CDC_WINDOW + timedelta(hours=1):
        # Invoices only: a payment applied, deleted or voided changes its invoices, which the
        # capture then holds; asking for payments too would only fill QBO's 1,000-object cap.
        result = qbo.cdc(["Invoice"], watermark)
        changed = result.changes.get("Invoice", [])
        # A full answer may have been cut (QBO drops the newest): read ours by Id instead.
        if sum(len(objects) for objects in result.changes.values()) < CDC_PAGE:
            qbo_now = _parse_time(result.time) or now
            live = [i for i in changed if i.get("status") != "Deleted"]
            gone = [i["Id"] for i in changed if i.get("status") == "Deleted"]
            return live, gone, qbo_now - overlap
    return _catch_up(connection, qbo, now - overlap)


def _catch_up(connection, qbo: QboClient, watermark: datetime):
    """Read every invoice we have in this company by Id (30 a query): those QBO no longer
    returns were deleted there."""
    ids = list(
        QboInvoiceLink.objects.filter(
            realm_id=connection.realm_id, state=QboInvoiceLink.State.IN_QBO
        ).values_list("qbo_invoice_id", flat=True)
    )
    found = []
    for start in range(0, len(ids), 30):
        chunk = ids[start : start + 30]
        listed = ", ".join(f"'{i}'" for i in chunk if i.isdigit())
        found.extend(qbo.query(f"select * from Invoice where Id in ({listed}) maxresults 1000"))
    seen = {i["Id"] for i in found}
    return found, [i for i in ids if i not in seen], watermark


def _parse_time(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ---- the paid rule ------------------------------------------------------------------------------


def apply_qbo_invoice(link: QboInvoiceLink, answer: dict) -> str | None:
    """Apply a fresh read of the QBO twin of `link`. Returns "closed", "reopened", "drift" or
    None when our invoice stays as it is."""
    qbo = QboInvoice.read(answer)
    payments = qbo.payment_ids
    with transaction.atomic():
        link = QboInvoiceLink.objects.select_for_update().select_related("invoice").get(pk=link.pk)
        link.sync_token = qbo.sync_token or link.sync_token
        link.qbo_balance = qbo.balance
        link.payment_ids = "".join(f",{p}" for p in payments) + ("," if payments else "")
        link.read_at = timezone.now()
        link.save(
            update_fields=["sync_token", "qbo_balance", "payment_ids", "read_at", "updated_at"]
        )
        if qbo.voided:
            return "drift" if _record_drift(link, "voided", []) else None
        expected = baseline(link)
        differences = _differences(expected, qbo)
        if differences:
            # Not ours any more: never closed on a total we did not send.
            return "drift" if _record_drift(link, "changed", differences, qbo) else None
        if (link.drift or {}).get("kind") == "changed":
            # Changed back in QBO: nothing left for a person to decide.
            kept = {k: v for k, v in link.drift.items() if k == "accepted"}
            QboInvoiceLink.objects.filter(pk=link.pk).update(drift=kept)
        invoice = link.invoice
        pays_ours = qbo.pays_ours(
            expected_total=Decimal(expected["total"]),
            current=link.exported_content_version == invoice.content_version,
        )
        if pays_ours and invoice.status == InvoiceStatus.FINALIZED:
            invoicing.close(
                None, invoice.pk, PAID_REASON, practice=invoice.practice, actor_label=ACTOR
            )
            # Read after our own change: the next sync may skip it while nothing changes.
            QboInvoiceLink.objects.filter(pk=link.pk).update(
                closed_by_sync=True, read_at=timezone.now()
            )
            return "closed"
        if not qbo.paid_in_full and invoice.status == InvoiceStatus.CLOSED and link.closed_by_sync:
            invoicing.reopen_by_sync(
                invoice.practice,
                invoice.pk,
                f"The payment was removed in QuickBooks (balance {qbo.balance} of {qbo.total}).",
                actor_label=ACTOR,
            )
            QboInvoiceLink.objects.filter(pk=link.pk).update(
                closed_by_sync=False, read_at=timezone.now()
            )
            return "reopened"
    return None


def baseline(link: QboInvoiceLink) -> dict:
    """What the QBO invoice should look like: as we last exported it, or as a person accepted
    it from QBO with *Keep as is*."""
    accepted = (link.drift or {}).get("accepted")
    if accepted:
        return accepted
    return {
        "total": _money(link.qbo_total),
        "customer": link.qbo_customer_id,
        "number": link.doc_number,
        "lines": _exported_line_count(link),
    }


def snapshot(qbo: QboInvoice) -> dict:
    """The same four facts, as QBO shows them now."""
    return {
        "total": _money(qbo.total),
        "customer": qbo.customer_id,
        "number": qbo.doc_number,
        "lines": qbo.sales_lines,
    }


def _money(value) -> str:
    """Amounts as text with two decimals, as drift keeps them (JSON holds no Decimal)."""
    return str(Decimal(str(value)).quantize(CENT))


LABELS = {"total": "Total", "customer": "Customer", "number": "Number", "lines": "Lines"}


def _differences(expected: dict, qbo: QboInvoice) -> list[dict]:
    """What a QBO user changed from `expected` (the baseline): total, customer, number, lines."""
    seen = snapshot(qbo)
    return [
        {"field": LABELS[key], "ours": str(expected[key]), "qbo": str(seen[key])}
        for key in LABELS
        if expected.get(key) not in (None, "") and str(expected[key]) != str(seen[key])
    ]


def _exported_line_count(link: QboInvoiceLink) -> int | None:
    """How many lines the export that made the link sent (its frozen body): the invoice's own
    lines may have been edited since, on a draft that is still to be exported."""
    payload = (
        InvoiceExport.objects.filter(
            invoice_id=link.invoice_id,
            invoice_version=link.exported_version,
            state=ExportState.EXPORTED,
        )
        .values_list("payload", flat=True)
        .first()
    )
    if not payload:
        return None
    return QboInvoice.read(body_from_text(payload)).sales_lines


def _record_drift(
    link: QboInvoiceLink, kind: str, differences: list[dict], qbo: QboInvoice | None = None
) -> bool:
    """Flag the link for a person; returns False when the same drift was already flagged."""
    current = link.drift or {}
    drift = {
        "kind": kind,
        "seen_at": timezone.now().isoformat(),
        "differences": differences or [{"field": "Status", "ours": "Open", "qbo": kind.title()}],
    }
    if qbo is not None:
        drift["qbo"] = snapshot(qbo)
    if "accepted" in current:
        drift["accepted"] = current["accepted"]
    if current.get("kind") == kind and current.get("differences") == drift["differences"]:
        return False
    QboInvoiceLink.objects.filter(pk=link.pk).update(drift=drift)
    return True
