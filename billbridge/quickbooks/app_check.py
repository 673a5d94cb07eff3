"""Settings ▸ Intuit app: what the site's operator registers at Intuit for their own Intuit app,
and what Billbridge can check of it from here (docs/intuit-app.md walks through Intuit's side).

Every value follows from the environment (settings.py): the public address, the redirect URI,
the app's client id and secret, the webhook verifier token and the QBO environment. Intuit keeps
its own copy of the redirect URI and webhook URL, which nobody can read back from here; what a
check cannot know it says so (ok is None) rather than guessing.

The token-endpoint probe is the one check that talks to Intuit, so it runs only when the operator
asks for it, with a short timeout. It presents a refresh token that cannot exist, with the app's
credentials in HTTP Basic as the OAuth client sends them: the token endpoint authenticates the
client before it looks at the grant (RFC 6749 §5.2), so `invalid_client` (401) means Intuit does
not know this id and secret together, and `invalid_grant` (400) means it does. It proves nothing
else: not the redirect URI, the scopes, the webhook URL, nor whether the keys are Development or
Production keys (one token endpoint serves both). The request itself is the OAuth client's
(client/oauth.py ask_token_endpoint), which hands back the raw answer instead of acting on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from billbridge.quickbooks.client import oauth
from billbridge.quickbooks.models import IgnoredWebhooks, WebhookEvent

# A refresh token Intuit never issued: Intuit's own start with "AB11".
PROBE_REFRESH_TOKEN = "billbridge-app-check-not-a-token"
PROBE_TIMEOUT_SECONDS = 5
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Where the checks send the operator at Intuit, in the portal's own words.
INTUIT_WEBHOOKS_PAGE = "your app's Webhooks page on the Intuit Developer portal"


@dataclass(frozen=True)
class Check:
    """One thing checked: ok is True, False, or None when it cannot be known from here."""

    name: str
    ok: bool | None
    detail: str
    to_do: str = ""


@dataclass(frozen=True)
class Registration:
    """What the operator enters in the Intuit app, exactly as Billbridge will use it."""

    redirect_uri: str
    webhook_url: str
    scopes: list[str]
    host_domain: str
    launch_url: str
    disconnect_url: str


def registration() -> Registration:
    public = settings.PUBLIC_URL
    return Registration(
        # The one the authorize and token requests send, which Intuit compares character for
        # character with the ones registered.
        redirect_uri=settings.QBO_REDIRECT_URI,
        webhook_url=public + reverse("qbo-webhooks"),
        scopes=oauth.SCOPE.split(),
        host_domain=urlsplit(public).netloc,
        # Where someone who opens Billbridge from QuickBooks lands: the page that connects.
        launch_url=public + reverse("web:quickbooks-settings"),
        # Where Intuit sends someone who disconnected the app in QuickBooks: the page that lets
        # the practice drop the tokens Intuit has just revoked.
        disconnect_url=public + reverse("web:quickbooks-disconnect"),
    )


def checks() -> list[Check]:
    """Every check but the probe, in the order the operator fixes things."""
    return [
        public_address(),
        redirect_uri(),
        client_credentials(),
        webhook_verifier(),
        environment(),
        last_signed_delivery(),
    ]


def public_address() -> Check:
    name = "Public address is HTTPS"
    url = settings.PUBLIC_URL
    parts = urlsplit(url)
    env = settings.QBO_ENVIRONMENT
    set_it = "Set BILLBRIDGE_PUBLIC_URL to the https:// address people reach this site at."
    if parts.scheme == "https":
        return Check(name, True, f"{url} is served over HTTPS.")
    if env == "emulator":
        return Check(
            name,
            True,
            f"{url} is plain http: fine with the local QBO emulator, which is not Intuit. "
            "Intuit's production keys need an https:// address.",
        )
    if env == "sandbox" and parts.hostname == "localhost":
        return Check(
            name,
            True,
            f"{url} is plain http on this machine: Intuit accepts http://localhost redirect "
            "URIs for Development keys (sandbox). Intuit cannot deliver webhooks here.",
        )
    if env == "sandbox" and parts.hostname in LOOPBACK_HOSTS:
        return Check(
            name,
            None,
            f"{url} is plain http on an IP address. Intuit accepts http://localhost for "
            "Development keys but says IP addresses are not allowed.",
            "Use BILLBRIDGE_PUBLIC_URL=http://localhost:<port> for a sandbox on this machine.",
        )
    return Check(
        name,
        False,
        f"{url} is plain http: Intuit sends people back and delivers webhooks only to "
        "https:// addresses (and never to localhost with Production keys).",
        set_it,
    )


def redirect_uri() -> Check:
    name = "Redirect URI matches this site"
    expected = settings.PUBLIC_URL + reverse("web:quickbooks-callback")
    actual = settings.QBO_REDIRECT_URI
    if actual == expected:
        return Check(
            name,
            True,
            f"{actual}: the public address and Billbridge's callback. Register it at Intuit "
            "exactly so.",
        )
    return Check(
        name,
        False,
        f"QBO_REDIRECT_URI is overridden to {actual}, not this site's callback {expected}: "
        "Intuit would send people back there.",
        "Remove QBO_REDIRECT_URI from the environment (it follows BILLBRIDGE_PUBLIC_URL), "
        "unless a proxy really forwards that address to this site's callback.",
    )


def client_credentials() -> Check:
    name = "Client id and secret are set"
    missing = [
        variable
        for variable, value in (
            ("QBO_CLIENT_ID", settings.QBO_CLIENT_ID),
            ("QBO_CLIENT_SECRET", settings.QBO_CLIENT_SECRET),
        )
        if not value
    ]
    if missing:
        return Check(
            name,
            False,
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
            "nobody can connect a QuickBooks company.",
            "Copy the Client ID and Client Secret from your app's Keys and credentials page at "
            "Intuit (Development keys for sandbox, Production keys for production).",
        )
    # The client id travels in every authorize URL, so showing it reveals nothing; the
    # secret is never shown.
    return Check(name, True, f"Client id {settings.QBO_CLIENT_ID}; the secret is set.")


def webhook_verifier() -> Check:
    name = "Webhook verifier token is set"
    if settings.QBO_WEBHOOK_VERIFIER:
        return Check(name, True, "Set: deliveries signed with it are accepted.")
    return Check(
        name,
        False,
        "QBO_WEBHOOK_VERIFIER is not set, so every webhook delivery is refused (401) and paid "
        "invoices close only at the next check for changes.",
        f"Copy the verifier token from {INTUIT_WEBHOOKS_PAGE} (Show token) into "
        "QBO_WEBHOOK_VERIFIER.",
    )


def environment() -> Check:
    name = "QuickBooks environment"
    env = settings.QBO_ENVIRONMENT
    api = settings.QBO_API_URL
    if env == "emulator":
        if settings.PRODUCTION:
            return Check(
                name,
                False,
                f"QBO_ENVIRONMENT=emulator on a production site: exports go to the local "
                f"emulator ({api}), not to anyone's books.",
                "Set QBO_ENVIRONMENT=production (or sandbox while trying Intuit's side).",
            )
        return Check(name, True, f"emulator: the local QBO emulator at {api}, no Intuit app.")
    keys = "Development" if env == "sandbox" else "Production"
    detail = f"{env}: Intuit's API at {api}; use the app's {keys} keys."
    if env == "sandbox" and settings.PRODUCTION:
        return Check(
            name,
            None,
            detail + " A production site on Intuit's sandbox reaches sandbox companies only.",
            "Switch to QBO_ENVIRONMENT=production with the Production keys when the practices "
            "connect their real companies.",
        )
    return Check(name, True, detail)


def last_signed_delivery() -> Check:
    """A delivery that passed the signature check leaves a stored event (a connected company)
    or a count (any other company, such as the ones Intuit's test events name)."""
    name = "A signed webhook delivery arrived"
    stored = WebhookEvent.objects.aggregate(at=Max("received_at"))["at"]
    counted = IgnoredWebhooks.objects.aggregate(at=Max("last_at"))["at"]
    latest = max((at for at in (stored, counted) if at is not None), default=None)
    if latest is not None:
        return Check(name, True, f"The last one arrived {_when(latest)}.")
    reach = (
        " Intuit cannot reach this site's address: deliveries need a public https:// address."
        if urlsplit(settings.PUBLIC_URL).hostname in LOOPBACK_HOSTS
        and settings.QBO_ENVIRONMENT != "emulator"
        else ""
    )
    send_one = (
        "The emulator sends one when something changes in a connected company: receive a "
        "payment there, then reload this page."
        if settings.QBO_ENVIRONMENT == "emulator"
        else f"On {INTUIT_WEBHOOKS_PAGE}, choose Actions ▸ Send test events and send one, then "
        "reload this page."
    )
    return Check(name, None, "None yet." + reach, send_one)


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z")


# ---- the token-endpoint probe -------------------------------------------------------------------


class ProbeOutcome(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    UNREACHABLE = "could not reach"
    UNEXPECTED = "unexpected answer"
    NOT_SET = "not set"


@dataclass(frozen=True)
class Probe:
    outcome: ProbeOutcome
    detail: str
    to_do: str = ""

    @property
    def ok(self) -> bool | None:
        if self.outcome is ProbeOutcome.ACCEPTED:
            return True
        if self.outcome is ProbeOutcome.UNREACHABLE:
            return None
        return False


CANNOT_PROVE = (
    "This proves only that Intuit knows the id and secret together: not the redirect URI, the "
    "scopes, the webhook URL, or whether they are Development or Production keys."
)


def probe_token_endpoint() -> Probe:
    """Ask Intuit's token endpoint whether it knows the app's client id and secret. Never call
    it with a database transaction open: it waits up to PROBE_TIMEOUT_SECONDS on the network."""
    client_id, secret = settings.QBO_CLIENT_ID, settings.QBO_CLIENT_SECRET
    if not client_id or not secret:
        return Probe(
            ProbeOutcome.NOT_SET,
            "There is nothing to ask Intuit: the client id or secret is not set.",
            "Set QBO_CLIENT_ID and QBO_CLIENT_SECRET, restart, and probe again.",
        )
    try:
        answer = oauth.ask_token_endpoint(PROBE_REFRESH_TOKEN, PROBE_TIMEOUT_SECONDS)
    except oauth.OAuthUnavailable as exc:
        return Probe(
            ProbeOutcome.UNREACHABLE,
            f"{exc} Nothing is known of the credentials yet.",
            "Check that this server can open https connections to it (a firewall or proxy), "
            "then probe again.",
        )
    error = answer.error
    said = f"HTTP {answer.status} {error or 'without an OAuth error'}" + (
        f" (intuit_tid {answer.intuit_tid})" if answer.intuit_tid else ""
    )
    if error == "invalid_grant":
        return Probe(
            ProbeOutcome.ACCEPTED,
            f"Intuit accepted the client id and secret: it answered {said} for a refresh token "
            f"that cannot exist. {CANNOT_PROVE}",
        )
    if error == "invalid_client" or answer.status == 401:
        return Probe(
            ProbeOutcome.REFUSED,
            f"Intuit refused the client id and secret: it answered {said}.",
            "Copy both again from the app's Keys and credentials page at Intuit, from the same "
            "set of keys (Development or Production), without spaces.",
        )
    return Probe(
        ProbeOutcome.UNEXPECTED,
        f"Intuit's token endpoint answered {said}, which says nothing about the credentials.",
        "Check QBO_TOKEN_URL (it should be Intuit's token endpoint) and probe again later.",
    )
