"""How the QBO emulator holds up as a company grows: 1,000 invoices against 100,000.

Run directly (`python bench/emulator_scale.py [--sizes 1000,100000]`) or through
`make bench` (the wrapper in test_emulator_scale.py). For each size:

1. A company of that many invoices (50 customers, dates over four weeks) is made in-process
   through Company.create, the code path of the API without HTTP: 100,000 creates over HTTP
   would take the bench's whole budget. It is written as a state file (Runtime.save, as the
   server saves: time and size), written again after 100 invoices changed (a periodic save:
   only those are encoded again) and read back (Runtime.load, as the server loads at start).
2. `python -m qbo_emulator --state FILE` serves it in its own process, saving every 5 s when
   something changed (the default). 100 invoices are edited so that CDC has something to tell,
   then the state is saved through the control API and timed: the first save after a load
   encodes every object, the periodic saves after it only what changed.
3. wrk (as bench/emulator_throughput.py drives it) measures requests per second and per second
   of server CPU: an invoice read by Id, a query page anywhere in the table, a query that
   scans (customer and date, Billbridge's duplicate check), one that scans and sorts, a CDC
   call, and an invoice create (last, since it adds invoices).

The figures of the large company are compared with the small one's: `ratio` is requests per
second of server CPU at the large size over those at the small size (1.0: size costs nothing).
CPU time, not wall time, because the machine is shared: the wall-clock rates move with the load
of other work, the server's CPU per request much less.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx

from bench.emulator_throughput import Emulator, _row, invoice_body, wrk
from qbo_emulator.app import create_app
from qbo_emulator.store import Emulator as EmulatorState

SIZES = (1_000, 100_000)
CUSTOMERS, DAYS, CHANGED = 50, 28, 100


def fill(invoices: int) -> EmulatorState:
    """An emulator whose one company holds `invoices` invoices, made as the API makes them."""
    state = EmulatorState()
    company = state.create_company(name="Scale Co", seed="empty")
    customers = [
        company.create("Customer", {"DisplayName": f"Customer {n}"})["Id"] for n in range(CUSTOMERS)
    ]
    today = datetime.now(UTC).date()
    for n in range(invoices):
        body = invoice_body(customers[n % CUSTOMERS])
        body["TxnDate"] = (today - timedelta(days=n % DAYS)).isoformat()
        company.create("Invoice", body)
    return state


def save_and_load(state: EmulatorState, path: Path, invoices: int) -> dict:
    runtime = create_app(state, state_path=path).state.runtime
    saved = _timed(runtime.save)
    (company,) = state.companies()
    for invoice_id in range(invoices - CHANGED + 1, invoices + 1):  # the last ones: see below
        body = {"Id": str(invoice_id), "SyncToken": "0", "sparse": True, "PrivateNote": "kept"}
        company.update("Invoice", body, sparse=True)
    saved_again = _timed(runtime.save)
    loaded = _timed(create_app(EmulatorState()).state.runtime.load, path)
    return {"save_seconds": saved, "save_after_100_changes_seconds": saved_again,
            "load_seconds": loaded, "file_mb": round(path.stat().st_size / 1e6, 1)}  # fmt: skip


def _timed(action, *args, **kwargs) -> float:
    started = time.perf_counter()
    action(*args, **kwargs)
    return round(time.perf_counter() - started, 2)


def cases(server: Emulator, invoices: int, since: str) -> list[tuple]:
    """(name, method, path, body, cycle): `{n}` in a path counts 1..cycle (wrk script)."""
    api = f"/v3/company/{server.realm}"

    def query(sql: str) -> str:
        return f"{api}/query?minorversion=75&query=" + quote(sql, safe="{}*")

    day = datetime.now(UTC).date().isoformat()
    return [
        ("invoice read", "GET", api + "/invoice/{n}?minorversion=75", None, invoices),
        # startposition {n}01: 101, 201, ... up to the last full page
        ("query page", "GET", query("select * from Invoice startposition {n}01 maxresults 100"),
         None, invoices // 100 - 1),
        ("query scan", "GET",
         query(f"select * from Invoice where CustomerRef = '{{n}}' and TxnDate = '{day}'"),
         None, CUSTOMERS),
        ("query scan + sort", "GET",
         query("select * from Invoice where CustomerRef = '{n}' orderby TxnDate desc"),
         None, CUSTOMERS),
        ("cdc", "GET", f"{api}/cdc?minorversion=75&entities=Invoice&changedSince={quote(since)}",
         None, 1),
        ("invoice create", "POST", api + "/invoice?minorversion=75", invoice_body("1"), 1),
    ]  # fmt: skip


def serve_and_measure(path: Path, invoices: int) -> tuple[list[dict], dict]:
    server = Emulator("--state", str(path))
    try:
        since = server.control("GET", "/clock")["now"]
        with httpx.Client(headers=server.headers, timeout=120) as client:
            for invoice_id in range(1, CHANGED + 1):  # the first ones: not changed in-process
                body = {"Id": str(invoice_id), "SyncToken": "0", "sparse": True,
                        "PrivateNote": "changed"}  # fmt: skip
                client.post(f"{server.api}/invoice", json=body).raise_for_status()
            first_save = _timed(server.control, "POST", "/state/save", json={}, timeout=300)
            # What the measured requests answer, once, to be sure they answer what is meant.
            cdc = client.get(
                f"{server.api}/cdc", params={"entities": "Invoice", "changedSince": since}
            )
            last_page = f"select * from Invoice startposition {invoices - 99} maxresults 100"
            page = client.get(f"{server.api}/query", params={"query": last_page})
        answered = {
            "cdc_objects": len(cdc.json()["CDCResponse"][0]["QueryResponse"][0]["Invoice"]),
            "last_page_rows": len(page.json()["QueryResponse"]["Invoice"]),
            "server_first_save_seconds": first_save,
        }
        rows = []
        for name, method, url, body, cycle in cases(server, invoices, since):
            _wait_until_idle(server)
            cpu_before = server.cpu_seconds()
            result = wrk(server, method, url, body, cycle=max(cycle, 1))
            rows.append({"size": invoices, **_row(name, result, server.cpu_seconds() - cpu_before)})
        return rows, answered
    finally:
        server.stop()


def _wait_until_idle(server: Emulator) -> None:
    """Until the server has finished what the last case left queued: wrk gives up on a slow
    request after 2 s, the server still answers it, and that CPU must not count for the next
    case."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        time.sleep(0.2)
        if server.cpu_seconds() - before < 0.02:
            return


def run(sizes: tuple[int, ...]) -> dict:
    figures: dict = {"sizes": {}, "requests": []}
    with tempfile.TemporaryDirectory() as directory:
        for invoices in sizes:
            path = Path(directory) / f"state-{invoices}.json"
            # The bench's own objects live until the end: no cycle collection while filling.
            gc.disable()
            try:
                started = time.perf_counter()
                state = fill(invoices)
                filled = time.perf_counter() - started
                state_figures = save_and_load(state, path, invoices)
                del state
            finally:
                gc.enable()
            rows, answered = serve_and_measure(path, invoices)
            figures["sizes"][str(invoices)] = {
                "fill_seconds": round(filled, 1),
                **state_figures,
                **answered,
            }
            figures["requests"].extend(rows)
    small, large = str(min(sizes)), str(max(sizes))
    per_cpu = {(r["size"], r["request"]): r["per_server_cpu_second"] for r in figures["requests"]}
    figures["ratio"] = {
        name: round(per_cpu[(int(large), name)] / per_cpu[(int(small), name)], 3)
        for size, name in per_cpu
        if str(size) == small
    }
    return figures


def report(sizes: tuple[int, ...] = SIZES) -> dict:
    figures = run(sizes)
    small, large = min(sizes), max(sizes)
    print(f"\nqbo_emulator at {small:,} and {large:,} invoices (wrk on loopback, per second)")
    print(f"| request | {small:,}: per s | {large:,}: per s | {small:,}: per server CPU s "
          f"| {large:,}: per server CPU s | ratio |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    rows = {(r["size"], r["request"]): r for r in figures["requests"]}
    for name, ratio in figures["ratio"].items():
        few, many = rows[(small, name)], rows[(large, name)]
        cells = [few["per_second"], many["per_second"], few["per_server_cpu_second"],
                 many["per_server_cpu_second"], ratio]  # fmt: skip
        print(f"| {name} | " + " | ".join(map(str, cells)) + " |")
    for size, state in figures["sizes"].items():
        print(f"{int(size):,} invoices: {state}")
    print(json.dumps(figures))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="invoice counts")
    args = parser.parse_args()
    report(tuple(int(size) for size in args.sizes.split(",")))


if __name__ == "__main__":
    main()
