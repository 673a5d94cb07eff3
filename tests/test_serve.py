"""`make serve` as an operator runs it: production settings from the environment alone,
PostgreSQL, gunicorn, two task workers and the scheduler under honcho, the emulator as Intuit.

One story, because each step needs the one before: the start refused while migrations are
pending, an export driven end to end through the API, /healthz and /metrics read over HTTP,
then a SIGTERM in the middle of a larger export (60 invoices) and a restart, counted in the
emulator: every invoice in QBO exactly once.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet

from billbridge.core.testing import manage_py
from qbo_emulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

ROOT = Path(__file__).resolve().parents[1]
PG = "postgres://postgres@127.0.0.1:5432"
HOST = "billing.example.test"
# What the TLS proxy in front of Billbridge would add (BEHIND_TLS_PROXY=true).
PROXIED = {"Host": HOST, "X-Forwarded-Proto": "https"}
INVOICES_AFTER_THE_FIRST = 60

SETUP = """
import json, os
from datetime import timedelta
from django.utils import timezone
from billbridge.api.tokens import issue_token
from billbridge.core import testing
from billbridge.quickbooks.connection import read_company_after_connect
from billbridge.quickbooks.models import QboConnection

tokens = json.loads(os.environ["SERVE_TEST_TOKENS"])
practice = testing.make_practice("Served & Co")
member = testing.make_admin(practice, "operator")
client = testing.make_client(practice, "Harbor Books")
testing.assign(member, client)
ids = [testing.make_invoice(member, client, "finalized").pk for _ in range(%d)]
connection = QboConnection(practice=practice, realm_id=os.environ["SERVE_TEST_REALM"])
connection.access_token = tokens["access_token"]
connection.refresh_token = tokens["refresh_token"]
now = timezone.now()
connection.access_token_expires_at = now + timedelta(seconds=tokens["expires_in"])
connection.refresh_token_expires_at = now + timedelta(seconds=tokens["x_refresh_token_expires_in"])
connection.save()
read_company_after_connect(connection)
print(json.dumps({"token": issue_token(member.user, "serve test")[1], "invoices": ids}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def database():
    name = f"bb_serve_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG}/{name}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def served_env(database, emulator, tmp_path):
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("QBO_", "DJANGO_"))},
        "BILLBRIDGE_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "QBO_TOKEN_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": database,
        "BILLBRIDGE_PUBLIC_URL": f"https://{HOST}",
        "BEHIND_TLS_PROXY": "true",
        "BILLBRIDGE_VAR_DIR": str(tmp_path / "var"),
        # Its own: production's collectstatic rewrites hashed files, under the feet of the
        # WhiteNoise of tests running beside it.
        "STATIC_ROOT": str(tmp_path / "static"),
        "BILLBRIDGE_BIND": f"127.0.0.1:{port}",
        "QBO_ENVIRONMENT": "emulator",
        "QBO_EMULATOR_URL": emulator.base_url,
        "QBO_CLIENT_ID": DEMO_CLIENT_ID,
        "QBO_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "METRICS_TOKEN": "metrics-secret",
        # Quick clocks, so the story takes seconds: the scheduler's tick, a killed worker's
        # leases, the look-up after a send whose answer was lost.
        "QBO_SWEEP_SECONDS": "2",
        "QBO_LEASE_SECONDS": "8",
        "QBO_LOOKUP_DELAY_SECONDS": "1",
        # Small chunks, one at a time per worker: the export takes long enough that a stop lands
        # in the middle of it (at QBO's 30 and two threads, all of it is in flight at once).
        "QBO_BATCH_SIZE": "5",
        "QBO_EXPORT_THREADS": "1",
        "WEB_CONCURRENCY": "1",
    }
    env.pop("DEBUG", None)
    return env, f"http://127.0.0.1:{port}"


class Served:
    """`make serve` in its own process group; stop() sends honcho the SIGTERM a supervisor would."""

    def __init__(self, env: dict, log: Path) -> None:
        self.log = log
        self._out = log.open("a")
        self.make = subprocess.Popen(
            ["make", "--no-print-directory", "serve", f"METRICS_DIR={env['BILLBRIDGE_VAR_DIR']}/m"],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, timeout: float = 30) -> float:
        started = time.monotonic()
        honcho = subprocess.run(
            ["pgrep", "-P", str(self.make.pid)], capture_output=True, text=True
        ).stdout.split()
        for pid in honcho:
            os.kill(int(pid), signal.SIGTERM)
        try:
            self.make.wait(timeout)
        finally:
            if self.make.poll() is None:
                os.killpg(self.make.pid, signal.SIGKILL)
            self._out.close()
        return time.monotonic() - started


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _healthy(base: str):
    try:
        answer = httpx.get(f"{base}/healthz", headers=PROXIED, timeout=5)
    except httpx.TransportError:
        return None
    return answer if answer.status_code == 200 else None


def _in_qbo(company) -> dict[str, int]:
    counts: dict[str, int] = {}
    for invoice in company.list("Invoice"):
        if "[bb:" in invoice.get("PrivateNote", ""):
            counts[invoice["DocNumber"]] = counts.get(invoice["DocNumber"], 0) + 1
    return counts


def test_make_serve_exports_and_stops_cleanly_mid_export(served_env, emulator, tmp_path):
    env, base = served_env
    log = tmp_path / "serve.log"

    # Before `migrate`: refused with one line, never a traceback.
    refused = subprocess.run(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "not applied" in refused.stderr and "manage.py migrate" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout

    assert manage_py(env, "migrate", "--noinput").returncode == 0
    company = emulator.emulator.create_company(name="Served Company", seed="sample")
    setup_env = {
        **env,
        "SERVE_TEST_REALM": company.realm_id,
        "SERVE_TEST_TOKENS": json.dumps(emulator.connect(company.realm_id)),
    }
    done = manage_py(setup_env, "shell", "-c", SETUP % (1 + INVOICES_AFTER_THE_FIRST))
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout.strip().splitlines()[-1])
    api = {**PROXIED, "Authorization": f"Bearer {made['token']}"}
    first, rest = made["invoices"][0], made["invoices"][1:]

    served = Served(env, log)
    try:
        _wait(lambda: _healthy(base), 60, "/healthz to answer 200")

        answer = httpx.post(
            f"{base}/api/v1/invoices/export", json={"invoices": [first]}, headers=api
        )
        assert answer.status_code == 202, answer.text
        _wait(lambda: _in_qbo(company), 60, "the first invoice in QBO")
        assert list(_in_qbo(company).values()) == [1]

        metrics = httpx.get(
            f"{base}/metrics", headers={**PROXIED, "Authorization": "Bearer metrics-secret"}
        )
        assert metrics.status_code == 200
        exported = [
            line
            for line in metrics.text.splitlines()
            if line.startswith("billbridge_") and 'state="exported"' in line
        ]
        assert exported and exported[0].rstrip().endswith(" 1.0"), exported

        # A larger export, slowed down so that the stop lands in the middle of it.
        emulator.config.options.update({"latency_ms": 300})
        answer = httpx.post(f"{base}/api/v1/invoices/export", json={"invoices": rest}, headers=api)
        assert answer.status_code == 202, answer.text
        _wait(lambda: len(_in_qbo(company)) > 1, 120, "the second export to start")
    finally:
        took = served.stop()
    before_restart = _in_qbo(company)
    assert 1 < len(before_restart) < 1 + INVOICES_AFTER_THE_FIRST, "stopped mid-export"
    assert set(before_restart.values()) == {1}
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert took < 30

    # Started again, the rest goes out, each invoice once.
    emulator.config.options.update({"latency_ms": 0})
    served = Served(env, log)
    try:
        _wait(
            lambda: len(_in_qbo(company)) == 1 + INVOICES_AFTER_THE_FIRST,
            120,
            "every invoice in QBO after the restart",
        )
        time.sleep(1)  # a duplicate would show now, not later
        assert set(_in_qbo(company).values()) == {1}
    finally:
        served.stop()
