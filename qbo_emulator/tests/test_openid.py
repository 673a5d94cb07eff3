"""OpenID Connect: the signed id_token and the key set that proves it (QBO.md §1), checked the
way a client does — keys fetched from the discovery document's `jwks_uri`, signature verified
with joserfc (Authlib's JOSE library), claims compared with Intuit's."""

import base64
import json

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from qbo_emulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI
from qbo_emulator.tests._fixtures_edge import ACCOUNTING, edge_client

OPENID = f"openid email {ACCOUNTING}"
USERINFO = "/v1/openid_connect/userinfo"


@pytest.fixture
def edge():
    with edge_client() as edge:
        yield edge


def discovery(edge) -> dict:
    return edge.client.get("/.well-known/openid_sandbox_configuration").json()


def key_set(edge) -> KeySet:
    return KeySet.import_key_set(edge.client.get(discovery(edge)["jwks_uri"]).json())


def segment(token: str, index: int) -> dict:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def openid_tokens(edge, scope: str = OPENID, **params) -> dict:
    return edge.exchange(edge.authorize(scope=scope, **params)["code"])


def test_the_id_token_is_rs256_signed_by_a_published_key_and_verifies(edge):
    id_token = openid_tokens(edge)["id_token"]
    (key,) = edge.client.get(discovery(edge)["jwks_uri"]).json()["keys"]
    assert segment(id_token, 0) == {"kid": key["kid"], "alg": "RS256"}
    assert (key["kty"], key["e"], key["use"], key["alg"]) == ("RSA", "AQAB", "sig", "RS256")
    assert len(base64.urlsafe_b64decode(key["n"] + "==")) == 256  # a 2048-bit modulus

    token = jwt.decode(id_token, key_set(edge), algorithms=["RS256"])
    registry = jwt.JWTClaimsRegistry(
        now=int(edge.emulator.clock.now().timestamp()),
        iss={"essential": True, "value": discovery(edge)["issuer"]},
        aud={"essential": True, "value": DEMO_CLIENT_ID},
    )
    registry.validate(token.claims)


def test_the_claims_are_intuits_in_intuits_order(edge):
    now = int(edge.emulator.clock.now().timestamp())
    claims = segment(openid_tokens(edge)["id_token"], 1)
    assert list(claims) == ["sub", "aud", "realmid", "auth_time", "iss", "exp", "iat"]
    assert claims["aud"] == [DEMO_CLIENT_ID]  # a list, as intuit-oauth reads aud[0]
    assert claims["realmid"] == edge.realm
    assert claims["iss"] == "http://testserver/op/v1" == discovery(edge)["issuer"]
    assert claims["iat"] == claims["auth_time"] == now
    assert claims["exp"] == now + 3600


def test_slashes_are_escaped_as_intuits_serializer_writes_them(edge):
    payload = openid_tokens(edge)["id_token"].split(".")[1]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b'"iss":"http:\\/\\/testserver\\/op\\/v1"' in raw


def test_a_changed_token_no_longer_verifies(edge):
    header, payload, signature = openid_tokens(edge)["id_token"].split(".")
    claims = segment(f"{header}.{payload}", 1) | {"realmid": "1"}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{header}.{forged}.{signature}", key_set(edge), algorithms=["RS256"])


def test_without_the_openid_scope_there_is_no_id_token(edge):
    assert "id_token" not in openid_tokens(edge, scope=ACCOUNTING)


def test_openid_alone_connects_no_company_and_names_none(edge):
    query = edge.authorize(scope="openid profile", emulator_realm="")
    assert "realmId" not in query
    claims = segment(edge.exchange(query["code"])["id_token"], 1)
    assert "realmid" not in claims and claims["aud"] == [DEMO_CLIENT_ID]


def test_userinfo_names_the_same_user_as_the_id_token(edge):
    tokens = openid_tokens(edge)
    info = edge.client.get(USERINFO, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.json()["sub"] == segment(tokens["id_token"], 1)["sub"]


def test_a_refresh_brings_a_new_id_token_for_the_same_sign_in(edge):
    first = openid_tokens(edge)
    signed_in = segment(first["id_token"], 1)
    edge.emulator.clock.advance(7200)
    refreshed = edge.refresh(first["refresh_token"]).json()
    again = segment(refreshed["id_token"], 1)
    assert again["iat"] == signed_in["iat"] + 7200
    assert again["auth_time"] == signed_in["auth_time"]
    assert {k: again[k] for k in ("sub", "aud", "realmid", "iss")} == {
        k: signed_in[k] for k in ("sub", "aud", "realmid", "iss")
    }
    jwt.decode(refreshed["id_token"], key_set(edge), algorithms=["RS256"])


def test_the_issuer_follows_the_host_the_client_called(edge):
    query = edge.authorize(scope=OPENID)
    response = edge.client.post(
        "/oauth2/v1/tokens/bearer",
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": DEMO_REDIRECT_URI,
        },
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        headers={"host": "127.0.0.1:9999"},
    )
    assert segment(response.json()["id_token"], 1)["iss"] == "http://127.0.0.1:9999/op/v1"


def test_the_key_set_stays_the_same_while_the_emulator_runs(edge):
    first = edge.client.get("/op/v1/jwks").json()
    openid_tokens(edge)
    assert edge.client.get("/op/v1/jwks").json() == first
