"""Intuit's OAuth 2.0 through our oauth module, against the emulator's endpoints over HTTP."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from billbridge.quickbooks.client import oauth
from billbridge.quickbooks.client.oauth import InvalidGrant, OAuthUnavailable

REDIRECT_URI = "http://127.0.0.1:8000/settings/integrations/quickbooks/callback"


def approve(url: str, realm_id: str) -> dict[str, str]:
    """What the consent page sends back to our callback when the user picks this company."""
    response = httpx.get(url + f"&emulator_realm={realm_id}", follow_redirects=False)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {key: values[0] for key, values in parse_qs(location.query).items()}


@pytest.fixture
def connected(qbo_settings, qbo_company):
    """A fresh token set from the whole authorization-code flow."""
    callback = approve(oauth.authorization_url("state-1"), qbo_company)
    return oauth.exchange_code(callback["code"])


def test_authorization_url_asks_for_the_accounting_scope(qbo_settings, emulator):
    url = urlsplit(oauth.authorization_url("csrf-123"))

    assert f"{url.scheme}://{url.netloc}{url.path}" == emulator.base_url + "/connect/oauth2"
    assert parse_qs(url.query) == {
        "client_id": ["emulator-client"],
        "response_type": ["code"],
        "scope": ["com.intuit.quickbooks.accounting"],
        "redirect_uri": [REDIRECT_URI],
        "state": ["csrf-123"],
    }


def test_exchange_code_returns_tokens_that_open_the_api(qbo_settings, emulator, qbo_company):
    before = datetime.now(UTC)
    callback = approve(oauth.authorization_url("state-9"), qbo_company)

    tokens = oauth.exchange_code(callback["code"])

    assert (callback["state"], callback["realmId"]) == ("state-9", qbo_company)
    assert before + timedelta(seconds=3590) < tokens.access_expires_at
    assert tokens.access_expires_at <= datetime.now(UTC) + timedelta(seconds=3600)
    assert tokens.refresh_expires_at - tokens.access_expires_at == timedelta(seconds=8726400 - 3600)
    answer = httpx.get(
        f"{emulator.api_url}/company/{qbo_company}/companyinfo/{qbo_company}",
        headers={"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/json"},
    )
    assert answer.status_code == 200
    assert answer.json()["CompanyInfo"]["CompanyName"] == "Sandbox Company US 1"


def test_a_code_works_once(qbo_settings, qbo_company):
    callback = approve(oauth.authorization_url("s"), qbo_company)
    oauth.exchange_code(callback["code"])

    with pytest.raises(InvalidGrant):
        oauth.exchange_code(callback["code"])


def test_refresh_rotates_the_refresh_token(connected):
    fresh = oauth.refresh(connected.refresh_token)

    assert fresh.access_token != connected.access_token
    assert fresh.refresh_token != connected.refresh_token
    assert fresh.access_expires_at >= connected.access_expires_at
    # The newest refresh token keeps working.
    assert oauth.refresh(fresh.refresh_token).access_token != fresh.access_token


def test_refresh_with_a_dead_token_is_invalid_grant(qbo_settings, control, connected):
    control.post(
        "/tokens/expire", json={"token": connected.refresh_token, "which": "refresh"}
    ).raise_for_status()

    with pytest.raises(InvalidGrant) as caught:
        oauth.refresh(connected.refresh_token)

    assert "Incorrect or invalid refresh token" in str(caught.value)
    assert connected.refresh_token not in str(caught.value)


def test_an_unknown_refresh_token_is_invalid_grant(qbo_settings, emulator):
    with pytest.raises(InvalidGrant):
        oauth.refresh("AB11-never-issued")


def test_revoke_then_refresh_is_invalid_grant(connected):
    oauth.revoke(connected.refresh_token)

    with pytest.raises(InvalidGrant):
        oauth.refresh(connected.refresh_token)


def test_token_endpoint_500_is_unavailable(qbo_settings, control, connected):
    control.post(
        "/faults", json={"path": "/oauth2/v1/tokens/bearer", "status": 500}
    ).raise_for_status()

    with pytest.raises(OAuthUnavailable) as caught:
        oauth.refresh(connected.refresh_token)

    assert str(caught.value).startswith("Intuit's token endpoint answered HTTP 500 (intuit_tid 1-")
    # Nothing was spent: the same refresh token still works afterwards.
    assert oauth.refresh(connected.refresh_token).access_token


def test_wrong_client_secret_is_unavailable_and_says_why(qbo_settings, connected):
    qbo_settings.QBO_CLIENT_SECRET = "not-the-secret"

    with pytest.raises(OAuthUnavailable) as caught:
        oauth.refresh(connected.refresh_token)

    assert "invalid_client" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)


def test_an_unreachable_token_endpoint_is_unavailable(qbo_settings):
    qbo_settings.QBO_TOKEN_URL = "http://127.0.0.1:9/oauth2/v1/tokens/bearer"

    with pytest.raises(OAuthUnavailable) as caught:
        oauth.refresh("AB11-anything")

    assert str(caught.value) == "Intuit's token endpoint could not be reached (ConnectError)."


def test_an_unreachable_revoke_endpoint_is_unavailable(qbo_settings):
    qbo_settings.QBO_REVOKE_URL = "http://127.0.0.1:9/v2/oauth2/tokens/revoke"

    with pytest.raises(OAuthUnavailable):
        oauth.revoke("AB11-anything")


def test_token_sets_do_not_show_their_tokens(connected):
    assert connected.access_token not in repr(connected)
    assert connected.refresh_token not in repr(connected)
