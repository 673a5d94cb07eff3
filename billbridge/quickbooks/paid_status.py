"""Paid in QuickBooks → Closed in Billbridge (R6), and what QBO users changed (drift).

Not a two-way sync of invoices (R4: there is none): the paid status and the drift are all it
reads back from QBO.

A company's sync reads what changed in QBO since its watermark with one change-data-capture call
for invoices and credit memos, and applies the paid rule to each of our invoices among the
changes. A payment applied, deleted or voided changes its invoices' Balance, so the invoices
themselves show up in the capture; so does a credit note's zero payment (docs/decisions/0027),
which changes its credit memo too. An answer at QBO's 1,000-object cap may have been cut, so a
full one falls back to reading ours by Id. Webhooks never carry state here: a stored event only
makes the next sync come at once, and one sync serves every event waiting (coalesced). CDC looks
back 30 days at most, so a watermark older than that (or none) is replaced by a full catch-up:
our linked invoices and credit memos read by Id.

The paid rule (RELIABILITY.md §3.4; stated once, in qbo_invoice.QboInvoice.pays_ours): an invoice
is closed only when QBO shows Balance 0, a total equal to what we exported, it is neither voided
nor deleted, and QBO holds our current version. Credits applied in QBO count towards the balance
as payments do; the reason says which it was ("Credited in QuickBooks (CN-1)" when credits alone
took it to 0). A payment or a credit's application that goes away reopens an invoice the sync
closed, and a credit's application removed in QBO is marked so on its row. Whatever else a QBO
user changed, on an invoice or on a credit memo, is recorded as drift for a person to settle;
nothing is overwritten. A credit note itself is never closed: its credit memo is only watched.
"""

import logging
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billbridge.core.money import CENT
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks.client import QboClient, QboError
from billbridge.quickbooks.connection import client_for
from billbridge.quickbooks.export.rows import body_from_text
from billbridge.quickbooks.models import (
    ApplicationState,
    ConnectionStatus,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboCreditApplication,
    QboInvoiceLink,
    WebhookEvent,
)
from billbridge.quickbooks.qbo_invoice import QboInvoice

log = logging.getLogger(__name__)

ACTOR = "QuickBooks sync"
PAID_REASON = "Paid in QuickBooks"
CREDIT_REMOVED = "The credit's application was removed in QuickBooks"
INVOICE, CREDIT_MEMO = QboInvoiceLink.Entity.INVOICE, QboInvoiceLink.Entity.CREDIT_MEMO
# What the sync reads back: our invoices, and our credit notes' credit memos. Not payments: a
# payment applied, deleted or voided changes the invoices (and credit memos) it links, which the
# capture then holds; asking for payments too would only fill QBO's 1,000-object cap.
ENTITIES = (INVOICE, CREDIT_MEMO)
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
    report = {
        "read": 0, "closed": 0, "reopened": 0, "drift": 0, "unapplied": 0, "skipped": False
    }  # fmt: skip
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
            changed, deleted, watermark = _changes(connection, qbo)
    except QboError as exc:
        log.warning("QBO %s: sync could not read QuickBooks: %s", realm_id, exc)
        report["error"] = str(exc)
        return report
    links = _links(realm_id, [(entity, answer["Id"]) for entity, answer in changed] + deleted)
    for entity, answer in changed:
        link = links.get((entity, answer["Id"]))
        if link is None:  # made in QBO: none of ours (R4)
            continue
        if (
            link.read_at
            and link.sync_token == str(answer["SyncToken"])
            and link.read_at >= link.invoice.updated_at
        ):
            # Seen as it is now by an earlier sync (the overlap brings it again), and ours is
            # unchanged since: a person who reopened an invoice QBO shows paid has it closed
            # again, as R6 wants, until the payment goes in QBO.
            continue
        report["read"] += 1
        for outcome in apply_qbo_invoice(link, answer, read_from=started):
            report[outcome] += 1
    for key in deleted:
        link = links.get(key)
        if link is not None and _record_drift(link, "deleted", []):
            report["drift"] += 1
    QboConnection.objects.filter(pk=connection.pk).update(
        cdc_watermark=watermark, last_cdc_poll_at=timezone.now()
    )
    WebhookEvent.objects.filter(pk__in=waiting).update(processed_at=timezone.now())
    return report


def _links(realm_id: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], QboInvoiceLink]:
    """Our links among these (entity, QBO Id) pairs: an invoice and a credit memo may share an
    Id in QBO, so the entity is part of the key."""
    wanted = Q()
    for entity in ENTITIES:
        ids = [qbo_id for kind, qbo_id in keys if kind == entity]
        if ids:
            wanted |= Q(entity=entity, qbo_invoice_id__in=ids)
    if not wanted:
        return {}
    found = QboInvoiceLink.objects.filter(
        wanted, realm_id=realm_id, state=QboInvoiceLink.State.IN_QBO
    ).select_related("invoice")
    return {(link.entity, link.qbo_invoice_id): link for link in found}


def _changes(
    connection: QboConnection, qbo: QboClient
) -> tuple[list[tuple[str, dict]], list[tuple[str, str]], datetime]:
    """The QBO invoices and credit memos changed since the watermark (as (entity, answer)),
    those deleted (as (entity, Id)), and the next watermark (QBO's clock less the overlap, so a
    change committed as we read is not missed)."""
    now = timezone.now()
    overlap = timedelta(seconds=settings.QBO_CDC_OVERLAP_SECONDS)
    watermark = connection.cdc_watermark
    if watermark is not None and watermark > now - CDC_WINDOW + timedelta(hours=1):
        result = qbo.cdc(ENTITIES, watermark)
        # A full answer may have been cut (QBO drops the newest): read ours by Id instead.
        if sum(len(objects) for objects in result.changes.values()) < CDC_PAGE:
            qbo_now = _parse_time(result.time) or now
            changed = [
                (entity, answer) for entity in ENTITIES for answer in result.changes.get(entity, [])
            ]
            live = [(entity, a) for entity, a in changed if a.get("status") != "Deleted"]
            gone = [(entity, a["Id"]) for entity, a in changed if a.get("status") == "Deleted"]
            return live, gone, qbo_now - overlap
    return _catch_up(connection, qbo, now - overlap)


def _catch_up(connection, qbo: QboClient, watermark: datetime):
    """Read every invoice and credit memo we have in this company by Id (30 a query, from its
    own entity): those QBO no longer returns were deleted there."""
    found, gone = [], []
    for entity in ENTITIES:
        ids = list(
            QboInvoiceLink.objects.filter(
                realm_id=connection.realm_id, entity=entity, state=QboInvoiceLink.State.IN_QBO
            ).values_list("qbo_invoice_id", flat=True)
        )
        read = []
        for start in range(0, len(ids), 30):
            chunk = ids[start : start + 30]
            listed = ", ".join(f"'{i}'" for i in chunk if i.isdigit())
            read.extend(qbo.query(f"select * from {entity} where Id in ({listed}) maxresults 1000"))
        seen = {answer["Id"] for answer in read}
        found.extend((entity, answer) for answer in read)
        gone.extend((entity, qbo_id) for qbo_id in ids if qbo_id not in seen)
    return found, gone, watermark


def _parse_time(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ---- the paid rule ------------------------------------------------------------------------------


def apply_qbo_invoice(link: QboInvoiceLink, answer: dict, *, read_from: datetime) -> list[str]:
    """Apply a fresh read of the QBO twin of `link` (an Invoice, or a credit note's CreditMemo),
    read by a sync that started at `read_from`. Returns what happened: "unapplied" for each
    credit's application QBO no longer shows, then "closed", "reopened" or "drift" (nothing
    when our invoice stays as it is)."""
    qbo = QboInvoice.read(answer)
    payments = qbo.payment_ids
    with transaction.atomic():
        link = QboInvoiceLink.objects.select_for_update().select_related("invoice").get(pk=link.pk)
        link.sync_token = qbo.sync_token or link.sync_token
        link.qbo_balance = qbo.balance  # on a credit memo: its credit not yet spent
        link.payment_ids = "".join(f",{p}" for p in payments) + ("," if payments else "")
        link.read_at = timezone.now()
        link.save(
            update_fields=["sync_token", "qbo_balance", "payment_ids", "read_at", "updated_at"]
        )
        removed = _applications_removed(link, qbo, read_from)
        outcomes = ["unapplied"] * len(removed)
        if qbo.voided:
            return outcomes + (["drift"] if _record_drift(link, "voided", []) else [])
        expected = baseline(link)
        differences = _differences(expected, qbo)
        if differences:
            # Not ours any more: never closed on a total we did not send.
            changed = _record_drift(link, "changed", differences, qbo)
            return outcomes + (["drift"] if changed else [])
        if (link.drift or {}).get("kind") == "changed":
            # Changed back in QBO: nothing left for a person to decide.
            kept = {k: v for k, v in link.drift.items() if k == "accepted"}
            QboInvoiceLink.objects.filter(pk=link.pk).update(drift=kept)
        if link.entity == CREDIT_MEMO:
            return outcomes  # a credit note is never closed: its invoice is
        invoice = link.invoice
        pays_ours = qbo.pays_ours(
            expected_total=Decimal(expected["total"]),
            current=link.exported_content_version == invoice.content_version,
        )
        if pays_ours and invoice.status == InvoiceStatus.FINALIZED:
            invoicing.close(
                None,
                invoice.pk,
                _close_reason(link, qbo),
                practice=invoice.practice,
                actor_label=ACTOR,
            )
            # Read after our own change: the next sync may skip it while nothing changes.
            QboInvoiceLink.objects.filter(pk=link.pk).update(
                closed_by_sync=True, read_at=timezone.now()
            )
            return [*outcomes, "closed"]
        if not qbo.paid_in_full and invoice.status == InvoiceStatus.CLOSED and link.closed_by_sync:
            shown = f"balance {qbo.balance} of {qbo.total}"
            invoicing.reopen_by_sync(
                invoice.practice,
                invoice.pk,
                f"{CREDIT_REMOVED} ({_numbers(removed)}; {shown})."
                if removed
                else f"The payment was removed in QuickBooks ({shown}).",
                actor_label=ACTOR,
            )
            QboInvoiceLink.objects.filter(pk=link.pk).update(
                closed_by_sync=False, read_at=timezone.now()
            )
            return [*outcomes, "reopened"]
    return outcomes


# ---- credits applied in QBO (docs/decisions/0027) ------------------------------------------


def _close_reason(link: QboInvoiceLink, qbo: QboInvoice) -> str:
    """The close's reason: "Credited in QuickBooks (CN-1, CN-2)" when our credits applied there
    account for all QBO took off the invoice (no money was paid), else "Paid in QuickBooks"."""
    applied = list(
        QboCreditApplication.objects.filter(
            realm_id=link.realm_id,
            qbo_invoice_id=link.qbo_invoice_id,
            state=ApplicationState.APPLIED,
            qbo_payment_id__in=qbo.payment_ids,
        )
        .select_related("credit_note")
        .order_by("credit_note_id")
    )
    credited = sum((application.amount for application in applied), Decimal("0"))
    if applied and credited >= qbo.total - qbo.balance:
        return f"Credited in QuickBooks ({_numbers(applied)})"
    return PAID_REASON


def _numbers(applications: list[QboCreditApplication]) -> str:
    return ", ".join(application.credit_note.number for application in applications)


def _applications_removed(
    link: QboInvoiceLink, qbo: QboInvoice, read_from: datetime
) -> list[QboCreditApplication]:
    """Our credits' applications that this read of QBO no longer shows, marked so: on an
    invoice, a zero payment of ours gone from its LinkedTxn (deleted or voided in QBO); on a
    credit memo, more credit unspent than our application leaves. Only rows applied before the
    sync started reading count: one applied since may be newer than what QBO answered."""
    applications = (
        QboCreditApplication.objects.select_for_update()
        .filter(realm_id=link.realm_id, state=ApplicationState.APPLIED, updated_at__lt=read_from)
        .exclude(qbo_payment_id="")
        .select_related("credit_note")
    )
    number = qbo.doc_number or qbo.id
    if link.entity == CREDIT_MEMO:
        gone = {
            application: f"credit memo {number} shows {qbo.balance} of its credit unspent"
            for application in applications.filter(qbo_credit_memo_id=link.qbo_invoice_id)
            if qbo.balance > max(qbo.total - application.amount, 0)
        }
    else:
        gone = {
            application: f"its payment {application.qbo_payment_id} is no longer on QBO "
            f"invoice {number}"
            for application in applications.filter(qbo_invoice_id=link.qbo_invoice_id)
            if application.qbo_payment_id not in qbo.payment_ids
        }
    for application, why in gone.items():
        _unapplied(application, why)
    return list(gone)


def _unapplied(application: QboCreditApplication, why: str) -> None:
    """Shown as not applied, with why, on the credit note's row and timeline. Nothing more
    happens by itself: a QBO user took the credit off, and applying it again would undo what
    they did; a person decides (services.resolve_drift makes it due again). A new requestid:
    QBO would answer the old one with the payment it made then, now gone."""
    application.state = ApplicationState.FAILED
    application.error = f"{CREDIT_REMOVED} ({why})."
    application.qbo_payment_id = ""
    application.request_id = uuid.uuid4().hex
    application.next_attempt_at = None
    application.lease_until = None
    application.save(
        update_fields=[
            "state", "error", "qbo_payment_id", "request_id", "next_attempt_at", "lease_until",
            "updated_at",
        ]
    )  # fmt: skip
    invoicing.record_note(
        application.credit_note,
        None,
        "credit unapplied in QuickBooks",
        application.error,
        actor_label=ACTOR,
    )


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
