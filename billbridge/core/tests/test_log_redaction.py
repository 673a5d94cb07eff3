import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from billbridge.core.log_redaction import RedactSecrets, redact

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "bb_k3x9q2ab_" + "S3cr3t-Secret_Part-Of-The-Token-0123456789a"
CALLBACK = "/settings/integrations/quickbooks/callback"


def test_secret_shapes_are_blanked_and_the_rest_kept():
    line = (
        f"GET /cb?code=AB12cd&state=xyz&realmId=9341 client_secret=hush;  Authorization: Bearer "
        f"eyJ.abc-123 token {TOKEN} used refresh_token=RT-9 by user 7"
    )
    assert redact(line) == (
        "GET /cb?code=[redacted]&state=[redacted]&realmId=9341 client_secret=[redacted];  "
        "Authorization: Bearer [redacted] token bb_k3x9q2ab_[redacted] used "
        "refresh_token=[redacted] by user 7"
    )


@pytest.mark.parametrize(
    ("line", "cleaned"),
    [
        (
            "GET /x?token=T1&csrfmiddlewaretoken=T2&api_key=K&apiKey=K2&page=2",
            "GET /x?token=[redacted]&csrfmiddlewaretoken=[redacted]&api_key=[redacted]"
            "&apiKey=[redacted]&page=2",
        ),
        (
            "password=hunter2&new_password1=p2&webhook_secret=s&intuit-signature=sig",
            "password=[redacted]&new_password1=[redacted]&webhook_secret=[redacted]"
            "&intuit-signature=[redacted]",
        ),
        # Where a signed-out visitor is sent: the callback's query, percent-encoded in ?next=.
        (
            f"GET /login/?next={CALLBACK}%3Fcode%3DAB12%252F%26state%3Dxyz%26realmId%3D9341",
            f"GET /login/?next={CALLBACK}%3Fcode%3D[redacted]%26state%3D[redacted]"
            "%26realmId%3D9341",
        ),
        ("ID_TOKEN=a.b.c&State=s", "ID_TOKEN=[redacted]&State=[redacted]"),
        # code and state are secrets as parameters only: a worker's "state=READY" is kept.
        ("Task id=7 path=tasks.drain_exports state=READY code=ok", None),
        # Names that only end or start like a secret's are left alone.
        ("barcode=123&statement=4&estate=5&tokens_left=3", None),
    ],
)
def test_query_parameters_named_like_secrets_are_blanked(line, cleaned):
    assert redact(line) == (cleaned or line)


def test_the_console_handler_writes_no_secret_from_a_message_or_a_traceback():
    console = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactSecrets) for f in handler.filters)
    )
    try:
        raise ValueError(f"bad token {TOKEN}")
    except ValueError:
        record = logging.getLogger("test").makeRecord(
            "test", logging.ERROR, __file__, 1, "calling %s?code=%s", ("/cb", "C0DE"), None
        )
        record.exc_info = sys.exc_info()
    assert console.filter(record)
    written = console.format(record)
    assert "calling /cb?code=[redacted]" in written
    assert "ValueError: bad token bb_k3x9q2ab_[redacted]" in written
    assert "C0DE" not in written and TOKEN not in written


def fresh_env(tmp_path) -> dict[str, str]:
    """The environment for a process of the app's own: SQLite in tmp_path, whatever this test
    run's database is."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "BILLBRIDGE_VAR_DIR": str(tmp_path)}


def test_every_handler_the_settings_leave_redacts(tmp_path):
    """Django's own defaults attach handlers of their own (the access log's, a console for
    DEBUG, the admins' mail); none may write a record unfiltered."""
    script = (
        "import logging, django; django.setup(); import billbridge.urls; "
        "from billbridge.core.log_redaction import RedactSecrets; "
        "loggers = [logging.getLogger(), *logging.root.manager.loggerDict.values()]; "
        "print(sorted(f'{logger.name}: {type(handler).__name__}' "
        "for logger in loggers for handler in getattr(logger, 'handlers', []) "
        "if not any(isinstance(f, RedactSecrets) for f in handler.filters)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**fresh_env(tmp_path), "DJANGO_SETTINGS_MODULE": "billbridge.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_runservers_access_log_shows_the_oauth_callback_without_its_code_and_state(tmp_path):
    code, state = "C0DEfromIntuit4711", "St4teOfTheFlow0815"
    port = free_port()
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=fresh_env(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as browser:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        browser.get("/login/")
                        break
                    except httpx.TransportError:
                        assert server.poll() is None, stderr_path.read_text()
                        assert time.monotonic() < deadline, "runserver did not start"
                        time.sleep(0.2)
                callback = browser.get(f"{CALLBACK}?code={code}&state={state}&realmId=9341")
                # Signed out: sent to log in, the callback's query carried along in ?next=.
                assert callback.status_code == 302
                assert code in callback.headers["location"]
                assert browser.get(callback.headers["location"]).status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=30)
    written = stderr_path.read_text()
    assert (
        f'"GET {CALLBACK}?code=[redacted]&state=[redacted]&realmId=9341 HTTP/1.1" 302 0' in written
    )
    assert (
        f'"GET /login/?next={CALLBACK}%3Fcode%3D[redacted]%26state%3D[redacted]%26realmId%3D9341'
        ' HTTP/1.1" 200 ' in written
    )
    assert code not in written and state not in written
