"""The periodic sweep: finds exports nobody is working on, twins in QBO, and companies whose
paid-status sync is due (events waiting, or an interval since the last change-data capture).

A worker that died leaves its rows leased (or SENDING) until its lease ends; a wake-up task can
be lost. The sweep
lists the companies that have due rows so that a drain is queued for each, and searches QBO once
for twins of every invoice (or credit memo) whose export needed more than one try: a duplicate
is reported on the row for a person to settle, never voided by us (these are the practice's
books). A credit memo in QBO without its application row (a crash between) gets one, and the
companies with applications due (a back-off over, a dead worker's lease run out) get a drain.
"""

import logging

from django.db.models import Q
from django.utils import timezone

from billbridge.quickbooks import attachments, credit_application, payloads, sending
from billbridge.quickbooks.client import QboError, quote
from billbridge.quickbooks.connection import client_for
from billbridge.quickbooks.export.rows import entity_of, noun_of
from billbridge.quickbooks.models import (
    ConnectionStatus,
    CustomerCreation,
    ExportState,
    InvoiceExport,
    QboConnection,
)
from billbridge.quickbooks.paid_status import sync_due
from billbridge.quickbooks.qbo_invoice import QboInvoice

log = logging.getLogger(__name__)


def sweep() -> dict:
    now = timezone.now()
    connected = QboConnection.objects.filter(status=ConnectionStatus.CONNECTED)
    realms = set(connected.values_list("realm_id", flat=True))
    unleased = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    due = InvoiceExport.objects.filter(realm_id__in=realms).filter(
        unleased
        & (
            Q(state__in=[ExportState.QUEUED, ExportState.UNKNOWN], next_attempt_at__lte=now)
            | Q(state=ExportState.SENDING)
        )
    )
    realms_due = sorted(set(due.values_list("realm_id", flat=True)))
    # PDFs to attach, or tried again after QBO refused them (attachments.py).
    attachments_due = sorted(
        realm for realm in realms if (at := attachments.next_due_at(realm)) and at <= now
    )
    # Credit memos in QBO left without their application (never a second one: one row per
    # credit note, and its drain looks in QBO before it sends), then those due to be applied.
    applications_queued = sum(credit_application.queue_missing(realm) for realm in realms)
    applications_due = sorted(
        realm
        for realm in realms
        # After the queuing just done: what it queued is due now.
        if (at := credit_application.next_due_at(realm)) and at <= timezone.now()
    )
    # A Send from QuickBooks whose worker died before QBO's answer: unknown, never re-sent.
    unknown_sends = sending.settle_abandoned(now)
    # Names a dead drain was creating, and that nobody has asked for since.
    CustomerCreation.objects.filter(lease_until__lt=now).delete()
    duplicates = 0
    syncs_due = []
    for connection in connected:
        duplicates += _search_twins(connection)
        if sync_due(connection, now):
            syncs_due.append(connection.realm_id)
    if realms_due or duplicates:
        log.info("QBO sweep: drains for %s; %d duplicates reported", realms_due, duplicates)
    return {
        "realms_due": realms_due,
        "duplicates": duplicates,
        "syncs_due": sorted(syncs_due),
        "attachments_due": attachments_due,
        "applications_due": applications_due,
        "applications_queued": applications_queued,
        "unknown_sends": unknown_sends,
    }


def _search_twins(connection: QboConnection) -> int:
    rows = list(
        InvoiceExport.objects.filter(
            realm_id=connection.realm_id,
            state=ExportState.EXPORTED,
            attempts__gt=1,
            duplicates_checked=False,
        ).select_related("invoice__qbo_link", "invoice__client__qbo_customer")[:30]
    )
    if not rows:
        return 0
    found = 0
    try:
        with client_for(connection) as qbo:
            for row in rows:
                found += _report_twins(qbo, row)
    except QboError as exc:
        log.warning("QBO sweep: could not search %s for duplicates: %s", connection.realm_id, exc)
    return found


def _report_twins(qbo, row: InvoiceExport) -> int:
    link = row.invoice.qbo_link
    # The customer QBO shows it under (a credit memo's is its invoice's), else the client's.
    customer_id = link.qbo_customer_id or row.invoice.client.qbo_customer.qbo_customer_id
    candidates = qbo.query(
        f"select * from {entity_of(row.invoice)} where CustomerRef = "  # noqa: S608
        f"{quote(customer_id)} and TxnDate = {quote(row.invoice.issue_date.isoformat())}"
    )
    marker = payloads.marker(row.invoice_id, row.practice_id)
    twins = sorted(i.id for i in map(QboInvoice.read, candidates) if marker in i.note)
    row.duplicates_checked = True
    if len(twins) > 1:
        row.state = ExportState.NEEDS_REVIEW
        row.message = (
            f"QuickBooks holds {len(twins)} {noun_of(row.invoice)}s made from this one: "
            f"{', '.join(twins)} (Billbridge's is {link.qbo_invoice_id})."
        )
        row.advice = "Void or delete the extra ones in QuickBooks."
    row.save()
    return int(len(twins) > 1)
