"""The CloudEvents a receiver gets, member by member, against Intuit's announcement of the format
(blogs.intuit.com 2025-11-12, QBO.md §5.3), and the switches for where Intuit's texts differ."""

import json
import re
from datetime import UTC, datetime

import pytest

from qbo_emulator.config import ConfigError, Options, options_from_environment
from qbo_emulator.tests._fixtures_edge import edge_client, webhook_receiver
from qbo_emulator.tests.test_webhooks import config_for

# The members of Intuit's sample event, in its order.
INTUIT_MEMBERS = [
    "specversion",
    "id",
    "source",
    "type",
    "datacontenttype",
    "time",
    "intuitentityid",
    "intuitaccountid",
    "data",
]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
def receiver():
    with webhook_receiver() as receiver:
        yield receiver


def delivered_events(receiver, options: dict | None = None, act=None) -> list[dict]:
    """Connect, let `act(edge)` change things (a customer by default), deliver, return events."""
    config = config_for(receiver, manual=True)
    config.options.update(options or {})
    with edge_client(config, seed="sample") as edge:
        edge.connect()
        (act or (lambda e: e.create_customer("Format Co")))(edge)
        edge.client.post("/_emulator/webhooks/deliver")
    return [event for d in receiver.deliveries for event in json.loads(d["body"])]


def test_an_event_has_intuits_members_in_intuits_order(receiver):
    (event,) = delivered_events(receiver)
    assert list(event) == INTUIT_MEMBERS
    assert event["specversion"] == "1.0" and event["datacontenttype"] == "application/json"
    assert UUID.fullmatch(event["id"])
    # Intuit's source is "intuit." and 44 base64 characters (32 bytes), the same for every event.
    assert re.fullmatch(r"intuit\.[A-Za-z0-9+/]{43}=", event["source"])
    assert event["data"] == {}
    assert isinstance(event["intuitentityid"], str) and isinstance(event["intuitaccountid"], str)


def test_time_has_nine_fraction_digits_as_in_intuits_sample(receiver):
    (event,) = delivered_events(receiver)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", event["time"])
    sent = datetime.fromisoformat(event["time"])
    assert sent.tzinfo == UTC and abs((datetime.now(UTC) - sent).total_seconds()) < 60


@pytest.mark.parametrize(("digits", "pattern"), [(3, r"\.\d{3}Z"), (0, r":\d\dZ")])
def test_the_fraction_digits_can_follow_the_webinar_or_be_dropped(receiver, digits, pattern):
    (event,) = delivered_events(receiver, {"webhook_cloudevents_time_digits": digits})
    assert re.search(pattern + "$", event["time"])


def test_more_than_nine_fraction_digits_are_refused():
    with pytest.raises(ConfigError, match="at most 9"):
        Options().update({"webhook_cloudevents_time_digits": 10})


def test_the_content_type_comes_from_the_environment(receiver):
    env = {"QBO_EMULATOR_WEBHOOK_CLOUDEVENTS_CONTENT_TYPE": "application/cloudevents-batch+json"}
    options = options_from_environment(env)
    delivered_events(
        receiver, {"webhook_cloudevents_content_type": options.webhook_cloudevents_content_type}
    )
    assert receiver.deliveries[0]["headers"]["Content-Type"] == "application/cloudevents-batch+json"


def test_each_operation_becomes_a_past_tense_verb(receiver):
    ids = {}

    def act(edge):
        company = edge.emulator.company(edge.realm)
        open_invoices = [i for i in company.list("Invoice") if not i.get("LinkedTxn")]
        voided, deleted = open_invoices[0]["Id"], open_invoices[1]["Id"]
        created = company.create("Customer", {"DisplayName": "Verb Co"})
        sparse = {"Id": created["Id"], "SyncToken": created["SyncToken"], "CompanyName": "Verb"}
        company.update("Customer", sparse, sparse=True)
        company.void_invoice(voided)
        company.delete_invoice(deleted)
        ids.update(customer=created["Id"], voided=voided, deleted=deleted)

    events = {(e["type"], e["intuitentityid"]) for e in delivered_events(receiver, act=act)}
    assert {
        ("qbo.customer.created.v1", ids["customer"]),
        ("qbo.customer.updated.v1", ids["customer"]),
        ("qbo.invoice.voided.v1", ids["voided"]),
        ("qbo.invoice.deleted.v1", ids["deleted"]),
    } <= events


def test_one_delivery_can_carry_several_companies(receiver):
    def act(edge):
        other = edge.emulator.create_company(name="Second Co").realm_id
        edge.connect(other)
        edge.create_customer("Here")
        edge.create_customer("There", realm=other)

    events = delivered_events(receiver, act=act)
    assert len(receiver.deliveries) == 1
    assert len({event["intuitaccountid"] for event in events}) == 2
