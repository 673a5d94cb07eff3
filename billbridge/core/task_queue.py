"""The task queue's housekeeping: one pending wake-up per purpose, and no rows kept for ever.

Tasks here only wake a worker (the rows they act on are the record of truth), so two pending
runs of the same task with the same arguments do nothing the first does not: `enqueue_once`
keeps one, moved earlier when asked for sooner. With another backend than the database's
(the immediate or dummy backends of tests) it simply enqueues.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max


def enqueue_once(task, *args, at: datetime | None = None) -> None:
    """Run `task(*args)` at `at` (as soon as a worker is free when None), unless a pending run
    of it with the same arguments comes by then; a later pending run is brought forward."""
    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        (task.using(run_after=at) if at else task).enqueue(*args)
        return
    pending = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=task.module_path,
        backend_name=backend.alias,
        args_kwargs__args=list(args),
    )
    # An undeferred task's run_after is the far-future sentinel, meaning "now".
    soon = Q(run_after=get_date_max()) | Q(run_after__lte=at or timezone.now())
    if pending.filter(soon).exists():
        return
    # Brought forward rather than doubled; a row a worker claimed meanwhile is RUNNING, not
    # READY, and is left alone (then a new run is enqueued).
    if not pending.update(run_after=at or timezone.now()):
        (task.using(run_after=at) if at else task).enqueue(*args)


def tidy() -> dict:
    """Delete finished task rows older than TASK_RESULTS_KEEP_SECONDS, and fail the ones still
    RUNNING after QBO_TASK_ABANDONED_SECONDS: a worker that was killed never finishes its row
    (the work itself is found again by the sweep from the export rows' leases)."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if not isinstance(backend, DatabaseBackend):
        return {"deleted": 0, "abandoned": 0}
    now = timezone.now()
    results = DBTaskResult.objects.filter(backend_name=backend.alias)
    abandoned = results.filter(
        status=TaskResultStatus.RUNNING,
        started_at__lt=now - timedelta(seconds=settings.QBO_TASK_ABANDONED_SECONDS),
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="billbridge.core.task_queue.Abandoned",
        traceback="Its worker stopped before it finished (killed, or its host was lost).",
    )
    deleted, _ = results.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=now - timedelta(seconds=settings.TASK_RESULTS_KEEP_SECONDS),
    ).delete()
    return {"deleted": deleted, "abandoned": abandoned}
