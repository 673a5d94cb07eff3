"""A start that cannot work stops with one clear line, never a traceback (issue 16): each case
is a fresh `manage.py` process, as systemd's ExecStartPre and `make serve` run it."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from billbridge.core.testing import manage_py

ROOT = Path(__file__).resolve().parents[3]


def one_line_refusal(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip() and "Warning" not in line]
    # authlib's deprecation notice may sit above it; the refusal is the last line.
    return lines[-1]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"SECRET_KEY": None}, "The environment variable SECRET_KEY must be set."),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 50 characters in production."),
        ({"QBO_TOKEN_KEYS": None}, "The environment variable QBO_TOKEN_KEYS must be set."),
        ({"QBO_TOKEN_KEYS": " "}, "QBO_TOKEN_KEYS must hold at least one Fernet key."),
        (
            {"BILLBRIDGE_PUBLIC_URL": "http://billing.example.test"},
            "BILLBRIDGE_PUBLIC_URL must be an https:// address in production, not "
            "'http://billing.example.test'.",
        ),
        ({"BILLBRIDGE_PUBLIC_URL": None}, "The environment variable BILLBRIDGE_PUBLIC_URL must"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be json or text, not 'xml'."),
    ],
)
def test_a_bad_setting_stops_the_start_with_one_line(production, change, says):
    env = dict(production)
    for name, value in change.items():
        if value is None:
            env.pop(name)
        else:
            env[name] = value
    assert one_line_refusal(manage_py(env, "preflight")).startswith(f"billbridge: {says}")


def test_an_unreachable_database_is_named(production):
    env = production | {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/billbridge"}
    line = one_line_refusal(manage_py(env, "preflight"))
    assert "the database (postgresql at 127.0.0.1:1/billbridge) cannot be reached" in line


def test_pending_migrations_and_bad_keys_refuse_then_a_ready_site_starts(production):
    line = one_line_refusal(manage_py(production, "preflight"))
    assert "migration(s) are not applied (first: " in line
    assert "run `manage.py migrate` before starting" in line

    assert manage_py(production, "migrate", "--noinput", timeout=120).returncode == 0
    bad_key = production | {"QBO_TOKEN_KEYS": production["QBO_TOKEN_KEYS"] + ",not-a-key"}
    line = one_line_refusal(manage_py(bad_key, "preflight"))
    assert "QBO_TOKEN_KEYS: key 2 is not a Fernet key" in line

    ready = manage_py(production, "preflight")
    assert ready.returncode == 0, ready.stderr
    assert "Ready" in ready.stdout


def test_a_worker_stopped_twice_in_a_row_stops_once_and_cleanly(tmp_path):
    """A Ctrl-C reaches the worker from the terminal and again from honcho: one stop, exit 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QBO_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env["BILLBRIDGE_VAR_DIR"] = str(tmp_path)
    assert manage_py(env, "migrate", "--noinput", timeout=120).returncode == 0
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.2", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Started once it polls: its log says so.
        deadline = time.monotonic() + 30
        line = ""
        while "Starting worker" not in line and time.monotonic() < deadline:
            line = worker.stdout.readline()
        assert "Starting worker" in line
        worker.send_signal(signal.SIGINT)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()


def test_production_logs_one_json_object_a_line_with_secrets_redacted(production):
    said = (
        "import logging; logging.getLogger('billbridge.quickbooks').warning("
        "'refreshing %s', 'https://oauth.example/token?refresh_token=RT-very-secret&x=1')"
    )
    done = manage_py(production, "shell", "-c", said)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    (record,) = [r for r in records if r["logger"] == "billbridge.quickbooks"]
    assert record["level"] == "WARNING" and record["time"]
    assert (
        record["message"] == "refreshing https://oauth.example/token?refresh_token=[redacted]&x=1"
    )
    assert "RT-very-secret" not in done.stderr
