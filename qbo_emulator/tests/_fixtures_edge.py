"""Helpers for the OAuth/gateway/webhook/control tests: an in-process emulator and a tiny
webhook receiver on loopback."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from starlette.testclient import TestClient

from qbo_emulator.app import Runtime, create_app
from qbo_emulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI, Config
from qbo_emulator.store import Emulator

ACCOUNTING = "com.intuit.quickbooks.accounting"


@dataclass
class Edge:
    client: TestClient
    runtime: Runtime
    realm: str

    @property
    def emulator(self) -> Emulator:
        return self.runtime.emulator

    def connect(self, realm: str | None = None) -> dict:
        tokens = self.runtime.tokens
        return tokens.issue_grant(client_id=DEMO_CLIENT_ID, realm_id=realm or self.realm)

    def bearer(self, realm: str | None = None) -> dict:
        return {"Authorization": "Bearer " + self.connect(realm)["access_token"]}

    def authorize(self, **params) -> dict:
        """Run the authorize step with auto-approval; returns the redirect's query parameters."""
        query = {
            "client_id": DEMO_CLIENT_ID,
            "response_type": "code",
            "scope": ACCOUNTING,
            "redirect_uri": DEMO_REDIRECT_URI,
            "state": "state-123",
            "emulator_realm": self.realm,
        }
        query.update(params)
        response = self.client.get("/connect/oauth2", params=query, follow_redirects=False)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith(DEMO_REDIRECT_URI)
        return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}

    def exchange(self, code: str, **headers) -> dict:
        response = self.client.post(
            "/oauth2/v1/tokens/bearer",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": DEMO_REDIRECT_URI,
            },
            auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
            headers=headers,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def refresh(self, refresh_token: str, **headers):
        return self.client.post(
            "/oauth2/v1/tokens/bearer",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
            headers=headers,
        )

    def create_customer(self, name: str, realm: str | None = None) -> dict:
        company = self.emulator.company(realm or self.realm)
        return company.create("Customer", {"DisplayName": name})


@contextlib.contextmanager
def edge_client(config: Config | None = None, *, seed: str = "empty") -> Iterator[Edge]:
    emulator = Emulator()
    emulator.clock.freeze()
    app = create_app(emulator, config or Config())
    realm = emulator.create_company(name="Edge Test Co", seed=seed).realm_id
    with TestClient(app) as client:
        yield Edge(client=client, runtime=app.state.runtime, realm=realm)


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 that records raw bodies and answers planned statuses."""

    url: str
    deliveries: list[dict] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.deliveries) >= count:
                    return list(self.deliveries)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} deliveries, got {len(self.deliveries)}")


@contextlib.contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server dispatches to
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.deliveries.append(
                    {"headers": dict(self.headers), "body": body, "answered": status}
                )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/quickbooks/webhooks"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
