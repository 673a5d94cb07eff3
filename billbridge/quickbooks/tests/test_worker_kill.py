"""A worker killed while it holds a lease (RELIABILITY.md §6): real `manage.py db_worker`
processes on the test's PostgreSQL database and the emulator over loopback. The rows come back
when the lease ends, every invoice reaches QBO once, and the queue does not fill with wake-ups
while the dead lease runs out."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from billbridge.core import task_queue, testing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import services, tasks
from billbridge.quickbooks.models import ExportState, InvoiceExport
from billbridge.quickbooks.testing import connect_practice
from billbridge.quickbooks.tests.test_follow_ups import drains

ROOT = Path(__file__).resolve().parents[3]
LEASE_SECONDS = 6


def start_worker(emulator) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": testing.worker_database_url(),
        "QBO_EMULATOR_URL": emulator.base_url,
        "QBO_LEASE_SECONDS": str(LEASE_SECONDS),
        "QBO_EXPORT_THREADS": "1",
        "QBO_BATCH_SIZE": "5",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    # No reloader: it would be the process killed, and its child would work on.
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "db_worker", "--interval", "0.1", "--no-reload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the workers share the test's database: PostgreSQL (CI's second run); on SQLite, "
    "bench/export_faults.py runs the same on a WAL file",
)
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_lets_its_rows_go_within_a_lease_without_a_storm_of_wake_ups(
    qbo_settings, emulator, qbo_company, control, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    practice = testing.make_practice()
    member = testing.make_admin(practice)
    realm = connect_practice(practice, emulator, qbo_company).realm_id
    invoices = []
    for n in range(10):
        client = testing.make_client(practice, f"Killed worker client {n}")
        testing.assign(member, client)
        invoices.append(testing.make_invoice(member, client, InvoiceStatus.FINALIZED))
    control.patch("/options", json={"latency_ms": 4000}).raise_for_status()  # it hangs in QBO
    services.request_export(member, [i.pk for i in invoices])  # enqueues the drain

    first = start_worker(emulator)
    try:
        testing.wait_for(
            lambda: InvoiceExport.objects.exclude(leased_by="").exists(), 60, "a claim"
        )
        time.sleep(0.5)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    control.patch("/options", json={"latency_ms": 0}).raise_for_status()
    held = InvoiceExport.objects.exclude(lease_until=None).count()
    assert held > 0  # the dead worker's lease still holds rows
    before = drains().count()

    second = start_worker(emulator)
    try:
        task_queue.enqueue_once(tasks.drain_exports, realm)  # the sweep's or a user's wake-up
        testing.wait_for(
            lambda: not InvoiceExport.objects.exclude(state=ExportState.EXPORTED).exists(),
            LEASE_SECONDS * 6,
            "every invoice exported",
        )
    finally:
        stop(second)
        # The test database is dropped at the end: let the server see the workers gone first.
        testing.wait_for(lambda: not testing.worker_sessions(), 10, "the workers' sessions to end")

    # One wake-up that finds the rows leased, one at the lease's end, and what the drains that
    # then export leave behind; the hot loop this replaced made thousands.
    woken = drains().count() - before
    print(f"rows held by the dead worker: {held}; drain tasks after the kill: {woken}")
    assert woken <= 5
    company = emulator.emulator.company(qbo_company)
    notes = [i.get("PrivateNote", "") for i in company.list("Invoice")]
    for invoice in invoices:
        assert sum(f"[bb:{practice.pk}:{invoice.pk}]" in note for note in notes) == 1
