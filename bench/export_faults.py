"""Fault runs of the bulk export, as a user meets them: every invoice in QBO exactly once?

Each run is a fresh emulator (`python -m qbo_emulator`, its own process, 300 ms added to every
data call), a fresh embedded database (SQLite, WAL, as `make run` uses) holding 200 finalized
invoices for 20 clients QBO does not know yet, Billbridge's web server (`manage.py runserver`)
and one task worker (`manage.py db_worker`, two drain threads). The export is asked for as the
Billing list does, `POST /api/v1/invoices/export` with every invoice, and the run waits until
every export row is finished (or its time is up). Then it counts, in the emulator: invoices
exported once, failed, needing review, QBO invoices carrying the same invoice's marker more
than once (duplicates), customers created more than once, and false 6240 clashes; in the task
table: the drain wake-ups the run made.

Runs: `clean` (latency only: the first export to a new company), `dropped` (answers to batch
requests lost after QBO committed them), `5xx` (503 on batch requests), `429` (QBO's throttle
answer on queries and batches), `no-requestid` (answers lost and QBO ignoring requestid),
`kill` (the worker SIGKILLed while it holds a lease, another started after it).

`--code DIR` measures another checkout (for example the commit before a fix, from
`git worktree add`) with this script and this checkout's virtualenv.

    .venv/bin/python bench/export_faults.py [--runs clean,kill] [--invoices 200] [--clients 20]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.emulator_throughput import Emulator, free_port  # noqa: E402

LATENCY_MS = 300
FINISHED = ("exported", "failed", "review", "confirm")
FAULTS = {
    "clean": [],
    "dropped": [{"kind": "drop", "method": "POST", "path": "/v3/company/*/batch", "count": 3}],
    "5xx": [{"method": "POST", "path": "/v3/company/*/batch", "status": 503, "count": 3}],
    "429": [
        {"method": "POST", "path": "/v3/company/*/query", "status": 429, "count": 3},
        {"method": "POST", "path": "/v3/company/*/batch", "status": 429, "count": 2},
    ],
    "no-requestid": [{"kind": "drop", "method": "POST", "path": "/v3/company/*/batch", "count": 3}],
    "kill": [],
}


def prepare(code: Path, env: dict, realm: str, emulator_base: str, invoices: int, clients: int):
    """A fresh database: a practice connected to `realm`, its invoices, an API token."""
    script = f"""
import django, sys
sys.path.insert(0, {str(code)!r})
django.setup()
from decimal import Decimal
import httpx
from django.core.management import call_command
from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.api.tokens import issue_token
from billbridge.quickbooks.testing import connect_practice

class Grant:
    def connect(self, realm_id):
        r = httpx.post({emulator_base!r} + "/_emulator/tokens", json={{"realm_id": realm_id}})
        r.raise_for_status()
        return r.json()

call_command("migrate", verbosity=0)
practice = testing.make_practice("Fault practice")
member = testing.make_admin(practice, "bench")
invoicing.update_tax_settings(
    member, primary_name="Sales tax", primary_rate=Decimal("8"), primary_enabled=True
)
clients = [testing.make_client(practice, f"Fault client {{n:03d}}") for n in range({clients})]
for client in clients:
    testing.assign(member, client)
for n in range({invoices}):
    testing.make_invoice(member, clients[n % len(clients)], InvoiceStatus.FINALIZED)
connect_practice(practice, Grant(), {realm!r})
print(issue_token(member.user, "bench")[1])
"""
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=code, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"preparing failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def start(code: Path, env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(code / "manage.py"), *args],
        env=env,
        cwd=code,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def states(database: Path) -> dict[str, int]:
    with sqlite3.connect(database, timeout=30) as db:
        return dict(
            db.execute("select state, count(*) from quickbooks_invoiceexport group by state")
        )


def drain_tasks(database: Path) -> int:
    with sqlite3.connect(database, timeout=30) as db:
        (count,) = db.execute(
            "select count(*) from django_tasks_database_dbtaskresult "
            "where task_path like '%drain_exports'"
        ).fetchone()
    return count


def one_run(code: Path, kind: str, invoices: int, clients: int, seconds: float) -> dict:
    emulator = Emulator("--seed", "sample")
    server = worker = None
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as var_dir:
        try:
            env = os.environ | {
                "DJANGO_SETTINGS_MODULE": "billbridge.settings",
                "BILLBRIDGE_VAR_DIR": var_dir,
                "QBO_EMULATOR_URL": emulator.base,
                "QBO_LOOKUP_DELAY_SECONDS": "2",
                "QBO_LEASE_SECONDS": "20",
                "DEBUG": "false",
                "PYTHONPATH": str(code),
            }
            env.pop("DATABASE_URL", None)
            database = Path(var_dir) / "billbridge.sqlite3"
            print(f"{kind}: preparing {invoices} invoices", file=sys.stderr)
            token = prepare(code, env, emulator.realm, emulator.base, invoices, clients)
            emulator.control("PATCH", "/options", json={"latency_ms": LATENCY_MS})
            if kind == "no-requestid":
                emulator.control("PATCH", "/options", json={"honour_request_id": False})
            for fault in FAULTS[kind]:
                emulator.control("POST", "/faults", json=fault)
            emulator.control("DELETE", "/requests")
            port = free_port()
            server = start(code, env, "runserver", f"127.0.0.1:{port}", "--noreload")
            worker = start(code, env, "db_worker", "--interval", "0.2", "--no-reload")
            api = httpx.Client(
                base_url=f"http://127.0.0.1:{port}/api/v1",
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            _wait_for_server(api)
            print(f"{kind}: exporting", file=sys.stderr)
            ids = [row["id"] for row in _all_invoices(api)]
            started = time.monotonic()
            api.post("/invoices/export", json={"invoices": ids}).raise_for_status()
            killed_at = tasks_at_kill = None
            deadline = started + seconds
            while time.monotonic() < deadline:
                counts = states(database)
                if sum(counts.get(s, 0) for s in FINISHED) == invoices:
                    break
                if kind == "kill" and killed_at is None and counts.get("exported", 0) >= 30:
                    worker.send_signal(signal.SIGKILL)
                    worker.wait()
                    killed_at, tasks_at_kill = time.monotonic(), drain_tasks(database)
                    worker = start(code, env, "db_worker", "--interval", "0.2", "--no-reload")
                    # What the sweep's clock does each minute, sooner: wake the company.
                    _sweep(code, env)
                time.sleep(0.25)
            wall = time.monotonic() - started
            counts = states(database)
            tasks = drain_tasks(database)
            company = emulator.control("GET", f"/companies/{emulator.realm}/Invoice")
            customers = emulator.control("GET", f"/companies/{emulator.realm}/Customer")
        finally:
            for process in (worker, server):
                if process:
                    stop(process)
            emulator.stop()
    return _figures(kind, invoices, counts, company, customers, wall, tasks, killed_at,
                    tasks_at_kill, started)  # fmt: skip


def _figures(kind, invoices, counts, company, customers, wall, tasks, killed_at, at_kill, t0):
    markers: dict[str, int] = {}
    for invoice in company["objects"]:
        note = invoice.get("PrivateNote", "")
        if "[bb:" in note:
            mark = note[note.index("[bb:") :].split("]")[0]
            markers[mark] = markers.get(mark, 0) + 1
    names: dict[str, int] = {}
    for customer in customers["objects"]:
        names[customer["DisplayName"]] = names.get(customer["DisplayName"], 0) + 1
    figures = {
        "run": kind,
        "invoices": invoices,
        "exported_once": sum(1 for n in markers.values() if n == 1),
        "duplicated": sum(1 for n in markers.values() if n > 1),
        "rows": counts,
        "failed": counts.get("failed", 0),
        "needs_review": counts.get("review", 0),
        "unfinished": invoices - sum(counts.get(s, 0) for s in FINISHED),
        "customers_created_twice": sum(1 for n in names.values() if n > 1),
        "wall_s": round(wall, 1),
        "drain_tasks": tasks,
    }
    if killed_at is not None:
        figures["drain_tasks_after_kill"] = tasks - at_kill
        figures["kill_at_s"] = round(killed_at - t0, 1)
    return figures


def _wait_for_server(api: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            api.get("/invoices", params={"page_size": 1})
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("the web server did not start")


def _all_invoices(api: httpx.Client) -> list[dict]:
    found, page = [], 1
    while True:
        answer = api.get("/invoices", params={"page": page, "page_size": 100})
        found += answer.raise_for_status().json()["items"]
        if len(found) >= answer.json()["count"]:
            return found
        page += 1


def _sweep(code: Path, env: dict) -> None:
    script = "import django; django.setup(); from billbridge.quickbooks import tasks; " \
        "tasks.sweep.enqueue()"  # fmt: skip
    subprocess.run([sys.executable, "-c", script], env=env, cwd=code, check=True,
                   capture_output=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", default=",".join(FAULTS), help="comma-separated: " + ", ".join(FAULTS)
    )
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=300, help="time allowed per run")
    parser.add_argument("--code", type=Path, default=ROOT, help="the Billbridge checkout to run")
    args = parser.parse_args()
    results = []
    for kind in args.runs.split(","):
        if kind not in FAULTS:
            parser.error(f"unknown run {kind!r}")
        figures = one_run(args.code.resolve(), kind, args.invoices, args.clients, args.seconds)
        print(json.dumps(figures), file=sys.stderr)
        results.append(figures)
    print("| run | exported once | duplicated | failed | needs review | unfinished | customers "
          "twice | wall s | drain tasks |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        tasks = str(r["drain_tasks"])
        if "drain_tasks_after_kill" in r:
            tasks += f" ({r['drain_tasks_after_kill']} after the kill)"
        print(f"| {r['run']} | {r['exported_once']} | {r['duplicated']} | {r['failed']} | "
              f"{r['needs_review']} | {r['unfinished']} | {r['customers_created_twice']} | "
              f"{r['wall_s']} | {tasks} |")  # fmt: skip
    print(json.dumps({"runs": results}))


if __name__ == "__main__":
    main()
