"""Intuit's OAuth 2.0 for the Accounting scope (QBO.md §1), through Authlib's httpx client.

Every endpoint comes from settings, so the same code talks to Intuit or to the emulator. The app
authenticates with HTTP Basic (client_secret_basic), as Intuit expects. Two outcomes matter to the
caller and get their own exceptions: `InvalidGrant` (the code or refresh token is dead: the user
must reconnect) and `OAuthUnavailable` (anything else: worth trying again later, or a
configuration problem the message names). No message carries a token.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from django.conf import settings

SCOPE = "com.intuit.quickbooks.accounting"
AUTH_METHOD = "client_secret_basic"


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime | None

    def __repr__(self) -> str:
        # Keeps tokens out of tracebacks and logs that print the object.
        return (
            f"TokenSet(access_expires_at={self.access_expires_at.isoformat()}, "
            f"refresh_expires_at={self.refresh_expires_at and self.refresh_expires_at.isoformat()})"
        )


class InvalidGrant(Exception):
    """Intuit answered invalid_grant: the code or refresh token is used, expired or revoked."""


class OAuthUnavailable(Exception):
    """Intuit could not be reached or refused for another reason (the message says which)."""


def _client() -> OAuth2Client:
    return OAuth2Client(
        client_id=settings.QBO_CLIENT_ID,
        client_secret=settings.QBO_CLIENT_SECRET,
        token_endpoint_auth_method=AUTH_METHOD,
        revocation_endpoint_auth_method=AUTH_METHOD,
        redirect_uri=settings.QBO_REDIRECT_URI,
        timeout=settings.QBO_TIMEOUT_SECONDS,
    )


def authorization_url(state: str) -> str:
    with _client() as client:
        url, _ = client.create_authorization_url(
            settings.QBO_AUTHORIZE_URL, state=state, scope=SCOPE
        )
    return url


def exchange_code(code: str) -> TokenSet:
    return _token_request("authorization_code", code=code)


def refresh(refresh_token: str) -> TokenSet:
    return _token_request("refresh_token", refresh_token=refresh_token)


def revoke(token: str) -> None:
    """Disconnect the app from the company (revoking either token revokes the connection)."""
    with _client() as client:
        try:
            # JSON, as Intuit's own SDKs send it (QBO.md §1.5); Authlib's revoke_token sends a form.
            response = client.post(
                settings.QBO_REVOKE_URL,
                json={"token": token},
                headers={"Accept": "application/json"},
                auth=client.client_auth(AUTH_METHOD),
            )
        except httpx.TransportError as exc:
            raise OAuthUnavailable(
                f"Intuit's revoke endpoint could not be reached ({type(exc).__name__})."
            ) from exc
    if response.status_code != 200:
        raise OAuthUnavailable(
            f"Intuit's revoke endpoint answered HTTP {response.status_code}"
            f"{_tid(response.headers.get('intuit_tid', ''))}."
        )


@dataclass(frozen=True)
class TokenEndpointAnswer:
    status: int
    error: str  # OAuth's error word (invalid_client, invalid_grant…), "" when there was none
    intuit_tid: str


def ask_token_endpoint(refresh_token: str, timeout: float) -> TokenEndpointAnswer:
    """One refresh request whose answer is read, not acted on: the Intuit app page's probe of
    the app's credentials (quickbooks/app_check.py), with the credentials presented exactly as
    a connection presents them."""
    with _client() as client:
        try:
            response = client.post(
                settings.QBO_TOKEN_URL,
                data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                headers={"Accept": "application/json"},
                auth=client.client_auth(AUTH_METHOD),
                timeout=timeout,
            )
        except httpx.TransportError as exc:
            raise OAuthUnavailable(
                f"Intuit's token endpoint {settings.QBO_TOKEN_URL} could not be reached "
                f"({type(exc).__name__})."
            ) from exc
    return TokenEndpointAnswer(
        response.status_code, _oauth_error(response), response.headers.get("intuit_tid", "")
    )


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    # Only OAuth's own error words are passed on, never whatever else came back.
    return error if isinstance(error, str) and error.replace("_", "").isalpha() else ""


def _token_request(grant_type: str, **fields: str) -> TokenSet:
    # Expiries count from before the request, so we never believe a token lives longer than it does.
    sent_at = datetime.now(UTC)
    tids: list[str] = []

    def remember_tid(response: httpx.Response) -> httpx.Response:
        tids.append(response.headers.get("intuit_tid", ""))
        return response

    with _client() as client:
        client.register_compliance_hook("access_token_response", remember_tid)
        client.register_compliance_hook("refresh_token_response", remember_tid)
        try:
            if grant_type == "refresh_token":
                token = client.refresh_token(settings.QBO_TOKEN_URL, **fields)
            else:
                token = client.fetch_token(settings.QBO_TOKEN_URL, grant_type=grant_type, **fields)
        except OAuthError as exc:
            tid = _tid(tids[-1] if tids else "")
            if exc.error == "invalid_grant":
                raise InvalidGrant(
                    f"Intuit refused the {_what(grant_type)}: {exc.description or exc.error}{tid}."
                ) from exc
            raise OAuthUnavailable(
                f"Intuit refused the {_what(grant_type)} with {exc.error}{tid}."
            ) from exc
        except httpx.HTTPStatusError as exc:
            raise OAuthUnavailable(
                f"Intuit's token endpoint answered HTTP {exc.response.status_code}"
                f"{_tid(exc.response.headers.get('intuit_tid', ''))}."
            ) from exc
        except httpx.TransportError as exc:
            raise OAuthUnavailable(
                f"Intuit's token endpoint could not be reached ({type(exc).__name__})."
            ) from exc
        except ValueError as exc:  # a body that is not a JSON object
            raise OAuthUnavailable(f"Intuit's token endpoint answered oddly: {exc}") from exc
    refresh_seconds = token.get("x_refresh_token_expires_in")
    return TokenSet(
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        access_expires_at=sent_at + timedelta(seconds=int(token["expires_in"])),
        refresh_expires_at=(
            sent_at + timedelta(seconds=int(refresh_seconds)) if refresh_seconds else None
        ),
    )


def _what(grant_type: str) -> str:
    return "refresh token" if grant_type == "refresh_token" else "authorization code"


def _tid(intuit_tid: str) -> str:
    return f" (intuit_tid {intuit_tid})" if intuit_tid else ""
