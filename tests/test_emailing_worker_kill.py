"""A worker killed while it sends (issue 11): a real `manage.py worker` process on the test's
PostgreSQL database sends to an SMTP server that has the message and holds its answer; the
test SIGKILLs the worker there. The row cannot know whether the mail went: the sweep says
"unknown, check", nothing sends it again by itself, and the server holds one message."""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from billbridge.core import testing
from billbridge.documents import delivery, emailing
from billbridge.documents.models import InvoiceSend, SendState
from billbridge.invoicing.models import InvoiceStatus

ROOT = Path(__file__).resolve().parents[1]


def start_worker(smtp) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": testing.worker_database_url(),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": str(django_settings.EMAIL_TIMEOUT),
    }
    # No reloader: it would be the process killed, and its child would work on.
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "worker", "--interval", "0.1", "--no-reload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the worker shares the test's database: PostgreSQL (CI's second run)",
)
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_leaves_unknown_and_at_most_one_mail(
    smtp_holding, settings, practice, admin_member
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = testing.make_client(practice, "Harbor Books", email="ap@harbor.example")
    testing.assign(admin_member, client)
    invoice = testing.make_invoice(admin_member, client, InvoiceStatus.FINALIZED)
    row = emailing.request_send(admin_member, invoice.pk)  # committed: the task is queued

    worker = start_worker(smtp_holding)
    try:
        testing.wait_for(
            lambda: len(smtp_holding.mailbox) == 1, 60, "the server to have the message"
        )
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    smtp_holding.release()  # too late: nobody is listening for the answer
    row.refresh_from_db()
    assert row.state == SendState.SENDING and row.attempts == 1

    assert emailing.sweep()["sends_unknown"] == 0  # a live worker could still be talking
    stale = timedelta(seconds=emailing.SENDING_STALE_TIMEOUTS * settings.EMAIL_TIMEOUT + 1)
    assert emailing.sweep(timezone.now() + stale)["sends_unknown"] == 1
    row.refresh_from_db()
    assert row.state == SendState.UNKNOWN and row.sent_at is None
    assert row.error.endswith(delivery.UNKNOWN_ADVICE)

    # A doubled or late wake-up finds nothing to claim: the row is never re-sent by itself.
    assert delivery.send(row.pk) == "not claimed"
    assert len(smtp_holding.mailbox) == 1
    assert InvoiceSend.objects.count() == 1
    # The test database is dropped at the end: let the server see the worker gone first.
    testing.wait_for(lambda: not testing.worker_sessions(), 10, "the worker's session to end")
