"""Wake-ups of the export drain on the database queue: one per company, at the first moment a
row can really be claimed, and no task rows kept for ever (docs/decisions/0015)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from billbridge.core import task_queue
from billbridge.quickbooks import services, tasks
from billbridge.quickbooks.models import ExportState, InvoiceExport


@pytest.fixture
def queue(settings):
    """The database queue, as make run and production use it; nothing runs by itself here."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def drains(**filters):
    return DBTaskResult.objects.filter(task_path=tasks.drain_exports.module_path, **filters)


def test_rows_under_a_dead_drains_lease_get_one_wake_up_at_the_lease_end(setup, queue):
    invoice = setup.invoice()
    services.request_export(setup.member, [invoice.pk])
    lease_end = timezone.now() + timedelta(seconds=40)
    # A worker claimed the row and was killed: its lease runs on, the row is overdue.
    InvoiceExport.objects.update(
        lease_until=lease_end, leased_by="dead", next_attempt_at=timezone.now() - timedelta(1)
    )
    for _ in range(5):  # the worker running the wake-up it gets, again and again
        assert tasks.drain_exports.call(setup.realm) == 0

    [pending] = drains(status=TaskResultStatus.READY)
    assert pending.run_after == lease_end
    assert InvoiceExport.objects.get().state == ExportState.QUEUED


def test_a_row_in_back_off_gets_its_wake_up_at_its_time_and_only_one(setup, queue):
    invoice = setup.invoice()
    services.request_export(setup.member, [invoice.pk])
    due = timezone.now() + timedelta(seconds=90)
    InvoiceExport.objects.update(next_attempt_at=due)
    tasks.drain_exports.call(setup.realm)
    tasks.drain_exports.call(setup.realm)
    [pending] = drains(status=TaskResultStatus.READY)
    assert pending.run_after == due


def test_asking_sooner_brings_the_pending_wake_up_forward_instead_of_adding_one(setup, queue):
    later = timezone.now() + timedelta(minutes=5)
    task_queue.enqueue_once(tasks.drain_exports, setup.realm, at=later)
    task_queue.enqueue_once(tasks.drain_exports, setup.realm, at=later + timedelta(minutes=1))
    assert drains().get().run_after == later
    task_queue.enqueue_once(tasks.drain_exports, setup.realm)  # an export asked for now
    task_queue.enqueue_once(tasks.drain_exports, setup.realm)
    [pending] = drains()
    assert pending.run_after <= timezone.now()
    task_queue.enqueue_once(tasks.drain_exports, "another-company")
    assert drains().count() == 2


def test_the_sweep_deletes_old_finished_task_rows_and_fails_abandoned_running_ones(
    setup, queue, settings
):
    settings.TASK_RESULTS_KEEP_SECONDS = 3600
    settings.QBO_TASK_ABANDONED_SECONDS = 600
    now = timezone.now()
    old, recent, dead, alive = (
        tasks.drain_exports.enqueue(f"realm-{n}").id for n in ("old", "recent", "dead", "alive")
    )
    DBTaskResult.objects.filter(id=old).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=now - timedelta(hours=2)
    )
    DBTaskResult.objects.filter(id=recent).update(
        status=TaskResultStatus.FAILED, finished_at=now - timedelta(minutes=5)
    )
    DBTaskResult.objects.filter(id=dead).update(
        status=TaskResultStatus.RUNNING, started_at=now - timedelta(minutes=11)
    )
    DBTaskResult.objects.filter(id=alive).update(
        status=TaskResultStatus.RUNNING, started_at=now - timedelta(minutes=9)
    )

    report = tasks.sweep.call()

    assert report["task_rows"] == {"deleted": 1, "abandoned": 1}
    left = dict(DBTaskResult.objects.values_list("id", "status"))
    assert str(old) not in {str(k) for k in left}
    statuses = {str(k): v for k, v in left.items()}
    assert statuses[str(recent)] == TaskResultStatus.FAILED
    assert statuses[str(dead)] == TaskResultStatus.FAILED
    assert statuses[str(alive)] == TaskResultStatus.RUNNING


def test_a_burst_of_webhook_deliveries_wakes_one_sync(
    setup, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            tasks.wake_sync(setup.realm)
    syncs = DBTaskResult.objects.filter(task_path=tasks.sync_paid.module_path)
    assert syncs.count() == 1
