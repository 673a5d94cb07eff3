"""OAuth 2.0 as Intuit runs it (QBO.md §1): discovery documents, the authorize page, the token
and revoke endpoints, and the grants, codes and tokens behind them.

One grant = one app connected to one company. It owns one current refresh token (plus rotated-away
"stale" ones still honoured for a grace period) and any number of access tokens. Revoking any of
its tokens revokes the grant. All times come from the emulator clock, so tests fast-forward.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from . import jsonbody
from .config import App, Options
from .openid import DEMO_USER_SUB, SigningKey, id_token_claims
from .views import page, read_form

if TYPE_CHECKING:
    from .app import Runtime

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
PAYMENT_SCOPE = "com.intuit.quickbooks.payment"
# Scopes whose redirect carries `realmId` (QBO.md §1.2).
COMPANY_SCOPES = frozenset({ACCOUNTING_SCOPE, PAYMENT_SCOPE})
KNOWN_SCOPES = COMPANY_SCOPES | {
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "project-management.project",
    "app-foundations.custom-field-definitions",
    "app-foundations.custom-field-definitions.read",
    "payroll.compensation.read",
    "indirect-tax.tax-calculation.quickbooks",
    "tax-compliance.workpapers.read",
}


class OAuthError(Exception):
    """An OAuth error answered as `{"error": ..., "error_description": ...}`."""

    def __init__(self, error: str, description: str | None = None, status: int = 400):
        super().__init__(description or error)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


class TokenRejected(Exception):
    """A bearer token the gateway must refuse; `detail` goes into the 401 fault."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


@dataclass
class Grant:
    id: str
    client_id: str
    realm_id: str | None
    scopes: list[str]
    created_at: datetime
    hard_expires_at: datetime
    refresh_token: str
    refresh_issued_at: datetime
    refresh_expires_at: datetime
    revoked: bool = False
    # rotated-away refresh token -> when it stops being honoured
    stale_refresh: dict[str, datetime] = field(default_factory=dict)


@dataclass
class AccessToken:
    token: str
    grant_id: str
    expires_at: datetime


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    realm_id: str | None
    scopes: list[str]
    expires_at: datetime
    used: bool = False


INVALID_REFRESH = "Incorrect or invalid refresh token"

# Intuit's access token is a compact JWE only Intuit can open: this header (base64url of
# {"enc":"A128CBC-HS256","alg":"dir"}), no encrypted key, a 16-byte IV, the ciphertext and a
# 16-byte tag. Real ones run from about 800 to 1000 characters (991 in a 2024 sample): random
# parts of those sizes give a client's storage the length it must hold.
ACCESS_TOKEN_HEADER = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0"
ACCESS_TOKEN_CIPHERTEXT_BYTES = 672
# Codes and refresh tokens are 50 letters and digits: "AB1", the Unix time they expire, random
# characters (real tokens' digits match issue time + lifetime to the second).
INTUIT_TOKEN_LENGTH = 50
TOKEN_CHARACTERS = string.ascii_letters + string.digits


def _access_token() -> str:
    iv, ciphertext, tag = (
        _b64url(secrets.token_bytes(size)) for size in (16, ACCESS_TOKEN_CIPHERTEXT_BYTES, 16)
    )
    return f"{ACCESS_TOKEN_HEADER}..{iv}.{ciphertext}.{tag}"


def _intuit_token(expires_at: datetime) -> str:
    prefix = f"AB1{int(expires_at.timestamp())}"
    return prefix + "".join(
        secrets.choice(TOKEN_CHARACTERS) for _ in range(INTUIT_TOKEN_LENGTH - len(prefix))
    )


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class TokenStore:
    def __init__(self, now: Callable[[], datetime], options: Options):
        self._now = now
        self._options = options
        self._lock = threading.RLock()
        self.signing_key = SigningKey()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._grants: dict[str, Grant] = {}
            self._access: dict[str, AccessToken] = {}
            self._refresh_index: dict[str, str] = {}  # refresh token (current or stale) -> grant id
            self._codes: dict[str, AuthorizationCode] = {}

    # -- authorization codes -------------------------------------------------------------------

    def issue_code(
        self, *, client_id: str, redirect_uri: str, realm_id: str | None, scopes: list[str]
    ) -> str:
        expires_at = self._now() + timedelta(seconds=self._options.authorization_code_seconds)
        code = _intuit_token(expires_at)
        with self._lock:
            self._codes[code] = AuthorizationCode(
                code=code,
                client_id=client_id,
                redirect_uri=redirect_uri,
                realm_id=realm_id,
                scopes=list(scopes),
                expires_at=expires_at,
            )
        return code

    def exchange_code(
        self,
        *,
        client_id: str,
        code: str,
        redirect_uri: str | None,
        include_hard_expiry: bool,
        issuer: str | None = None,
    ) -> dict:
        with self._lock:
            record = self._codes.get(code)
            if record is None or record.client_id != client_id:
                raise OAuthError("invalid_grant")
            if record.used or self._now() >= record.expires_at:
                raise OAuthError("invalid_grant")
            if redirect_uri != record.redirect_uri:
                raise OAuthError("invalid_grant", "Invalid redirect_uri")
            record.used = True
            grant = self._new_grant(client_id, record.realm_id, record.scopes)
            return self._token_response(grant, include_hard_expiry, issuer)

    # -- grants --------------------------------------------------------------------------------

    def issue_grant(
        self, *, client_id: str, realm_id: str, scopes: list[str] | None = None
    ) -> dict:
        """Connect an app to a company without the browser flow (control API, tests)."""
        with self._lock:
            grant = self._new_grant(client_id, realm_id, scopes or [ACCOUNTING_SCOPE])
            response = self._token_response(grant, include_hard_expiry=True)
            response["realmId"] = realm_id
            return response

    def _new_grant(self, client_id: str, realm_id: str | None, scopes: list[str]) -> Grant:
        now = self._now()
        grant = Grant(
            id=secrets.token_hex(8),
            client_id=client_id,
            realm_id=realm_id,
            scopes=list(scopes),
            created_at=now,
            hard_expires_at=now + timedelta(seconds=self._options.refresh_hard_seconds),
            refresh_token="",
            refresh_issued_at=now,
            refresh_expires_at=now,
        )
        self._grants[grant.id] = grant
        self._rotate_refresh(grant, now)
        return grant

    def _rotate_refresh(self, grant: Grant, now: datetime) -> None:
        for stale, until in list(grant.stale_refresh.items()):
            if until <= now:  # past its grace: forget it, so long runs do not accumulate tokens
                del grant.stale_refresh[stale]
                del self._refresh_index[stale]
        if grant.refresh_token:
            grace = timedelta(seconds=self._options.refresh_grace_seconds)
            grant.stale_refresh[grant.refresh_token] = min(now + grace, grant.refresh_expires_at)
        self._extend_refresh(grant, now)
        grant.refresh_token = _intuit_token(grant.refresh_expires_at)
        grant.refresh_issued_at = now
        self._refresh_index[grant.refresh_token] = grant.id

    def _extend_refresh(self, grant: Grant, now: datetime) -> None:
        # Rolling lifetime: each use restarts the 100 days, never past the hard maximum.
        rolling = now + timedelta(seconds=self._options.refresh_token_seconds)
        grant.refresh_expires_at = min(rolling, grant.hard_expires_at)

    def _token_response(
        self, grant: Grant, include_hard_expiry: bool, issuer: str | None = None
    ) -> dict:
        now = self._now()
        access = AccessToken(
            token=_access_token(),
            grant_id=grant.id,
            expires_at=now + timedelta(seconds=self._options.access_token_seconds),
        )
        self._access[access.token] = access
        response = {
            "token_type": "bearer",
            "access_token": access.token,
            "expires_in": self._options.access_token_seconds,
            "refresh_token": grant.refresh_token,
            "x_refresh_token_expires_in": _seconds(grant.refresh_expires_at - now),
        }
        if include_hard_expiry:
            response["x_refresh_token_hard_expires_in"] = _seconds(grant.hard_expires_at - now)
        if issuer is not None and "openid" in grant.scopes:
            # The user signed in when they approved; the emulator approves and exchanges the
            # code moments apart, so the grant's start stands for `auth_time`, on every refresh.
            claims = id_token_claims(
                client_id=grant.client_id,
                realm_id=grant.realm_id,
                issuer=issuer,
                authenticated_at=grant.created_at,
                now=now,
            )
            response["id_token"] = self.signing_key.sign(claims)
        return response

    # -- refresh and revoke --------------------------------------------------------------------

    def refresh(
        self,
        *,
        client_id: str,
        refresh_token: str,
        include_hard_expiry: bool,
        issuer: str | None = None,
    ) -> dict:
        """A new access token (and id_token for OpenID grants); the refresh token rotates as
        configured.

        A stale (rotated-away) token inside its grace period is honoured: it gets a new access
        token and the grant's *current* refresh token, so a client that lost the response of a
        rotation can still recover.
        """
        with self._lock:
            now = self._now()
            grant = self._grants.get(self._refresh_index.get(refresh_token, ""))
            if grant is None or grant.client_id != client_id or grant.revoked:
                raise OAuthError("invalid_grant", INVALID_REFRESH)
            if now >= grant.hard_expires_at:
                raise OAuthError("invalid_grant", INVALID_REFRESH)
            if refresh_token == grant.refresh_token:
                if now >= grant.refresh_expires_at:
                    raise OAuthError("invalid_grant", INVALID_REFRESH)
                age = (now - grant.refresh_issued_at).total_seconds()
                if age >= self._options.refresh_rotation_seconds:
                    self._rotate_refresh(grant, now)
                else:
                    self._extend_refresh(grant, now)
            elif now >= grant.stale_refresh.get(refresh_token, now):
                raise OAuthError("invalid_grant", INVALID_REFRESH)
            return self._token_response(grant, include_hard_expiry, issuer)

    def revoke(self, token: str, client_id: str) -> bool:
        """Revoke the whole grant owning `token` (access or refresh); False if not the app's."""
        with self._lock:
            grant = self._grant_of(token)
            if grant is None or grant.client_id != client_id:
                return False
            grant.revoked = True
            return True

    def _grant_of(self, token: str) -> Grant | None:
        access = self._access.get(token)
        grant_id = access.grant_id if access else self._refresh_index.get(token)
        return self._grants.get(grant_id) if grant_id else None

    # -- the gateway's check -------------------------------------------------------------------

    def authenticate(self, access_token: str) -> Grant:
        with self._lock:
            access = self._access.get(access_token)
            if access is None:
                raise TokenRejected("Token invalid: unknown or malformed bearer token")
            grant = self._grants[access.grant_id]
            if grant.revoked:
                raise TokenRejected("Token revoked")
            if self._now() >= access.expires_at:
                raise TokenRejected(f"Token expired: {access.expires_at.isoformat()}")
            return grant

    def is_connected(self, client_id: str, realm_id: str) -> bool:
        """True when the app holds a live grant for the company (webhooks go only there)."""
        now = self._now()
        with self._lock:
            return any(
                g.client_id == client_id
                and g.realm_id == realm_id
                and not g.revoked
                and now < g.hard_expires_at
                for g in self._grants.values()
            )

    # -- test controls -------------------------------------------------------------------------

    def expire(
        self,
        *,
        token: str | None = None,
        realm_id: str | None = None,
        client_id: str | None = None,
        which: str = "access",
    ) -> int:
        """Make matching tokens expired now; returns how many grants were touched."""
        with self._lock:
            now = self._now()
            grants = self._matching(token, realm_id, client_id)
            for grant in grants:
                if which in ("access", "both"):
                    for access in self._access.values():
                        if access.grant_id == grant.id:
                            access.expires_at = now
                if which in ("refresh", "both"):
                    grant.refresh_expires_at = now
                    grant.stale_refresh = dict.fromkeys(grant.stale_refresh, now)
            return len(grants)

    def revoke_matching(
        self, *, token: str | None = None, realm_id: str | None = None, client_id: str | None = None
    ) -> int:
        with self._lock:
            grants = self._matching(token, realm_id, client_id)
            for grant in grants:
                grant.revoked = True
            return len(grants)

    def _matching(self, token, realm_id, client_id) -> list[Grant]:
        if token is not None:
            grant = self._grant_of(token)
            return [grant] if grant else []
        return [
            g
            for g in self._grants.values()
            if (realm_id is None or g.realm_id == realm_id)
            and (client_id is None or g.client_id == client_id)
        ]

    def grants(self) -> list[dict]:
        now = self._now()
        with self._lock:
            return [
                {
                    "id": g.id,
                    "client_id": g.client_id,
                    "realm_id": g.realm_id,
                    "scopes": g.scopes,
                    "revoked": g.revoked,
                    "created_at": g.created_at.isoformat(),
                    "refresh_token": g.refresh_token,
                    "refresh_expires_in": _seconds(g.refresh_expires_at - now),
                    "hard_expires_in": _seconds(g.hard_expires_at - now),
                    "access_tokens_live": sum(
                        1
                        for a in self._access.values()
                        if a.grant_id == g.id and a.expires_at > now
                    ),
                }
                for g in self._grants.values()
            ]

    # -- state file ----------------------------------------------------------------------------

    def to_dict(self) -> dict:
        with self._lock:
            return {
                "grants": [_dump(asdict(g)) for g in self._grants.values()],
                "access_tokens": [_dump(asdict(a)) for a in self._access.values()],
            }

    def load_dict(self, data: dict) -> None:
        with self._lock:
            self.reset()
            for raw in data.get("grants", []):
                grant = Grant(
                    **_load(
                        raw,
                        "created_at",
                        "hard_expires_at",
                        "refresh_issued_at",
                        "refresh_expires_at",
                    )
                )
                grant.stale_refresh = {
                    token: datetime.fromisoformat(until)
                    for token, until in raw.get("stale_refresh", {}).items()
                }
                self._grants[grant.id] = grant
                self._refresh_index[grant.refresh_token] = grant.id
                for stale in grant.stale_refresh:
                    self._refresh_index[stale] = grant.id
            for raw in data.get("access_tokens", []):
                access = AccessToken(**_load(raw, "expires_at"))
                self._access[access.token] = access


def _seconds(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds()))


def _dump(values: dict) -> dict:
    def convert(value):
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        return value

    return {key: convert(value) for key, value in values.items()}


def _load(raw: dict, *date_fields: str) -> dict:
    values = dict(raw)
    for name in date_fields:
        values[name] = datetime.fromisoformat(values[name])
    return values


# -- HTTP endpoints ------------------------------------------------------------------------------
# Paths mirror Intuit's hosts (appcenter, oauth.platform, developer.api) on the emulator's own
# origin, so a discovery document is all a client needs to be pointed here.

AUTHORIZE_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/v2/oauth2/tokens/revoke"
USERINFO_PATH = "/v1/openid_connect/userinfo"
JWKS_PATH = "/op/v1/jwks"
HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_routes(runtime: Runtime) -> list[Route]:
    async def discovery(request: Request) -> JSONResponse:
        base = _base(request)
        return JSONResponse(
            {
                "issuer": _issuer(request),
                "authorization_endpoint": base + AUTHORIZE_PATH,
                "token_endpoint": base + TOKEN_PATH,
                "userinfo_endpoint": base + USERINFO_PATH,
                "revocation_endpoint": base + REVOKE_PATH,
                "jwks_uri": base + JWKS_PATH,
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile", "address", "phone"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ],
                "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
            }
        )

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(runtime.tokens.signing_key.jwks())

    async def authorize(request: Request) -> Response:
        params = (
            await read_form(request) if request.method == "POST" else dict(request.query_params)
        )
        app = runtime.config.app(params.get("client_id", ""))
        if app is None:
            return _error_page(
                "invalid_client", "The client_id is not registered with this server."
            )
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in app.redirect_uris:
            # Never redirect to an address the app did not register: show the error instead.
            return _error_page(
                "invalid_request",
                "The redirect_uri does not match any redirect URI registered for this app.",
            )
        state = params.get("state")
        if params.get("response_type") != "code":
            return _redirect(redirect_uri, error="unsupported_response_type", state=state)
        scopes = params.get("scope", "").split()
        if not scopes or any(scope not in KNOWN_SCOPES for scope in scopes):
            return _redirect(redirect_uri, error="invalid_scope", state=state)
        if request.method == "POST" and params.get("decision") != "approve":
            return _redirect(redirect_uri, error="access_denied", state=state)

        needs_company = bool(COMPANY_SCOPES.intersection(scopes))
        realm_id = params.get("emulator_realm") or params.get("realm_id")
        if realm_id is None and params.get("emulator_auto") == "1":
            realm_id = _first_company(runtime)
        if needs_company and realm_id is None:
            return _consent_page(runtime, app, params)
        if needs_company and not _company_exists(runtime, realm_id):
            return _error_page("invalid_request", f"There is no company with realmId {realm_id}.")
        code = runtime.tokens.issue_code(
            client_id=app.client_id,
            redirect_uri=redirect_uri,
            realm_id=realm_id if needs_company else None,
            scopes=scopes,
        )
        return _redirect(
            redirect_uri, code=code, state=state, realmId=realm_id if needs_company else None
        )

    async def token(request: Request) -> JSONResponse:
        form = await read_form(request)
        try:
            app = _authenticate_client(runtime, request, form)
            include_hard = request.headers.get(HARD_EXPIRY_HEADER, "").lower() == "true"
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                if not form.get("code"):
                    raise OAuthError("invalid_request", "code is required")
                body = runtime.tokens.exchange_code(
                    client_id=app.client_id,
                    code=form["code"],
                    redirect_uri=form.get("redirect_uri"),
                    include_hard_expiry=include_hard,
                    issuer=_issuer(request),
                )
            elif grant_type == "refresh_token":
                if not form.get("refresh_token"):
                    raise OAuthError("invalid_request", "refresh_token is required")
                body = runtime.tokens.refresh(
                    client_id=app.client_id,
                    refresh_token=form["refresh_token"],
                    include_hard_expiry=include_hard,
                    issuer=_issuer(request),
                )
            else:
                raise OAuthError("unsupported_grant_type")
        except OAuthError as exc:
            return JSONResponse(exc.body(), status_code=exc.status, headers=NO_STORE)
        return JSONResponse(body, headers=NO_STORE)

    async def revoke(request: Request) -> Response:
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                payload = jsonbody.loads(await request.body())
            except ValueError:
                payload = None
            form = payload if isinstance(payload, dict) else {}
        else:
            form = await read_form(request)
        try:
            app = _authenticate_client(runtime, request, form)
            token_value = form.get("token")
            if not isinstance(token_value, str) or not token_value:
                raise OAuthError("invalid_request", "token is required")
        except OAuthError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        # RFC 7009: an unknown token is not an error; the answer is the same either way.
        runtime.tokens.revoke(token_value, app.client_id)
        return Response(status_code=200)

    async def userinfo(request: Request) -> JSONResponse:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise TokenRejected("Bearer token required")
            runtime.tokens.authenticate(value.strip())
        except TokenRejected as exc:
            return JSONResponse({"error": "invalid_token", "error_description": exc.detail}, 401)
        return JSONResponse(
            {
                "sub": DEMO_USER_SUB,  # the id_token's `sub`: one user approves everything
                "email": "demo.user@example.com",
                "emailVerified": True,
                "givenName": "Demo",
                "familyName": "User",
            }
        )

    discovery_paths = [
        f"/.well-known/{name}{slash}"
        for name in (
            "openid_configuration",
            "openid_sandbox_configuration",
            "openid-configuration",
            "openid-sandbox-configuration",
        )
        for slash in ("", "/")
    ]
    return [
        *(Route(path, discovery, methods=["GET"]) for path in discovery_paths),
        Route(JWKS_PATH, jwks, methods=["GET"]),
        Route(AUTHORIZE_PATH, authorize, methods=["GET", "POST"]),
        Route(TOKEN_PATH, token, methods=["POST"]),
        Route(REVOKE_PATH, revoke, methods=["POST"]),
        Route(USERINFO_PATH, userinfo, methods=["GET"]),
    ]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _issuer(request: Request) -> str:
    """The discovery document's `issuer`, which an id_token's `iss` must equal."""
    return _base(request) + "/op/v1"


def _authenticate_client(runtime: Runtime, request: Request, form: dict) -> App:
    """client_secret_basic (Authorization: Basic) or client_secret_post (form fields)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", status=401) from None
        client_id, _, secret = decoded.partition(":")
        client_id, secret = unquote(client_id), unquote(secret)
    else:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    app = runtime.config.app(client_id)
    if app is None or not hmac.compare_digest(app.client_secret.encode(), secret.encode()):
        raise OAuthError("invalid_client", status=401)
    return app


def _redirect(uri: str, **params) -> RedirectResponse:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    separator = "&" if "?" in uri else "?"
    return RedirectResponse(uri + separator + query, status_code=302)


def _company_exists(runtime: Runtime, realm_id: str) -> bool:
    try:
        runtime.emulator.company(realm_id)
    except KeyError:
        return False
    return True


def _first_company(runtime: Runtime) -> str:
    """The company `emulator_auto=1` connects: the first one, or a new sample company."""
    companies = runtime.emulator.companies()
    if companies:
        return companies[0].realm_id
    return runtime.emulator.create_company(name="Sandbox Company US 1", seed="sample").realm_id


def _error_page(error: str, message: str) -> HTMLResponse:
    body = f"<p class='error'><strong>{escape(error)}</strong>: {escape(message)}</p>"
    return HTMLResponse(page("Connection error", body), status_code=400)


def _consent_page(runtime: Runtime, app: App, params: dict) -> HTMLResponse:
    hidden = "".join(
        f"<input type='hidden' name='{escape(name)}' value='{escape(params.get(name, ''))}'>"
        for name in ("client_id", "redirect_uri", "response_type", "scope", "state")
    )
    companies = runtime.emulator.companies()
    choices = (
        "".join(
            f"<label><input type='radio' name='realm_id' value='{escape(c.realm_id)}'"
            f"{' checked' if i == 0 else ''}> {escape(c.name)} ({escape(c.realm_id)})</label><br>"
            for i, c in enumerate(companies)
        )
        or "<p>No company exists yet: create one under <a href='/_emulator/ui/'>companies</a>.</p>"
    )
    body = (
        f"<p><strong>{escape(app.client_id)}</strong> wants to connect to a QuickBooks company "
        f"({escape(params.get('scope', ''))}).</p>"
        f"<form method='post' action='{AUTHORIZE_PATH}'>{hidden}{choices}<p>"
        "<button name='decision' value='approve'>Connect</button> "
        "<button name='decision' value='deny'>Cancel</button></p></form>"
    )
    return HTMLResponse(page("Connect to QuickBooks (emulator)", body))
