"""Contract: Intuit's own OAuth client (intuit-oauth, package `intuitlib`) against the emulator.

The library is used unchanged; its `environment` argument takes a discovery-document URL, which
is the only thing pointing it here (QBO.md §7.1).
"""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from intuitlib.utils import validate_id_token

from qbo_emulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI
from qbo_emulator.testing import running_emulator


@pytest.fixture(scope="module")
def qbo():
    with running_emulator() as qbo:
        qbo.emulator.create_company(name="Contract OAuth Co", seed="empty")
        yield qbo


def auth_client(qbo) -> AuthClient:
    return AuthClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI, qbo.discovery_url)


def approve(qbo, client: AuthClient, scopes=(Scopes.ACCOUNTING,)) -> dict:
    """What the browser does: open the authorization URL, the emulator approves at once."""
    url = client.get_authorization_url(list(scopes))
    response = requests.get(url + "&emulator_auto=1", allow_redirects=False, timeout=5)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(DEMO_REDIRECT_URI)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_discovery_points_the_client_at_the_emulator(qbo):
    client = auth_client(qbo)
    assert client.auth_endpoint == f"{qbo.base_url}/connect/oauth2"
    assert client.token_endpoint.startswith(qbo.base_url)
    assert client.revoke_endpoint.startswith(qbo.base_url)


def test_full_connect_refresh_and_revoke_cycle(qbo):
    client = auth_client(qbo)
    redirect = approve(qbo, client)
    assert redirect["state"] == client.state_token
    realm = redirect["realmId"]
    assert realm == qbo.emulator.companies()[0].realm_id

    client.get_bearer_token(redirect["code"], realm_id=realm)
    assert client.expires_in == 3600
    assert client.x_refresh_token_expires_in == 8726400
    first_access, first_refresh = client.access_token, client.refresh_token
    api = requests.get(
        f"{qbo.api_url}/company/{realm}/companyinfo/{realm}",
        headers={"Authorization": f"Bearer {first_access}", "Accept": "application/json"},
        timeout=5,
    )
    assert api.status_code == 200

    client.refresh()
    assert client.access_token != first_access
    assert client.refresh_token != first_refresh

    assert client.revoke() is True
    with pytest.raises(AuthClientError) as refused:
        client.refresh()
    assert refused.value.status_code == 400
    assert refused.value.intuit_tid  # the library reads the header Intuit sends
    assert b"invalid_grant" in refused.value.content


def test_a_code_cannot_be_exchanged_twice(qbo):
    client = auth_client(qbo)
    redirect = approve(qbo, client)
    client.get_bearer_token(redirect["code"], realm_id=redirect["realmId"])
    with pytest.raises(AuthClientError) as refused:
        auth_client(qbo).get_bearer_token(redirect["code"], realm_id=redirect["realmId"])
    assert refused.value.status_code == 400


def test_wrong_secret_is_refused(qbo):
    client = AuthClient(DEMO_CLIENT_ID, "wrong", DEMO_REDIRECT_URI, qbo.discovery_url)
    redirect = approve(qbo, auth_client(qbo))
    with pytest.raises(AuthClientError) as refused:
        client.get_bearer_token(redirect["code"], realm_id=redirect["realmId"])
    assert refused.value.status_code == 401


def test_user_info(qbo):
    client = auth_client(qbo)
    redirect = approve(qbo, client)
    client.get_bearer_token(redirect["code"], realm_id=redirect["realmId"])
    response = client.get_user_info()
    assert response.status_code == 200
    assert response.json()["email"]


def test_the_id_token_passes_intuits_own_validation(qbo):
    """intuit-oauth keeps an id_token only when its validate_id_token accepts it: issuer from
    discovery, aud[0] the client id, not expired, RS256 signature by the `kid` at jwks_uri."""
    client = auth_client(qbo)
    redirect = approve(qbo, client, (Scopes.OPENID, Scopes.EMAIL, Scopes.ACCOUNTING))
    client.get_bearer_token(redirect["code"], realm_id=redirect["realmId"])
    assert client.id_token
    assert validate_id_token(client.id_token, DEMO_CLIENT_ID, client.issuer_uri, client.jwks_uri)
    assert not validate_id_token(client.id_token, "another-app", client.issuer_uri, client.jwks_uri)
    header, payload, signature = client.id_token.split(".")
    other_signature = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    forged = f"{header}.{payload}.{other_signature}"
    assert not validate_id_token(forged, DEMO_CLIENT_ID, client.issuer_uri, client.jwks_uri)

    user = client.get_user_info().json()
    claims = jwt.decode(client.id_token, options={"verify_signature": False})
    assert user["sub"] == claims["sub"] and claims["realmid"] == redirect["realmId"]
    assert len(client.access_token) > 900 and len(client.refresh_token) == 50


def test_access_token_expires_after_an_hour_and_refresh_rotation_has_a_day_of_grace(qbo):
    client = auth_client(qbo)
    redirect = approve(qbo, client)
    realm = redirect["realmId"]
    client.get_bearer_token(redirect["code"], realm_id=realm)
    url = f"{qbo.api_url}/company/{realm}/companyinfo/{realm}"

    def call() -> requests.Response:
        headers = {"Authorization": f"Bearer {client.access_token}", "Accept": "application/json"}
        return requests.get(url, headers=headers, timeout=5)

    qbo.emulator.clock.advance(3601)
    try:
        expired = call()
        assert expired.status_code == 401 and expired.headers["intuit_tid"]
        (error,) = expired.json()["fault"]["error"]
        assert error["code"] == "3200" and expired.json()["fault"]["type"] == "AUTHENTICATION"

        old_refresh = client.refresh_token
        client.refresh()
        assert call().status_code == 200
        # The previous refresh token still works for 24 hours (QBO.md §1.4), then invalid_grant.
        auth_client(qbo).refresh(refresh_token=old_refresh)
        qbo.emulator.clock.advance(24 * 3600 + 1)
        with pytest.raises(AuthClientError) as refused:
            auth_client(qbo).refresh(refresh_token=old_refresh)
        assert refused.value.status_code == 400 and b"invalid_grant" in refused.value.content
        client.refresh()  # the newest token still refreshes
        assert call().status_code == 200
    finally:
        qbo.emulator.clock.set(datetime.now(UTC))
