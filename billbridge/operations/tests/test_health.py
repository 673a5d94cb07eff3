"""/healthz as a load balancer reads it: 200 when the site can serve and its background work
moves, 503 naming the failing check otherwise; public, so it shows nothing but ok and numbers."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from billbridge.core import beats, testing
from billbridge.core.models import Beat

ROOT = Path(__file__).resolve().parents[3]
ALL_OK = {
    "database": {"ok": True},
    "migrations": {"ok": True, "unapplied": 0},
}


@pytest.fixture
def scheduler_ticked(db):
    beats.beat(beats.SCHEDULER)


def healthz(method="get"):
    response = getattr(Client(), method)("/healthz")
    return response.status_code, (json.loads(response.content) if response.content else None)


def waiting_task(enqueued_ago: timedelta, run_after=None) -> DBTaskResult:
    """A task row no worker has claimed, enqueued `enqueued_ago`."""
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="billbridge.quickbooks.tasks.sweep",
        backend_name="default",
        run_after=run_after or get_date_max(),
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - enqueued_ago)
    return task


def test_a_migrated_site_with_a_fresh_tick_and_no_queue_is_healthy(scheduler_ticked, settings):
    status, body = healthz()
    assert status == 200
    assert body["status"] == "ok"
    checks = body["checks"]
    assert {k: checks[k] for k in ALL_OK} == ALL_OK
    assert checks["task_queue"] == {
        "ok": True,
        "lag_seconds": 0.0,
        "max_lag_seconds": settings.HEALTH_MAX_QUEUE_LAG_SECONDS,
    }
    scheduler = checks["scheduler"]
    assert scheduler["ok"] is True
    assert 0 <= scheduler["last_tick_seconds_ago"] < scheduler["max_seconds"]
    assert scheduler["max_seconds"] == (
        settings.HEALTH_SCHEDULER_MISSED_TICKS * settings.QBO_SWEEP_SECONDS
    )
    assert set(body) == {"status", "checks"}


def test_head_answers_the_same_status_without_a_body(scheduler_ticked):
    assert healthz("head") == (200, None)


def test_nothing_but_get_and_head(scheduler_ticked):
    for method in ("post", "put", "patch", "delete"):
        assert getattr(Client(), method)("/healthz").status_code == 405


def test_a_scheduler_that_never_ran_fails_the_check(db):
    status, body = healthz()
    assert status == 503
    assert body["status"] == "failing"
    assert body["checks"]["scheduler"] == {"ok": False, "problem": "the scheduler has not run"}
    assert [name for name, check in body["checks"].items() if not check["ok"]] == ["scheduler"]


def test_a_tick_older_than_the_missed_ticks_allow_fails_the_check(scheduler_ticked, settings):
    settings.QBO_SWEEP_SECONDS, settings.HEALTH_SCHEDULER_MISSED_TICKS = 60, 3
    Beat.objects.update(at=timezone.now() - timedelta(seconds=3 * 60 + 30))
    status, body = healthz()
    assert status == 503
    scheduler = body["checks"]["scheduler"]
    assert scheduler["ok"] is False
    assert scheduler["max_seconds"] == 180
    assert scheduler["last_tick_seconds_ago"] >= 210

    # Two missed ticks are within what is allowed.
    Beat.objects.update(at=timezone.now() - timedelta(seconds=2 * 60))
    assert healthz()[0] == 200


def test_a_task_waiting_longer_than_allowed_fails_the_queue_check(scheduler_ticked, settings):
    settings.HEALTH_MAX_QUEUE_LAG_SECONDS = 300
    waiting_task(timedelta(seconds=30))
    assert healthz()[0] == 200
    waiting_task(timedelta(seconds=400))
    status, body = healthz()
    assert status == 503
    queue = body["checks"]["task_queue"]
    assert queue["ok"] is False
    assert queue["lag_seconds"] >= 400
    assert [name for name, check in body["checks"].items() if not check["ok"]] == ["task_queue"]


def test_a_deferred_task_waits_from_its_run_after_and_a_future_one_not_at_all(
    scheduler_ticked, settings
):
    settings.HEALTH_MAX_QUEUE_LAG_SECONDS = 300
    now = timezone.now()
    # Enqueued long ago, but only due in an hour: nobody is late.
    waiting_task(timedelta(days=1), run_after=now + timedelta(hours=1))
    assert healthz()[1]["checks"]["task_queue"]["lag_seconds"] == 0.0
    # Enqueued long ago, due ten minutes ago: late by ten minutes, not by a day.
    waiting_task(timedelta(days=1), run_after=now - timedelta(minutes=10))
    lag = healthz()[1]["checks"]["task_queue"]["lag_seconds"]
    assert 600 <= lag < 3600


def test_a_claimed_or_finished_task_is_no_lag(scheduler_ticked):
    for status in ("RUNNING", "SUCCESSFUL", "FAILED"):
        task = waiting_task(timedelta(hours=1))
        DBTaskResult.objects.filter(pk=task.pk).update(status=status)
    assert healthz()[1]["checks"]["task_queue"]["lag_seconds"] == 0.0


# -- as production runs it: fresh processes -------------------------------------------------------

PROBE = """
import json
from django.test import Client
probe = Client(HTTP_HOST="billing.example.test")
answers = {path: probe.get(path) for path in ("/healthz", "/metrics")}
print(json.dumps({
    path: {"status": a.status_code, "body": a.content.decode(), "location": a.get("Location")}
    for path, a in answers.items()
}))
"""


def probe(env: dict) -> dict:
    done = testing.manage_py(env, "shell", "-c", PROBE)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_in_production_a_plain_http_probe_is_answered_not_redirected(production):
    # A database never migrated: the check says so, and what needs its tables cannot be read.
    answers = probe(production | {"METRICS_TOKEN": "metrics-secret"})
    assert answers["/metrics"]["status"] == 301  # everything else still goes to https
    assert answers["/metrics"]["location"] == "https://billing.example.test/metrics"
    health = answers["/healthz"]
    assert health["status"] == 503
    checks = json.loads(health["body"])["checks"]
    assert checks["database"] == {"ok": True}
    assert checks["migrations"]["ok"] is False
    assert checks["migrations"]["unapplied"] > 10
    assert checks["task_queue"] == {"ok": False, "problem": "could not be read from the database"}
    assert checks["scheduler"] == {"ok": False, "problem": "could not be read from the database"}


def test_an_unreachable_database_is_a_503_that_does_not_say_where_it_is(production):
    # Nothing listens on port 9 of loopback.
    production["DATABASE_URL"] = "postgres://bb_secret_user@127.0.0.1:9/bb_health_private"
    health = probe(production)["/healthz"]
    assert health["status"] == 503
    assert json.loads(health["body"]) == {
        "status": "failing",
        "checks": {
            "database": {"ok": False, "problem": "the database cannot be reached"},
            **{
                name: {"ok": False, "problem": "not checked: the database cannot be reached"}
                for name in ("migrations", "task_queue", "scheduler")
            },
        },
    }
    assert "bb_secret_user" not in health["body"] and "bb_health_private" not in health["body"]
