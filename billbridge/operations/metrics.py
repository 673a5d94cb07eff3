"""The Prometheus exposition /metrics answers: the counters Billbridge's processes keep
(core/metrics.py) and figures read from the database at scrape time.

The database figures are gauges computed on each scrape, never counted in memory: every web
process on every host reads the same rows, so they are right whichever process is scraped and
are never added up twice. Every state of a row is present, zeros included, so a graph or an
alert sees a state empty out rather than vanish.
"""

import hmac
import os
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from billbridge.operations.health import queue_lag_seconds
from billbridge.quickbooks.models import (
    ConnectionStatus,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboRequest,
    WebhookEvent,
)

# What generate_latest writes: Prometheus' text format 0.0.4.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
MINUTE = timedelta(seconds=60)


def token_accepted(authorization: str) -> bool:
    """Whether an Authorization header carries METRICS_TOKEN as a bearer token, compared in
    constant time so that the answer's timing tells nothing about the token."""
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), settings.METRICS_TOKEN.encode())


def exposition() -> bytes:
    """The text a scrape gets. Under gunicorn and the task workers (PROMETHEUS_MULTIPROC_DIR set)
    each process writes its counters to a file of its own there, and they are added up here;
    in a single process the counters are the default registry's."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(DatabaseFigures())
    return generate_latest(registry)


class DatabaseFigures:
    """A custom collector: a handful of grouped counts, one query each."""

    def collect(self):
        yield _by_label(
            "billbridge_export_rows",
            "Invoice export rows by state.",
            "state",
            ExportState.values,
            InvoiceExport.objects.values_list("state").annotate(Count("id")),
        )
        yield _by_label(
            "billbridge_qbo_connections",
            "QuickBooks Online connections by status (reconnect: needs the user to reconnect).",
            "status",
            ConnectionStatus.values,
            QboConnection.objects.values_list("status").annotate(Count("id")),
        )
        yield _by_label(
            "billbridge_webhook_events",
            "Webhook events stored, by state: pending until the paid-status sync has read them.",
            "state",
            ["pending", "processed"],
            _webhook_events_by_state(),
        )
        yield _by_label(
            "billbridge_qbo_requests_last_minute",
            "Requests to each company in the last minute, as the shared request budget counts "
            "them (500 a minute is Intuit's limit).",
            "realm",
            QboConnection.objects.values_list("realm_id", flat=True),
            QboRequest.objects.filter(at__gt=timezone.now() - MINUTE)
            .values_list("realm_id")
            .annotate(Count("id")),
        )
        lag = GaugeMetricFamily(
            "billbridge_task_queue_lag_seconds",
            "How long the oldest task that could run now has waited for a worker.",
        )
        lag.add_metric([], queue_lag_seconds())
        yield lag


def _by_label(name: str, documentation: str, label: str, every, counts) -> GaugeMetricFamily:
    """A gauge with one sample per value of `label`: each of `every` (0 when not counted), and
    any other value counted."""
    values = dict.fromkeys(every, 0) | dict(counts)
    gauge = GaugeMetricFamily(name, documentation, labels=[label])
    for value, count in sorted(values.items()):
        gauge.add_metric([value], float(count))
    return gauge


def _webhook_events_by_state() -> list[tuple[str, int]]:
    counts = WebhookEvent.objects.aggregate(
        pending=Count("id", filter=Q(processed_at__isnull=True)), total=Count("id")
    )
    return [("pending", counts["pending"]), ("processed", counts["total"] - counts["pending"])]
