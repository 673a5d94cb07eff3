"""Automatic export: a practice's finalized invoices go to QuickBooks without someone pressing
Export — when each is finalized, or every day at a chosen time (docs/decisions/0025).

Both ask through services.queue_automatic_export, so the rows are the export rows a person's
request makes, marked automatic. Turning it on shows first how many finalized invoices that
would send now (`backlog`), and sends them on confirmation.
"""

from datetime import datetime, time

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from billbridge.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.practice.models import Membership, Permission
from billbridge.quickbooks import services
from billbridge.quickbooks.connection import NOT_CONNECTED, connection_for
from billbridge.quickbooks.models import AutoExport, ExportState, QboConnection, QboInvoiceLink


def _may_change(membership: Membership) -> None:
    if not (membership.has(Permission.EXPORT) and membership.has(Permission.MANAGE_SETTINGS)):
        raise PermissionRefused(
            "Changing automatic export needs both the Export to accounting software and the "
            "Manage settings permissions."
        )


def backlog(practice) -> list[int]:
    """The practice's finalized invoices QuickBooks does not hold as they are now: never
    exported, or changed since. Those already on their way are left out."""
    exported_as_now = Q(
        qbo_link__state=QboInvoiceLink.State.IN_QBO,
        qbo_link__exported_content_version=F("content_version"),
    )
    on_its_way = Q(
        qbo_exports__invoice_version=F("version"),
        qbo_exports__state__in=[ExportState.QUEUED, ExportState.SENDING, ExportState.UNKNOWN],
    )
    return list(
        Invoice.objects.for_practice(practice)
        .filter(status=InvoiceStatus.FINALIZED)
        .exclude(exported_as_now)
        .exclude(on_its_way)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def parse_time(value: str) -> time:
    try:
        return datetime.strptime(value.strip(), "%H:%M").time()
    except ValueError:
        raise InvalidInput(
            "Give the time of the daily export as HH:MM, e.g. 18:30.",
            {"auto_export_time": ["Not a time (HH:MM)."]},
        ) from None


def preview(membership: Membership, mode: str, at: str = "") -> dict:
    """What turning `mode` on would do, for the confirmation page; raises as `change` would."""
    connection = _checked(membership, mode, at)
    turning_on = mode != AutoExport.BY_HAND and connection.auto_export != mode
    return {
        "mode": mode,
        "label": AutoExport(mode).label,
        "at": at,
        "count": len(backlog(membership.practice)) if turning_on else 0,
        "needs_confirmation": turning_on,
    }


def _checked(membership: Membership, mode: str, at: str) -> QboConnection:
    _may_change(membership)
    if mode not in AutoExport.values:
        raise InvalidInput(
            "Choose when invoices are exported.", {"auto_export": ["Not one of the choices."]}
        )
    connection = connection_for(membership.practice)
    if connection is None or (mode != AutoExport.BY_HAND and not connection.is_connected):
        raise TransitionRefused(
            NOT_CONNECTED if connection is None else connection.status_reason or NOT_CONNECTED
        )
    if mode == AutoExport.DAILY:
        parse_time(at)
    return connection


@transaction.atomic
def change(membership: Membership, mode: str, at: str = "") -> int:
    """Set the practice's automatic export (confirmed); returns how many finalized invoices
    were queued now. Turning it on sends the backlog at once, by either mode: a practice that
    confirms "exports 12 finalized invoices now" expects them in QuickBooks without waiting
    for a finalize or the next day."""
    connection = _checked(membership, mode, at)
    connection = QboConnection.objects.select_for_update().get(pk=connection.pk)
    turning_on = mode != AutoExport.BY_HAND and connection.auto_export != mode
    connection.auto_export = mode
    connection.auto_export_time = parse_time(at) if mode == AutoExport.DAILY else None
    if mode == AutoExport.DAILY and turning_on:
        # Today's backlog goes now: the first daily run is tomorrow's.
        connection.auto_export_last_day = timezone.localdate()
    connection.save()
    if not turning_on:
        return 0
    waiting = backlog(membership.practice)
    if waiting:
        services.queue_automatic_export(membership.practice, waiting)
    return len(waiting)


def on_finalized(invoice: Invoice) -> None:
    """invoice_finalized, inside finalize's transaction: with "when finalized" on, the export
    is asked for once the finalize has committed (nothing is queued for a finalize rolled
    back)."""
    connection = connection_for(invoice.practice)
    if connection is None or connection.auto_export != AutoExport.WHEN_FINALIZED:
        return
    practice, invoice_id = invoice.practice, invoice.pk
    transaction.on_commit(lambda: services.queue_automatic_export(practice, [invoice_id]))


def queue_daily(now: datetime | None = None) -> list[str]:
    """Every practice whose daily time has come today (the server's TIME_ZONE) and that has
    not run today queues its backlog, once: the day is written under the connection's lock.
    Returns the realms queued."""
    now = now or timezone.now()
    today, clock = timezone.localtime(now).date(), timezone.localtime(now).time()
    realms = []
    due = QboConnection.objects.filter(
        auto_export=AutoExport.DAILY, auto_export_time__lte=clock
    ).filter(Q(auto_export_last_day__isnull=True) | Q(auto_export_last_day__lt=today))
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            connection = (
                QboConnection.objects.select_for_update()
                .select_related("practice")
                .filter(pk=pk)
                .filter(Q(auto_export_last_day__isnull=True) | Q(auto_export_last_day__lt=today))
                .first()
            )
            if connection is None or not connection.is_connected:
                continue
            connection.auto_export_last_day = today
            connection.save(update_fields=["auto_export_last_day", "updated_at"])
            waiting = backlog(connection.practice)
            if waiting:
                services.queue_automatic_export(connection.practice, waiting)
                realms.append(connection.realm_id)
    return realms


@task()
def export_daily() -> list[str]:
    """Queued by qbo_scheduler on every tick, beside the sweep."""
    return queue_daily()
