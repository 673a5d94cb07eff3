"""Settings ▸ Intuit app: the site's operator (a superuser) sees what to register at Intuit, the
checks and the probe; nobody else does."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as Browser
from django.urls import reverse
from django.utils.html import escape

from billbridge.core import testing
from billbridge.web.tests.test_accessibility import problems_in
from billbridge.web.views.intuit_app import OPERATORS_ONLY

PAGE = "/settings/intuit-app/"
PROBE = "/settings/intuit-app/probe/"


@pytest.fixture
def operator(db, settings):
    """A superuser outside any practice, as `createsuperuser` makes one, on an https site
    trying Intuit's sandbox."""
    settings.PUBLIC_URL = "https://books.example.com"
    settings.QBO_ENVIRONMENT = "sandbox"
    settings.QBO_REDIRECT_URI = (
        "https://books.example.com/settings/integrations/quickbooks/callback"
    )
    user = get_user_model().objects.create_superuser("root", password="x-long-password-1")
    browser = Browser()
    browser.force_login(user)
    return browser


def test_the_routes_are_the_ones_the_readme_names():
    assert (reverse("web:intuit-app"), reverse("web:intuit-app-probe")) == (PAGE, PROBE)


def test_the_operator_sees_what_to_register_and_the_checks(operator):
    response = operator.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    for value in (
        'value="https://books.example.com/settings/integrations/quickbooks/callback"',
        'value="https://books.example.com/quickbooks/webhooks"',
        'value="com.intuit.quickbooks.accounting"',
        'value="books.example.com"',
        'value="https://books.example.com/settings/integrations/quickbooks/"',
        'value="https://books.example.com/settings/integrations/quickbooks/disconnect/"',
        "Public address is HTTPS",
        "A signed webhook delivery arrived",
        "Actions ▸ Send test events",
        "privacy policy",
    ):
        assert value in html
    assert "data-probe=" not in html  # the probe runs on the operator's click only


def test_the_page_passes_the_accessibility_checks_before_and_after_a_probe(operator, qbo_settings):
    assert problems_in(operator.get(PAGE).content.decode()) == []
    assert problems_in(operator.post(PROBE).content.decode()) == []


def test_a_probe_shows_intuits_answer(operator, qbo_settings):
    response = operator.post(PROBE)
    assert response.status_code == 200
    assert 'data-probe="accepted"' in response.content.decode()


def test_a_probe_with_a_wrong_secret_shows_the_refusal(operator, qbo_settings):
    qbo_settings.QBO_CLIENT_SECRET = "not-the-secret"
    html = operator.post(PROBE).content.decode()
    assert 'data-probe="refused"' in html
    assert "not-the-secret" not in html


def test_the_probe_is_posted_not_fetched(operator):
    assert operator.get(PROBE).status_code == 405


def test_the_probe_needs_the_csrf_token(db, qbo_settings):
    user = get_user_model().objects.create_superuser("root", password="x-long-password-1")
    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.post(PROBE).status_code == 403
    browser.get(PAGE)  # sets the CSRF cookie, as the page's form would carry it
    token = browser.cookies["csrftoken"].value
    response = browser.post(PROBE, {"csrfmiddlewaretoken": token})
    assert 'data-probe="accepted"' in response.content.decode()


@pytest.mark.parametrize("url", [PAGE, PROBE])
def test_a_practice_member_who_is_not_the_operator_is_refused(db, admin_member, url):
    browser = Browser()
    browser.force_login(admin_member.user)
    response = browser.post(url) if url == PROBE else browser.get(url)
    assert response.status_code == 403
    html = response.content.decode()
    assert escape(OPERATORS_ONLY) in html
    assert "quickbooks/webhooks" not in html


def test_someone_outside_any_practice_meets_the_usual_page(db):
    browser = Browser()
    browser.force_login(get_user_model().objects.create_user("drifter"))
    response = browser.get(PAGE)
    assert response.status_code == 403
    assert b"not part of a practice" in response.content


def test_an_anonymous_visitor_is_sent_to_log_in(db):
    response = Browser().get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_the_links_to_the_page_show_for_the_operator_only(practice, admin_member):
    member = Browser()
    member.force_login(admin_member.user)
    assert PAGE.encode() not in member.get(reverse("web:quickbooks-settings")).content
    operator = testing.make_admin(practice, "olive").user
    operator.is_superuser = True
    operator.save()
    browser = Browser()
    browser.force_login(operator)
    html = browser.get(reverse("web:quickbooks-settings")).content.decode()
    assert f'<a href="{PAGE}">Intuit app</a>' in html  # the main navigation
    assert f'<a href="{PAGE}">Set up your own Intuit app</a>' in html
