"""Background work, thin: load by id, call the module that does the work.

The export rows are the queue; these tasks only wake a worker, and a company has at most one
drain waiting to start (core/task_queue.py). A wake-up lost with a crash is made good by the
sweep, which the `qbo_scheduler` command runs every QBO_SWEEP_SECONDS.
"""

from django.db import transaction
from django_tasks import default_task_backend, task

from billbridge.core import task_queue
from billbridge.documents import emailing
from billbridge.quickbooks import (
    attachments,
    credit_application,
    export,
    export_checks,
    notices,
    paid_status,
    reconciliation,
    sweeping,
)


@task()
def drain_exports(realm_id: str) -> int:
    worked = export.drain(realm_id)
    _follow_up(realm_id)
    # The PDFs of what was exported: a drain of their own, so exporting never waits on them.
    if attachments.next_due_at(realm_id) is not None:
        task_queue.enqueue_once(attach_documents, realm_id)
    # The credit memos exported, applied to their invoices: a drain of their own too.
    if credit_application.next_due_at(realm_id) is not None:
        task_queue.enqueue_once(apply_credits, realm_id)
    return worked


@task()
def attach_documents(realm_id: str) -> int:
    """Attach the exported invoices' PDFs to their QBO invoices (attachments.py). What waits
    for a back-off is woken by the sweep."""
    return attachments.drain(realm_id)


@task()
def apply_credits(realm_id: str) -> int:
    """Apply the exported credit memos to their QBO invoices (credit_application.py). What
    waits for a back-off is woken by the sweep."""
    return credit_application.drain(realm_id)


def _follow_up(realm_id: str) -> None:
    """Rows left waiting (a back-off, QBO's minute of rest, another worker's lease) get one
    wake-up, at the first moment one of them can really be claimed."""
    if not default_task_backend.supports_defer:
        return  # the immediate backend of tests: the test drives the next drain itself
    at = export.next_claimable_at(realm_id)
    if at is not None:
        task_queue.enqueue_once(drain_exports, realm_id, at=at)


def wake_exporter(realm_id: str) -> None:
    transaction.on_commit(lambda: task_queue.enqueue_once(drain_exports, realm_id))


@task()
def check_selected(batch_id: int, invoice_ids: list[int]) -> None:
    export_checks.check_invoices(batch_id, invoice_ids)


def check_invoices_later(batch_id: int, invoice_ids: list[int]) -> None:
    transaction.on_commit(lambda: check_selected.enqueue(batch_id, invoice_ids))


@task()
def sync_paid(realm_id: str) -> dict:
    return paid_status.sync_company(realm_id)


def wake_sync(realm_id: str) -> None:
    """Webhook events arrived: sync the company as soon as a worker is free. A sync already
    waiting to start will read these events too, so a burst of deliveries makes one."""
    transaction.on_commit(lambda: task_queue.enqueue_once(sync_paid, realm_id))


@task()
def sweep() -> dict:
    report = sweeping.sweep()
    for realm_id in report["realms_due"]:
        task_queue.enqueue_once(drain_exports, realm_id)
    for realm_id in report["syncs_due"]:
        task_queue.enqueue_once(sync_paid, realm_id)
    for realm_id in report["attachments_due"]:
        task_queue.enqueue_once(attach_documents, realm_id)
    for realm_id in report["applications_due"]:
        task_queue.enqueue_once(apply_credits, realm_id)
    report["task_rows"] = task_queue.tidy()
    report["notices"] = notices.check()
    # Emails to clients whose worker died mid-send become "unknown, check" (never re-sent).
    report["sends"] = emailing.sweep()
    return report


@task()
def reconcile(report_id: int) -> None:
    reconciliation.run(report_id)


def reconcile_later(report_id: int) -> None:
    transaction.on_commit(lambda: reconcile.enqueue(report_id))
