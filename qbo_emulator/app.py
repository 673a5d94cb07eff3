"""Assembles the emulator: the data API, OAuth, control API and HTML view behind the gateway."""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .config import Config
from .control import control_routes
from .data_api import data_routes
from .gateway import FaultPlan, Gateway, RequestLog, Throttle
from .oauth import TokenStore, oauth_routes
from .store import Emulator
from .views import view_routes
from .webhooks import WebhookDispatcher

STATE_FORMAT = "qbo-emulator-state/1"


class Runtime:
    """Everything one running emulator holds around the company state."""

    def __init__(self, emulator: Emulator, config: Config, state_path: str | Path | None = None):
        self.emulator = emulator
        self.config = config
        self.state_path = Path(state_path) if state_path else None
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
        target = Path(path) if path else self.state_path
        if target is None:
            raise ValueError("no state file: start with --state FILE or pass a path")
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_text(json.dumps(self.snapshot(), indent=1, default=str), encoding="utf-8")
        temporary.replace(target)  # atomic: a crash never leaves half a state file
        return target

    def load(self, path: str | Path) -> None:
        self.restore(json.loads(Path(path).read_text(encoding="utf-8")))


def create_app(
    emulator: Emulator, config: Config | None = None, *, state_path: str | Path | None = None
) -> Starlette:
    runtime = Runtime(emulator, config or Config(), state_path)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        runtime.stopping.clear()
        runtime.webhooks.start()
        try:
            yield
        finally:
            runtime.stopping.set()
            runtime.webhooks.stop()
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
