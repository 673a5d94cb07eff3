"""Run the whole emulator over real HTTP inside a test process.

    from qbo_emulator.testing import running_emulator

    with running_emulator() as qbo:
        realm = qbo.emulator.create_company(name="Test Co", seed="sample").realm_id
        tokens = qbo.connect(realm)             # as if the user had approved the app
        httpx.get(f"{qbo.api_url}/company/{realm}/companyinfo/{realm}",
                  headers={"Authorization": f"Bearer {tokens['access_token']}"})

uvicorn serves on 127.0.0.1 and a free port in a background thread; leaving the block stops it
(hanging requests are cut short) and joins the thread.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import uvicorn

from .app import Runtime, create_app
from .config import Config, Options
from .store import Emulator


@dataclass
class RunningEmulator:
    base_url: str
    emulator: Emulator
    config: Config
    runtime: Runtime

    @property
    def api_url(self) -> str:
        """What python-quickbooks calls `api_url_v3`."""
        return f"{self.base_url}/v3"

    @property
    def discovery_url(self) -> str:
        """What intuit-oauth takes as `environment`."""
        return f"{self.base_url}/.well-known/openid_sandbox_configuration"

    @property
    def control_url(self) -> str:
        return f"{self.base_url}/_emulator"

    def reset(self) -> None:
        """Back to a fresh server between tests: no companies, connections, faults or logs,
        default options, requestid honoured, the clock on real time. Apps stay registered."""
        self.runtime.reset()
        self.config.options.update(Options().public())
        self.emulator.honour_request_id = True
        self.emulator.clock.freeze(False)
        self.emulator.clock.set(datetime.now(UTC))

    def connect(self, realm_id: str, client_id: str | None = None) -> dict:
        """Connect an app to a company without the browser flow; returns the token response."""
        client_id = client_id or self.config.apps()[0].client_id
        return self.runtime.tokens.issue_grant(client_id=client_id, realm_id=realm_id)


@contextlib.contextmanager
def running_emulator(
    emulator: Emulator | None = None, config: Config | None = None, *, log_level: str = "warning"
) -> Iterator[RunningEmulator]:
    emulator = emulator or Emulator()
    config = config or Config()
    app = create_app(emulator, config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level=log_level,
            lifespan="on",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.01)
        yield RunningEmulator(
            base_url=f"http://127.0.0.1:{port}",
            emulator=emulator,
            config=config,
            runtime=app.state.runtime,
        )
    finally:
        app.state.runtime.stopping.set()
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
