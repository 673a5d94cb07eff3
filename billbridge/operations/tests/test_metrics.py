"""/metrics as Prometheus scrapes it: behind its bearer token, counting what the QBO client,
the token refresh and the webhook view saw, and reading the export rows, connections and
queue from the database; under several processes, their counters added up."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from billbridge.core import metrics
from billbridge.quickbooks.models import (
    ExportState,
    InvoiceExport,
    QboConnection,
    QboRequest,
    WebhookEvent,
)
from qbo_emulator.webhooks import sign

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "metrics-secret-7d1c"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape() -> dict[tuple[str, frozenset], float]:
    """Every sample of an authorized scrape, by name and labels."""
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    """A sample's value, 0 for a counter never incremented (it has no sample yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def qbo_calls(setup) -> int:
    """How many API requests the emulator received for the test's company."""
    return len(
        [entry for entry in setup.requests("/v3/company/*") if entry["realm"] == setup.realm]
    )


# -- the token -------------------------------------------------------------------------------------


def test_without_a_token_configured_the_endpoint_does_not_exist(settings, db):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}"],
)
def test_a_missing_or_wrong_token_is_a_401_that_says_how_to_authenticate(token, db, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = Client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"billbridge_" not in response.content


def test_the_token_opens_the_exposition(token, db):
    response = Client().get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = scrape()
    # Every export state and connection status is there from the start, at zero.
    for state in ExportState.values:
        assert samples[("billbridge_export_rows", frozenset({("state", state)}))] == 0.0
    assert value(samples, "billbridge_qbo_connections", status="connected") == 0.0
    assert value(samples, "billbridge_qbo_connections", status="reconnect") == 0.0
    assert value(samples, "billbridge_webhook_events", state="pending") == 0.0
    assert samples[("billbridge_task_queue_lag_seconds", frozenset())] == 0.0


def test_only_get_and_head(token, db):
    for method in ("post", "put", "patch", "delete"):
        assert getattr(Client(), method)("/metrics").status_code == 405


# -- counted where it happens, against the emulator ------------------------------------------------


def test_an_export_shows_in_the_request_counter_and_the_exported_rows(token, setup):
    httpx.delete(f"{setup.qbo.control_url}/requests").raise_for_status()
    before = scrape()
    invoice = setup.invoice()
    setup.export(invoice)
    assert InvoiceExport.objects.get(invoice=invoice).state == ExportState.EXPORTED
    after = scrape()

    sent = qbo_calls(setup)
    assert sent > 0
    name = "billbridge_qbo_requests_total"
    counted = value(after, name, realm=setup.realm, outcome="2xx") - value(
        before, name, realm=setup.realm, outcome="2xx"
    )
    assert counted == sent
    assert value(after, "billbridge_export_rows", state="exported") == 1.0
    assert value(after, "billbridge_export_rows", state="queued") == 0.0
    assert value(after, "billbridge_qbo_connections", status="connected") == 1.0
    # The shared request budget's rows of the last minute: the connect's reads and the export's.
    assert value(after, "billbridge_qbo_requests_last_minute", realm=setup.realm) == (
        QboRequest.objects.filter(realm_id=setup.realm).count()
    )
    assert QboRequest.objects.filter(realm_id=setup.realm).count() >= sent


def test_a_429_from_qbo_counts_for_its_company(token, setup):
    before = scrape()
    setup.fault(path="/v3/company/*", status=429, count=1)
    invoice = setup.invoice()
    setup.export(invoice)
    assert InvoiceExport.objects.get(invoice=invoice).state != ExportState.EXPORTED
    after = scrape()
    for name, labels in (
        ("billbridge_qbo_throttled_total", {"realm": setup.realm}),
        ("billbridge_qbo_requests_total", {"realm": setup.realm, "outcome": "429"}),
    ):
        assert value(after, name, **labels) - value(before, name, **labels) == 1.0


def test_a_refresh_refused_as_invalid_grant_counts_and_the_connection_shows_reconnect(token, setup):
    httpx.post(f"{setup.qbo.control_url}/tokens/revoke", json={"realm_id": setup.realm})
    QboConnection.objects.filter(pk=setup.connection.pk).update(
        access_token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    before = scrape()
    setup.export(setup.invoice())
    after = scrape()
    labels = {"realm": setup.realm, "reason": "invalid_grant"}
    name = "billbridge_qbo_token_refresh_failures_total"
    assert value(after, name, **labels) - value(before, name, **labels) == 1.0
    assert value(after, "billbridge_qbo_connections", status="reconnect") == 1.0
    assert value(after, "billbridge_qbo_connections", status="connected") == 0.0
    assert value(after, "billbridge_export_rows", state="queued") == 1.0


def test_webhook_deliveries_count_by_outcome(
    token, settings, db, django_capture_on_commit_callbacks
):
    settings.QBO_WEBHOOK_VERIFIER = "verifier-for-metrics"
    realm = "4620816365"
    body = json.dumps(
        {
            "eventNotifications": [
                {
                    "realmId": realm,
                    "dataChangeEvent": {
                        "entities": [
                            {
                                "name": "Payment",
                                "id": "7",
                                "operation": "Create",
                                "lastUpdated": "2026-11-26T02:15:30-0800",
                            }
                        ]
                    },
                }
            ]
        }
    ).encode()
    before = scrape()
    intuit = Client()
    with django_capture_on_commit_callbacks(execute=True):
        signed = intuit.post(
            "/quickbooks/webhooks",
            data=body,
            content_type="application/json",
            headers={"intuit-signature": sign(body, "verifier-for-metrics")},
        )
    forged = intuit.post(
        "/quickbooks/webhooks",
        data=body,
        content_type="application/json",
        headers={"intuit-signature": sign(body, "guessed")},
    )
    assert (signed.status_code, forged.status_code) == (200, 401)
    after = scrape()
    name = "billbridge_webhook_deliveries_total"
    for outcome in ("accepted", "bad_signature"):
        assert value(after, name, outcome=outcome) - value(before, name, outcome=outcome) == 1.0


def test_a_stored_webhook_event_shows_pending_until_processed(token, db):
    event = WebhookEvent.objects.create(
        dedupe_key="k1", realm_id="1", entity="Payment", entity_id="7", operation="Create"
    )
    samples = scrape()
    assert value(samples, "billbridge_webhook_events", state="pending") == 1.0
    assert value(samples, "billbridge_webhook_events", state="processed") == 0.0
    WebhookEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now())
    samples = scrape()
    assert value(samples, "billbridge_webhook_events", state="pending") == 0.0
    assert value(samples, "billbridge_webhook_events", state="processed") == 1.0


# -- several processes -----------------------------------------------------------------------------

COUNT_IN_ANOTHER_PROCESS = """
from billbridge.core import metrics
metrics.qbo_request("multi-process-realm", 201)
metrics.QBO_THROTTLED.labels(realm="multi-process-realm").inc()
"""


def test_counters_of_other_processes_are_added_up_from_the_multiprocess_directory(
    token, db, tmp_path, monkeypatch
):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):  # two processes, as two gunicorn workers or a web process and a worker
        done = subprocess.run(
            [sys.executable, "-c", COUNT_IN_ANOTHER_PROCESS],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    assert list(tmp_path.glob("counter_*.db"))
    # This process counts in memory: the scrape must read the directory, not this.
    metrics.qbo_request("multi-process-realm", 201)

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape()
    realm = "multi-process-realm"
    assert value(samples, "billbridge_qbo_requests_total", realm=realm, outcome="2xx") == 2.0
    assert value(samples, "billbridge_qbo_throttled_total", realm=realm) == 2.0
    # The database's figures come along whichever way the counters are read.
    assert value(samples, "billbridge_export_rows", state="exported") == 0.0

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    single = scrape()
    assert value(single, "billbridge_qbo_requests_total", realm=realm, outcome="2xx") >= 1.0
    assert ("billbridge_qbo_throttled_total", frozenset({("realm", realm)})) not in single
