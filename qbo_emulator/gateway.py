"""The gateway in front of every route, as Intuit's API gateway behaves (QBO.md §1.6, §2.12–2.14).

It stamps an `intuit_tid` on every response, logs each client request, and for the data API
checks the bearer token and the realm, applies throttles, latency and the faults a test asked for.
The control API (`/_emulator/...`) passes through untouched apart from the `intuit_tid`.
"""

from __future__ import annotations

import asyncio
import fnmatch
import itertools
import logging
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape as xml_escape

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, Response

from .config import ConfigError, Options
from .faults import FaultError, QboFault, fault_body, format_time
from .oauth import TokenRejected

if TYPE_CHECKING:
    from .app import Runtime

logger = logging.getLogger(__name__)

API_PATH = re.compile(r"^/v3/company/(?P<realm>[^/]+)(?:/|$)")
CONTROL_PREFIX = "/_emulator"


def new_intuit_tid() -> str:
    """A transaction id in the shape Intuit uses, e.g. `1-63ebf469-42aa3f7771c495f414fdfa6c`."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


# -- response bodies ------------------------------------------------------------------------------


def gateway_fault(status: int, code: str, name: str, detail: str, fault_type: str) -> JSONResponse:
    """The lower-camel-case body Intuit's gateway sends for 401/403 (QBO.md §2.13)."""
    body = {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": f"message={name}; errorCode={int(code):06d}; statusCode={status}",
                    "detail": detail,
                    "code": code,
                    "element": None,
                }
            ],
            "type": fault_type,
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": int(time.time() * 1000),
        "status": None,
        "cdcresponse": [],
    }
    return JSONResponse(body, status_code=status)


def throttle_fault() -> QboFault:
    """QBO's 429 (python-quickbooks#43, #83; quickbooks-ruby PR #348's fixture). Every report
    shows it as XML, even to a client that asked for JSON; the throttles send it so by default
    (option throttle_body_format). No report shows a Retry-After header: Intuit says to wait
    60 seconds (limits-and-throttles page), so none is sent."""
    return QboFault(
        429,
        "SERVICE",
        [
            FaultError(
                "3001",
                "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                "The request limit was reached.  Try again later",
            )
        ],
    )


def render_fault(fault: QboFault, now: datetime, body_format: str = "json") -> Response:
    if body_format == "xml":
        errors = "".join(
            f'<Error code="{xml_escape(e.code)}"><Message>{xml_escape(e.message)}</Message>'
            f"<Detail>{xml_escape(e.detail)}</Detail></Error>"
            for e in fault.errors
        )
        xml = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" '
            f'time="{format_time(now)}">'
            f'<Fault type="{xml_escape(fault.fault_type)}">{errors}</Fault></IntuitResponse>'
        )
        return Response(xml, status_code=fault.status, media_type="application/xml")
    if body_format == "text":
        return Response(fault.errors[0].message, status_code=fault.status, media_type="text/plain")
    return JSONResponse(fault_body(fault, now), status_code=fault.status)


# -- injected faults -------------------------------------------------------------------------------

FAULT_KINDS = ("status", "fault", "drop", "hang")
STATUS_DEFAULTS = {
    429: throttle_fault,
    500: lambda: QboFault(
        500,
        "SystemFault",
        [
            FaultError(
                "10000",
                "An application error has occurred while processing your request",
                "System Failure Error: An unexpected error occurred",
            )
        ],
    ),
    503: lambda: QboFault(
        503,
        "SystemFault",
        [FaultError("10000", "Service Unavailable", "The service is temporarily unavailable")],
    ),
    504: lambda: QboFault(
        504,
        "SystemFault",
        [FaultError("10000", "Gateway Timeout", "The request took too long and was abandoned")],
    ),
}


@dataclass
class InjectedFault:
    """ "The next `remaining` calls matching method + path answer like this."

    kinds: `status` (429/500/503/504 with QBO's body), `fault` (any QBO Fault you describe),
    `drop` (the operation is applied, then the connection is cut — or, given a `status`, that
    error is answered instead of the result), `hang` (sleep `seconds`, then
    answer 504 without applying anything; with `after_commit`, apply first, sleep, then answer
    normally — either way a client with a shorter timeout gives up not knowing the outcome).
    """

    id: int
    method: str
    path: str
    remaining: int
    kind: str
    realm: str | None = None
    status: int | None = None
    code: str | None = None
    message: str | None = None
    detail: str | None = None
    fault_type: str = "ValidationFault"
    body_format: str = "json"
    seconds: float = 0.0
    after_commit: bool = False

    def matches(self, method: str, path: str, realm: str | None) -> bool:
        return (
            self.method in ("*", method)
            and fnmatch.fnmatchcase(path, self.path)
            and (self.realm is None or self.realm == realm)
        )

    def qbo_fault(self) -> QboFault:
        if self.kind in ("status", "drop"):
            return STATUS_DEFAULTS[self.status]()
        return QboFault(
            self.status,
            self.fault_type,
            [FaultError(self.code, self.message or "Injected fault", self.detail or "", None)],
        )


class FaultPlan:
    """The faults waiting to be served; thread-safe."""

    def __init__(self, options: Options):
        self._options = options
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._faults: list[InjectedFault] = []

    def add(self, spec: dict) -> InjectedFault:
        fault = self._parse(spec)
        with self._lock:
            self._faults.append(fault)
        return fault

    def _parse(self, spec: dict) -> InjectedFault:
        if not isinstance(spec, dict):
            raise ConfigError("a fault must be a JSON object")
        known = {
            "method",
            "path",
            "count",
            "kind",
            "realm",
            "status",
            "code",
            "message",
            "detail",
            "fault_type",
            "body_format",
            "seconds",
            "after_commit",
        }
        unknown = set(spec) - known
        if unknown:
            raise ConfigError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        kind = spec.get("kind", "status")
        if kind not in FAULT_KINDS:
            raise ConfigError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        path = spec.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ConfigError("path must be a glob starting with '/', e.g. /v3/company/*/invoice")
        count = spec.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ConfigError("count must be a positive integer")
        method = str(spec.get("method", "*")).upper()
        fault = InjectedFault(
            id=0,
            method=method,
            path=path,
            remaining=count,
            kind=kind,
            realm=spec.get("realm"),
            status=spec.get("status"),
            code=None if spec.get("code") is None else str(spec["code"]),
            message=spec.get("message"),
            detail=spec.get("detail"),
            fault_type=spec.get("fault_type", "ValidationFault"),
            body_format=spec.get("body_format", "json"),
            after_commit=bool(spec.get("after_commit", False)),
        )
        if kind == "status" and fault.status not in STATUS_DEFAULTS:
            raise ConfigError("a status fault needs status 429, 500, 503 or 504")
        if kind == "drop" and fault.status not in (None, *STATUS_DEFAULTS):
            raise ConfigError("a drop answers nothing, or status 429, 500, 503 or 504")
        if kind == "fault":
            if not isinstance(fault.status, int) or not 400 <= fault.status <= 599:
                raise ConfigError("a QBO fault needs an HTTP status between 400 and 599")
            if not fault.code:
                raise ConfigError("a QBO fault needs a code, e.g. 6000")
        for name in ("message", "detail", "fault_type", "realm"):
            value = getattr(fault, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigError(f"{name} must be a non-empty string")
        if fault.body_format not in ("json", "xml", "text"):
            raise ConfigError("body_format must be json, xml or text")
        if kind == "hang":
            try:
                seconds = float(spec.get("seconds", self._options.max_hang_seconds))
            except (TypeError, ValueError):
                raise ConfigError("seconds must be a number") from None
            if seconds < 0:
                raise ConfigError("seconds must not be negative")
            fault.seconds = min(seconds, self._options.max_hang_seconds)
        fault.id = next(self._ids)
        return fault

    def take(self, method: str, path: str, realm: str | None) -> InjectedFault | None:
        """The first matching fault, counting this call against it."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, realm):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def list(self) -> list[dict]:
        with self._lock:
            return [asdict(fault) for fault in self._faults]

    def clear(self, fault_id: int | None = None) -> int:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if fault_id is not None and f.id != fault_id]
            return before - len(self._faults)


# -- throttles ------------------------------------------------------------------------------------


class Throttle:
    """The limits of Intuit's "API call limits and throttles" page (QBO.md §2.12), each an
    option: requests a minute per company, requests a second per company and app, batch requests
    a minute per company and app and per company; and, from Intuit's 2016 throttling post,
    requests in flight per company and app. Batch requests count in every window (the post:
    "500 requests per minute per realmId, including batch requests").

    Windows slide on the emulator clock, so a test can advance the clock instead of waiting (a
    frozen clock never empties them). Refused requests do not count.
    """

    def __init__(self, now: Callable[[], datetime], options: Options):
        self._now = now
        self._options = options
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._recent: dict[tuple, deque[float]] = {}
            self._in_flight: dict[tuple[str, str], int] = {}

    def _windows(self, realm: str, app: str, is_batch: bool) -> list[tuple[tuple, float, int]]:
        """(key, seconds, limit) of every window this request counts in."""
        options = self._options
        windows = [
            (("minute", realm), 60, options.requests_per_minute),
            (("second", realm, app), 1, options.requests_per_second),
        ]
        if is_batch:
            windows += [
                (("batch", realm, app), 60, options.batch_requests_per_minute),
                (("company batch", realm), 60, options.company_batch_requests_per_minute),
            ]
        return windows

    def admit(self, realm: str, app: str, is_batch: bool) -> bool:
        """Count the request in, or return False if a limit is reached (then nothing is held)."""
        now = self._now().timestamp()
        windows = self._windows(realm, app, is_batch)
        with self._lock:
            for key, seconds, limit in windows:
                recent = self._recent.setdefault(key, deque())
                while recent and recent[0] <= now - seconds:
                    recent.popleft()
                if len(recent) >= limit:
                    return False
            if self._in_flight.get((realm, app), 0) >= self._options.concurrent_requests:
                return False
            for key, _, _ in windows:
                self._recent[key].append(now)
            self._in_flight[(realm, app)] = self._in_flight.get((realm, app), 0) + 1
            return True

    def release(self, realm: str, app: str) -> None:
        with self._lock:
            self._in_flight[(realm, app)] -= 1


# -- request log ---------------------------------------------------------------------------------


class RequestLog:
    def __init__(self, now: Callable[[], datetime], options: Options):
        self._now = now
        self._lock = threading.Lock()
        self._entries: deque[dict] = deque(maxlen=options.request_log_size)
        # Bumped by clear(): a request that began before a clear (held by a delay fault, say)
        # and ends after it belongs to the log that was cleared, not to the fresh one.
        self.generation = 0

    def record(self, *, generation: int | None = None, **entry) -> None:
        entry["time"] = self._now().isoformat()
        with self._lock:
            if generation is None or generation == self.generation:
                self._entries.append(entry)

    def entries(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        realm: str | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        """Oldest first; `path` is a glob (`*` wildcards) or else a substring."""
        with self._lock:
            found = [
                e
                for e in self._entries
                if (method is None or e["method"] == method.upper())
                and (path is None or _path_matches(e["path"], path))
                and (status is None or e["status"] == status)
                and (realm is None or e["realm"] == realm)
            ]
        return found[-limit:] if limit else found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.generation += 1


def _path_matches(actual: str, wanted: str) -> bool:
    return fnmatch.fnmatchcase(actual, wanted) if "*" in wanted else wanted in actual


# -- the middleware ------------------------------------------------------------------------------


class Gateway:
    """Pure ASGI middleware (no per-request threads or body buffering on the fast path)."""

    def __init__(self, app, runtime: Runtime):
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tid = new_intuit_tid()
        outcome = {"status": None}

        async def send_stamped(message):
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("intuit_tid", tid)
                outcome["status"] = message["status"]
            await send(message)

        path = scope["path"]
        if path.startswith(CONTROL_PREFIX):
            await self._guarded(self.app, scope, receive, send_stamped, outcome)
            return
        match = API_PATH.match(path)
        realm = match["realm"] if match else None
        started = time.perf_counter()
        generation = self.runtime.requests.generation
        try:
            await self._guarded(
                lambda *args: self._serve(*args, realm),
                scope,
                receive,
                send_stamped,
                outcome,
                realm,
            )
        finally:
            self.runtime.requests.record(
                generation=generation,
                method=scope["method"],
                path=path,
                query=scope.get("query_string", b"").decode("latin-1"),
                status=outcome["status"],
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
                realm=realm,
                intuit_tid=tid,
            )

    def _now(self, realm: str | None) -> datetime:
        """A fault's `time` in its company's zone, as the data API writes it (UTC without one)."""
        try:
            return self.runtime.emulator.company(realm).local_now()
        except KeyError:
            return self.runtime.emulator.clock.now()

    async def _guarded(self, app, scope, receive, send, outcome: dict, realm: str | None = None):
        """An unexpected error becomes QBO's 500 SystemFault (with an intuit_tid), not a bare
        text page, so clients see the shape they would at Intuit; the error is logged."""
        try:
            await app(scope, receive, send)
        except Exception:
            logger.exception("unhandled error serving %s %s", scope["method"], scope["path"])
            if outcome["status"] is not None:
                raise  # the response has begun: nothing sensible can be sent any more
            await render_fault(STATUS_DEFAULTS[500](), self._now(realm))(scope, receive, send)

    async def _serve(self, scope, receive, send, realm: str | None):
        runtime = self.runtime
        options = runtime.config.options
        app = None
        if realm is not None:
            app = self._authorise(scope, realm)
            if isinstance(app, Response):
                await app(scope, receive, send)
                return
            if options.latency_ms:
                await asyncio.sleep(options.latency_ms / 1000)
        fault = runtime.faults.take(scope["method"], scope["path"], realm)
        if fault is not None and fault.kind in ("status", "fault"):
            response = render_fault(fault.qbo_fault(), self._now(realm), fault.body_format)
            await response(scope, receive, send)
            return
        if fault is not None and fault.kind == "hang" and not fault.after_commit:
            # Nothing is applied: a client patient enough to wait sees the gateway give up.
            await self._hang(fault.seconds)
            await render_fault(STATUS_DEFAULTS[504](), self._now(realm))(scope, receive, send)
            return
        throttled = realm is not None and options.throttle
        if throttled and not runtime.throttle.admit(realm, app, scope["path"].endswith("/batch")):
            response = render_fault(
                throttle_fault(), self._now(realm), options.throttle_body_format
            )
            await response(scope, receive, send)
            return
        try:
            if fault is not None and fault.kind == "drop":
                await self._commit_then_drop(scope, receive, send, fault, realm)
            elif fault is not None and fault.kind == "hang":
                await self._commit_then_hang(scope, receive, send, fault.seconds)
            else:
                await self.app(scope, receive, send)
        finally:
            if throttled:
                runtime.throttle.release(realm, app)

    def _authorise(self, scope, realm: str) -> str | Response:
        """The client id of the app the bearer token was issued to, or the gateway's refusal."""
        header = ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise TokenRejected("Authorization header with a Bearer token is required")
            grant = self.runtime.tokens.authenticate(token.strip())
        except TokenRejected as exc:
            return gateway_fault(401, "3200", "AuthenticationFailed", exc.detail, "AUTHENTICATION")
        if grant.realm_id != realm:
            return gateway_fault(
                403,
                "3100",
                "ApplicationAuthorizationFailed",
                f"The token is not authorized for company {realm}",
                "SERVICE",
            )
        return grant.client_id

    async def _commit_then_drop(
        self, scope, receive, send, fault: InjectedFault, realm: str | None
    ):
        async def discard(message):
            pass

        await self.app(scope, receive, discard)
        if fault.status is not None:
            response = render_fault(fault.qbo_fault(), self._now(realm), fault.body_format)
            await response(scope, receive, send)
            return
        # A status line and a body shorter than announced, then the app returns: the server closes
        # the connection and the client sees a broken response, not the outcome.
        await send(
            {
                "type": "http.response.start",
                "status": 502,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"512")],
            }
        )
        await send({"type": "http.response.body", "body": b"{", "more_body": True})

    async def _commit_then_hang(self, scope, receive, send, seconds: float):
        messages = []

        async def keep(message):
            messages.append(message)

        await self.app(scope, receive, keep)
        await self._hang(seconds)
        for message in messages:
            await send(message)

    async def _hang(self, seconds: float):
        # Sleep in slices so a server shutting down is not held for the whole hang.
        deadline = time.monotonic() + seconds
        while not self.runtime.stopping.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
