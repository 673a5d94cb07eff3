import hashlib
import re

import pytest
from django.test import Client

from billbridge.api.models import ApiToken
from billbridge.api.tests.conftest import ApiCaller
from billbridge.api.tokens import issue_token
from billbridge.core import testing

TOKEN = re.compile(r"bb_[a-z0-9]{8}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def browser(admin_member):
    browser = Client()
    browser.force_login(admin_member.user)
    return browser


def test_profile_needs_login(db):
    response = Client().get("/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_profile_shows_the_member_and_their_tokens_without_secrets(browser, admin_member):
    row, token = issue_token(admin_member.user, "Month-end script")
    page = browser.get("/profile/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ledger &amp; Co" in html
    assert "Export to accounting software: yes" in html
    assert "Month-end script" in html and row.display_prefix in html
    assert token not in html and TOKEN.search(html) is None
    assert "never" in html  # not used yet


def test_making_a_token_shows_it_once(browser, admin_member):
    response = browser.post("/profile/", {"action": "create", "name": "Nightly sync"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = TOKEN.findall(response.content.decode())
    assert len(set(shown)) == 1
    row = ApiToken.objects.get(user=admin_member.user)
    assert row.name == "Nightly sync"
    assert row.secret_hash == hashlib.sha256(shown[0].encode()).hexdigest()
    assert ApiCaller(shown[0]).get("/api/v1/clients").status_code == 200
    again = browser.get("/profile/").content.decode()
    assert shown[0] not in again and "Nightly sync" in again


def test_a_token_needs_a_name(browser):
    response = browser.post("/profile/", {"action": "create", "name": "  "})
    assert response.status_code == 400
    assert "Give the token a name." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_a_token(browser, admin_member):
    row, token = issue_token(admin_member.user, "Old script")
    response = browser.post("/profile/", {"action": "revoke", "token": row.pk}, follow=True)
    assert response.redirect_chain == [("/profile/", 302)]
    html = response.content.decode()
    assert "is revoked" in html and "You have no API tokens." in html
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert ApiCaller(token).get("/api/v1/clients").status_code == 401


@pytest.mark.parametrize("token_field", ["theirs", "abc", ""])
def test_revoking_what_is_not_yours_does_nothing(browser, practice, token_field):
    theirs, _token = issue_token(testing.make_member(practice).user, "Theirs")
    value = theirs.pk if token_field == "theirs" else token_field
    response = browser.post("/profile/", {"action": "revoke", "token": value})
    assert response.status_code == 400
    assert "No such token." in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_unknown_action_is_400(browser):
    assert browser.post("/profile/", {"action": "explode"}).status_code == 400


def test_forms_are_csrf_protected(admin_member):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_member.user)
    response = browser.post("/profile/", {"action": "create", "name": "Sneaky"})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_a_user_without_a_practice_cannot_make_tokens(db):
    member = testing.make_member(testing.make_practice())
    member.delete()
    browser = Client()
    browser.force_login(member.user)
    page = browser.get("/profile/").content.decode()
    assert "ask your practice's administrator" in page
    assert 'value="create"' not in page
    response = browser.post("/profile/", {"action": "create", "name": "Script"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
