"""How fast the QBO emulator answers on loopback, and whether its throttles hold.

Run directly (`python bench/emulator_throughput.py`) or through `make bench` (the wrapper in
test_emulator_throughput.py). The emulator runs as `python -m qbo_emulator` in its own process,
exactly as `make run` starts it.

1. Throughput, throttles off: invoice create and invoice read, requests per second, driven by
   wrk (Debian's package; `make bench` installs it) over 8 keep-alive connections.
2. Throttles on with small limits and a compressed clock (the emulator clock jumps ahead between
   bursts, so a few real seconds cover several emulator minutes): every sliding 60-second window
   of accepted requests, read back from the request log, must stay within the limits.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from bisect import bisect_right
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
THROUGHPUT_TARGET = 500  # requests per second (issue text)
WRK_SECONDS, WRK_CONNECTIONS = 10, 8
READ_CYCLE = 1000  # reads cycle over this many invoice ids, all made by the creates


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Emulator:
    """`python -m qbo_emulator` in a child process on a free loopback port."""

    def __init__(self, *flags: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qbo_emulator",
                "--port",
                str(self.port),
                "--seed",
                "empty",
                "--log-level",
                "warning",
                *flags,
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.base + "/", timeout=0.5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the emulator did not start") from None
                time.sleep(0.1)
        (company,) = httpx.get(self.base + "/_emulator/companies").json()["companies"]
        self.realm = company["realm_id"]
        grant = httpx.post(self.base + "/_emulator/tokens", json={"realm_id": self.realm})
        self.headers = {
            "Authorization": "Bearer " + grant.json()["access_token"],
            "Accept": "application/json",
        }
        self.api = f"{self.base}/v3/company/{self.realm}"

    def control(self, method: str, path: str, **kwargs) -> dict:
        response = httpx.request(method, f"{self.base}/_emulator{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    def cpu_seconds(self) -> float:
        """CPU time the server process has used (Linux /proc), to tell its cost from the
        clients': on a shared 2-core machine the load generator competes for the same cores."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def invoice_body(customer_id: str) -> dict:
    return {
        "CustomerRef": {"value": customer_id},
        "Line": [
            {
                "Amount": 150,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 150},
            }
        ],
    }


async def drive(requests: list[tuple[str, str, dict | None]], headers: dict, concurrency: int):
    """Send each (method, url, json) over `concurrency` connections of one httpx client;
    returns the statuses. Used for the throttle check, where the order of requests matters and
    their number is small."""
    queue = list(reversed(requests))
    statuses: list[int] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:

        async def worker():
            while queue:
                method, url, body = queue.pop()
                response = await client.request(method, url, json=body)
                statuses.append(response.status_code)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


WRK_SCRIPT = """
wrk.method = {method}
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = {authorization}
counter = 0
request = function()
  counter = counter % {cycle} + 1
  return wrk.format(nil, (string.gsub({path}, "{{n}}", counter)))
end
"""


def wrk(emulator: Emulator, method: str, path: str, body: dict | None, cycle: int) -> dict:
    """Load the emulator with wrk, a C load generator, so that the client takes little of the
    CPU the server needs on this 2-core machine (a Python client costs more per request than
    the server does). `{n}` in the path counts 1..cycle."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(
        WRK_SCRIPT.format(
            method=json.dumps(method),
            body=json.dumps(json.dumps(body)) if body else "nil",
            authorization=json.dumps(emulator.headers["Authorization"]),
            cycle=cycle,
            path=json.dumps(path),
        )
    )
    try:
        output = subprocess.run(
            ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{WRK_SECONDS}s", "-s", str(script),
             emulator.base],
            capture_output=True, text=True, check=True, timeout=WRK_SECONDS + 30,
        ).stdout  # fmt: skip
    finally:
        script.unlink()
    total = int(re.search(r"(\d+) requests in ([\d.]+)s", output).group(1))
    seconds = float(re.search(r"(\d+) requests in ([\d.]+)s", output).group(2))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests": total,
        "ok": total - (int(failed.group(1)) if failed else 0),
        "seconds": seconds,
        "socket_errors": errors.group(1) if errors else "",
    }


def measure_throughput() -> list[dict]:
    emulator = Emulator()
    try:
        customer = httpx.post(
            emulator.api + "/customer", json={"DisplayName": "Bench Co"}, headers=emulator.headers
        ).json()["Customer"]
        api = f"/v3/company/{emulator.realm}"
        body = invoice_body(customer["Id"])
        rows = []
        cases = (
            ("invoice create", "POST", api + "/invoice?minorversion=75", body),
            # Reads cycle over the invoices the creates left behind.
            ("invoice read", "GET", api + "/invoice/{n}?minorversion=75", None),
        )
        for name, method, path, body in cases:
            cpu_before = emulator.cpu_seconds()
            result = wrk(emulator, method, path, body, cycle=READ_CYCLE)
            rows.append(_row(name, result, emulator.cpu_seconds() - cpu_before))
        return rows
    finally:
        emulator.stop()


def _row(name: str, result: dict, server_cpu: float) -> dict:
    return {
        "request": name,
        **result,
        "per_second": round(result["requests"] / result["seconds"]),
        # What one fully used core would serve: requests per second of server CPU time.
        "per_server_cpu_second": round(result["requests"] / server_cpu) if server_cpu else None,
    }


def check_throttle(per_minute: int = 60, batch_per_minute: int = 5, minutes: int = 5) -> dict:
    emulator = Emulator("--throttle")
    try:
        emulator.control(
            "PATCH",
            "/options",
            # The per-second limit is lifted: on the frozen clock every burst is one second.
            json={
                "requests_per_minute": per_minute,
                "batch_requests_per_minute": batch_per_minute,
                "requests_per_second": per_minute,
            },  # fmt: skip
        )
        emulator.control("POST", "/clock", json={"freeze": True})
        batch = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Customer"}]}
        read = ("GET", f"{emulator.api}/companyinfo/{emulator.realm}", None)
        batches = ("POST", f"{emulator.api}/batch", batch)
        # Bursts bigger than the limit, 10 emulator seconds apart: the clock only moves between
        # bursts, so the admission time and the logged time of each request are the same.
        for _ in range(minutes * 6):
            burst = [read] * (per_minute // 3) + [batches] * 3
            asyncio.run(drive(burst, emulator.headers, concurrency=4))
            emulator.control("POST", "/clock", json={"advance": 10})
        log = emulator.control("GET", "/requests", params={"realm": emulator.realm})["requests"]
    finally:
        emulator.stop()
    accepted = [e for e in log if e["status"] != 429]
    return {
        "requests": len(log),
        "refused_429": len(log) - len(accepted),
        "limit_per_minute": per_minute,
        "busiest_minute": _busiest_window(accepted),
        "batch_limit_per_minute": batch_per_minute,
        "busiest_batch_minute": _busiest_window(
            [e for e in accepted if e["path"].endswith("/batch")]
        ),
    }


def _busiest_window(entries: list[dict]) -> int:
    """Most entries in any (t - 60 s, t] window, t being one of the entries' times."""
    times = sorted(datetime.fromisoformat(e["time"]).timestamp() for e in entries)
    busiest = 0
    for end_index, end in enumerate(times):
        start_index = bisect_right(times, end - 60)
        busiest = max(busiest, end_index + 1 - start_index)
    return busiest


def report() -> tuple[list[dict], dict]:
    throughput = measure_throughput()
    throttle = check_throttle()
    print(
        f"\nqbo_emulator throughput (loopback; uvicorn process; wrk, {WRK_CONNECTIONS} connections)"
    )
    print("| request | requests | ok | seconds | per second | per server CPU second |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in throughput:
        print(
            f"| {row['request']} | {row['requests']} | {row['ok']} | {row['seconds']} "
            f"| {row['per_second']} | {row['per_server_cpu_second']} |"
        )
    met = all(row["per_second"] >= THROUGHPUT_TARGET for row in throughput)
    print(f"target >= {THROUGHPUT_TARGET}/s wall clock: {'met' if met else 'NOT met'}")
    print(f"throttle check: {throttle}")
    return throughput, throttle


if __name__ == "__main__":
    report()
