"""What /healthz answers a load balancer or a monitor: can this site serve, and is its
background work moving? A few cheap queries, never a call to QuickBooks.

The answer is public (no log-in), so it carries only ok or not and numbers: a problem's details
(the database's address, its error) go to the operator's log instead.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Case, F, Min, When
from django.db.models.functions import Greatest
from django.db.utils import Error as DatabaseError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from billbridge.core import beats
from billbridge.operations import readiness

logger = logging.getLogger(__name__)

NOT_CHECKED = {"ok": False, "problem": "not checked: the database cannot be reached"}


def checks() -> dict[str, dict]:
    """Each check by name, as {"ok": bool, ...details}."""
    problem = readiness.database_problem()
    if problem:
        logger.warning("Health check: %s", problem)
        database = {"ok": False, "problem": "the database cannot be reached"}
        return {"database": database} | {name: NOT_CHECKED for name in _AFTER_THE_DATABASE}
    return {"database": {"ok": True}} | {
        name: _read(name, check) for name, check in _AFTER_THE_DATABASE.items()
    }


def healthy(results: dict[str, dict]) -> bool:
    return all(result["ok"] for result in results.values())


def queue_lag_seconds() -> float:
    """How long the oldest task that could run now has waited for a worker (0 when none has):
    since it was enqueued, or since its run_after when it was deferred."""
    waiting_since = Case(
        # An undeferred task's run_after is the far-future sentinel, meaning "now".
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest("run_after", "enqueued_at"),
    )
    oldest = DBTaskResult.objects.ready().aggregate(oldest=Min(waiting_since))["oldest"]
    return max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0


def _migrations() -> dict:
    unapplied = len(readiness.unapplied_migrations())
    return {"ok": unapplied == 0, "unapplied": unapplied}


def _task_queue() -> dict:
    lag = queue_lag_seconds()
    limit = settings.HEALTH_MAX_QUEUE_LAG_SECONDS
    return {"ok": lag < limit, "lag_seconds": round(lag, 1), "max_lag_seconds": limit}


def _scheduler() -> dict:
    limit = timedelta(seconds=settings.HEALTH_SCHEDULER_MISSED_TICKS * settings.QBO_SWEEP_SECONDS)
    last = beats.last(beats.SCHEDULER)
    if last is None:
        return {"ok": False, "problem": "the scheduler has not run"}
    ago = timezone.now() - last
    return {
        "ok": ago <= limit,
        "last_tick_seconds_ago": round(max(ago.total_seconds(), 0.0), 1),
        "max_seconds": limit.total_seconds(),
    }


_AFTER_THE_DATABASE = {
    "migrations": _migrations,
    "task_queue": _task_queue,
    "scheduler": _scheduler,
}


def _read(name: str, check) -> dict:
    # A table a pending migration would create is not there yet: that check fails, the others
    # still answer (and the migrations check says why).
    try:
        return check()
    except DatabaseError:
        logger.exception("Health check %s could not read the database", name)
        return {"ok": False, "problem": "could not be read from the database"}
