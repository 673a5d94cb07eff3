"""Intuit's webhook notifications: verify, parse, store (QBO.md §5, RELIABILITY.md §3).

A notification only hints that something changed in a company: the paid-status sync reads QBO
again before it believes anything. So the receiver does as little as it can while Intuit waits
(it wants an answer within 3 s): it checks the signature over the raw bytes, keeps each
well-formed event once and wakes the sync of every company that got something new.

Intuit signs the body only, without a timestamp, so a captured delivery stays valid forever; a
replay is harmless because every event is stored once under its dedupe key and only ever leads
to a re-read of QBO.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billbridge.quickbooks import tasks
from billbridge.quickbooks.models import IgnoredWebhooks, QboConnection, WebhookEvent

logger = logging.getLogger(__name__)

# Intuit caps a CloudEvents delivery at about 1 MB (QBO.md §5.3); anything larger is refused
# before it is read or hashed.
MAX_BODY_BYTES = 1024 * 1024

# CloudEvents name the operation in the past tense; the legacy format and QBO itself use these.
OPERATIONS = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "voided": "Void",
    "merged": "Merge",
    "emailed": "Emailed",
}

# CloudEvents lower-case the entity; the sync looks events up by QBO's own spelling.
ENTITIES = {
    name.lower(): name
    for name in (
        "Account",
        "Bill",
        "BillPayment",
        "Budget",
        "Class",
        "CreditMemo",
        "Currency",
        "Customer",
        "Department",
        "Deposit",
        "Employee",
        "Estimate",
        "Invoice",
        "Item",
        "JournalCode",
        "JournalEntry",
        "Payment",
        "PaymentMethod",
        "Preferences",
        "Purchase",
        "PurchaseOrder",
        "RefundReceipt",
        "SalesReceipt",
        "TaxAgency",
        "Term",
        "TimeActivity",
        "Transfer",
        "Vendor",
        "VendorCredit",
    )
}

# Column sizes of WebhookEvent: a longer value is malformed, not something to cut short.
_KEY_MAX = WebhookEvent._meta.get_field("dedupe_key").max_length
_REALM_MAX = WebhookEvent._meta.get_field("realm_id").max_length
_ENTITY_MAX = WebhookEvent._meta.get_field("entity").max_length
_ID_MAX = WebhookEvent._meta.get_field("entity_id").max_length
_OPERATION_MAX = WebhookEvent._meta.get_field("operation").max_length
_TIME_MAX = 64


@dataclass(frozen=True)
class Event:
    dedupe_key: str
    realm_id: str
    entity: str
    entity_id: str
    operation: str
    occurred_at: datetime


class Malformed(ValueError):
    """Why one event (or a whole notification) cannot be kept; logged, never answered with."""


def verify(body: bytes, signature: str | None) -> bool:
    """Whether `signature` is base64(HMAC-SHA256(verifier token, body)). Without a verifier
    token configured nothing verifies: an unconfigured receiver must not accept forgeries."""
    verifier = settings.QBO_WEBHOOK_VERIFIER
    if not verifier or not signature:
        return False
    expected = base64.b64encode(hmac.new(verifier.encode(), body, hashlib.sha256).digest())
    # Characters a base64 digest never holds become "?", which cannot match either.
    return hmac.compare_digest(expected, signature.strip().encode("ascii", "replace"))


def parse(body: bytes) -> list[Event]:
    """The well-formed events of a delivery in either format, each dedupe key once. Anything
    else is logged (what was wrong, never the values) and left out; this never raises."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        logger.warning("Intuit webhook: the body (%d bytes) is not JSON; nothing kept", len(body))
        return []
    if isinstance(payload, list):
        readings = _cloudevents(payload)
    elif isinstance(payload, dict) and "eventNotifications" in payload:
        readings = _legacy(payload["eventNotifications"])
    else:
        logger.warning(
            "Intuit webhook: neither CloudEvents nor eventNotifications (a JSON %s); nothing kept",
            type(payload).__name__,
        )
        return []
    events: dict[str, Event] = {}
    problems: Counter[str] = Counter()
    for reading in readings:
        if isinstance(reading, Malformed):
            problems[str(reading)] += 1
        else:
            events.setdefault(reading.dedupe_key, reading)
    if problems:
        logger.warning(
            "Intuit webhook: %d malformed event(s) left out: %s",
            sum(problems.values()),
            "; ".join(f"{count} × {problem}" for problem, count in sorted(problems.items())),
        )
    return list(events.values())


def store(events: list[Event]) -> None:
    """Keep the events of connected companies once (one INSERT), count the others, and wake the
    sync of each company that got a new event once the transaction has committed."""
    if not events:
        return
    now = timezone.now()
    with transaction.atomic():
        known = set(
            QboConnection.objects.filter(
                realm_id__in={event.realm_id for event in events}
            ).values_list("realm_id", flat=True)
        )
        _count_ignored(Counter(e.realm_id for e in events if e.realm_id not in known), now)
        wanted = [event for event in events if event.realm_id in known]
        if not wanted:
            return
        # Knowing which events are new tells which companies to wake; a concurrent twin of this
        # delivery may still slip in between, which ignore_conflicts absorbs (it costs a second
        # wake-up at worst).
        seen = set(
            WebhookEvent.objects.filter(
                dedupe_key__in=[event.dedupe_key for event in wanted]
            ).values_list("dedupe_key", flat=True)
        )
        new = [event for event in wanted if event.dedupe_key not in seen]
        WebhookEvent.objects.bulk_create(
            [
                WebhookEvent(
                    dedupe_key=event.dedupe_key,
                    realm_id=event.realm_id,
                    entity=event.entity,
                    entity_id=event.entity_id,
                    operation=event.operation,
                    occurred_at=event.occurred_at,
                )
                for event in new
            ],
            ignore_conflicts=True,
        )
        woken = sorted({event.realm_id for event in new})
        QboConnection.objects.filter(realm_id__in=woken).update(last_webhook_at=now)
        for realm_id in woken:
            # robust: the events are kept whatever happens to a wake-up, and the CDC poll finds
            # them anyway; a failed wake must not turn Intuit's 200 into a retry.
            transaction.on_commit(partial(tasks.wake_sync, realm_id), robust=True)


def _count_ignored(counts: Counter[str], now: datetime) -> None:
    if not counts:
        return
    IgnoredWebhooks.objects.bulk_create(
        [IgnoredWebhooks(realm_id=realm_id) for realm_id in counts], ignore_conflicts=True
    )
    for realm_id, count in counts.items():
        IgnoredWebhooks.objects.filter(realm_id=realm_id).update(
            count=F("count") + count, last_at=now
        )


def _cloudevents(items: list) -> Iterator[Event | Malformed]:
    for item in items:
        try:
            yield _cloudevent(item)
        except Malformed as problem:
            yield problem


def _cloudevent(item) -> Event:
    if not isinstance(item, dict):
        raise Malformed("a CloudEvent that is not an object")
    if item.get("specversion") != "1.0":
        raise Malformed("specversion is not 1.0")
    kind = item.get("type")
    parts = kind.split(".") if isinstance(kind, str) else []
    if len(parts) != 4 or parts[0] != "qbo" or not parts[3].startswith("v"):
        raise Malformed("type is not qbo.<entity>.<verb>.v<n>")
    _, entity, verb, _ = parts
    return Event(
        dedupe_key=_text(item, "id", _KEY_MAX),
        realm_id=_text(item, "intuitaccountid", _REALM_MAX),
        entity=_name(
            ENTITIES.get(entity.lower()) or entity[:1].upper() + entity[1:],
            "entity in type",
            _ENTITY_MAX,
        ),
        entity_id=_text(item, "intuitentityid", _ID_MAX),
        # A verb Intuit has not announced is kept as sent: the sync re-reads QBO whatever it is.
        operation=_name(OPERATIONS.get(verb, verb), "verb in type", _OPERATION_MAX),
        occurred_at=_moment(item, "time"),
    )


def _legacy(notifications) -> Iterator[Event | Malformed]:
    if not isinstance(notifications, list):
        yield Malformed("eventNotifications is not a list")
        return
    for notification in notifications:
        try:
            if not isinstance(notification, dict):
                raise Malformed("a notification that is not an object")
            realm_id = _text(notification, "realmId", _REALM_MAX)
            change = notification.get("dataChangeEvent")
            entities = change.get("entities") if isinstance(change, dict) else None
            if not isinstance(entities, list):
                raise Malformed("a notification without dataChangeEvent.entities")
        except Malformed as problem:
            yield problem
            continue
        for entity in entities:
            try:
                yield _legacy_event(realm_id, entity)
            except Malformed as problem:
                yield problem


def _legacy_event(realm_id: str, entity) -> Event:
    if not isinstance(entity, dict):
        raise Malformed("an entity that is not an object")
    name = _name(entity.get("name"), "name", _ENTITY_MAX)
    entity_id = _text(entity, "id", _ID_MAX)
    operation = _name(entity.get("operation"), "operation", _OPERATION_MAX)
    occurred_at = _moment(entity, "lastUpdated")
    # Intuit gives legacy events no id; the same change notified again carries the same fields.
    key = ":".join(("legacy", realm_id, name, entity_id, operation, entity["lastUpdated"]))
    if len(key) > _KEY_MAX:
        raise Malformed("an event whose fields are too long for a dedupe key")
    return Event(key, realm_id, name, entity_id, operation, occurred_at)


def _text(item: dict, field: str, max_length: int) -> str:
    """An identifier: Intuit sends strings, a number is taken as its digits."""
    value = item.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    # Printable excludes NUL and lone surrogates, which the database would refuse mid-INSERT.
    if not isinstance(value, str) or value.split() != [value] or not value.isprintable():
        raise Malformed(f"{field} missing or not text")
    if len(value) > max_length:
        raise Malformed(f"{field} longer than {max_length} characters")
    return value


def _name(value, what: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.isascii() or not value.isalnum():
        raise Malformed(f"{what} missing or not a name")
    if len(value) > max_length:
        raise Malformed(f"{what} longer than {max_length} characters")
    return value


def _moment(item: dict, field: str) -> datetime:
    value = item.get(field)
    if not isinstance(value, str) or len(value) > _TIME_MAX:
        raise Malformed(f"{field} missing or not a time")
    try:
        moment = datetime.fromisoformat(value)
        # Intuit always gives an offset; a bare time is taken as UTC. Converting here also
        # refuses times at the ends of the calendar that overflow once moved to UTC.
        return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)
    except (ValueError, OverflowError):
        raise Malformed(f"{field} is not an ISO 8601 time") from None
