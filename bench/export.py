"""Bulk export to QBO: Billbridge's exporter against a plain sequential one, same emulator.

Run directly (`python bench/export.py [--count 1000]`) or through `make bench` (the wrapper in
test_export.py). Each run gets a fresh emulator (`python -m qbo_emulator`, its own process) and a
fresh embedded database (SQLite, WAL, as `make run` uses) holding N finalized invoices for N
clients QBO does not know yet. The export itself runs in a child process started after the
invoices exist, so that its peak RSS is the worker's alone.

Runs:
  (a) QBO's throttles on (500 requests and 40 batch requests a minute per company) and 150 ms
      added to every request: Billbridge's exporter, then the baseline.
  (b) throttles off, no latency: Billbridge's exporter at N/4 and at N, for speed and for memory
      growth. The limiter's budget is raised to match the unthrottled company.

The baseline does what a plain integration does, one invoice at a time: query the customer by
name, create it, create the invoice (with the same bodies and the same request budget, so that
it is never refused with 429).

The floor that the throttles allow (a): the exporter needs B batch requests; with a sliding
minute of 40, the last can start no earlier than ((B - 1) // 40) minutes in, and ends one
latency later.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.emulator_throughput import Emulator  # noqa: E402

LATENCY_MS = 150
BATCH_PER_MINUTE = 40


class Grant:
    """What connect_practice needs of a RunningEmulator: tokens for a company."""

    def __init__(self, base: str):
        self.base = base

    def connect(self, realm_id: str) -> dict:
        response = httpx.post(f"{self.base}/_emulator/tokens", json={"realm_id": realm_id})
        response.raise_for_status()
        return response.json()


def _django(var_dir: str, emulator_base: str, *, unthrottled: bool) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="billbridge.settings",
        BILLBRIDGE_VAR_DIR=var_dir,
        QBO_EMULATOR_URL=emulator_base,
        TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend",
        DEBUG="false",  # as deployed: DEBUG keeps every query in memory
    )
    if unthrottled:
        os.environ.update(
            QBO_REQUESTS_PER_MINUTE="1000000",
            QBO_REQUESTS_PER_SECOND="1000000",
            QBO_BATCH_REQUESTS_PER_MINUTE="1000000",
        )
    import django

    django.setup()


def prepare(var_dir: str, emulator_base: str, realm: str, count: int) -> None:
    """Child process: a fresh database with `count` finalized invoices, connected to `realm`."""
    _django(var_dir, emulator_base, unthrottled=True)
    from django.core.management import call_command

    from billbridge.core import testing
    from billbridge.invoicing import services as invoicing
    from billbridge.invoicing.models import InvoiceStatus
    from billbridge.quickbooks.testing import connect_practice

    call_command("migrate", verbosity=0)
    practice = testing.make_practice("Bench practice")
    member = testing.make_admin(practice, "bench")
    invoicing.update_tax_settings(
        member, primary_name="Sales tax", primary_rate=Decimal("8"), primary_enabled=True
    )
    for n in range(count):
        client = testing.make_client(practice, f"Bench client {n:05d}")
        testing.assign(member, client)
        testing.make_invoice(member, client, InvoiceStatus.FINALIZED)
    connect_practice(practice, Grant(emulator_base), realm)


def export(var_dir: str, emulator_base: str, realm: str, mode: str, unthrottled: bool, out):
    """Child process: export every finalized invoice; report wall time and peak RSS."""
    _django(var_dir, emulator_base, unthrottled=unthrottled)
    from billbridge.invoicing.models import Invoice, InvoiceStatus
    from billbridge.practice.models import Membership
    from billbridge.quickbooks import services
    from billbridge.quickbooks.export import drain
    from billbridge.quickbooks.models import FINISHED_STATES, ExportState, InvoiceExport

    member = Membership.objects.get(user__username="bench")
    ids = list(Invoice.objects.filter(status=InvoiceStatus.FINALIZED).values_list("pk", flat=True))
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if mode == "billbridge":
        profile = None
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        services.request_export(member, ids)
        rss_start = _reset_peak_rss()
        while InvoiceExport.objects.exclude(state__in=FINISHED_STATES).exists():
            if not drain(realm):
                time.sleep(0.2)  # rows waiting for a back-off
        exported = InvoiceExport.objects.filter(state=ExportState.EXPORTED).count()
        if profile:
            profile.disable()
            profile.dump_stats(os.environ["BENCH_PROFILE"])
    else:
        rss_start = _reset_peak_rss()
        exported = sequential_export(realm, ids)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.send(
        {
            "wall": wall,
            "worker_cpu": usage.ru_utime
            + usage.ru_stime
            - usage_before.ru_utime
            - usage_before.ru_stime,
            "exported": exported,
            "rss_mb_before": rss_start,
            "rss_mb_peak": _status_mb("VmHWM"),
        }
    )


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak_rss() -> float:
    """Start the worker's peak-memory count afresh (Linux: 5 → clear_refs resets VmHWM), so
    that the peak measured is the exporting's, not the set-up's; returns the RSS now, in MB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def sequential_export(realm: str, ids: list[int]) -> int:
    """The baseline: one invoice at a time, query the customer, create it, create the invoice."""
    import uuid

    from billbridge.invoicing.models import Invoice
    from billbridge.quickbooks import payloads
    from billbridge.quickbooks.client import quote
    from billbridge.quickbooks.connection import client_for, company_of
    from billbridge.quickbooks.models import QboConnection

    connection = QboConnection.objects.get(realm_id=realm)
    company = company_of(connection)
    exported = 0
    with client_for(connection) as qbo:
        for invoice in (
            Invoice.objects.filter(pk__in=ids).select_related("client").prefetch_related("lines")
        ):
            found = qbo.query(
                f"select * from Customer where DisplayName = {quote(invoice.client.name)}"  # noqa: S608
            )
            customer = (
                found[0]
                if found
                else qbo.create(
                    "Customer",
                    payloads.customer_body(payloads.ClientData.of(invoice.client)),
                    request_id=uuid.uuid4().hex,
                )
            )
            plan = payloads.plan_invoice(
                payloads.InvoiceData.of(invoice),
                company,
                customer_id=customer["Id"],
                items_by_service={},
                default_item=(connection.default_item_id, connection.default_item_name),
                ast_handling=connection.ast_tax_handling,
            )
            qbo.create("Invoice", plan.body, request_id=uuid.uuid4().hex)
            exported += 1
    return exported


def run(count: int, mode: str, *, throttled: bool) -> dict:
    flags = ["--seed", "sample"]
    if throttled:
        flags += ["--throttle", "--latency-ms", str(LATENCY_MS)]
    os.environ["QBO_EMULATOR_REQUEST_LOG_SIZE"] = "200000"
    emulator = Emulator(*flags)
    context = multiprocessing.get_context("spawn")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-export-") as var_dir:
            child = context.Process(
                target=prepare, args=(var_dir, emulator.base, emulator.realm, count)
            )
            child.start()
            child.join()
            if child.exitcode:
                raise RuntimeError("preparing the invoices failed")
            emulator.control("DELETE", "/requests")
            emulator_cpu_before = emulator.cpu_seconds()
            receiving, sending = context.Pipe(duplex=False)
            child = context.Process(
                target=export,
                args=(var_dir, emulator.base, emulator.realm, mode, not throttled, sending),
            )
            child.start()
            result = receiving.recv()
            child.join()
            result["emulator_cpu"] = emulator.cpu_seconds() - emulator_cpu_before
            log = emulator.control("GET", "/requests", params={"limit": 200000})["requests"]
    finally:
        emulator.stop()
    batches = sum(1 for entry in log if entry["path"].endswith("/batch"))
    result.update(
        count=count,
        mode=mode,
        throttled=throttled,
        requests=len(log),
        batches=batches,
        refused_429=sum(1 for entry in log if entry["status"] == 429),
        requests_per_invoice=len(log) / count,
        invoices_per_second=result["exported"] / result["wall"],
    )
    return result


def throttle_floor(batches: int) -> float:
    return ((batches - 1) // BATCH_PER_MINUTE) * 60 + LATENCY_MS / 1000


def report(count: int = 1000) -> dict:
    a = run(count, "billbridge", throttled=True)
    a["floor"] = throttle_floor(a["batches"])
    a["floor_ratio"] = a["wall"] / a["floor"]
    baseline = run(count, "sequential", throttled=True)
    b_small = run(count // 4, "billbridge", throttled=False)
    b = run(count, "billbridge", throttled=False)
    summary = {
        "a": a,
        "baseline": baseline,
        "speedup_over_baseline": baseline["wall"] / a["wall"],
        "b_small": b_small,
        "b": b,
        "memory_growth": (b["rss_mb_peak"] - b["rss_mb_before"])
        / max(b_small["rss_mb_peak"] - b_small["rss_mb_before"], 0.001),
    }
    print_summary(summary)
    return summary


def print_summary(s: dict) -> None:
    rows = [("(a) Billbridge, throttled", s["a"]), ("(a) baseline, throttled", s["baseline"])]
    rows += [(f"(b) Billbridge, {s['b_small']['count']}", s["b_small"])]
    rows += [(f"(b) Billbridge, {s['b']['count']}", s["b"])]
    print()
    print(
        "| run | invoices | wall s | invoices/s | requests/invoice | batches | 429s | peak RSS MB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, r in rows:
        print(
            f"| {name} | {r['exported']} | {r['wall']:.1f} | {r['invoices_per_second']:.1f} | "
            f"{r['requests_per_invoice']:.3f} | {r['batches']} | {r['refused_429']} | "
            f"{r['rss_mb_peak']:.0f} |"
        )
    print()
    print(
        f"(a) floor the throttles allow: {s['a']['floor']:.1f} s; Billbridge took "
        f"{s['a']['floor_ratio']:.2f}x the floor and was {s['speedup_over_baseline']:.1f}x "
        "faster than the baseline."
    )
    print(
        f"(b) {s['b']['invoices_per_second']:.0f} invoices/s; the worker's peak memory above its "
        "size when the export began: "
        f"{s['b_small']['rss_mb_peak'] - s['b_small']['rss_mb_before']:.1f} MB for "
        f"{s['b_small']['count']} invoices, {s['b']['rss_mb_peak'] - s['b']['rss_mb_before']:.1f}"
        f" MB for {s['b']['count']}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument(
        "--only", choices=["a", "baseline", "b"], help="one run (the others are skipped)"
    )
    args = parser.parse_args()
    if args.only:
        throttled = args.only != "b"
        mode = "sequential" if args.only == "baseline" else "billbridge"
        print(json.dumps(run(args.count, mode, throttled=throttled), indent=2))
    else:
        report(args.count)


if __name__ == "__main__":
    main()
