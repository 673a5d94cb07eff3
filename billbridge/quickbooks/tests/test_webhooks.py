"""Intuit's webhooks: only signed deliveries are kept, every event once, whatever the format or
the mix of companies; Intuit always gets a fast 200 for a signed body it can do nothing about."""

import http.client
import json
import logging
import math
import time
from datetime import UTC, datetime

import httpx
import pytest
from django.db import connection as db_connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billbridge.core import testing
from billbridge.core.http import BAD_LENGTH, TOO_LARGE
from billbridge.quickbooks import tasks, webhooks
from billbridge.quickbooks.models import IgnoredWebhooks, QboConnection, WebhookEvent
from billbridge.quickbooks.testing import connect_practice
from qbo_emulator.config import DEMO_VERIFIER_TOKEN, Config, demo_app
from qbo_emulator.testing import running_emulator
from qbo_emulator.webhooks import sign

URL = "/quickbooks/webhooks"
VERIFIER = "test-verifier-0f3c"
KNOWN = ("1001", "1002")
UNKNOWN = "9999"

# Intuit's own test vector (QBO.md §5.4, from its Java SDK).
VECTOR_TOKEN = "b5771f19b12ddb4bcdb9f08bdc50bc63878a"
VECTOR_BODY = (
    b'{"eventNotifications":[{"realmId":"1185883450","dataChangeEvent":{"entities":'
    b'[{"name":"Customer","id":"1","operation":"Create","lastUpdated":'
    b'"2015-10-05T14:42:19-0700"}]}}]}'
)
VECTOR_SIGNATURE = "JC2GUwciPmRBwEO7WvrRmKqu9tGOKL8FFallocTFi8Q="

SIGNED = object()  # post(): sign the body with the configured verifier


def cloudevent(realm, entity_id, kind="qbo.invoice.updated.v1", event_id=None, **fields) -> dict:
    event = {
        "specversion": "1.0",
        "id": event_id or f"ev-{realm}-{entity_id}-{kind}",
        "source": "intuit.abc=",
        "type": kind,
        "datacontenttype": "application/json",
        "time": "2026-11-26T10:15:30.123456789Z",
        "intuitentityid": entity_id,
        "intuitaccountid": realm,
        "data": {},
    }
    event.update(fields)
    return event


def legacy(*notifications) -> bytes:
    return dumps({"eventNotifications": list(notifications)})


def notification(realm, *entities) -> dict:
    return {"realmId": realm, "dataChangeEvent": {"entities": list(entities)}}


def entity(name, entity_id, operation="Update", last="2026-11-26T02:15:30-0800") -> dict:
    return {"name": name, "id": entity_id, "operation": operation, "lastUpdated": last}


def dumps(payload) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def rows() -> set[tuple]:
    return set(WebhookEvent.objects.values_list("realm_id", "entity", "entity_id", "operation"))


def keys() -> set[str]:
    return set(WebhookEvent.objects.values_list("dedupe_key", flat=True))


@pytest.fixture
def verifier(settings):
    settings.QBO_WEBHOOK_VERIFIER = VERIFIER


@pytest.fixture
def wakes(monkeypatch):
    """The realms whose sync was woken, in order (wake_sync itself belongs to the sync)."""
    calls = []
    monkeypatch.setattr(tasks, "wake_sync", calls.append)
    return calls


@pytest.fixture
def connected(db):
    return {
        realm: QboConnection.objects.create(practice=testing.make_practice(), realm_id=realm)
        for realm in KNOWN
    }


@pytest.fixture
def post(verifier, wakes, django_capture_on_commit_callbacks):
    """POST a body as Intuit would, running what the view leaves for after its commit."""
    client = Client(enforce_csrf_checks=True)  # Intuit has no CSRF token: the view must not ask

    def post(body: bytes, signature=SIGNED, content_type="application/json", url=URL, **meta):
        headers = {}
        if signature is SIGNED:
            headers["intuit-signature"] = sign(body, VERIFIER)
        elif signature is not None:
            headers["intuit-signature"] = signature
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data=body, content_type=content_type, headers=headers, **meta)

    return post


# -- the signature ---------------------------------------------------------------------------------


def test_intuits_test_vector_verifies_and_nothing_else_does(settings):
    settings.QBO_WEBHOOK_VERIFIER = VECTOR_TOKEN
    assert webhooks.verify(VECTOR_BODY, VECTOR_SIGNATURE)
    assert webhooks.verify(VECTOR_BODY, f" {VECTOR_SIGNATURE}\t")
    assert not webhooks.verify(VECTOR_BODY + b" ", VECTOR_SIGNATURE)
    assert not webhooks.verify(VECTOR_BODY, VECTOR_SIGNATURE.lower())
    assert not webhooks.verify(VECTOR_BODY, VECTOR_SIGNATURE + "é")
    assert not webhooks.verify(VECTOR_BODY, None)
    assert not webhooks.verify(VECTOR_BODY, "")
    settings.QBO_WEBHOOK_VERIFIER = ""
    assert not webhooks.verify(VECTOR_BODY, VECTOR_SIGNATURE)
    assert not webhooks.verify(VECTOR_BODY, sign(VECTOR_BODY, ""))


def test_the_legacy_test_vector_is_stored_once_for_a_connected_company(post, wakes, settings, db):
    settings.QBO_WEBHOOK_VERIFIER = VECTOR_TOKEN
    connection = QboConnection.objects.create(
        practice=testing.make_practice(), realm_id="1185883450"
    )
    response = post(VECTOR_BODY, signature=VECTOR_SIGNATURE)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.dedupe_key == "legacy:1185883450:Customer:1:Create:2015-10-05T14:42:19-0700"
    assert (event.realm_id, event.entity, event.entity_id, event.operation) == (
        "1185883450",
        "Customer",
        "1",
        "Create",
    )
    assert event.occurred_at == datetime(2015, 10, 5, 21, 42, 19, tzinfo=UTC)
    assert event.processed_at is None
    assert wakes == ["1185883450"]
    connection.refresh_from_db()
    assert connection.last_webhook_at is not None


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        sign(b"another body", VERIFIER),
        "not base64 at all",
        "JC2GUwciPmRBwEO7WvrRmKqu9tGOKL8FFallocTFi8Q=",
    ],
    ids=["missing", "empty", "another-body", "garbage", "other-key"],
)
def test_an_unsigned_or_forged_delivery_is_refused_and_nothing_is_kept(
    post, wakes, connected, signature
):
    body = dumps([cloudevent("1001", "130"), cloudevent(UNKNOWN, "7")])
    assert post(body, signature=signature).status_code == 401
    assert post(body).status_code == 200  # the same body, signed: the control
    assert wakes == ["1001"]
    assert rows() == {("1001", "Invoice", "130", "Update")}
    assert IgnoredWebhooks.objects.get().count == 1


def test_signed_with_the_client_secret_is_forged(post, connected):
    body = dumps([cloudevent("1001", "130")])
    assert post(body, signature=sign(body, "emulator-secret")).status_code == 401
    assert not WebhookEvent.objects.exists()


def test_without_a_verifier_token_nothing_is_accepted(post, settings, connected, wakes):
    settings.QBO_WEBHOOK_VERIFIER = ""
    body = dumps([cloudevent("1001", "130")])
    assert post(body, signature=sign(body, "")).status_code == 401
    assert post(body, signature=sign(body, VERIFIER)).status_code == 401
    assert not WebhookEvent.objects.exists()
    assert wakes == []


# -- the formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/cloudevents+json", "application/json"])
def test_cloudevents_are_stored_with_qbos_names(post, wakes, connected, content_type):
    body = dumps(
        [
            cloudevent("1001", "130", "qbo.invoice.updated.v1", event_id="a1"),
            cloudevent(
                "1001",
                "77",
                "qbo.payment.created.v1",
                event_id="a2",
                time="2026-11-26T10:15:31+01:00",
            ),
            cloudevent("1001", "131", "qbo.creditmemo.voided.v1", event_id="a3"),
        ]
    )
    assert post(body, content_type=content_type).status_code == 200
    stored = {
        event.dedupe_key: (event.realm_id, event.entity, event.entity_id, event.operation)
        for event in WebhookEvent.objects.all()
    }
    assert stored == {
        "a1": ("1001", "Invoice", "130", "Update"),
        "a2": ("1001", "Payment", "77", "Create"),
        "a3": ("1001", "CreditMemo", "131", "Void"),
    }
    occurred = dict(WebhookEvent.objects.values_list("dedupe_key", "occurred_at"))
    assert occurred["a1"] == datetime(2026, 11, 26, 10, 15, 30, 123456, tzinfo=UTC)
    assert occurred["a2"] == datetime(2026, 11, 26, 9, 15, 31, tzinfo=UTC)
    assert wakes == ["1001"]


@pytest.mark.parametrize(
    ("verb", "operation"),
    [
        ("created", "Create"),
        ("updated", "Update"),
        ("deleted", "Delete"),
        ("voided", "Void"),
        ("merged", "Merge"),
        ("emailed", "Emailed"),
        ("archived", "archived"),  # not announced by Intuit: kept as sent, the sync re-reads
    ],
)
def test_cloudevents_verbs_become_qbo_operations(verb, operation):
    (event,) = webhooks.parse(dumps([cloudevent("1001", "5", f"qbo.invoice.{verb}.v1")]))
    assert event.operation == operation


@pytest.mark.parametrize(
    ("named", "entity"),
    [
        ("invoice", "Invoice"),
        ("payment", "Payment"),
        ("salesreceipt", "SalesReceipt"),
        ("journalentry", "JournalEntry"),
        ("Invoice", "Invoice"),
        ("gadget", "Gadget"),
    ],
)
def test_cloudevents_entities_are_spelled_as_qbo_spells_them(named, entity):
    (event,) = webhooks.parse(dumps([cloudevent("1001", "5", f"qbo.{named}.created.v1")]))
    assert event.entity == entity


def test_a_legacy_delivery_with_several_companies(post, wakes, connected):
    body = legacy(
        notification("1001", entity("Invoice", "130"), entity("Payment", "77", "Create")),
        notification("1002", entity("Invoice", "9", "Void")),
        notification(UNKNOWN, entity("Invoice", "1"), entity("Invoice", "2")),
    )
    assert post(body).status_code == 200
    assert rows() == {
        ("1001", "Invoice", "130", "Update"),
        ("1001", "Payment", "77", "Create"),
        ("1002", "Invoice", "9", "Void"),
    }
    assert WebhookEvent.objects.get(entity_id="9").dedupe_key == (
        "legacy:1002:Invoice:9:Void:2026-11-26T02:15:30-0800"
    )
    assert wakes == ["1001", "1002"]
    assert IgnoredWebhooks.objects.get(realm_id=UNKNOWN).count == 2


def test_a_cloudevents_delivery_mixing_companies(post, wakes, connected):
    before = timezone.now()
    body = dumps(
        [
            cloudevent("1002", "1"),
            cloudevent(UNKNOWN, "1"),
            cloudevent("1001", "2"),
            cloudevent("1002", "3"),
            cloudevent("5555", "1"),
            cloudevent(UNKNOWN, "4"),
        ]
    )
    assert post(body).status_code == 200
    assert rows() == {
        ("1002", "Invoice", "1", "Update"),
        ("1001", "Invoice", "2", "Update"),
        ("1002", "Invoice", "3", "Update"),
    }
    assert wakes == ["1001", "1002"]  # once each, however many events
    assert dict(IgnoredWebhooks.objects.values_list("realm_id", "count")) == {
        UNKNOWN: 2,
        "5555": 1,
    }
    for realm in KNOWN:
        assert QboConnection.objects.get(realm_id=realm).last_webhook_at >= before


def test_unknown_companies_are_counted_across_deliveries_and_never_stored(post, wakes, connected):
    for count in (2, 3):
        body = dumps([cloudevent(UNKNOWN, str(n), event_id=f"{count}-{n}") for n in range(count)])
        assert post(body).status_code == 200
    assert IgnoredWebhooks.objects.get(realm_id=UNKNOWN).count == 5
    assert not WebhookEvent.objects.exists()
    assert wakes == []
    assert QboConnection.objects.filter(last_webhook_at__isnull=False).count() == 0


@pytest.mark.parametrize(
    "body",
    [
        dumps([cloudevent("1001", "130"), cloudevent("1002", "4", "qbo.payment.created.v1")]),
        legacy(notification("1001", entity("Invoice", "130")), notification("1002")),
    ],
    ids=["cloudevents", "legacy"],
)
def test_a_replayed_delivery_is_stored_once_and_wakes_nothing_more(post, wakes, connected, body):
    assert post(body).status_code == 200
    first = {(row, WebhookEvent.objects.get(dedupe_key=row).pk) for row in keys()}
    woken = list(wakes)
    seen_at = QboConnection.objects.get(realm_id="1001").last_webhook_at
    assert post(body).status_code == 200
    assert {(row, WebhookEvent.objects.get(dedupe_key=row).pk) for row in keys()} == first
    assert wakes == woken  # nothing new: no second wake-up
    assert QboConnection.objects.get(realm_id="1001").last_webhook_at == seen_at


def test_the_same_event_twice_in_one_delivery_is_one_row(post, wakes, connected):
    event = cloudevent("1001", "130", event_id="twice")
    assert post(dumps([event, event, {**event, "intuitentityid": "131"}])).status_code == 200
    assert rows() == {("1001", "Invoice", "130", "Update")}
    assert wakes == ["1001"]


# -- bodies it cannot use --------------------------------------------------------------------------


SHAPELESS = "Intuit webhook: neither CloudEvents nor eventNotifications (a JSON {}); nothing kept"


@pytest.mark.parametrize(
    ("body", "logged"),
    [
        (b'{"hello": "world"}', [SHAPELESS.format("dict")]),
        (b"42", [SHAPELESS.format("int")]),
        (b'"text"', [SHAPELESS.format("str")]),
        (b"null", [SHAPELESS.format("NoneType")]),
        (b"[]", []),  # an empty CloudEvents delivery: nothing to say
        (
            b'{"eventNotifications": 7}',
            ["Intuit webhook: 1 malformed event(s) left out: 1 × eventNotifications is not a list"],
        ),
    ],
)
def test_json_of_no_known_shape_gets_a_200_and_keeps_nothing(
    post, wakes, connected, caplog, body, logged
):
    with caplog.at_level(logging.WARNING, logger="billbridge.quickbooks.webhooks"):
        assert post(body).status_code == 200
    assert [record.getMessage() for record in caplog.records] == logged
    assert not WebhookEvent.objects.exists()
    assert wakes == []


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe\x00", b"[" * 100_000, b""])
def test_a_signed_body_that_is_not_json_gets_a_200_and_is_logged(
    post, wakes, connected, caplog, body
):
    with caplog.at_level(logging.WARNING, logger="billbridge.quickbooks.webhooks"):
        assert post(body).status_code == 200
    assert [r.getMessage() for r in caplog.records] == [
        f"Intuit webhook: the body ({len(body)} bytes) is not JSON; nothing kept"
    ]
    assert not WebhookEvent.objects.exists()


def test_well_formed_events_are_kept_and_the_rest_logged_without_their_values(
    post, wakes, connected, caplog
):
    secret = "s3cr3t-value-from-the-body"
    good = cloudevent("1001", "130", event_id="good")
    body = dumps(
        [
            good,
            {k: v for k, v in cloudevent("1001", "1").items() if k != "intuitaccountid"},
            cloudevent("1001", "2", kind=f"qbo.{secret}"),
            cloudevent("1001", "3", time=secret),
            cloudevent("1001", secret * 3),
            cloudevent("1001", "4", event_id="x" * 256),
            cloudevent("1001", "bad\x00id", event_id="nul"),
            cloudevent("1001", "5", specversion="0.3"),
            secret,
        ]
    )
    with caplog.at_level(logging.WARNING, logger="billbridge.quickbooks.webhooks"):
        assert post(body).status_code == 200
    assert keys() == {"good"}
    assert wakes == ["1001"]
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "Intuit webhook: 8 malformed event(s) left out: "
        "1 × a CloudEvent that is not an object; "
        "1 × id longer than 255 characters; "
        "1 × intuitaccountid missing or not text; "
        "1 × intuitentityid longer than 32 characters; "
        "1 × intuitentityid missing or not text; "
        "1 × specversion is not 1.0; "
        "1 × time is not an ISO 8601 time; "
        "1 × type is not qbo.<entity>.<verb>.v<n>"
    )
    assert secret not in caplog.text


def test_legacy_notifications_lacking_fields_keep_what_is_whole(post, wakes, connected, caplog):
    body = legacy(
        notification(
            "1001", entity("Invoice", "1"), {"name": "Invoice", "id": "2", "operation": "Update"}
        ),
        {"realmId": "1002"},
        {"dataChangeEvent": {"entities": [entity("Invoice", "3")]}},
        notification("1002", entity("Invoice", "4", last="yesterday"), entity("Invoice", "5")),
    )
    with caplog.at_level(logging.WARNING, logger="billbridge.quickbooks.webhooks"):
        assert post(body).status_code == 200
    assert rows() == {("1001", "Invoice", "1", "Update"), ("1002", "Invoice", "5", "Update")}
    assert caplog.records[0].getMessage() == (
        "Intuit webhook: 4 malformed event(s) left out: "
        "1 × a notification without dataChangeEvent.entities; "
        "1 × lastUpdated is not an ISO 8601 time; "
        "1 × lastUpdated missing or not a time; "
        "1 × realmId missing or not text"
    )


def test_a_body_over_a_megabyte_is_refused_unread(post, connected):
    padding = webhooks.MAX_BODY_BYTES - len(dumps([cloudevent("1001", "1")])) - len(',""')
    at_limit = dumps([cloudevent("1001", "1"), "x" * padding])
    assert len(at_limit) == webhooks.MAX_BODY_BYTES
    over = at_limit[:-2] + b'x"]'
    assert post(over).status_code == 413
    assert not WebhookEvent.objects.exists()
    assert post(at_limit).status_code == 200
    assert keys() == {"ev-1001-1-qbo.invoice.updated.v1"}


NOT_A_LENGTH = BAD_LENGTH.encode()


# int() would read all of these; HTTP allows digits only (RFC 9110 section 8.6).
@pytest.mark.parametrize("declared", ["abc", "12abc", "-1", "-0", "+5", " 5", "5_0", "1e3", "١٢"])
def test_a_content_length_that_is_not_a_number_of_bytes_is_a_400(post, wakes, connected, declared):
    response = post(dumps([cloudevent("1001", "130")]), CONTENT_LENGTH=declared)
    assert (response.status_code, response.content) == (400, NOT_A_LENGTH)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert not WebhookEvent.objects.exists()
    assert wakes == []


@pytest.mark.parametrize(
    "declared", [str(webhooks.MAX_BODY_BYTES + 1), "9" * 40, "9" * 5000, "0" * 30 + "9" * 8]
)
def test_a_content_length_over_the_limit_is_a_413_however_long(post, wakes, connected, declared):
    assert post(dumps([cloudevent("1001", "130")]), CONTENT_LENGTH=declared).status_code == 413
    assert not WebhookEvent.objects.exists()
    assert wakes == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("declared", "status"), [("abc", 400), ("-1", 400), ("9" * 40, 413)])
def test_a_bad_content_length_over_real_http(live_server, verifier, wakes, declared, status):
    """The header as a client really sends it, through the WSGI server, not the test client."""
    body = dumps([cloudevent("1001", "130")])
    connection = http.client.HTTPConnection(live_server.thread.host, live_server.thread.port)
    try:
        connection.putrequest("POST", URL)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", declared)
        connection.putheader("intuit-signature", sign(body, VERIFIER))
        connection.endheaders(body)
        response = connection.getresponse()
        assert response.status == status
        assert response.read() == (NOT_A_LENGTH if status == 400 else TOO_LARGE.encode())
    finally:
        connection.close()
    assert not WebhookEvent.objects.exists()
    assert wakes == []


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "head", "options"])
def test_only_post_is_allowed(verifier, db, method):
    response = getattr(Client(), method)(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_the_path_with_a_trailing_slash_works_too(post, wakes, connected):
    assert post(dumps([cloudevent("1001", "130")]), url=URL + "/").status_code == 200
    assert rows() == {("1001", "Invoice", "130", "Update")}


# -- many events, many deliveries ------------------------------------------------------------------


def p99(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[math.ceil(len(ordered) * 0.99) - 1]


def warm_up(post) -> None:
    """The first request of a process loads the URLconf and with it every view: a start-up
    cost, not what Intuit waits for on each delivery."""
    assert post(b"[]").status_code == 200


def test_a_burst_of_500_events_in_one_delivery(post, wakes, connected):
    body = dumps(
        [cloudevent(KNOWN[n % 2], str(n), event_id=f"burst-{n}") for n in range(500)]
        + [cloudevent(UNKNOWN, "1", event_id="burst-unknown")]
    )
    warm_up(post)
    started = time.perf_counter()
    response = post(body)
    elapsed = time.perf_counter() - started
    print(f"\n500-event delivery answered in {elapsed * 1000:.1f} ms")
    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 500
    assert keys() == {f"burst-{n}" for n in range(500)}
    assert WebhookEvent.objects.filter(realm_id="1001").count() == 250
    assert wakes == ["1001", "1002"]
    assert IgnoredWebhooks.objects.get(realm_id=UNKNOWN).count == 1


def test_a_hundred_event_delivery_is_one_insert(post, connected):
    body = dumps([cloudevent("1001", str(n), event_id=f"one-{n}") for n in range(100)])
    with CaptureQueriesContext(db_connection) as queries:
        assert post(body).status_code == 200
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "quickbooks_webhookevent" in inserts[0]
    assert WebhookEvent.objects.count() == 100


def test_a_hundred_deliveries_in_a_row(post, wakes, connected):
    warm_up(post)
    timings = []
    for n in range(100):
        body = dumps(
            [
                cloudevent(KNOWN[n % 2], str(n), event_id=f"row-{n}-a"),
                cloudevent(KNOWN[n % 2], str(n), "qbo.payment.created.v1", event_id=f"row-{n}-b"),
            ]
        )
        started = time.perf_counter()
        response = post(body)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    print(f"\n100 deliveries: p99 {p99(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms")
    assert WebhookEvent.objects.count() == 200
    assert keys() == {f"row-{n}-{part}" for n in range(100) for part in "ab"}
    assert wakes == [KNOWN[n % 2] for n in range(100)]


# -- fuzzing ---------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)
# Anything at all in place of a field, including what the database would choke on.
wild = st.one_of(
    json_values,
    st.sampled_from(["", " ", "1001\x00", "\ud800", "x" * 300, "0001-01-01T00:00:00+01:00"]),
)


def mostly(valid: st.SearchStrategy) -> st.SearchStrategy:
    """A field that is usually right, so that whole events (and the store) are reached often."""
    return st.integers(0, 9).flatmap(lambda roll: wild if roll == 0 else valid)


ids = st.from_regex(r"[0-9]{1,6}", fullmatch=True)
realms = st.sampled_from(KNOWN + (UNKNOWN,))
times = st.sampled_from(
    [
        "2026-11-26T10:15:30.123456789Z",
        "2015-10-05T14:42:19-0700",
        "2026-11-26 10:15",
        "9999-12-31T23:59:59-0100",  # overflows once moved to UTC
    ]
)
cloud_shaped = st.lists(
    st.fixed_dictionaries(
        {
            "specversion": mostly(st.just("1.0")),
            "id": mostly(ids),
            "type": mostly(
                st.builds(
                    "qbo.{}.{}.v1".format,
                    st.sampled_from(["invoice", "payment", "creditmemo", "in voice"]),
                    st.sampled_from(["created", "voided", "archived", "", "x" * 21]),
                )
            ),
            "time": mostly(times),
            "intuitaccountid": mostly(realms),
            "intuitentityid": mostly(ids),
        }
    ),
    max_size=6,
)
legacy_shaped = st.lists(
    st.fixed_dictionaries(
        {
            "realmId": mostly(realms),
            "dataChangeEvent": mostly(
                st.fixed_dictionaries(
                    {
                        "entities": mostly(
                            st.lists(
                                st.fixed_dictionaries(
                                    {
                                        "name": mostly(st.sampled_from(["Invoice", "Payment"])),
                                        "id": mostly(ids),
                                        "operation": mostly(st.sampled_from(["Create", "Void"])),
                                        "lastUpdated": mostly(times),
                                    }
                                ),
                                max_size=4,
                            )
                        )
                    }
                )
            ),
        }
    ),
    max_size=3,
).map(lambda notifications: {"eventNotifications": notifications})
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(dumps),
    cloud_shaped.map(dumps),
    legacy_shaped.map(dumps),
)


@settings(max_examples=400, deadline=None)
@given(bodies)
def test_parse_never_raises_and_returns_only_whole_events(body):
    events = webhooks.parse(body)
    assert len({event.dedupe_key for event in events}) == len(events)
    for event in events:
        assert isinstance(event, webhooks.Event)
        for value, limit in (
            (event.dedupe_key, 255),
            (event.realm_id, 32),
            (event.entity, 40),
            (event.entity_id, 32),
            (event.operation, 20),
        ):
            assert isinstance(value, str) and 0 < len(value) <= limit and value.isprintable()
        assert event.occurred_at.tzinfo is UTC


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(KNOWN + (UNKNOWN,)),
            st.from_regex(r"[0-9]{1,10}", fullmatch=True),
            st.sampled_from(sorted(webhooks.ENTITIES)),
            st.sampled_from(sorted(webhooks.OPERATIONS)),
            st.datetimes(
                min_value=datetime(2000, 1, 1),
                max_value=datetime(2100, 1, 1),
                timezones=st.just(UTC),
            ),
        ),
        max_size=20,
        unique_by=lambda row: row[:4],
    )
)
def test_every_well_formed_event_comes_back_exactly(rows_in):
    sent = [
        cloudevent(
            realm,
            entity_id,
            f"qbo.{entity_name}.{verb}.v1",
            event_id=f"{realm}-{entity_id}-{entity_name}-{verb}",
            time=at.isoformat(),
        )
        for realm, entity_id, entity_name, verb, at in rows_in
    ]
    assert webhooks.parse(dumps(sent)) == [
        webhooks.Event(
            dedupe_key=f"{realm}-{entity_id}-{entity_name}-{verb}",
            realm_id=realm,
            entity=webhooks.ENTITIES[entity_name],
            entity_id=entity_id,
            operation=webhooks.OPERATIONS[verb],
            occurred_at=at,
        )
        for realm, entity_id, entity_name, verb, at in rows_in
    ]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
def test_no_signed_body_gives_a_500(post, connected, body):
    assert post(body).status_code == 200


# -- end to end: the emulator delivers to the running site -----------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("webhook_format", ["cloudevents", "legacy"])
def test_the_emulator_notifies_a_payment_and_the_events_land_once(
    live_server, settings, wakes, webhook_format
):
    settings.QBO_WEBHOOK_VERIFIER = DEMO_VERIFIER_TOKEN
    config = Config(
        [demo_app(webhook_url=f"{live_server.url}{URL}", webhook_format=webhook_format)]
    )
    # A long aggregation window: only "deliver now" sends, so the test knows what went when.
    config.options.update({"webhook_window_seconds": 600})
    with running_emulator(config=config) as qbo, httpx.Client(base_url=qbo.control_url) as control:
        company = qbo.emulator.create_company(name="Webhook Co", seed="sample")
        realm = company.realm_id
        qbo.connect(realm)
        QboConnection.objects.create(practice=testing.make_practice(), realm_id=realm)
        control.delete("/webhooks")  # the seeding's own changes are not this test's
        invoice = next(i for i in company.list("Invoice") if i["Balance"] > 0)
        payment = company.receive_payment(invoice["Id"])
        # Intuit may deliver twice; the second copy must change nothing.
        control.post("/webhooks/inject", json={"kind": "duplicate", "count": 1})
        attempts = control.post("/webhooks/deliver").json()["attempts"]
    assert [(a["status"], a["duplicate"]) for a in attempts] == [(200, False), (200, True)]
    assert rows() == {
        (realm, "Payment", payment["Id"], "Create"),
        (realm, "Invoice", invoice["Id"], "Update"),
    }
    delivered = json.loads(attempts[0]["body"])
    if webhook_format == "cloudevents":
        assert keys() == {event["id"] for event in delivered}
    else:
        (sent,) = delivered["eventNotifications"]
        assert keys() == {
            f"legacy:{realm}:{e['name']}:{e['id']}:{e['operation']}:{e['lastUpdated']}"
            for e in sent["dataChangeEvent"]["entities"]
        }
    assert wakes == [realm]
    assert QboConnection.objects.get(realm_id=realm).last_webhook_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_webhook_wakes_the_real_sync_which_reads_qbo_and_marks_its_events_processed(
    live_server, settings
):
    settings.QBO_WEBHOOK_VERIFIER = DEMO_VERIFIER_TOKEN
    config = Config([demo_app(webhook_url=f"{live_server.url}{URL}")])
    config.options.update({"webhook_window_seconds": 600})
    with running_emulator(config=config) as qbo, httpx.Client(base_url=qbo.control_url) as control:
        settings.QBO_TOKEN_URL = f"{qbo.base_url}/oauth2/v1/tokens/bearer"
        settings.QBO_API_URL = qbo.api_url
        company = qbo.emulator.create_company(name="Synced Co", seed="sample")
        connection = connect_practice(testing.make_practice(), qbo, company.realm_id)
        control.delete("/webhooks")
        invoice = next(i for i in company.list("Invoice") if i["Balance"] > 0)
        company.receive_payment(invoice["Id"])
        attempts = control.post("/webhooks/deliver").json()["attempts"]
    assert [a["status"] for a in attempts] == [200]
    assert WebhookEvent.objects.count() == 2
    assert not WebhookEvent.objects.filter(processed_at__isnull=True).exists()
    connection.refresh_from_db()
    assert connection.last_cdc_poll_at is not None
