"""Which rows a drain works on: claimed under its lease, given back untouched, or waited for.

SKIP LOCKED lets workers on PostgreSQL claim side by side. A lease that ran out (a worker that
died: its heartbeat stopped renewing, quickbooks/leases.py) makes its rows claimable again, and
a row that died while SENDING comes back as unknown: its send must be looked up first.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, Min, Q, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from billbridge.quickbooks.leases import lease_length
from billbridge.quickbooks.models import ConnectionStatus, ExportState, InvoiceExport


def claim(realm_id: str, limit: int, owner: str) -> list[InvoiceExport]:
    """Take up to `limit` due rows under `owner`'s lease."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            InvoiceExport.objects.select_for_update(skip_locked=True)
            .filter(realm_id=realm_id)
            .filter(
                Q(state__in=[ExportState.QUEUED, ExportState.UNKNOWN], next_attempt_at__lte=now)
                | Q(state=ExportState.SENDING)
            )
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        InvoiceExport.objects.filter(id__in=ids, state=ExportState.SENDING).update(
            state=ExportState.UNKNOWN
        )
        InvoiceExport.objects.filter(id__in=ids).update(
            lease_until=now + lease_length(), leased_by=owner
        )
    return list(
        InvoiceExport.objects.filter(id__in=ids)
        # A credit note's invoice and its QBO link: what its credit memo is applied to.
        .select_related(
            "invoice__client", "invoice__qbo_link", "invoice__credited_invoice__qbo_link"
        )
        .prefetch_related("invoice__lines")
        .order_by("id")
    )


def release(rows: list[InvoiceExport], *, delay: float = 0) -> None:
    """Give rows back untouched (nothing was sent for them) to be picked up after `delay`."""
    InvoiceExport.objects.filter(id__in=[row.pk for row in rows]).update(
        lease_until=None, next_attempt_at=timezone.now() + timedelta(seconds=delay)
    )


def next_claimable_at(realm_id: str) -> datetime | None:
    """The first moment `claim` could take one of the company's waiting rows: its due time, or
    the end of the lease that holds it (a live drain's, renewed; a dead one's, running out).
    None when nothing waits, or the company cannot export (reconnect wakes it)."""
    waiting = InvoiceExport.objects.filter(
        realm_id=realm_id,
        state__in=[ExportState.QUEUED, ExportState.UNKNOWN, ExportState.SENDING],
        practice__qbo_connection__status=ConnectionStatus.CONNECTED,
    )
    free_at = Coalesce("lease_until", "next_attempt_at")
    return waiting.aggregate(
        at=Min(
            Case(
                # A row that died while SENDING is claimable once its lease ends, whenever due.
                When(state=ExportState.SENDING, then=free_at),
                default=Greatest("next_attempt_at", free_at),
            )
        )
    )["at"]
