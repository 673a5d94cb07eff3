"""The admin shows invoices but never changes them: every change, deleting included, goes
through billbridge.invoicing.services."""

from django.contrib.auth import get_user_model
from django.test import Client as Browser
from django.urls import reverse

from billbridge.core import testing
from billbridge.invoicing.models import Invoice


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
