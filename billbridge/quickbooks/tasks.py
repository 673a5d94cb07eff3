"""Background work, thin: load by id, call the module that does the work.

The export rows are the queue; these tasks only wake a worker. A wake-up lost with a crash is
made good by the sweep, which the `qbo_scheduler` command runs every QBO_SWEEP_SECONDS.
"""

from django.db import transaction
from django.db.models import Min
from django_tasks import default_task_backend, task

from billbridge.quickbooks import checks, exporter, reconciliation, sweeping, sync
from billbridge.quickbooks.models import ConnectionStatus, ExportState, InvoiceExport


@task()
def drain_exports(realm_id: str) -> int:
    worked = exporter.drain(realm_id)
    _follow_up(realm_id)
    return worked


def _follow_up(realm_id: str) -> None:
    """Rows left waiting (a back-off, QBO's minute of rest) get a wake-up at their time."""
    if not default_task_backend.supports_defer:
        return  # the immediate backend of tests: the test drives the next drain itself
    due = InvoiceExport.objects.filter(
        realm_id=realm_id,
        state__in=[ExportState.QUEUED, ExportState.UNKNOWN],
        practice__qbo_connection__status=ConnectionStatus.CONNECTED,
    ).aggregate(at=Min("next_attempt_at"))["at"]
    if due is not None:
        drain_exports.using(run_after=due).enqueue(realm_id)


def wake_exporter(realm_id: str) -> None:
    transaction.on_commit(lambda: drain_exports.enqueue(realm_id))


@task()
def check_selected(batch_id: int, invoice_ids: list[int]) -> None:
    checks.check_invoices(batch_id, invoice_ids)


def check_invoices_later(batch_id: int, invoice_ids: list[int]) -> None:
    transaction.on_commit(lambda: check_selected.enqueue(batch_id, invoice_ids))


@task()
def sync_paid(realm_id: str) -> dict:
    return sync.sync_company(realm_id)


def wake_sync(realm_id: str) -> None:
    """Webhook events arrived: sync the company as soon as a worker is free."""
    transaction.on_commit(lambda: sync_paid.enqueue(realm_id))


@task()
def sweep() -> dict:
    report = sweeping.sweep()
    for realm_id in report["realms_due"]:
        drain_exports.enqueue(realm_id)
    for realm_id in report["syncs_due"]:
        sync_paid.enqueue(realm_id)
    return report


@task()
def reconcile(report_id: int) -> None:
    reconciliation.run(report_id)


def reconcile_later(report_id: int) -> None:
    transaction.on_commit(lambda: reconcile.enqueue(report_id))
