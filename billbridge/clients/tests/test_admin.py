"""The admin never moves a client to another practice: its invoices would stay behind, and each
practice's pages would then show the other's names."""

from django.contrib.auth import get_user_model
from django.test import Client as Browser
from django.urls import reverse

from billbridge.clients.models import Client
from billbridge.core import testing


def test_a_clients_practice_cannot_be_changed_in_the_admin(admin_member, client_a):
    testing.make_invoice(admin_member, client_a)
    elsewhere = testing.make_practice("Elsewhere LLP")
    superuser = get_user_model().objects.create_superuser("root", password="x-long-password-1")
    browser = Browser()
    browser.force_login(superuser)
    url = reverse("admin:clients_client_change", args=[client_a.pk])
    response = browser.post(url, {"practice": elsewhere.pk, "name": "Acme Widgets Ltd"})
    assert response.status_code == 302
    client = Client.objects.get(pk=client_a.pk)
    assert client.name == "Acme Widgets Ltd"
    assert client.practice == client_a.practice
