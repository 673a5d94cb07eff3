import pytest
from django.contrib.auth import get_user_model
from django.test import Client as Browser
from django.urls import reverse

from billbridge.core import testing

PAGES = [
    ("web:billing-list", []),
    ("web:invoice-new", []),
    ("web:client-list", []),
    ("web:client-new", []),
    ("web:tax-settings", []),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), PAGES)
def test_it_sends_anonymous_visitors_to_the_login_page(name, args):
    url = reverse(name, args=args)
    response = Browser().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_it_sends_anonymous_visitors_of_an_invoice_to_login(client_a, admin_member):
    invoice = testing.make_invoice(admin_member, client_a)
    response = Browser().get(reverse("web:invoice-detail", args=[invoice.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), PAGES)
def test_it_explains_a_403_to_a_user_without_a_practice(name, args):
    user = get_user_model().objects.create_user("drifter", password="x-long-password-1")
    browser = Browser()
    browser.force_login(user)
    response = browser.get(reverse(name, args=args))
    assert response.status_code == 403
    assert b"not part of a practice" in response.content


@pytest.mark.parametrize(
    "name",
    ["web:invoice-detail", "web:invoice-edit"],
)
def test_another_practices_invoice_is_not_found(alice, other_practice_invoice, name):
    response = alice.get(reverse(name, args=[other_practice_invoice.pk]))
    assert response.status_code == 404


def test_another_practices_invoice_cannot_be_finalized(alice, other_practice_invoice):
    url = reverse("web:invoice-transition", args=[other_practice_invoice.pk, "finalize"])
    assert alice.post(url).status_code == 404
    other_practice_invoice.refresh_from_db()
    assert other_practice_invoice.status == "draft"


@pytest.mark.parametrize("name", ["web:client-detail", "web:client-edit"])
def test_another_practices_client_is_not_found(alice, other_practice_invoice, name):
    response = alice.get(reverse(name, args=[other_practice_invoice.client_id]))
    assert response.status_code == 404


def test_a_bulk_action_on_another_practices_invoice_finds_nothing(alice, other_practice_invoice):
    response = alice.post(
        reverse("web:billing-list"),
        {"action": "finalize", "invoice": [other_practice_invoice.pk]},
    )
    assert response.status_code == 200
    assert b"No such invoice." in response.content
    other_practice_invoice.refresh_from_db()
    assert other_practice_invoice.status == "draft"


def test_every_form_needs_the_csrf_token(admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(admin_member.user)

    response = browser.post(
        reverse("web:billing-list"), {"action": "finalize", "invoice": [invoice.pk]}
    )
    assert response.status_code == 403
    assert b"form has expired" in response.content
    invoice.refresh_from_db()
    assert invoice.status == "draft"

    # The same request with the token that the page gave out goes through.
    page = browser.get(reverse("web:billing-list"))
    token = page.context["csrf_token"]
    response = browser.post(
        reverse("web:billing-list"),
        {"action": "finalize", "invoice": [invoice.pk]},
        headers={"X-CSRFToken": str(token)},
    )
    assert response.status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "finalized"


def test_the_page_sends_the_csrf_token_with_every_htmx_request(alice):
    response = alice.get(reverse("web:billing-list"))
    assert b'hx-headers=\'{"X-CSRFToken": "' in response.content


@pytest.mark.parametrize("who", ["alice", "a viewer"])
def test_head_answers_like_get_on_every_page(
    browser_for, alice, practice, admin_member, client_a, who
):
    # HTTP asks every server to answer HEAD wherever it answers GET (RFC 9110 §9.1); link
    # checkers and uptime monitors send it.
    invoice = testing.make_invoice(admin_member, client_a)
    urls = [
        *(reverse(name, args=args) for name, args in PAGES),
        reverse("web:invoice-detail", args=[invoice.pk]),
        reverse("web:invoice-edit", args=[invoice.pk]),
        reverse("web:invoice-line-row") + "?lines-TOTAL_FORMS=2",
        reverse("web:client-detail", args=[client_a.pk]),
        reverse("web:client-edit", args=[client_a.pk]),
    ]
    browser = alice if who == "alice" else browser_for(testing.make_member(practice, "vera"))
    answers = {url: (browser.head(url).status_code, browser.get(url).status_code) for url in urls}
    assert {url: head for url, (head, get) in answers.items() if head != get} == {}


def test_an_expired_session_sends_htmx_to_the_login_page_whole(db):
    response = Browser().get(
        reverse("web:billing-list") + "?page=2",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/?client=7"},
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=%2F%3Fclient%3D7"
    plain = Browser().get(reverse("web:billing-list"))
    assert (plain.status_code, plain["Location"]) == (302, "/login/?next=/")
