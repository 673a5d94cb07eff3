"""`python -m qbo_emulator`: flags, environment, the state file, and a real start and stop."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from qbo_emulator.__main__ import build, describe, parse_args
from qbo_emulator.config import DEMO_CLIENT_ID, DEMO_REDIRECT_URI, app_from_environment

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_register_the_documented_demo_app_and_a_sample_company():
    args = parse_args([])
    app, runtime = build(args)
    (registered,) = runtime.config.apps()
    assert registered.client_id == DEMO_CLIENT_ID
    assert registered.redirect_uris == [DEMO_REDIRECT_URI]
    assert registered.webhook_url is None
    (company,) = runtime.emulator.companies()
    assert company.name == "Sandbox Company US 1"
    assert company.list("Invoice")  # sample data
    text = describe(args, runtime)
    assert "http://127.0.0.1:8085/v3" in text and company.realm_id in text


def test_flags_win_over_environment_variables(monkeypatch):
    monkeypatch.setenv("QBO_EMULATOR_CLIENT_ID", "from-env")
    monkeypatch.setenv("QBO_EMULATOR_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("QBO_EMULATOR_WEBHOOK_URL", "http://127.0.0.1:8000/hooks")
    monkeypatch.setenv("QBO_EMULATOR_LATENCY_MS", "7")
    args = parse_args(
        [
            "--client-id",
            "from-flag",
            "--throttle",
            "--seed",
            "none",
            "--webhook-format",
            "legacy",
            "--redirect-uri",
            "http://127.0.0.1:1/a",
            "--redirect-uri",
            "http://127.0.0.1:1/b",
        ]
    )
    _, runtime = build(args)
    (registered,) = runtime.config.apps()
    assert registered.client_id == "from-flag"
    assert registered.client_secret == "env-secret"
    assert registered.webhook_url == "http://127.0.0.1:8000/hooks"
    assert registered.webhook_format == "legacy"
    assert registered.redirect_uris == ["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"]
    assert runtime.config.options.throttle is True
    assert runtime.config.options.latency_ms == 7
    assert runtime.emulator.companies() == []


def test_comma_separated_environment_lists():
    registered = app_from_environment(
        {
            "QBO_EMULATOR_REDIRECT_URIS": "http://a.test/1, http://a.test/2",
            "QBO_EMULATOR_WEBHOOK_ENTITIES": "Invoice,Payment",
        }
    )
    assert registered.redirect_uris == ["http://a.test/1", "http://a.test/2"]
    assert registered.webhook_entities == ["Invoice", "Payment"]


def test_a_bad_setting_stops_the_start_with_a_message(capsys):
    from qbo_emulator.__main__ import main

    assert main(["--webhook-url", "not-a-url", "--seed", "none"]) == 2
    assert "webhook URL" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(port: int, *extra: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qbo_emulator",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            return process
        except httpx.TransportError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"emulator did not start: {process.communicate()[0]}")


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=20)
    return output


def test_the_server_serves_and_keeps_state_across_restarts(tmp_path):
    state = tmp_path / "qbo-state.json"
    port = free_port()
    process = start(port, "--state", str(state), "--company-name", "Restart Co")
    try:
        base = f"http://127.0.0.1:{port}"
        (company,) = httpx.get(f"{base}/_emulator/companies").json()["companies"]
        tokens = httpx.post(f"{base}/_emulator/tokens", json={"realm_id": company["realm_id"]})
        access = tokens.json()["access_token"]
    finally:
        output = stop(process)
    assert "QuickBooks Online emulator on" in output and "Restart Co" in output
    saved = json.loads(state.read_text())
    assert [c["realm_id"] for c in saved["emulator"]["companies"]] == [company["realm_id"]]

    process = start(port, "--state", str(state), "--webhook-url", "http://127.0.0.1:9/new")
    try:
        (app,) = httpx.get(f"{base}/_emulator/apps").json()["apps"]
        assert app["webhook_url"] == "http://127.0.0.1:9/new"  # the command line wins
        companies = httpx.get(f"{base}/_emulator/companies").json()["companies"]
        assert [c["realm_id"] for c in companies] == [company["realm_id"]]
        realm = company["realm_id"]
        response = httpx.get(
            f"{base}/v3/company/{realm}/companyinfo/{realm}",
            headers={"Authorization": f"Bearer {access}"},
        )
        assert response.status_code == 200  # the connection survived the restart
    finally:
        stop(process)


def test_the_test_runner_serves_over_http_and_resets_between_tests():
    from qbo_emulator.testing import running_emulator

    with running_emulator() as qbo:
        realm = qbo.emulator.create_company(name="Runner Co").realm_id
        token = qbo.connect(realm)["access_token"]
        url = f"{qbo.api_url}/company/{realm}/companyinfo/{realm}"
        assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert httpx.get(qbo.discovery_url).json()["issuer"] == f"{qbo.base_url}/op/v1"

        changes = {"throttle": True, "honour_request_id": False}
        httpx.patch(f"{qbo.control_url}/options", json=changes)
        httpx.post(f"{qbo.control_url}/clock", json={"advance": 86400 * 400, "freeze": True})
        qbo.reset()
        assert qbo.emulator.companies() == []
        assert qbo.config.options.throttle is False and qbo.emulator.honour_request_id is True
        assert not qbo.emulator.clock.frozen
        assert abs(qbo.emulator.clock.now().timestamp() - time.time()) < 60
        base_url = qbo.base_url
    with pytest.raises(httpx.TransportError):
        httpx.get(base_url + "/", timeout=1)  # stopped on leaving the block
