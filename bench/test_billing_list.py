"""Billing list benchmark: server time and queries per page with 10,000 invoices, as ratios
against a practice of 100 invoices served by the same process in the same run.

The rows are written with bulk_create: they are the data the list is measured on, not a use of
the invoicing workflow (which its own tests cover), and building 10,000 invoices through the
services would take minutes. Run with `make bench`; figures go to bench/README.md.
"""

import datetime
import statistics
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billbridge.clients.models import Client
from billbridge.core import testing
from billbridge.invoicing.models import Invoice, InvoiceStatus

pytestmark = [pytest.mark.bench, pytest.mark.django_db]

LARGE, SMALL, REPEATS = 10_000, 100, 25
STATUSES = [
    InvoiceStatus.DRAFT,
    InvoiceStatus.FINALIZED,
    InvoiceStatus.FINALIZED,
    InvoiceStatus.CLOSED,
]


def build_practice(name: str, invoice_count: int):
    practice = testing.make_practice(name)
    member = testing.make_admin(practice)
    clients = Client.objects.bulk_create(
        Client(practice=practice, name=f"Client {i:02d} {name}") for i in range(25)
    )
    start = datetime.date(2026, 1, 1)
    Invoice.objects.bulk_create(
        (
            Invoice(
                practice=practice,
                client=clients[i % len(clients)],
                number=f"B-{i}",
                status=STATUSES[i % len(STATUSES)],
                issue_date=start + datetime.timedelta(days=i % 300),
                due_date=start + datetime.timedelta(days=i % 300 + 30),
                subtotal=Decimal("100.00"),
                total=Decimal("105.50"),
            )
            for i in range(invoice_count)
        ),
        batch_size=2000,
    )
    http = HttpClient()
    http.force_login(member.user)
    return http, clients[3]


def scenarios(client_of_practice):
    return {
        "first page": {},
        "page 40": {"page": 40, "show_closed": "on"},
        "one client": {"client": client_of_practice.pk},
        "search by number": {"q": "B-5"},
        "search by client": {"q": "Client 07"},
        "finalized only": {"status": InvoiceStatus.FINALIZED},
    }


def measure(http, params):
    url = reverse("web:billing-list")
    with CaptureQueriesContext(connection) as queries:
        response = http.get(url, params)
    assert response.status_code == 200
    # Read now: the next request's request_started signal empties the query log it slices.
    query_count = len(queries)
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        http.get(url, params)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), query_count


def test_billing_list_with_ten_thousand_invoices(capsys):
    small_http, small_client = build_practice("small", SMALL)
    large_http, large_client = build_practice("large", LARGE)
    rows = []
    small_cases, large_cases = scenarios(small_client), scenarios(large_client)
    for name in large_cases:
        small_time, small_queries = measure(small_http, small_cases[name])
        large_time, large_queries = measure(large_http, large_cases[name])
        rows.append((name, large_time, small_time, large_queries, small_queries))
        # The page's query count must not grow with the practice's size.
        assert large_queries == small_queries, name
    with capsys.disabled():
        print(f"\nBilling list on {connection.vendor}: {LARGE} vs {SMALL} invoices")
        print("| request | 10,000: ms | 100: ms | ratio | queries |")
        print("| --- | --- | --- | --- | --- |")
        for name, large_time, small_time, large_queries, _ in rows:
            print(
                f"| {name} | {large_time * 1000:.1f} | {small_time * 1000:.1f} | "
                f"{large_time / small_time:.2f} | {large_queries} |"
            )
