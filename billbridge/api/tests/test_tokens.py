import hashlib
import io
import logging
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from billbridge.api.api import api
from billbridge.api.models import ApiToken
from billbridge.api.tests.conftest import ApiCaller
from billbridge.api.tokens import issue_token, membership_for_token, revoke_token
from billbridge.core import testing
from billbridge.core.errors import InvalidInput
from billbridge.invoicing import services

TOKEN_SHAPE = re.compile(r"bb_[a-z0-9]{8}_[A-Za-z0-9_-]{43}")


def test_only_the_hash_of_a_token_is_stored(admin_member):
    row, token = issue_token(admin_member.user, "  Month-end script ")
    assert TOKEN_SHAPE.fullmatch(token)
    stored = ApiToken.objects.get(pk=row.pk)
    assert stored.name == "Month-end script"
    assert stored.secret_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(stored.prefix + "_")
    secret = token.removeprefix(stored.prefix + "_")
    for value in (stored.name, stored.prefix, stored.secret_hash):
        assert secret not in value
    assert stored.last_used_at is None and stored.revoked_at is None


def test_two_tokens_differ_in_prefix_and_secret(admin_member):
    (first, token1), (second, token2) = (issue_token(admin_member.user, n) for n in "ab")
    assert first.prefix != second.prefix and token1 != token2


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_sensible_name(admin_member, name):
    with pytest.raises(InvalidInput):
        issue_token(admin_member.user, name)
    assert not ApiToken.objects.exists()


def test_no_token_for_a_user_outside_any_practice(db):
    user = testing.make_member(testing.make_practice()).user
    user.membership.delete()
    user.refresh_from_db()
    with pytest.raises(InvalidInput, match="active members"):
        issue_token(user, "script")


def test_a_valid_token_acts_for_its_member_and_records_its_use(admin_member, client_a):
    row, token = issue_token(admin_member.user, "script")
    response = ApiCaller(token).get("/api/v1/clients")
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["items"]] == ["Acme Widgets"]
    row.refresh_from_db()
    assert row.last_used_at is not None
    first_use = row.last_used_at
    # Within a minute a second use does not write again.
    assert membership_for_token(token) == admin_member
    row.refresh_from_db()
    assert row.last_used_at == first_use


def test_revoked_token_is_refused(admin_member):
    row, token = issue_token(admin_member.user, "script")
    revoke_token(admin_member.user, row.pk)
    response = ApiCaller(token).get("/api/v1/clients")
    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]
    assert ApiToken.objects.get(pk=row.pk).revoked_at is not None


def test_a_member_cannot_revoke_someone_elses_token(admin_member, practice):
    other = testing.make_member(practice)
    row, token = issue_token(admin_member.user, "script")
    with pytest.raises(InvalidInput, match="No such token"):
        revoke_token(other.user, row.pk)
    assert ApiCaller(token).get("/api/v1/clients").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer bb_aaaaaaaa_" + "x" * 43,  # well formed, unknown
        "Bearer nonsense",
        "Bearer ",
        "Token abc",
        "Basic YWxpY2U6cGFzc3dvcmQ=",
    ],
)
def test_wrong_or_malformed_tokens_answer_401_json(admin_member, header):
    issue_token(admin_member.user, "script")
    response = ApiCaller().get("/api/v1/invoices", headers={"Authorization": header})
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["detail"] and body["errors"] == {}


def test_a_token_with_one_wrong_character_is_refused(admin_member):
    _row, token = issue_token(admin_member.user, "script")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert ApiCaller(tampered).get("/api/v1/clients").status_code == 401


EVERY_OPERATION = [
    (method.upper(), re.sub(r"\{\w+\}", "1", path))
    for path, item in api.get_openapi_schema()["paths"].items()
    for method in item
]


@pytest.mark.parametrize(("method", "url"), EVERY_OPERATION)
def test_no_credentials_answer_401_with_how_to_authenticate(db, method, url):
    response = ApiCaller().call(method, url, {})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["detail"]


def test_token_of_an_inactive_user_is_refused(admin_member):
    _row, token = issue_token(admin_member.user, "script")
    admin_member.user.is_active = False
    admin_member.user.save()
    assert ApiCaller(token).get("/api/v1/clients").status_code == 401


def test_token_of_a_user_who_left_the_practice_is_refused(admin_member):
    _row, token = issue_token(admin_member.user, "script")
    admin_member.delete()
    assert ApiCaller(token).get("/api/v1/clients").status_code == 401


def test_refused_tokens_are_logged_without_the_token(admin_member, caplog):
    _row, token = issue_token(admin_member.user, "script")
    wrong = token[:-4] + "AAAA"
    ApiCaller(wrong).get("/api/v1/clients")
    assert "API token refused" in caplog.text
    assert wrong not in caplog.text and wrong.split("_")[-1] not in caplog.text


# ---- the logged-in browser session -----------------------------------------------------------


def test_session_reads_work_and_writes_need_the_csrf_token(admin_member, client_a):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_member.user)
    api = ApiCaller(client=browser)
    assert api.get("/api/v1/clients").status_code == 200

    refused = api.patch(f"/api/v1/clients/{client_a.pk}", {"city": "Leeds"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client_a.refresh_from_db()
    assert client_a.city == ""

    browser.get("/profile/")  # sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    done = api.patch(
        f"/api/v1/clients/{client_a.pk}", {"city": "Leeds"}, headers={"X-CSRFToken": csrf}
    )
    assert done.status_code == 200
    assert done.json()["city"] == "Leeds"


def test_a_session_without_membership_is_not_enough(db):
    member = testing.make_member(testing.make_practice())
    member.delete()
    browser = Client()
    browser.force_login(member.user)
    assert ApiCaller(client=browser).get("/api/v1/clients").status_code == 401


def test_anonymous_unsafe_request_gets_401_not_a_csrf_refusal(db):
    response = ApiCaller(client=Client(enforce_csrf_checks=True)).post(
        "/api/v1/clients", {"name": "Acme"}
    )
    assert response.status_code == 401


# ---- the create_api_token command ---------------------------------------------------------


def test_command_prints_a_working_token_once(admin_member, client_a):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "alice", "--name", "Nightly sync", stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert TOKEN_SHAPE.fullmatch(token)
    row = ApiToken.objects.get(user=admin_member.user)
    assert row.name == "Nightly sync"
    assert row.secret_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix in err.getvalue() and token not in err.getvalue()
    assert ApiCaller(token).get("/api/v1/clients").status_code == 200


def test_command_default_name(admin_member):
    call_command("create_api_token", "alice", stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiToken.objects.get().name == "Command line"


def test_command_refuses_unknown_users_and_non_members(db):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("create_api_token", "nobody", stdout=io.StringIO())
    member = testing.make_member(testing.make_practice(), "loner")
    member.delete()
    with pytest.raises(CommandError, match="active members"):
        call_command("create_api_token", "loner", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_making_and_revoking_are_logged_by_prefix_only(admin_member, caplog):
    caplog.set_level("INFO", logger="billbridge.api.tokens")
    row, token = issue_token(admin_member.user, "script")
    revoke_token(admin_member.user, row.pk)
    assert f"API token {row.prefix} made" in caplog.text
    assert f"API token {row.prefix} of user {admin_member.user.pk} revoked" in caplog.text
    assert token not in caplog.text


def test_revoked_at_is_set_once(admin_member):
    row, _token = issue_token(admin_member.user, "script")
    revoke_token(admin_member.user, row.pk)
    with pytest.raises(InvalidInput):
        revoke_token(admin_member.user, row.pk)
    assert ApiToken.objects.get(pk=row.pk).revoked_at <= timezone.now()


def test_no_log_line_ever_holds_a_token_or_a_password(admin_member, client_a, caplog, monkeypatch):
    """A token's whole life, from the profile page to revoking, with refusals and a server
    error on the way, logged at every level: neither the token, nor its secret part, nor a
    password typed at the log-in page appears in any log record."""
    caplog.set_level(logging.DEBUG)
    browser = Client()
    password = "wrong-but-secret-password-42"
    browser.post("/login/", {"username": admin_member.user.username, "password": password})
    browser.force_login(admin_member.user)
    page = browser.post("/profile/", {"action": "create", "name": "script"}).content.decode()
    token = TOKEN_SHAPE.search(page).group(0)
    caller = ApiCaller(token)
    caller.get("/api/v1/clients")
    ApiCaller(token[:-1] + ("A" if token[-1] != "A" else "B")).get("/api/v1/clients")

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "finalize", broken)
    invoice = testing.make_invoice(admin_member, client_a)
    assert caller.post(f"/api/v1/invoices/{invoice.pk}/finalize").status_code == 500
    row = ApiToken.objects.get(user=admin_member.user, name="script")
    browser.post("/profile/", {"action": "revoke", "token": row.pk})
    assert caller.get("/api/v1/clients", documented=False).status_code == 401

    assert "API token refused" in caplog.text and "RuntimeError: a bug" in caplog.text
    logged = "\n".join([caplog.text, *(str(record.args) for record in caplog.records)])
    # The secret part follows the prefix's "bb_xxxxxxxx_"; it may hold underscores itself.
    for secret in (token, token.split("_", 2)[-1], password):
        assert secret not in logged
