"""Automatic export: when an invoice is finalized, or once a day after a chosen time."""

from datetime import datetime

import pytest
from django.utils import timezone

from billbridge.core import testing
from billbridge.core.errors import PermissionRefused
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import automatic_export, export
from billbridge.quickbooks.column import cells_for
from billbridge.quickbooks.models import AutoExport, ExportState, InvoiceExport

pytestmark = pytest.mark.django_db


def test_when_finalized_queues_automatically_and_the_drain_exports(
    setup, settings, django_capture_on_commit_callbacks
):
    # The wake-up is queued, not run: the test drives the drain itself.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    assert automatic_export.change(setup.member, AutoExport.WHEN_FINALIZED) == 0
    invoice = setup.invoice(status=InvoiceStatus.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        invoicing.finalize(setup.member, invoice.pk)
    row = InvoiceExport.objects.get(invoice=invoice)
    assert row.automatic and row.state == ExportState.QUEUED
    invoice.refresh_from_db()
    assert cells_for([invoice])[invoice.pk].label == "Queued automatically"
    export.drain(setup.realm)
    row.refresh_from_db()
    assert row.state == ExportState.EXPORTED
    assert len(setup.ours_in_qbo(invoice)) == 1


def test_turning_it_on_sends_the_backlog_after_saying_how_many(setup):
    first, second = setup.invoice("One Co"), setup.invoice("Two Co")
    setup.invoice("Draft Co", status=InvoiceStatus.DRAFT)
    preview = automatic_export.preview(setup.member, AutoExport.WHEN_FINALIZED)
    assert preview["count"] == 2 and preview["needs_confirmation"]
    assert automatic_export.change(setup.member, AutoExport.WHEN_FINALIZED) == 2
    assert set(InvoiceExport.objects.values_list("invoice_id", flat=True)) == {first.pk, second.pk}


def test_daily_queues_once_after_the_time(setup, settings):
    automatic_export.change(setup.member, AutoExport.DAILY, "09:00")
    invoice = setup.invoice()
    today = timezone.localdate()
    before = timezone.make_aware(datetime.combine(today, datetime.min.time().replace(hour=8)))
    after = timezone.make_aware(datetime.combine(today, datetime.min.time().replace(hour=10)))
    setup.connection.refresh_from_db()
    setup.connection.auto_export_last_day = None
    setup.connection.save()
    assert automatic_export.queue_daily(before) == []
    assert automatic_export.queue_daily(after) == [setup.realm]
    assert automatic_export.queue_daily(after) == []
    assert InvoiceExport.objects.get(invoice=invoice).automatic


def test_needs_both_permissions(setup):
    clerk = testing.make_member(setup.practice, "clerk", can_export=True)
    with pytest.raises(PermissionRefused):
        automatic_export.change(clerk, AutoExport.WHEN_FINALIZED)
