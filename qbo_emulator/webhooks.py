"""Webhook notifications to registered apps, signed and retried as Intuit does (QBO.md §5).

Each committed change becomes an event. A worker thread groups pending events into deliveries
(after the aggregation window), POSTs them to each app's webhook URL and retries a failing
delivery on the configured schedule; a failing delivery blocks the app's later ones, as Intuit
warns. Nothing here runs inside a request or under the company-state lock: the listener only
appends to a queue. Tests can drop, duplicate or reorder deliveries and force a pass at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx

from .config import App, Config, ConfigError

if TYPE_CHECKING:
    from .oauth import TokenStore
    from .store import Change

logger = logging.getLogger(__name__)

INJECTIONS = ("drop", "duplicate", "reorder")
CLOUDEVENTS_PER_DELIVERY = 100  # Intuit: up to 100 events per delivery (QBO.md §5.3)
PAST_TENSE = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Void": "voided",
    "Merge": "merged",
    "Emailed": "emailed",
}


def sign(body: bytes, verifier_token: str) -> str:
    """The `intuit-signature` header: base64 of HMAC-SHA256 over the raw body."""
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass
class Event:
    id: str
    realm_id: str
    entity: str
    entity_id: str
    operation: str
    at: datetime
    queued_at: float  # monotonic, for the aggregation window


@dataclass
class Delivery:
    id: int
    client_id: str
    url: str
    events: list[Event]
    body: bytes
    content_type: str
    signature: str
    attempts: int = 0
    due: float = 0.0  # monotonic time of the next attempt


def legacy_body(events: list[Event]) -> dict:
    """`eventNotifications`, one element per realm (QBO.md §5.2)."""
    by_realm: dict[str, list[dict]] = {}
    for event in events:
        by_realm.setdefault(event.realm_id, []).append(
            {
                "name": event.entity,
                "id": event.entity_id,
                "operation": event.operation,
                "lastUpdated": event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
        )
    return {
        "eventNotifications": [
            {"realmId": realm, "dataChangeEvent": {"entities": entities}}
            for realm, entities in by_realm.items()
        ]
    }


def cloudevents_body(events: list[Event], client_id: str, time_digits: int) -> list[dict]:
    """A JSON array of CloudEvents, members in the order of Intuit's sample (QBO.md §5.3)."""
    source = "intuit." + base64.b64encode(hashlib.sha256(client_id.encode()).digest()).decode()
    return [
        {
            "specversion": "1.0",
            "id": event.id,
            "source": source,
            "type": f"qbo.{event.entity.lower()}."
            f"{PAST_TENSE.get(event.operation, event.operation.lower())}.v1",
            "datacontenttype": "application/json",
            "time": _event_time(event.at, time_digits),
            "intuitentityid": event.entity_id,
            "intuitaccountid": event.realm_id,
            "data": {},
        }
        for event in events
    ]


def _event_time(at: datetime, digits: int) -> str:
    """UTC with `digits` fraction digits; past microseconds the digits are zeros, as the clock
    has no finer grain."""
    at = at.astimezone(UTC)
    fraction = f"{at.microsecond:06d}000"[:digits]
    return at.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


@dataclass
class _AppQueue:
    deliveries: deque[Delivery] = field(default_factory=deque)
    held: Delivery | None = None  # reorder injection: waits to go after the next delivery


class WebhookDispatcher:
    def __init__(self, config: Config, tokens: TokenStore):
        self._config = config
        self._tokens = tokens
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pass_lock = threading.Lock()  # one delivery pass at a time (worker or deliver_now)
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None
        self._stopping = False
        self.clear()

    # -- intake (called by the store after each committed change) ------------------------------

    def on_change(self, change: Change) -> None:
        event = Event(
            id=str(uuid.uuid4()),
            realm_id=change.realm_id,
            entity=change.entity,
            entity_id=str(change.entity_id),
            operation=change.operation,
            at=change.at,
            queued_at=time.monotonic(),
        )
        with self._wake:
            self._incoming.append(event)
            self._wake.notify()

    # -- controls ------------------------------------------------------------------------------

    def inject(self, kind: str, count: int = 1) -> dict:
        if kind not in INJECTIONS:
            raise ConfigError(f"kind must be one of {', '.join(INJECTIONS)}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ConfigError("count must be a positive integer")
        with self._lock:
            self._injections[kind] += count
            return dict(self._injections)

    def clear(self) -> None:
        with self._lock:
            self._incoming: list[Event] = []
            self._queues: dict[str, _AppQueue] = {}
            self._injections = dict.fromkeys(INJECTIONS, 0)
            self._log: deque[dict] = deque(maxlen=1000)

    def status(self) -> dict:
        with self._lock:
            return {
                "incoming_events": len(self._incoming),
                "queued": {
                    client_id: {
                        "deliveries": [_summary(d) for d in queue.deliveries],
                        "held": _summary(queue.held) if queue.held else None,
                    }
                    for client_id, queue in self._queues.items()
                },
                "injections": dict(self._injections),
                "log": list(self._log),
            }

    def deliver_now(self) -> list[dict]:
        """Group every pending event and attempt every queued delivery once, ignoring the
        aggregation window and retry waits; returns the attempts made."""
        return self._run_pass(force=True)

    # -- worker --------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping = False
        self._client = httpx.Client(timeout=self._config.options.webhook_timeout_seconds)
        self._thread = threading.Thread(
            target=self._work, name="qbo-emulator-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(timeout=10)
        self._thread = None
        self._client.close()
        self._client = None

    def _work(self) -> None:
        while True:
            with self._wake:
                if self._stopping:
                    return
                self._wake.wait(timeout=self._seconds_until_due())
                if self._stopping:
                    return
            try:
                self._run_pass(force=False)
            except Exception:
                # Keep the worker alive: one bad pass must not silently end all deliveries.
                logger.exception("webhook delivery pass failed")

    def _seconds_until_due(self) -> float:
        # Called with the lock held.
        now = time.monotonic()
        candidates = [1.0]
        if self._incoming:
            window = self._config.options.webhook_window_seconds
            candidates.append(self._incoming[0].queued_at + window - now)
        candidates += [q.deliveries[0].due - now for q in self._queues.values() if q.deliveries]
        return max(0.0, min(candidates))

    def _run_pass(self, force: bool) -> list[dict]:
        with self._pass_lock:
            self._group_events(force)
            attempts = []
            for client_id in list(self._queues):
                attempts += self._drain(client_id, force)
            return attempts

    def _group_events(self, force: bool) -> None:
        options = self._config.options
        with self._lock:
            if not self._incoming:
                return
            age = time.monotonic() - self._incoming[0].queued_at
            if not force and age < options.webhook_window_seconds:
                return
            events, self._incoming = self._incoming, []
        for app in self._config.apps():
            if app.webhook_url is None:
                continue
            wanted = [e for e in events if self._wants(app, e)]
            for chunk in self._chunks(app, wanted):
                self._enqueue(app, chunk)

    def _wants(self, app: App, event: Event) -> bool:
        subscribed = app.webhook_entities is None or event.entity in app.webhook_entities
        # Intuit notifies only companies connected to the app (QBO.md §5.1).
        return subscribed and self._tokens.is_connected(app.client_id, event.realm_id)

    @staticmethod
    def _chunks(app: App, events: list[Event]) -> list[list[Event]]:
        if not events:
            return []
        if app.webhook_format == "legacy":
            # One realm per notification, as Intuit sends them.
            by_realm: dict[str, list[Event]] = {}
            for event in events:
                by_realm.setdefault(event.realm_id, []).append(event)
            return list(by_realm.values())
        size = CLOUDEVENTS_PER_DELIVERY
        return [events[i : i + size] for i in range(0, len(events), size)]

    def _enqueue(self, app: App, events: list[Event]) -> None:
        options = self._config.options
        if app.webhook_format == "legacy":
            payload, content_type = legacy_body(events), "application/json"
        else:
            payload = cloudevents_body(
                events, app.client_id, options.webhook_cloudevents_time_digits
            )
            content_type = options.webhook_cloudevents_content_type
        # The body is fixed once, so every retry and duplicate carries the same bytes and signature.
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        delivery = Delivery(
            id=next(self._ids),
            client_id=app.client_id,
            url=app.webhook_url,
            events=events,
            body=body,
            content_type=content_type,
            signature=sign(body, app.verifier_token),
        )
        with self._lock:
            queue = self._queues.setdefault(app.client_id, _AppQueue())
            if queue.held is not None:
                queue.deliveries.extend([delivery, queue.held])
                queue.held = None
            elif self._injections["reorder"]:
                self._injections["reorder"] -= 1
                queue.held = delivery
            else:
                queue.deliveries.append(delivery)

    def _drain(self, client_id: str, force: bool) -> list[dict]:
        attempts = []
        schedule = self._config.options.webhook_retry_schedule
        tried = set()
        while True:
            with self._lock:
                queue = self._queues.get(client_id)  # gone if cleared meanwhile
                if queue is None or not queue.deliveries:
                    return attempts
                delivery = queue.deliveries[0]
                if delivery.id in tried or (not force and delivery.due > time.monotonic()):
                    return attempts
                tried.add(delivery.id)
                dropped = self._injections["drop"] > 0
                duplicated = not dropped and self._injections["duplicate"] > 0
                if dropped:
                    self._injections["drop"] -= 1
                elif duplicated:
                    self._injections["duplicate"] -= 1
            if dropped:
                attempts.append(self._record(delivery, status=None, error="dropped (injected)"))
                ok = True
            else:
                result = self._post(delivery)
                attempts.append(result)
                ok = result["ok"]
                if ok and duplicated:
                    attempts.append(self._post(delivery, duplicate=True))
            with self._lock:
                if ok:
                    queue.deliveries.popleft()
                else:
                    wait = schedule[min(delivery.attempts - 1, len(schedule) - 1)]
                    delivery.due = time.monotonic() + wait
                    # A failing delivery blocks the app's later ones (QBO.md §5.5).
                    return attempts

    def _post(self, delivery: Delivery, duplicate: bool = False) -> dict:
        delivery.attempts += 1
        headers = {"Content-Type": delivery.content_type, "intuit-signature": delivery.signature}
        client = self._client
        try:
            if client is None:
                timeout = self._config.options.webhook_timeout_seconds
                response = httpx.post(
                    delivery.url, content=delivery.body, headers=headers, timeout=timeout
                )
            else:
                response = client.post(delivery.url, content=delivery.body, headers=headers)
        except httpx.HTTPError as exc:
            return self._record(
                delivery, status=None, error=f"{type(exc).__name__}: {exc}", duplicate=duplicate
            )
        return self._record(delivery, status=response.status_code, duplicate=duplicate)

    def _record(self, delivery: Delivery, *, status, error=None, duplicate=False) -> dict:
        entry = {
            "delivery_id": delivery.id,
            "client_id": delivery.client_id,
            "url": delivery.url,
            "attempt": delivery.attempts,
            "status": status,
            "ok": status is not None and 200 <= status < 300,
            "error": error,
            "duplicate": duplicate,
            "event_ids": [e.id for e in delivery.events],
            "time": datetime.now(UTC).isoformat(),
            "body": delivery.body.decode("utf-8"),
        }
        with self._lock:
            self._log.append(entry)
        return entry


def _summary(delivery: Delivery) -> dict:
    return {
        "delivery_id": delivery.id,
        "url": delivery.url,
        "attempts": delivery.attempts,
        "events": len(delivery.events),
        "due_in_seconds": max(0.0, round(delivery.due - time.monotonic(), 3)),
    }
