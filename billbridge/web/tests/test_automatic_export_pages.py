"""Settings ▸ Integrations ▸ QuickBooks Online: automatic export (asked to confirm, with the
count it would send) and Send from QuickBooks."""

import pytest
from django.urls import reverse

from billbridge.core import testing
from billbridge.quickbooks.models import AutoExport, InvoiceExport, QboConnection

pytestmark = pytest.mark.django_db

SETTINGS_PAGE = reverse("web:quickbooks-settings")
AUTO = reverse("web:quickbooks-auto-export")


@pytest.fixture
def finalized(admin_member, client_a):
    return [testing.make_invoice(admin_member, client_a, "finalized") for _ in range(3)]


def test_turning_it_on_asks_first_with_the_count_then_exports_them(
    alice, connected, finalized, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    page = alice.get(SETTINGS_PAGE).content.decode()
    assert 'name="auto_export" value="finalized"' in page

    asked = alice.post(AUTO, {"auto_export": "finalized"})
    assert asked.status_code == 200
    assert "exports <strong>3 finalized invoices</strong> now" in asked.content.decode()
    connected.refresh_from_db()
    assert connected.auto_export == AutoExport.BY_HAND  # nothing changed by asking
    assert not InvoiceExport.objects.exists()

    done = alice.post(AUTO, {"auto_export": "finalized", "confirm": "1"}, follow=True)
    assert "3 finalized invoices are on the way now" in done.content.decode()
    connected.refresh_from_db()
    assert connected.auto_export == AutoExport.WHEN_FINALIZED
    rows = InvoiceExport.objects.filter(invoice__in=finalized)
    assert rows.count() == 3 and all(row.automatic for row in rows)


def test_daily_needs_a_time(alice, connected, finalized):
    answer = alice.post(AUTO, {"auto_export": "daily", "auto_export_time": "late", "confirm": "1"})
    assert answer.status_code == 400
    assert "HH:MM" in answer.content.decode()
    connected.refresh_from_db()
    assert connected.auto_export == AutoExport.BY_HAND


def test_daily_at_a_time_is_saved(alice, connected, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    asked = alice.post(AUTO, {"auto_export": "daily", "auto_export_time": "18:30"})
    assert "nothing is exported now" in asked.content.decode()
    alice.post(AUTO, {"auto_export": "daily", "auto_export_time": "18:30", "confirm": "1"})
    connected.refresh_from_db()
    assert connected.auto_export == AutoExport.DAILY
    assert connected.auto_export_time.strftime("%H:%M") == "18:30"
    page = alice.get(SETTINGS_PAGE).content.decode()
    assert 'name="auto_export_time" value="18:30"' in page
    assert 'value="daily" checked' in page


def test_back_to_by_hand_needs_no_confirmation(alice, connected):
    QboConnection.objects.filter(pk=connected.pk).update(auto_export=AutoExport.WHEN_FINALIZED)
    done = alice.post(AUTO, {"auto_export": "by_hand"}, follow=True)
    assert "exported by hand again" in done.content.decode()
    connected.refresh_from_db()
    assert connected.auto_export == AutoExport.BY_HAND


def test_an_unknown_mode_is_a_clear_400(alice, connected):
    answer = alice.post(AUTO, {"auto_export": "hourly", "confirm": "1"})
    assert answer.status_code == 400
    assert "Choose when invoices are exported" in answer.content.decode()


def test_it_needs_export_and_manage_settings(browser_for, practice, connected, finalized):
    manager = testing.make_member(practice, "manager", can_manage_settings=True)
    answer = browser_for(manager).post(AUTO, {"auto_export": "finalized", "confirm": "1"})
    assert answer.status_code == 403
    assert "Export to accounting software" in answer.content.decode()
    connected.refresh_from_db()
    assert connected.auto_export == AutoExport.BY_HAND
    assert not InvoiceExport.objects.exists()


def test_without_a_connection_it_is_refused_in_words(alice, db):
    answer = alice.post(AUTO, {"auto_export": "finalized", "confirm": "1"})
    assert answer.status_code in (400, 409)
    assert "QuickBooks Online" in answer.content.decode()


def test_send_from_quickbooks_is_ticked_and_unticked(alice, connected):
    form = {"ast_tax_handling": "accept_qbo", "send_from_quickbooks_shown": "1"}
    alice.post(reverse("web:quickbooks-save-settings"), {**form, "send_from_quickbooks": "on"})
    connected.refresh_from_db()
    assert connected.send_from_quickbooks
    assert "send-from-quickbooks" in alice.get(SETTINGS_PAGE).content.decode()
    alice.post(reverse("web:quickbooks-save-settings"), form)
    connected.refresh_from_db()
    assert not connected.send_from_quickbooks


def test_a_form_without_the_box_leaves_the_choice_alone(alice, connected):
    QboConnection.objects.filter(pk=connected.pk).update(send_from_quickbooks=True)
    alice.post(reverse("web:quickbooks-save-settings"), {"ast_tax_handling": "accept_qbo"})
    connected.refresh_from_db()
    assert connected.send_from_quickbooks
