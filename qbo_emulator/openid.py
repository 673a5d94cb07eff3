"""OpenID Connect on top of the OAuth grants (QBO.md §1): the `id_token` Intuit adds to the token
answer when the app asked for the `openid` scope, and the key set that proves it.

An Intuit id_token is a JWT signed RS256 whose header names the signing key (`kid`) published at
the discovery document's `jwks_uri`. Its claims, in Intuit's order: `sub` (the user, a UUID),
`aud` (a list holding the client id), `realmid` (the company, when one was connected),
`auth_time`, `iss`, `exp` (an hour after `iat`) and `iat` — as decoded from real tokens and
Intuit's oauth-jsclient test mocks.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# The emulator has one user, who approves every connection; Intuit's `sub` is a UUID per user.
DEMO_USER_SUB = "5e0c1d2a-7b4f-4c36-9a8e-3f1d2b6c7e90"
ID_TOKEN_SECONDS = 3600


class SigningKey:
    """The emulator's RS256 key, made on first use: most runs never sign anything, and a new key
    per start is enough because clients fetch the key set again when they meet a new `kid`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._private: rsa.RSAPrivateKey | None = None
        self.kid = "QBOEMU" + secrets.token_hex(6).upper()

    def _key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._private is None:
                self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._private

    def jwks(self) -> dict:
        numbers = self._key().public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "e": _b64(_unsigned(numbers.e)),
                    "use": "sig",
                    "kid": self.kid,
                    "alg": "RS256",
                    "n": _b64(_unsigned(numbers.n)),
                }
            ]
        }

    def sign(self, claims: dict) -> str:
        header = _segment({"kid": self.kid, "alg": "RS256"})
        signing_input = f"{header}.{_segment(claims)}".encode("ascii")
        signature = self._key().sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode('ascii')}.{_b64(signature)}"


def id_token_claims(
    *,
    client_id: str,
    realm_id: str | None,
    issuer: str,
    authenticated_at: datetime,
    now: datetime,
) -> dict:
    claims: dict = {"sub": DEMO_USER_SUB, "aud": [client_id]}
    if realm_id is not None:
        claims["realmid"] = realm_id
    iat = int(now.timestamp())
    claims.update(
        auth_time=int(authenticated_at.timestamp()),
        iss=issuer,
        exp=iat + ID_TOKEN_SECONDS,
        iat=iat,
    )
    return claims


def _segment(value: dict) -> str:
    # Intuit's serializer escapes every "/" (the issuer reads "https:\/\/..."); JSON readers
    # take it back, and a client comparing raw text meets what Intuit sends.
    text = json.dumps(value, separators=(",", ":")).replace("/", "\\/")
    return _b64(text.encode("ascii"))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unsigned(number: int) -> bytes:
    return number.to_bytes((number.bit_length() + 7) // 8, "big")
