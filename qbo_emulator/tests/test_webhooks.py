"""Webhook deliveries to a real receiver on loopback, verified as Intuit documents (QBO.md §5)."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from quickbooks.client import QuickBooks

from qbo_emulator.config import DEMO_VERIFIER_TOKEN, Config, demo_app
from qbo_emulator.tests._fixtures_edge import edge_client, webhook_receiver
from qbo_emulator.webhooks import sign


def verified(delivery: dict, token: str = DEMO_VERIFIER_TOKEN) -> bool:
    """What a receiver must do: HMAC-SHA256 over the raw body, base64, constant-time compare."""
    expected = base64.b64encode(hmac.new(token.encode(), delivery["body"], hashlib.sha256).digest())
    return hmac.compare_digest(expected, delivery["headers"]["intuit-signature"].encode())


def config_for(receiver, *, manual: bool = False, **app_fields) -> Config:
    """With `manual`, the aggregation window is long so only "deliver now" sends anything."""
    config = Config([demo_app(webhook_url=receiver.url, **app_fields)])
    config.options.update(
        {"webhook_retry_schedule": [0.05, 0.1], "webhook_window_seconds": 60 if manual else 0}
    )
    return config


@pytest.fixture
def receiver():
    with webhook_receiver() as receiver:
        yield receiver


def test_signature_matches_intuits_published_test_vector():
    body = (
        b'{"eventNotifications":[{"realmId":"1185883450","dataChangeEvent":{"entities":'
        b'[{"name":"Customer","id":"1","operation":"Create","lastUpdated":'
        b'"2015-10-05T14:42:19-0700"}]}}]}'
    )
    assert (
        sign(body, "b5771f19b12ddb4bcdb9f08bdc50bc63878a")
        == "JC2GUwciPmRBwEO7WvrRmKqu9tGOKL8FFallocTFi8Q="
    )


def test_cloudevents_delivery_is_signed_and_shaped_as_intuit_sends_it(receiver):
    with edge_client(config_for(receiver, manual=True)) as edge:
        edge.connect()
        customer = edge.create_customer("Webhook Co")
        attempts = edge.client.post("/_emulator/webhooks/deliver").json()["attempts"]
        assert [a["status"] for a in attempts] == [200]
    (delivery,) = receiver.deliveries
    assert verified(delivery)
    assert not verified(delivery, "emulator-secret")  # the client secret is not the key
    assert delivery["headers"]["Content-Type"] == "application/json"
    events = json.loads(delivery["body"])
    assert isinstance(events, list) and len(events) == 1
    event = events[0]
    assert event["specversion"] == "1.0"
    assert event["type"] == "qbo.customer.created.v1"
    assert event["intuitentityid"] == customer["Id"]
    assert event["intuitaccountid"] == edge.realm
    assert event["datacontenttype"] == "application/json"
    assert event["source"].startswith("intuit.")
    assert event["time"].endswith("Z") and event["id"]


def test_legacy_delivery_has_event_notifications_per_realm(receiver):
    with edge_client(config_for(receiver, manual=True, webhook_format="legacy")) as edge:
        edge.connect()
        first = edge.create_customer("One")
        second = edge.create_customer("Two")
        edge.client.post("/_emulator/webhooks/deliver")
    (delivery,) = receiver.deliveries
    assert verified(delivery)
    # python-quickbooks' own checker agrees (it takes the body as text).
    qb = QuickBooks(minorversion=75)
    assert qb.validate_webhook_signature(
        delivery["body"].decode(), delivery["headers"]["intuit-signature"], DEMO_VERIFIER_TOKEN
    )
    payload = json.loads(delivery["body"])
    (notification,) = payload["eventNotifications"]
    assert notification["realmId"] == edge.realm
    entities = notification["dataChangeEvent"]["entities"]
    assert [(e["name"], e["id"], e["operation"]) for e in entities] == [
        ("Customer", first["Id"], "Create"),
        ("Customer", second["Id"], "Create"),
    ]
    assert len(entities[0]["lastUpdated"]) == len("2015-10-05T14:42:19-0700")


def test_cloudevents_content_type_can_be_the_cloudevents_one(receiver):
    config = config_for(receiver, manual=True)
    config.options.update({"webhook_cloudevents_content_type": "application/cloudevents+json"})
    with edge_client(config) as edge:
        edge.connect()
        edge.create_customer("Typed")
        edge.client.post("/_emulator/webhooks/deliver")
    assert receiver.deliveries[0]["headers"]["Content-Type"] == "application/cloudevents+json"


def test_only_connected_companies_and_subscribed_entities_are_notified(receiver):
    with edge_client(config_for(receiver, manual=True, webhook_entities=["Invoice"])) as edge:
        other = edge.emulator.create_company(name="Not connected").realm_id
        edge.connect()
        edge.create_customer("Not subscribed")
        edge.create_customer("Elsewhere", realm=other)
        assert edge.client.post("/_emulator/webhooks/deliver").json()["attempts"] == []
    assert receiver.deliveries == []


def test_the_worker_delivers_in_the_background_without_a_control_call(receiver):
    with edge_client(config_for(receiver)) as edge:
        edge.connect()
        edge.create_customer("Background")
        (delivery,) = receiver.wait_for(1)
    assert json.loads(delivery["body"])[0]["type"] == "qbo.customer.created.v1"


def test_failed_deliveries_are_retried_with_the_same_signed_body(receiver):
    receiver.statuses = [500, 503]
    with edge_client(config_for(receiver)) as edge:
        edge.connect()
        edge.create_customer("Retry")
        deliveries = receiver.wait_for(3)
        log = edge.client.get("/_emulator/webhooks").json()["log"]
    assert [d["answered"] for d in deliveries] == [500, 503, 200]
    assert len({d["body"] for d in deliveries}) == 1
    assert all(verified(d) for d in deliveries)
    assert [(entry["attempt"], entry["ok"]) for entry in log] == [(1, False), (2, False), (3, True)]


def test_a_failing_delivery_holds_back_later_ones(receiver):
    config = config_for(receiver)
    config.options.update({"webhook_retry_schedule": [30]})  # no automatic retry in this test
    receiver.statuses = [500]
    with edge_client(config) as edge:
        edge.connect()
        first = edge.create_customer("First")
        receiver.wait_for(1)
        second = edge.create_customer("Second")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # until the worker has queued the second delivery
            queued = edge.client.get("/_emulator/webhooks").json()["queued"]
            if len(queued["emulator-client"]["deliveries"]) == 2:
                break
            time.sleep(0.02)
        assert len(queued["emulator-client"]["deliveries"]) == 2
        time.sleep(0.2)
        assert len(receiver.deliveries) == 1  # queued behind the failing one, not sent
        # "deliver now" retries the head at once; the held-back one follows in order.
        attempts = edge.client.post("/_emulator/webhooks/deliver").json()["attempts"]
        assert [a["status"] for a in attempts] == [200, 200]
    ids = [json.loads(d["body"])[0]["intuitentityid"] for d in receiver.deliveries]
    assert ids == [first["Id"], first["Id"], second["Id"]]


def test_duplicate_injection_sends_the_same_delivery_twice(receiver):
    with edge_client(config_for(receiver, manual=True)) as edge:
        edge.connect()
        edge.client.post("/_emulator/webhooks/inject", json={"kind": "duplicate"})
        edge.create_customer("Twice")
        edge.client.post("/_emulator/webhooks/deliver")
        receiver.wait_for(2)
    first, second = receiver.deliveries
    assert first["body"] == second["body"]
    assert json.loads(first["body"])[0]["id"] == json.loads(second["body"])[0]["id"]


def test_drop_injection_loses_a_delivery_but_not_the_next(receiver):
    with edge_client(config_for(receiver, manual=True)) as edge:
        edge.connect()
        edge.client.post("/_emulator/webhooks/inject", json={"kind": "drop"})
        edge.create_customer("Lost")
        edge.client.post("/_emulator/webhooks/deliver")
        kept = edge.create_customer("Kept")
        edge.client.post("/_emulator/webhooks/deliver")
        receiver.wait_for(1)
        log = edge.client.get("/_emulator/webhooks").json()["log"]
    (delivery,) = receiver.deliveries
    assert json.loads(delivery["body"])[0]["intuitentityid"] == kept["Id"]
    assert log[0]["error"] == "dropped (injected)"


def test_reorder_injection_swaps_two_deliveries(receiver):
    config = config_for(receiver, manual=True)
    with edge_client(config) as edge:
        edge.connect()
        edge.client.post("/_emulator/webhooks/inject", json={"kind": "reorder"})
        first = edge.create_customer("Earlier")
        edge.client.post("/_emulator/webhooks/deliver")
        assert receiver.deliveries == []  # held back until the next one exists
        second = edge.create_customer("Later")
        edge.client.post("/_emulator/webhooks/deliver")
        receiver.wait_for(2)
    ids = [json.loads(d["body"])[0]["intuitentityid"] for d in receiver.deliveries]
    assert ids == [second["Id"], first["Id"]]


def test_aggregation_window_groups_changes_into_one_delivery(receiver):
    config = config_for(receiver)
    config.options.update({"webhook_window_seconds": 1.5})
    with edge_client(config) as edge:
        edge.connect()
        edge.create_customer("A")
        edge.create_customer("B")
        time.sleep(0.2)
        assert receiver.deliveries == []
        (delivery,) = receiver.wait_for(1, timeout=6)
    assert len(json.loads(delivery["body"])) == 2


def test_user_actions_through_the_control_api_fire_webhooks(receiver):
    with edge_client(config_for(receiver, manual=True), seed="sample") as edge:
        edge.connect()
        company = edge.emulator.company(edge.realm)
        invoice = next(i for i in company.list("Invoice") if float(i["Balance"]) > 0)
        response = edge.client.post(
            f"/_emulator/companies/{edge.realm}/invoices/{invoice['Id']}/receive-payment", json={}
        )
        assert response.status_code == 201
        edge.client.post("/_emulator/webhooks/deliver")
    types = {(e["type"], e["intuitentityid"]) for e in json.loads(receiver.deliveries[0]["body"])}
    assert ("qbo.payment.created.v1", response.json()["Payment"]["Id"]) in types
    assert ("qbo.invoice.updated.v1", invoice["Id"]) in types


@pytest.mark.parametrize("body", [{"kind": "explode"}, {"kind": "drop", "count": 0}, {}])
def test_bad_injections_are_400(body):
    with edge_client() as edge:
        assert edge.client.post("/_emulator/webhooks/inject", json=body).status_code == 400


def test_clearing_forgets_queued_deliveries_and_the_log(receiver):
    with edge_client(config_for(receiver, manual=True)) as edge:
        edge.connect()
        edge.create_customer("Pending")
        assert edge.client.get("/_emulator/webhooks").json()["incoming_events"] == 1
        edge.client.delete("/_emulator/webhooks")
        assert edge.client.post("/_emulator/webhooks/deliver").json()["attempts"] == []
    assert receiver.deliveries == []
