"""Paid in QBO → Closed in Billbridge: how long it takes, with webhooks and without.

Run directly (`python bench/paid_sync.py [--count 500] [--cdc-interval 30]`) or through
`make bench` (the wrapper in test_paid_sync.py). Each run is set up as `make run` is: the
emulator (`python -m qbo_emulator --seed sample --webhook-url ...`), the web server
(`manage.py runserver --noreload`, which receives the webhooks), one `manage.py db_worker` and
`manage.py qbo_scheduler`, each its own process, sharing one fresh SQLite database, DEBUG off.

Before those start, a child process makes N finalized invoices (and a few more that stay
unpaid), connects the practice and exports them all to the emulator company. Then the bench pays
the N invoices in the emulator, as a QBO user would, at a steady pace through the control API,
noting when each payment was asked for, and polls the database for each invoice's "closed"
timeline entry: latency = closed at − paid at.

Runs:
  1. webhooks on: each payment's notification wakes a sync at once.
  2. every webhook dropped (the emulator's `drop` injection, for more deliveries than the run can
     make): only the change-data-capture poll, every CDC interval, closes the invoices.

QBO reads per closed invoice are the requests Billbridge made to the emulator while the payments
were being synced (its request log, cleared once the set-up's own sync is done).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.emulator_throughput import Emulator, free_port  # noqa: E402
from bench.export import prepare  # noqa: E402

PAYMENTS_PER_SECOND = 10
SWEEP_SECONDS = 2
WORKER_INTERVAL = "0.2"
WEBHOOK_TARGET_P95 = 5.0  # seconds (issue text)


def unpaid_count(count: int) -> int:
    """Invoices exported beside the paid ones and never paid: none may close."""
    return max(5, count // 50)


def prepare_exported(var_dir: str, emulator_base: str, realm: str, count: int) -> None:
    """Child process: the invoices, the connection, and every invoice exported (drained here,
    in-process, as bench/export.py does)."""
    prepare(var_dir, emulator_base, realm, count + unpaid_count(count))
    from billbridge.invoicing.models import Invoice, InvoiceStatus
    from billbridge.practice.models import Membership
    from billbridge.quickbooks import services
    from billbridge.quickbooks.export import drain
    from billbridge.quickbooks.models import FINISHED_STATES, ExportState, InvoiceExport

    member = Membership.objects.get(user__username="bench")
    ids = list(Invoice.objects.filter(status=InvoiceStatus.FINALIZED).values_list("pk", flat=True))
    services.request_export(member, ids)
    while InvoiceExport.objects.exclude(state__in=FINISHED_STATES).exists():
        if not drain(realm):
            time.sleep(0.2)
    exported = InvoiceExport.objects.filter(state=ExportState.EXPORTED).count()
    if exported != len(ids):
        raise RuntimeError(f"only {exported} of {len(ids)} invoices exported")


class Billbridge:
    """The web server, the task worker and the scheduler, as `make run` starts them."""

    def __init__(self, var_dir: str, emulator_base: str, port: int, cdc_interval: int):
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "TASKS_BACKEND", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            PYTHONPATH=str(ROOT),
            BILLBRIDGE_VAR_DIR=var_dir,
            QBO_EMULATOR_URL=emulator_base,
            DEBUG="false",
            QBO_SWEEP_SECONDS=str(SWEEP_SECONDS),
            QBO_CDC_INTERVAL_SECONDS=str(cdc_interval),
        )
        self.log = open(Path(var_dir) / "billbridge.log", "wb")  # noqa: SIM115
        manage = [sys.executable, "manage.py"]
        commands = [
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
            [*manage, "db_worker", "--interval", WORKER_INTERVAL],
            [*manage, "qbo_scheduler"],
        ]
        self.processes = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
            for command in commands
        ]
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.base + "/", timeout=0.5)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                    self.stop()
                    raise RuntimeError("Billbridge did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()


class Database:
    """Read-only look at the shared SQLite file: this process never sets Django up (under
    pytest, Django is already configured for the test database)."""

    def __init__(self, var_dir: str):
        path = Path(var_dir) / "billbridge.sqlite3"
        self.connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=20)

    def rows(self, sql: str, *params) -> list[tuple]:
        return self.connection.execute(sql, params).fetchall()

    def qbo_ids(self) -> dict[str, int]:
        """Our invoice id by the id of its QBO twin."""
        return dict(self.rows("select qbo_invoice_id, invoice_id from quickbooks_qboinvoicelink"))

    def closed_at(self) -> dict[int, datetime]:
        return {
            invoice: _utc(at)
            for invoice, at in self.rows(
                "select invoice_id, min(at) from invoicing_timelineevent "
                "where action = 'closed' group by invoice_id"
            )
        }

    def synced_since(self, moment: datetime) -> bool:
        ((polled,),) = self.rows("select last_cdc_poll_at from quickbooks_qboconnection")
        return polled is not None and _utc(polled) > moment

    def webhook_events(self) -> int:
        return self.rows("select count(*) from quickbooks_webhookevent")[0][0]

    def close(self) -> None:
        self.connection.close()


def _utc(text: str) -> datetime:
    """Django keeps UTC datetimes in SQLite as naive text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def run(count: int, cdc_interval: int, *, webhooks: bool) -> dict:
    os.environ["QBO_EMULATOR_REQUEST_LOG_SIZE"] = "200000"
    port = free_port()
    emulator = Emulator(
        "--seed", "sample", "--webhook-url", f"http://127.0.0.1:{port}/quickbooks/webhooks"
    )
    billbridge = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-paid-") as var_dir:
            child = multiprocessing.get_context("spawn").Process(
                target=prepare_exported, args=(var_dir, emulator.base, emulator.realm, count)
            )
            child.start()
            child.join()
            if child.exitcode:
                raise RuntimeError("preparing the exported invoices failed")
            # The export's own notifications found no receiver and wait for a retry (which
            # would hold back every later delivery): forget them, as if delivered before.
            emulator.control("DELETE", "/webhooks")
            started = datetime.now(UTC)
            billbridge = Billbridge(var_dir, emulator.base, port, cdc_interval)
            db = Database(var_dir)
            try:
                result = measure(emulator, db, count, cdc_interval, started, webhooks=webhooks)
            finally:
                db.close()
                billbridge.stop()
                billbridge = None
    finally:
        if billbridge is not None:
            billbridge.stop()
        emulator.stop()
    return result


def measure(emulator, db: Database, count: int, cdc_interval: int, started, *, webhooks) -> dict:
    # The first sync (no watermark yet: every linked invoice read by Id) comes with the first
    # sweep; payments start once it is done, and the reads counted are the payments' alone.
    _wait(lambda: db.synced_since(started), 60, "the first sync")
    time.sleep(1)  # the sweep's own reads, if the catch-up just finished
    emulator.control("DELETE", "/requests")
    if not webhooks:
        # More drops than deliveries the run can make (at most one per change).
        emulator.control("POST", "/webhooks/inject", json={"kind": "drop", "count": 10 * count})
    events_before = db.webhook_events()
    links = db.qbo_ids()
    qbo_ids = sorted(links, key=int)
    paid_ids, unpaid_ids = qbo_ids[:count], qbo_ids[count:]
    paid_at: dict[int, datetime] = {}
    with httpx.Client(base_url=f"{emulator.base}/_emulator/companies/{emulator.realm}") as qbo:
        begin = time.monotonic()
        for n, qbo_id in enumerate(paid_ids):
            time.sleep(max(0.0, begin + n / PAYMENTS_PER_SECOND - time.monotonic()))
            paid_at[links[qbo_id]] = datetime.now(UTC)
            qbo.post(f"/invoices/{qbo_id}/receive-payment").raise_for_status()
    # Every invoice closes within one interval, plus a sweep and the sync's own time.
    deadline = 2 * cdc_interval + 60
    _wait(lambda: set(paid_at) <= set(db.closed_at()), deadline, "every paid invoice closed")
    time.sleep(2 * SWEEP_SECONDS)  # anything closed late (wrongly) would show by now
    closed = db.closed_at()
    latencies = sorted((closed[i] - paid_at[i]).total_seconds() for i in paid_at if i in closed)
    log = emulator.control("GET", "/requests", params={"limit": 200000})["requests"]
    reads = sum(1 for entry in log if _is_read(entry))
    deliveries = emulator.control("GET", "/webhooks")
    return {
        "webhooks": webhooks,
        "count": count,
        "cdc_interval": cdc_interval,
        "paid": len(paid_at),
        "closed_paid": sum(1 for i in paid_at if i in closed),
        "unpaid": len(unpaid_ids),
        "closed_unpaid": sum(1 for q in unpaid_ids if links[q] in closed),
        "p50": _percentile(latencies, 50),
        "p95": _percentile(latencies, 95),
        "max": latencies[-1] if latencies else None,
        "requests": len(log),
        "reads": reads,
        "cdc_calls": sum(1 for entry in log if entry["path"].endswith("/cdc")),
        "reads_per_closed": reads / max(len(latencies), 1),
        "webhook_events_stored": db.webhook_events() - events_before,
        "webhook_drops_left": deliveries["injections"]["drop"],
        "webhook_attempts": len(deliveries["log"]),
        "webhook_failures": sorted(
            {
                entry["error"] or str(entry["status"])
                for entry in deliveries["log"]
                if not entry["ok"]
            }
        ),
        "webhook_retries": sum(1 for entry in deliveries["log"] if entry["attempt"] > 1),
    }


def _is_read(entry: dict) -> bool:
    path = entry["path"]
    return entry["method"] == "GET" or path.endswith("/query") or path.endswith("/cdc")


def _percentile(values: list[float], p: int) -> float | None:
    """Nearest-rank percentile: a latency some payment actually had."""
    if not values:
        return None
    rank = max(1, -(-p * len(values) // 100))
    return values[rank - 1]


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)


def report(count: int = 500, dropped_count: int = 100, cdc_interval: int = 30) -> dict:
    summary = {
        "webhooks": run(count, cdc_interval, webhooks=True),
        "dropped": run(dropped_count, cdc_interval, webhooks=False),
    }
    print_summary(summary)
    return summary


def print_summary(s: dict) -> None:
    print()
    print(
        "| run | payments | closed | p50 s | p95 s | max s | QBO reads | CDC calls "
        "| reads per closed invoice |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, r in (("webhooks on", s["webhooks"]), ("every webhook dropped", s["dropped"])):
        print(
            f"| {name} | {r['paid']} | {r['closed_paid']} | {r['p50']:.2f} | {r['p95']:.2f} | "
            f"{r['max']:.2f} | {r['reads']} | {r['cdc_calls']} | {r['reads_per_closed']:.3f} |"
        )
    w, d = s["webhooks"], s["dropped"]
    print()
    print(
        f"Webhooks on: p95 {w['p95']:.2f} s (target <= {WEBHOOK_TARGET_P95:.0f} s), "
        f"{w['webhook_events_stored']} events stored. Every webhook dropped: max {d['max']:.2f} s "
        f"against a CDC interval of {d['cdc_interval']} s, {d['webhook_events_stored']} events "
        f"stored. Unpaid invoices closed: {w['closed_unpaid']} of {w['unpaid']}, "
        f"{d['closed_unpaid']} of {d['unpaid']}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="payments with webhooks on")
    parser.add_argument(
        "--dropped-count", type=int, default=100, help="payments with every webhook dropped"
    )
    parser.add_argument("--cdc-interval", type=int, default=30, help="QBO_CDC_INTERVAL_SECONDS")
    parser.add_argument("--only", choices=["webhooks", "dropped"], help="one run")
    args = parser.parse_args()
    if args.only:
        webhooks = args.only == "webhooks"
        count = args.count if webhooks else args.dropped_count
        print(json.dumps(run(count, args.cdc_interval, webhooks=webhooks), indent=2))
    else:
        report(args.count, args.dropped_count, args.cdc_interval)


if __name__ == "__main__":
    main()
