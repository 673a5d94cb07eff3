"""Assembles the emulator: the data API, OAuth, control API and HTML view behind the gateway."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import state_file
from .config import Config
from .control import control_routes
from .data_api import data_routes
from .gateway import FaultPlan, Gateway, RequestLog, Throttle
from .oauth import TokenStore, oauth_routes
from .store import Emulator
from .views import view_routes
from .webhooks import WebhookDispatcher

STATE_FORMAT = "qbo-emulator-state/1"
log = logging.getLogger("qbo_emulator")


class Runtime:
    """Everything one running emulator holds around the company state."""

    def __init__(
        self,
        emulator: Emulator,
        config: Config,
        state_path: str | Path | None = None,
        save_interval: float = 0,
    ):
        self.emulator = emulator
        self.config = config
        self.state_path = Path(state_path) if state_path else None
        self.save_interval = save_interval
        self._saving = threading.Lock()  # one save at a time: periodic, control API, shutdown
        self._saved_as: tuple | None = None  # what the state file holds (see `_version`)
        now, options = emulator.clock.now, config.options
        self.tokens = TokenStore(now, options)
        self.faults = FaultPlan(options)
        self.throttle = Throttle(now, options)
        self.requests = RequestLog(now, options)
        self.webhooks = WebhookDispatcher(config, self.tokens)
        self.stopping = threading.Event()
        emulator.add_listener(self.webhooks.on_change)

    def reset(self) -> None:
        """Forget companies, connections, faults, throttle windows, the request and webhook logs."""
        self.emulator.reset()
        self.tokens.reset()
        self.faults.clear()
        self.throttle.reset()
        self.requests.clear()
        self.webhooks.clear()

    def snapshot(self) -> dict:
        return {
            "format": STATE_FORMAT,
            "emulator": self.emulator.to_dict(),
            "oauth": self.tokens.to_dict(),
            "config": self.config.to_dict(),
        }

    def restore(self, data: dict) -> None:
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"not a {STATE_FORMAT} state file")
        self.emulator.restore(data["emulator"])
        self.tokens.load_dict(data.get("oauth", {}))
        self.config.load_dict(data.get("config", {}))

    def save(self, path: str | Path | None = None) -> Path:
        """Write the state file (state_file.write: whole or not at all). The companies' text
        comes from Emulator.snapshot_text, which holds the lock only briefly."""
        target = Path(path) if path else self.state_path
        if target is None:
            raise ValueError("no state file: start with --state FILE or pass a path")
        with self._saving:
            version = self._version()
            _, _, oauth, config = version
            head = f'{{"format":{json.dumps(STATE_FORMAT)},"emulator":'
            tail = f',"oauth":{oauth},"config":{config}}}'
            state_file.write(target, [head, *self.emulator.snapshot_text(), tail])
            if target == self.state_path:
                self._saved_as = version
        return target

    def load(self, path: str | Path) -> None:
        self.restore(state_file.read(path))
        if Path(path) == self.state_path:
            self._saved_as = self._version()

    def _version(self) -> tuple:
        """What tells one state from another without encoding the companies: the emulator's
        count of writes, and the small parts in full. Taken before a save encodes anything, so
        a change made during the save makes the next periodic save happen."""
        return (
            self.emulator.generation,
            self.emulator.honour_request_id,
            state_file.encode(self.tokens.to_dict()),
            state_file.encode(self.config.to_dict()),
        )

    def save_if_changed(self) -> None:
        if self._version() != self._saved_as:
            self.save()

    def save_periodically(self) -> None:
        """Saves the state file every `save_interval` seconds when something changed, so a kill
        (nothing runs on SIGKILL) loses at most that many seconds of changes."""
        while not self.stopping.wait(self.save_interval):
            try:
                self.save_if_changed()
            except Exception:  # a full disk, say, must not stop the saves to come
                log.exception("qbo_emulator: could not save the state file")


def create_app(
    emulator: Emulator,
    config: Config | None = None,
    *,
    state_path: str | Path | None = None,
    save_interval: float = 0,
) -> Starlette:
    """`state_path`: the state file, saved on shutdown and, with `save_interval` > 0, every that
    many seconds when the state changed."""
    runtime = Runtime(emulator, config or Config(), state_path, save_interval)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        runtime.stopping.clear()
        runtime.webhooks.start()
        saver = None
        if runtime.state_path and runtime.save_interval > 0:
            saver = threading.Thread(
                target=runtime.save_periodically, name="qbo-emulator-save", daemon=True
            )
            saver.start()
        try:
            yield
        finally:
            runtime.stopping.set()
            runtime.webhooks.stop()
            if saver is not None:
                saver.join()
            if runtime.state_path:
                runtime.save()

    async def index(request: Request) -> JSONResponse:
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "service": "QuickBooks Online emulator",
                "api": f"{base}/v3",
                "discovery": f"{base}/.well-known/openid_sandbox_configuration",
                "control": f"{base}/_emulator/",
                "ui": f"{base}/_emulator/ui/",
            }
        )

    # The data API first: it is the hot path, and its routes only match /v3/company/... paths.
    routes = [
        *data_routes(emulator),
        Route("/", index, methods=["GET"]),
        *oauth_routes(runtime),
        *control_routes(runtime),
        *view_routes(runtime),
    ]
    app = Starlette(
        routes=routes, middleware=[Middleware(Gateway, runtime=runtime)], lifespan=lifespan
    )
    app.state.runtime = runtime
    return app
