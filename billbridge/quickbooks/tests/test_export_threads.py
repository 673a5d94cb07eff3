"""Two threads draining one company's exports side by side, on committed data (PostgreSQL's
SKIP LOCKED, SQLite's write lock): every invoice exported once, none twice."""

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from billbridge.core import testing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import export, services
from billbridge.quickbooks.models import FINISHED_STATES, ExportState, InvoiceExport
from billbridge.quickbooks.testing import connect_practice


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the in-memory SQLite test database locks whole tables between connections; the "
    "threads run here on PostgreSQL (CI's second run) and in bench/export.py on a WAL file",
)
@pytest.mark.django_db(transaction=True)
def test_two_threads_export_every_invoice_once(qbo_settings, emulator, qbo_company, settings):
    settings.QBO_EXPORT_THREADS = 2
    settings.QBO_BATCH_SIZE = 5
    # Queued only: the drain below is the one under test.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    practice = testing.make_practice()
    member = testing.make_admin(practice)
    connection = connect_practice(practice, emulator, qbo_company)
    invoices = []
    for n in range(23):
        client = testing.make_client(practice, f"Threaded client {n}")
        testing.assign(member, client)
        invoices.append(testing.make_invoice(member, client, InvoiceStatus.FINALIZED))
    services.request_export(member, [i.pk for i in invoices])

    assert export.drain(connection.realm_id) == 23

    assert set(InvoiceExport.objects.values_list("state", flat=True)) == {ExportState.EXPORTED}
    # The company's settings are read once for the drain, not once per thread.
    reads = httpx.get(
        f"{emulator.control_url}/requests", params={"path": "/v3/company/*/preferences"}
    ).json()["requests"]
    assert len(reads) == 2  # connect_practice's, and the drain's
    company = emulator.emulator.company(qbo_company)
    for invoice in invoices:
        mark = f"[bb:{practice.pk}:{invoice.pk}]"
        assert sum(mark in i.get("PrivateNote", "") for i in company.list("Invoice")) == 1


@pytest.mark.skipif(connection.vendor == "sqlite", reason="threads need PostgreSQL here, as above")
@pytest.mark.django_db(transaction=True)
def test_two_threads_create_each_new_customer_once(
    qbo_settings, emulator, qbo_company, settings, control
):
    """The first export to a company that knows none of the clients: both threads meet the same
    new names. Each customer is created once, and no invoice fails with a false 6240 clash."""
    settings.QBO_EXPORT_THREADS = 2
    settings.QBO_BATCH_SIZE = 5
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    # With latency both threads are between "look the names up" and "create them" at once.
    control.patch("/options", json={"latency_ms": 150}).raise_for_status()
    practice = testing.make_practice()
    member = testing.make_admin(practice)
    connection = connect_practice(practice, emulator, qbo_company)
    clients = []
    for n in range(4):
        clients.append(testing.make_client(practice, f"New client {n}"))
        testing.assign(member, clients[-1])
    # Interleaved, so that every chunk of five holds invoices of every client.
    invoices = [
        testing.make_invoice(member, clients[n % 4], InvoiceStatus.FINALIZED) for n in range(20)
    ]
    services.request_export(member, [i.pk for i in invoices])

    for _ in range(10):  # rows set back while another thread created their customer come again
        export.drain(connection.realm_id)
        InvoiceExport.objects.update(next_attempt_at=timezone.now())
        if not InvoiceExport.objects.exclude(state__in=FINISHED_STATES).exists():
            break

    rows = InvoiceExport.objects.all()
    assert {row.state for row in rows} == {ExportState.EXPORTED}, [row.message for row in rows]
    company = emulator.emulator.company(qbo_company)
    names = [c["DisplayName"] for c in company.list("Customer")]
    for client in clients:
        assert names.count(client.name) == 1
    posts = [
        entry
        for entry in control.get("/requests", params={"limit": 1000}).json()["requests"]
        if entry["path"].endswith("/batch")
    ]
    assert posts  # the customers and invoices went in batches
