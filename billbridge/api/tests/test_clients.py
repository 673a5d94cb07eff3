import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billbridge.clients.models import Client
from billbridge.core import testing

URL = "/api/v1/clients"


@pytest.fixture
def other_practice_client(db):
    return testing.make_client(testing.make_practice("Elsewhere LLP"), "Secret Customer")


def test_list_is_the_practice_clients_by_name_paginated(admin_api, practice, other_practice_client):
    for name in ["Zeta Farms", "Alpha Bakery", "Mid Town Dental"]:
        testing.make_client(practice, name)
    body = admin_api.get(f"{URL}?page_size=2").json()
    assert body["count"] == 3 and body["page"] == 1 and body["page_size"] == 2
    assert [c["name"] for c in body["items"]] == ["Alpha Bakery", "Mid Town Dental"]
    second = admin_api.get(f"{URL}?page=2&page_size=2").json()
    assert [c["name"] for c in second["items"]] == ["Zeta Farms"]
    assert admin_api.get(f"{URL}?page=9").json()["items"] == []


def test_search_matches_name_or_email(admin_api, practice, other_practice_client):
    testing.make_client(practice, "Alpha Bakery", email="ops@alpha.example")
    testing.make_client(practice, "Beta Books", email="hello@beta.example")
    assert [c["name"] for c in admin_api.get(f"{URL}?search=bak").json()["items"]] == [
        "Alpha Bakery"
    ]
    assert [c["name"] for c in admin_api.get(f"{URL}?search=BETA.EX").json()["items"]] == [
        "Beta Books"
    ]
    assert admin_api.get(f"{URL}?search=Secret").json()["count"] == 0


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=99999999999999999999", "page_size=101", "page=x", "search=" + "x" * 101],
)
def test_bad_paging_or_search_is_422(admin_api, query):
    response = admin_api.get(f"{URL}?{query}")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("The request is not valid")


def test_create_client(admin_api, practice):
    response = admin_api.post(
        URL, {"name": "Acme Widgets", "email": "books@acme.example", "city": "Leeds"}
    )
    assert response.status_code == 201
    body = response.json()
    client = Client.objects.get(pk=body["id"])
    assert client.practice == practice
    assert (body["name"], body["email"], body["city"], body["phone"]) == (
        "Acme Widgets",
        "books@acme.example",
        "Leeds",
        "",
    )


def test_create_needs_process_time(as_member, practice):
    viewer = testing.make_member(practice, can_export=True, can_manage_settings=True)
    response = as_member(viewer).post(URL, {"name": "Acme Widgets"})
    assert response.status_code == 403
    assert "Process time" in response.json()["detail"]
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Acme: Widgets"}, "name"),  # QuickBooks refuses a colon
        ({"name": "Acme <Widgets>"}, "name"),
        ({"name": " Acme"}, "name"),
        ({"name": "A" * 101}, "name"),
        ({"name": ""}, "name"),
        ({"name": "Acme", "email": "not-an-email"}, "email"),
    ],
)
def test_create_refuses_bad_fields_with_400(admin_api, body, field):
    response = admin_api.post(URL, body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"]
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": 12}, "name"),
        ({"name": "Acme", "notes": "n" * 4001}, "notes"),
        ({"name": "Acme", "phone": "1" * 31}, "phone"),
        ({"name": "Acme", "city": None}, "city"),
    ],
)
def test_create_refuses_malformed_bodies_with_422(admin_api, body, field):
    response = admin_api.post(URL, body)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Client.objects.exists()


def test_duplicate_name_is_refused(admin_api, client_a):
    response = admin_api.post(URL, {"name": "Acme Widgets"})
    assert response.status_code == 400
    assert response.json()["detail"]
    assert Client.objects.count() == 1


def test_get_one(admin_api, client_a):
    body = admin_api.get(f"{URL}/{client_a.pk}").json()
    assert (body["id"], body["name"]) == (client_a.pk, "Acme Widgets")


def test_other_practice_client_is_404_like_an_unknown_id(
    admin_api, client_a, other_practice_client
):
    foreign = admin_api.get(f"{URL}/{other_practice_client.pk}")
    unknown = admin_api.get(f"{URL}/987654")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json() == {"detail": "No such client.", "errors": {}}
    patched = admin_api.patch(f"{URL}/{other_practice_client.pk}", {"name": "Mine now"})
    assert patched.status_code == 404
    assert patched.json() == unknown.json()
    other_practice_client.refresh_from_db()
    assert other_practice_client.name == "Secret Customer"


def test_patch_changes_only_the_fields_sent(admin_api, client_a):
    client_a.email = "old@acme.example"
    client_a.save()
    response = admin_api.patch(f"{URL}/{client_a.pk}", {"city": "York", "notes": "Pays late"})
    assert response.status_code == 200
    client_a.refresh_from_db()
    assert (client_a.city, client_a.notes, client_a.email, client_a.name) == (
        "York",
        "Pays late",
        "old@acme.example",
        "Acme Widgets",
    )
    assert response.json()["city"] == "York"


def test_patch_refusals_change_nothing(as_member, admin_api, practice, client_a):
    viewer = testing.make_member(practice)
    assert as_member(viewer).patch(f"{URL}/{client_a.pk}", {"city": "York"}).status_code == 403
    bad_name = admin_api.patch(f"{URL}/{client_a.pk}", {"name": "Acme:Widgets", "city": "York"})
    assert bad_name.status_code == 400
    assert "name" in bad_name.json()["errors"]
    assert admin_api.patch(f"{URL}/{client_a.pk}", {"name": None}).status_code == 422
    client_a.refresh_from_db()
    assert (client_a.name, client_a.city) == ("Acme Widgets", "")


def test_a_non_numeric_id_is_a_json_404(admin_api):
    response = admin_api.get(f"{URL}/abc", documented=False)
    assert response.status_code == 404
    assert response.json() == {"detail": "No such API endpoint.", "errors": {}}


def test_a_page_of_clients_costs_the_same_queries_whatever_its_size(admin_api, practice):
    testing.make_client(practice, "Only One")
    admin_api.get(URL)  # records the token's first use, a write the later calls skip

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_api.get(f"{URL}?page_size=100").status_code == 200
        return len(captured)

    one = queries()
    for index in range(30):
        testing.make_client(practice, f"Client {index}")
    assert queries() == one
