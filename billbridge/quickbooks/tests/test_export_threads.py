"""Two threads draining one company's exports side by side, on committed data (PostgreSQL's
SKIP LOCKED, SQLite's write lock): every invoice exported once, none twice."""

import pytest
from django.db import connection

from billbridge.core import testing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import exporter, services
from billbridge.quickbooks.models import ExportState, InvoiceExport
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

    assert exporter.drain(connection.realm_id) == 23

    assert set(InvoiceExport.objects.values_list("state", flat=True)) == {ExportState.EXPORTED}
    company = emulator.emulator.company(qbo_company)
    for invoice in invoices:
        mark = f"[bb:{practice.pk}:{invoice.pk}]"
        assert sum(mark in i.get("PrivateNote", "") for i in company.list("Invoice")) == 1
