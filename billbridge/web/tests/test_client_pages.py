import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billbridge.clients.models import Client
from billbridge.core import testing

FIELDS = {
    "name": "Oak & Ivy Bakery",
    "email": "books@oakivy.example",
    "phone": "555-0101",
    "address_line1": "12 Mill Road",
    "address_line2": "",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "country": "USA",
    "notes": "",
}


def test_the_list_counts_invoices_in_one_query(
    alice, practice, admin_member, client_a, django_assert_num_queries
):
    other = testing.make_client(practice, "Birch & Sons")
    for _ in range(3):
        testing.make_invoice(admin_member, client_a)
    testing.make_invoice(admin_member, other, "closed")
    # Session, user, membership, practice, the clients with their counts, the notices banner.
    with django_assert_num_queries(6):
        response = alice.get(reverse("web:client-list"))
    counts = {client.name: client.invoice_count for client in response.context["clients"]}
    assert counts == {"Acme Widgets": 3, "Birch & Sons": 1}
    assert f"?client={other.pk}&amp;show_closed=on".encode() in response.content


def test_a_new_client_is_saved_through_the_service(alice, practice):
    response = alice.post(reverse("web:client-new"), FIELDS)
    client = Client.objects.get(practice=practice)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:client-detail", args=[client.pk])
    assert client.name == "Oak & Ivy Bakery"
    assert client.city == "Springfield"


def test_a_name_quickbooks_refuses_is_explained_next_to_the_name(alice, practice):
    response = alice.post(reverse("web:client-new"), {**FIELDS, "name": "Oak: Ivy"})
    assert response.status_code == 400
    errors = response.context["form"].errors["name"]
    assert errors == [
        "QuickBooks does not accept these characters in a customer name: ':'. "
        "Use letters, digits, spaces and , . ? @ & ! # ' ~ * _ - ; + ( ) \u2018 \u2019 \u201c "
        "\u201d \u2013 \u2014."
    ]
    assert 'id="id_name_error"' in response.content.decode()
    assert not Client.objects.exists()


def test_a_duplicate_name_is_refused_with_a_message(alice, client_a):
    response = alice.post(reverse("web:client-new"), {**FIELDS, "name": "Acme Widgets"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert Client.objects.count() == 1


def test_editing_a_client(alice, client_a):
    url = reverse("web:client-edit", args=[client_a.pk])
    assert alice.get(url).context["form"]["name"].value() == "Acme Widgets"
    response = alice.post(url, {**FIELDS, "name": "Acme Widgets Ltd"})
    assert response.status_code == 302
    client_a.refresh_from_db()
    assert client_a.name == "Acme Widgets Ltd"
    assert client_a.email == "books@oakivy.example"


def test_the_client_page_lists_its_invoices_and_links_to_the_billing_list(
    alice, admin_member, client_a
):
    invoice = testing.make_invoice(admin_member, client_a, "closed")
    content = alice.get(reverse("web:client-detail", args=[client_a.pk])).content.decode()
    assert invoice.number in content
    assert f"?client={client_a.pk}&amp;show_closed=on" in content
    assert f"/invoices/new/?client={client_a.pk}" in content


@pytest.mark.parametrize("url_name", ["web:client-new", "web:client-edit"])
def test_a_member_without_process_time_is_refused_by_the_service(
    browser_for, practice, client_a, url_name
):
    viewer = browser_for(testing.make_member(practice, "vera"))
    args = [client_a.pk] if url_name == "web:client-edit" else []
    response = viewer.post(reverse(url_name, args=args), {**FIELDS, "name": "Renamed"})
    assert response.status_code == 403
    assert "You need the “Process time” permission to do this." in response.content.decode()
    assert not Client.objects.filter(name="Renamed").exists()
    assert "New client" not in viewer.get(reverse("web:client-list")).content.decode()


@pytest.mark.parametrize("url_name", ["web:client-new", "web:client-edit"])
def test_a_member_without_process_time_is_not_shown_the_editor(
    browser_for, practice, client_a, url_name
):
    # As the invoice editor: no form that could never be saved, the reason instead.
    viewer = browser_for(testing.make_member(practice, "vera"))
    args = [client_a.pk] if url_name == "web:client-edit" else []
    response = viewer.get(reverse(url_name, args=args))
    assert response.status_code == 403
    assert "You need the “Process time” permission to do this." in response.content.decode()
    assert "form" not in response.context


def test_the_client_page_costs_the_same_queries_whatever_its_size(alice, admin_member, client_a):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alice.get(reverse("web:client-detail", args=[client_a.pk])).status_code == 200
        return len(captured)

    testing.make_invoice(admin_member, client_a)
    one = queries()
    for _ in range(25):
        testing.make_invoice(admin_member, client_a, "finalized")
    assert queries() == one
