"""OAuth 2.0 as Intuit runs it (QBO.md §1): discovery, authorize, token grants, rotation, revoke."""

import base64
import json

import pytest

from qbo_emulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI, Config
from qbo_emulator.tests._fixtures_edge import ACCOUNTING, edge_client

TOKEN = "/oauth2/v1/tokens/bearer"
REVOKE = "/v2/oauth2/tokens/revoke"
DAY = 86400


@pytest.fixture
def edge():
    with edge_client() as edge:
        yield edge


def api_status(edge, access_token: str) -> int:
    response = edge.client.get(
        f"/v3/company/{edge.realm}/companyinfo/{edge.realm}",
        headers={"Authorization": f"Bearer {access_token}"},
    )
    return response.status_code


@pytest.mark.parametrize(
    "name",
    [
        "openid_sandbox_configuration",
        "openid_configuration",
        "openid-sandbox-configuration",
        "openid-configuration",
        "openid_sandbox_configuration/",
    ],
)
def test_discovery_documents_point_back_at_the_emulator(edge, name):
    response = edge.client.get(f"/.well-known/{name}")
    assert response.status_code == 200
    doc = response.json()
    assert doc["authorization_endpoint"] == "http://testserver/connect/oauth2"
    assert doc["token_endpoint"] == "http://testserver/oauth2/v1/tokens/bearer"
    assert doc["revocation_endpoint"] == "http://testserver/v2/oauth2/tokens/revoke"
    assert doc["userinfo_endpoint"].startswith("http://testserver/")
    assert doc["jwks_uri"].startswith("http://testserver/")
    assert doc["issuer"] == "http://testserver/op/v1"
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_post",
        "client_secret_basic",
    }
    assert response.headers["intuit_tid"]


def test_discovery_uses_the_host_the_client_called(edge):
    doc = edge.client.get(
        "/.well-known/openid_sandbox_configuration", headers={"host": "127.0.0.1:9999"}
    ).json()
    assert doc["token_endpoint"] == "http://127.0.0.1:9999/oauth2/v1/tokens/bearer"


def test_authorize_with_emulator_realm_redirects_with_code_state_and_realm(edge):
    query = edge.authorize()
    assert query["state"] == "state-123"
    assert query["realmId"] == edge.realm
    assert len(query["code"]) <= 512


def test_emulator_auto_picks_the_first_company(edge):
    edge.emulator.create_company(name="Second Co")
    query = edge.authorize(emulator_realm="", emulator_auto="1")
    assert query["realmId"] == edge.emulator.companies()[0].realm_id


def test_authorize_without_auto_shows_a_consent_page_listing_companies(edge):
    response = edge.client.get(
        "/connect/oauth2",
        params={
            "client_id": DEMO_CLIENT_ID,
            "response_type": "code",
            "scope": ACCOUNTING,
            "redirect_uri": DEMO_REDIRECT_URI,
            "state": "s1",
        },
    )
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert edge.realm in response.text and "Edge Test Co" in response.text


def consent_form(edge, decision: str):
    return edge.client.post(
        "/connect/oauth2",
        data={
            "client_id": DEMO_CLIENT_ID,
            "response_type": "code",
            "scope": ACCOUNTING,
            "redirect_uri": DEMO_REDIRECT_URI,
            "state": "s2",
            "realm_id": edge.realm,
            "decision": decision,
        },
        follow_redirects=False,
    )


def test_approving_the_consent_page_redirects_with_a_code(edge):
    response = consent_form(edge, "approve")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(DEMO_REDIRECT_URI + "?code=")
    assert f"realmId={edge.realm}" in location and "state=s2" in location


def test_denying_redirects_with_access_denied(edge):
    response = consent_form(edge, "deny")
    assert response.status_code == 302
    assert response.headers["location"] == f"{DEMO_REDIRECT_URI}?error=access_denied&state=s2"


@pytest.mark.parametrize(
    "change, error",
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "bogus"}, "invalid_scope"),
    ],
)
def test_bad_response_type_or_scope_redirect_with_the_error(edge, change, error):
    params = {
        "client_id": DEMO_CLIENT_ID,
        "response_type": "code",
        "scope": ACCOUNTING,
        "redirect_uri": DEMO_REDIRECT_URI,
        "state": "s3",
        **change,
    }
    response = edge.client.get("/connect/oauth2", params=params, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == f"{DEMO_REDIRECT_URI}?error={error}&state=s3"


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": "nobody"},
        {"redirect_uri": "http://evil.example/callback"},
        {"emulator_realm": "123"},
    ],
)
def test_unknown_client_redirect_or_company_shows_an_error_page_and_never_redirects(edge, change):
    params = {
        "client_id": DEMO_CLIENT_ID,
        "response_type": "code",
        "scope": ACCOUNTING,
        "redirect_uri": DEMO_REDIRECT_URI,
        "emulator_realm": edge.realm,
        **change,
    }
    response = edge.client.get("/connect/oauth2", params=params, follow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "error" in response.text


def test_code_exchange_gives_intuit_shaped_tokens(edge):
    tokens = edge.exchange(edge.authorize()["code"])
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["x_refresh_token_expires_in"] == 8726400
    assert "x_refresh_token_hard_expires_in" not in tokens
    assert tokens["access_token"] != tokens["refresh_token"]
    assert api_status(edge, tokens["access_token"]) == 200


def test_access_tokens_are_as_long_as_intuits_and_shaped_as_a_jwe(edge):
    """A 2024 Intuit access token was 991 characters: a compact JWE with no encrypted key."""
    token = edge.exchange(edge.authorize()["code"])["access_token"]
    header, encrypted_key, iv, ciphertext, tag = token.split(".")
    padded = header + "=" * (-len(header) % 4)
    assert json.loads(base64.urlsafe_b64decode(padded)) == {"enc": "A128CBC-HS256", "alg": "dir"}
    assert encrypted_key == "" and len(iv) == len(tag) == 22
    assert len(token) == 991
    assert len(base64.urlsafe_b64decode(ciphertext + "==")) % 16 == 0  # AES-CBC blocks


def test_refresh_tokens_and_codes_are_50_characters_naming_their_expiry(edge):
    """As Intuit's: "AB1", the Unix time the token expires, then letters and digits."""
    now = int(edge.emulator.clock.now().timestamp())
    code = edge.authorize()["code"]
    refresh = edge.exchange(code)["refresh_token"]
    for token, lifetime in ((code, 300), (refresh, 8726400)):
        assert len(token) == 50 and token.isalnum()
        assert token[:13] == f"AB1{now + lifetime}"
    edge.emulator.clock.advance(DAY)
    rotated = edge.refresh(refresh).json()["refresh_token"]
    assert rotated[:13] == f"AB1{now + DAY + 8726400}"


def test_a_codes_tokens_open_only_the_company_approved_at_consent(edge):
    """Whatever realmId a client is later told, the gateway answers for the approved one."""
    other = edge.emulator.create_company(name="Another Firm").realm_id
    token = edge.exchange(edge.authorize()["code"])["access_token"]

    refused = edge.client.get(
        f"/v3/company/{other}/companyinfo/{other}", headers={"Authorization": f"Bearer {token}"}
    )

    assert refused.status_code == 403
    assert refused.json()["fault"] == {
        "error": [
            {
                "message": "message=ApplicationAuthorizationFailed; errorCode=003100; "
                "statusCode=403",
                "detail": f"The token is not authorized for company {other}",
                "code": "3100",
                "element": None,
            }
        ],
        "type": "SERVICE",
    }
    assert api_status(edge, token) == 200


def test_hard_expiry_is_reported_only_with_the_opt_in_header(edge):
    tokens = edge.exchange(
        edge.authorize()["code"], **{"x-include-refresh-token-hard-expires-in": "true"}
    )
    assert tokens["x_refresh_token_hard_expires_in"] == 5 * 365 * DAY
    refreshed = edge.refresh(tokens["refresh_token"]).json()
    assert "x_refresh_token_hard_expires_in" not in refreshed


def test_client_secret_post_is_accepted(edge):
    code = edge.authorize()["code"]
    response = edge.client.post(
        TOKEN,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": DEMO_REDIRECT_URI,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert response.status_code == 200
    assert response.json()["expires_in"] == 3600
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "auth, form",
    [
        ((DEMO_CLIENT_ID, "wrong"), {}),
        (None, {"client_id": DEMO_CLIENT_ID, "client_secret": "wrong"}),
        (None, {}),
    ],
)
def test_bad_client_credentials_are_401_invalid_client(edge, auth, form):
    code = edge.authorize()["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": DEMO_REDIRECT_URI}
    response = edge.client.post(TOKEN, data={**data, **form}, auth=auth)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_malformed_basic_header_is_invalid_client(edge):
    response = edge.client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        headers={"Authorization": "Basic %%%not-base64"},
    )
    assert response.status_code == 401


def test_a_code_works_once(edge):
    code = edge.authorize()["code"]
    edge.exchange(code)
    again = edge.client.post(
        TOKEN,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": DEMO_REDIRECT_URI},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_a_code_expires_after_its_short_lifetime(edge):
    code = edge.authorize()["code"]
    edge.emulator.clock.advance(301)
    response = edge.client.post(
        TOKEN,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": DEMO_REDIRECT_URI},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "authorization_code", "code": "unknown", "redirect_uri": DEMO_REDIRECT_URI},
        {"grant_type": "authorization_code", "code": "CODE", "redirect_uri": "http://other/cb"},
        {"grant_type": "refresh_token", "refresh_token": "unknown"},
    ],
)
def test_unknown_codes_tokens_and_mismatched_redirects_are_invalid_grant(edge, form):
    if form.get("code") == "CODE":
        form = {**form, "code": edge.authorize()["code"]}
    response = edge.client.post(TOKEN, data=form, auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_missing_or_unsupported_grant_parameters_are_400(edge):
    auth = (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    assert edge.client.post(TOKEN, data={"grant_type": "password"}, auth=auth).json() == {
        "error": "unsupported_grant_type"
    }
    missing = edge.client.post(TOKEN, data={"grant_type": "refresh_token"}, auth=auth)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")


def test_refresh_rotates_and_the_previous_token_has_a_24_hour_grace(edge):
    first = edge.exchange(edge.authorize()["code"])
    second = edge.refresh(first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["x_refresh_token_expires_in"] == 8726400

    edge.emulator.clock.advance(DAY - 60)
    grace = edge.refresh(first["refresh_token"])
    assert grace.status_code == 200
    # The stale token gets a fresh access token and the grant's current refresh token.
    assert grace.json()["refresh_token"] == second["refresh_token"]

    edge.emulator.clock.advance(120)
    late = edge.refresh(first["refresh_token"])
    assert late.status_code == 400
    assert late.json() == {
        "error": "invalid_grant",
        "error_description": "Incorrect or invalid refresh token",
    }
    assert edge.refresh(second["refresh_token"]).status_code == 200


def test_rotation_can_be_limited_to_once_a_day():
    config = Config()
    config.options.update({"refresh_rotation_seconds": DAY})
    with edge_client(config) as edge:
        first = edge.exchange(edge.authorize()["code"])
        same = edge.refresh(first["refresh_token"]).json()
        assert same["refresh_token"] == first["refresh_token"]
        edge.emulator.clock.advance(DAY)
        rotated = edge.refresh(first["refresh_token"]).json()
        assert rotated["refresh_token"] != first["refresh_token"]


def test_access_tokens_last_an_hour_on_the_emulator_clock(edge):
    tokens = edge.exchange(edge.authorize()["code"])
    edge.emulator.clock.advance(3599)
    assert api_status(edge, tokens["access_token"]) == 200
    edge.emulator.clock.advance(1)
    assert api_status(edge, tokens["access_token"]) == 401


def test_refresh_tokens_expire_after_100_days_unless_used(edge):
    tokens = edge.exchange(edge.authorize()["code"])
    edge.emulator.clock.advance(8726400)
    assert edge.refresh(tokens["refresh_token"]).status_code == 400


def test_using_a_refresh_token_restarts_its_100_days(edge):
    tokens = edge.exchange(edge.authorize()["code"])
    edge.emulator.clock.advance(50 * DAY)
    renewed = edge.refresh(tokens["refresh_token"]).json()
    assert renewed["x_refresh_token_expires_in"] == 8726400
    edge.emulator.clock.advance(80 * DAY)
    assert edge.refresh(renewed["refresh_token"]).status_code == 200


def test_refresh_stops_at_the_hard_maximum():
    config = Config()
    config.options.update({"refresh_hard_seconds": 10 * DAY})
    with edge_client(config) as edge:
        tokens = edge.exchange(edge.authorize()["code"])
        assert tokens["x_refresh_token_expires_in"] == 10 * DAY
        edge.emulator.clock.advance(10 * DAY)
        assert edge.refresh(tokens["refresh_token"]).status_code == 400


def test_refresh_token_of_another_app_is_invalid_grant(edge):
    edge.runtime.config.app_from_dict({"client_id": "other", "client_secret": "s2"})
    tokens = edge.exchange(edge.authorize()["code"])
    response = edge.client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("other", "s2"),
    )
    assert response.json()["error"] == "invalid_grant"


def test_revoke_with_json_body_revokes_the_whole_grant(edge):
    first = edge.exchange(edge.authorize()["code"])
    second = edge.refresh(first["refresh_token"]).json()
    response = edge.client.post(
        REVOKE,
        content=json.dumps({"token": second["refresh_token"]}),
        headers={"Content-Type": "application/json"},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
    )
    assert response.status_code == 200
    assert response.content == b""
    assert api_status(edge, first["access_token"]) == 401
    assert api_status(edge, second["access_token"]) == 401
    for token in (first["refresh_token"], second["refresh_token"]):
        assert edge.refresh(token).json()["error"] == "invalid_grant"


def test_revoke_with_form_body_and_an_access_token(edge):
    tokens = edge.exchange(edge.authorize()["code"])
    response = edge.client.post(
        REVOKE, data={"token": tokens["access_token"]}, auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    )
    assert response.status_code == 200
    assert edge.refresh(tokens["refresh_token"]).status_code == 400


def test_revoke_needs_client_credentials_and_a_token(edge):
    tokens = edge.exchange(edge.authorize()["code"])
    wrong = edge.client.post(REVOKE, data={"token": tokens["access_token"]}, auth=("x", "y"))
    assert wrong.status_code == 401
    missing = edge.client.post(REVOKE, data={}, auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET))
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    deep = edge.client.post(
        REVOKE,
        content=b"[" * 100_000 + b"]" * 100_000,
        headers={"Content-Type": "application/json"},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
    )
    assert (deep.status_code, deep.json()["error"]) == (400, "invalid_request")
    assert api_status(edge, tokens["access_token"]) == 200


def test_userinfo_answers_for_a_live_access_token(edge):
    tokens = edge.exchange(edge.authorize()["code"])
    ok = edge.client.get(
        "/v1/openid_connect/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert ok.status_code == 200 and ok.json()["email"]
    assert edge.client.get("/v1/openid_connect/userinfo").status_code == 401


def test_basic_credentials_are_percent_decoded(edge):
    edge.runtime.config.app_from_dict({"client_id": "app:1", "client_secret": "s e"})
    credentials = base64.b64encode(b"app%3A1:s%20e").decode()
    response = edge.client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": "unknown"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    # Client authenticated (not 401); the unknown token is then refused.
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_rotated_tokens_are_forgotten_after_their_grace(edge):
    tokens = edge.exchange(edge.authorize()["code"])
    for _ in range(10):
        edge.emulator.clock.advance(DAY + 1)
        tokens = edge.refresh(tokens["refresh_token"]).json()
    (grant,) = edge.client.get("/_emulator/tokens").json()["grants"]
    # Only the current token and the one rotated away last are still known.
    assert len(edge.runtime.tokens._refresh_index) == 2
    assert grant["refresh_token"] == tokens["refresh_token"]
