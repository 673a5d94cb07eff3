"""The admin shows invoices and tax settings but never changes them: every change, deleting
included, goes through billbridge.invoicing.services."""

from django.contrib.auth import get_user_model
from django.test import Client as Browser
from django.urls import reverse

from billbridge.core import testing
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice, TaxSettings


def test_staff_can_read_an_invoice_but_not_change_or_delete_it(admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, "finalized")
    superuser = get_user_model().objects.create_superuser("root", password="x-long-password-1")
    browser = Browser()
    browser.force_login(superuser)

    assert (
        browser.get(reverse("admin:invoicing_invoice_change", args=[invoice.pk])).status_code == 200
    )
    assert (
        browser.get(reverse("admin:invoicing_invoice_delete", args=[invoice.pk])).status_code == 403
    )
    response = browser.post(
        reverse("admin:invoicing_invoice_changelist"),
        {"action": "delete_selected", "_selected_action": [invoice.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert Invoice.objects.filter(pk=invoice.pk, status="finalized").exists()


def test_staff_can_read_the_tax_settings_but_not_bypass_their_checks(practice, admin_member):
    tax = services.tax_settings_for(practice)
    superuser = get_user_model().objects.create_superuser("root", password="x-long-password-1")
    browser = Browser()
    browser.force_login(superuser)
    url = reverse("admin:invoicing_taxsettings_change", args=[tax.pk])
    assert browser.get(url).status_code == 200
    fields = {"practice": practice.pk, "primary_name": "Tax", "primary_rate": "150"}
    fields.update({"secondary_name": "Other", "secondary_rate": "0"})
    assert browser.post(url, fields).status_code == 403
    assert TaxSettings.objects.get(pk=tax.pk).primary_rate == 0
