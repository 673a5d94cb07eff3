"""Settings ▸ Intuit app's checks, each both ways, and the token-endpoint probe against the
emulator over HTTP (its token endpoint answers as Intuit's: invalid_client 401 for credentials
it does not know, invalid_grant 400 for a refresh token it never issued)."""

import base64
import hashlib
import hmac
import json
import socket

import pytest
from django.test import Client as Browser

from billbridge.quickbooks import app_check
from billbridge.quickbooks.app_check import ProbeOutcome
from billbridge.quickbooks.models import IgnoredWebhooks, WebhookEvent

CALLBACK = "/settings/integrations/quickbooks/callback"


@pytest.fixture
def site(settings):
    """A site on its own https address, talking to Intuit's production hosts."""
    settings.PUBLIC_URL = "https://books.example.com"
    settings.QBO_REDIRECT_URI = "https://books.example.com" + CALLBACK
    settings.QBO_ENVIRONMENT = "production"
    settings.QBO_API_URL = "https://quickbooks.api.intuit.com/v3"
    settings.PRODUCTION = True
    return settings


def test_registration_gives_every_value_from_the_public_address(site):
    assert app_check.registration() == app_check.Registration(
        redirect_uri="https://books.example.com" + CALLBACK,
        webhook_url="https://books.example.com/quickbooks/webhooks",
        scopes=["com.intuit.quickbooks.accounting"],
        host_domain="books.example.com",
        launch_url="https://books.example.com/settings/integrations/quickbooks/",
        disconnect_url="https://books.example.com/settings/integrations/quickbooks/disconnect/",
    )


def test_the_checks_come_in_the_order_they_are_fixed(site, db):
    assert [check.name for check in app_check.checks()] == [
        "Public address is HTTPS",
        "Redirect URI matches this site",
        "Client id and secret are set",
        "Webhook verifier token is set",
        "QuickBooks environment",
        "A signed webhook delivery arrived",
    ]


# ---- the public address ----


def test_an_https_public_address_passes(site):
    check = app_check.public_address()
    assert (check.ok, check.detail) == (True, "https://books.example.com is served over HTTPS.")


def test_plain_http_with_intuits_production_hosts_fails(site):
    site.PRODUCTION = False  # settings.py refuses http in production; QBO_ENVIRONMENT may not
    site.PUBLIC_URL = "http://books.example.com"
    check = app_check.public_address()
    assert check.ok is False
    assert "BILLBRIDGE_PUBLIC_URL" in check.to_do


def test_plain_http_on_this_machine_is_fine_with_the_emulator_and_says_so(settings):
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    settings.QBO_ENVIRONMENT = "emulator"
    check = app_check.public_address()
    assert check.ok is True
    assert "fine with the local QBO emulator" in check.detail


def test_plain_http_localhost_is_fine_for_intuits_sandbox(settings):
    settings.PUBLIC_URL = "http://localhost:8000"
    settings.QBO_ENVIRONMENT = "sandbox"
    check = app_check.public_address()
    assert check.ok is True
    assert "Intuit cannot deliver webhooks here" in check.detail


def test_a_loopback_ip_address_with_intuits_sandbox_cannot_be_told(settings):
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    settings.QBO_ENVIRONMENT = "sandbox"
    check = app_check.public_address()
    assert check.ok is None
    assert "http://localhost:<port>" in check.to_do


# ---- the redirect URI ----


def test_the_redirect_uri_derived_from_the_public_address_matches(site):
    assert app_check.redirect_uri().ok is True


def test_an_overridden_redirect_uri_is_named_with_the_one_expected(site):
    site.QBO_REDIRECT_URI = "https://old.example.com/callback"
    check = app_check.redirect_uri()
    assert check.ok is False
    assert "https://old.example.com/callback" in check.detail
    assert "https://books.example.com" + CALLBACK in check.detail
    assert "Remove QBO_REDIRECT_URI" in check.to_do


# ---- credentials and the verifier ----


def test_set_credentials_pass_and_show_the_id_never_the_secret(site):
    site.QBO_CLIENT_ID, site.QBO_CLIENT_SECRET = "ABcd1234", "s3cr3t-value"
    check = app_check.client_credentials()
    assert check.ok is True
    assert "ABcd1234" in check.detail
    assert "s3cr3t-value" not in check.detail


def test_a_missing_secret_is_named(site):
    site.QBO_CLIENT_ID, site.QBO_CLIENT_SECRET = "ABcd1234", ""
    check = app_check.client_credentials()
    assert check.ok is False
    assert check.detail.startswith("QBO_CLIENT_SECRET is not set")


def test_both_missing_are_named(site):
    site.QBO_CLIENT_ID = site.QBO_CLIENT_SECRET = ""
    assert app_check.client_credentials().detail.startswith(
        "QBO_CLIENT_ID and QBO_CLIENT_SECRET are not set"
    )


def test_a_set_verifier_passes_and_a_missing_one_fails(site):
    site.QBO_WEBHOOK_VERIFIER = "verifier"
    assert app_check.webhook_verifier().ok is True
    site.QBO_WEBHOOK_VERIFIER = ""
    check = app_check.webhook_verifier()
    assert check.ok is False
    assert "QBO_WEBHOOK_VERIFIER" in check.to_do


# ---- the environment ----


def test_production_names_its_api_and_keys(site):
    check = app_check.environment()
    assert (check.ok, check.detail) == (
        True,
        "production: Intuit's API at https://quickbooks.api.intuit.com/v3; use the app's "
        "Production keys.",
    )


def test_sandbox_on_a_developers_machine_names_the_development_keys(settings):
    settings.PRODUCTION = False
    settings.QBO_ENVIRONMENT = "sandbox"
    settings.QBO_API_URL = "https://sandbox-quickbooks.api.intuit.com/v3"
    check = app_check.environment()
    assert check.ok is True
    assert "sandbox-quickbooks.api.intuit.com" in check.detail
    assert "Development keys" in check.detail


def test_sandbox_on_a_production_site_cannot_be_told_right_or_wrong(site):
    site.QBO_ENVIRONMENT = "sandbox"
    assert app_check.environment().ok is None


def test_the_emulator_on_a_production_site_fails(site):
    site.QBO_ENVIRONMENT = "emulator"
    assert app_check.environment().ok is False


def test_the_emulator_on_a_developers_machine_passes(settings):
    settings.PRODUCTION = False
    settings.QBO_ENVIRONMENT = "emulator"
    assert app_check.environment().ok is True


# ---- the last signed delivery ----


def deliver(settings, body: bytes, *, signed: bool):
    signature = base64.b64encode(
        hmac.new(settings.QBO_WEBHOOK_VERIFIER.encode(), body, hashlib.sha256).digest()
    ).decode()
    return Browser().post(
        "/quickbooks/webhooks",
        body,
        content_type="application/json",
        headers={"intuit-signature": signature if signed else "bm90IGl0"},
    )


TEST_EVENT = json.dumps(
    [
        {
            "specversion": "1.0",
            "id": "0f1e2d3c-test",
            "source": "intuit.test",
            "type": "qbo.invoice.updated.v1",
            "time": "2026-03-02T10:00:00Z",
            "intuitentityid": "130",
            "intuitaccountid": "9130356",
        }
    ]
).encode()


def test_no_delivery_yet_cannot_be_told_and_says_how_to_send_one(site, db):
    check = app_check.last_signed_delivery()
    assert (check.ok, check.detail) == (None, "None yet.")
    assert "Actions ▸ Send test events" in check.to_do


def test_with_the_emulator_no_delivery_yet_says_how_the_emulator_sends_one(settings, db):
    settings.QBO_ENVIRONMENT = "emulator"
    assert "receive a payment there" in app_check.last_signed_delivery().to_do


def test_an_unsigned_delivery_does_not_count(site, db):
    site.QBO_WEBHOOK_VERIFIER = "verifier"
    assert deliver(site, TEST_EVENT, signed=False).status_code == 401
    assert app_check.last_signed_delivery().ok is None


def test_a_signed_test_event_for_a_company_nobody_connected_counts(site, db):
    """Intuit's test events name a company no practice is connected to: counted, not kept."""
    site.QBO_WEBHOOK_VERIFIER = "verifier"
    assert deliver(site, TEST_EVENT, signed=True).status_code == 200
    assert IgnoredWebhooks.objects.get().realm_id == "9130356"
    check = app_check.last_signed_delivery()
    assert check.ok is True
    assert check.detail.startswith("The last one arrived 20")


def test_a_stored_event_of_a_connected_company_counts(site, db):
    WebhookEvent.objects.create(
        dedupe_key="k", realm_id="1", entity="Invoice", entity_id="1", operation="Update"
    )
    assert app_check.last_signed_delivery().ok is True


def test_a_site_intuit_cannot_reach_is_told_so(settings, db):
    settings.PUBLIC_URL = "http://localhost:8000"
    settings.QBO_ENVIRONMENT = "sandbox"
    check = app_check.last_signed_delivery()
    assert check.detail == (
        "None yet. Intuit cannot reach this site's address: deliveries need a public https:// "
        "address."
    )


# ---- the probe, against the emulator over HTTP ----


def test_the_emulators_own_app_is_accepted(qbo_settings):
    probe = app_check.probe_token_endpoint()
    assert probe.outcome is ProbeOutcome.ACCEPTED
    assert probe.ok is True
    assert "HTTP 400 invalid_grant" in probe.detail
    assert "not the redirect URI" in probe.detail


def test_a_wrong_secret_is_refused(qbo_settings):
    qbo_settings.QBO_CLIENT_SECRET = "not-the-secret"
    probe = app_check.probe_token_endpoint()
    assert probe.outcome is ProbeOutcome.REFUSED
    assert probe.ok is False
    assert "HTTP 401 invalid_client" in probe.detail


def test_an_unknown_client_id_is_refused(qbo_settings):
    qbo_settings.QBO_CLIENT_ID = "nobody-registered-this"
    assert app_check.probe_token_endpoint().outcome is ProbeOutcome.REFUSED


def test_a_token_endpoint_nobody_answers_on_could_not_be_reached(qbo_settings):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    # Closed again: nothing listens on the port now.
    qbo_settings.QBO_TOKEN_URL = f"http://127.0.0.1:{port}/oauth2/v1/tokens/bearer"
    probe = app_check.probe_token_endpoint()
    assert probe.outcome is ProbeOutcome.UNREACHABLE
    assert probe.ok is None
    assert probe.detail == (
        f"Intuit's token endpoint {qbo_settings.QBO_TOKEN_URL} could not be reached "
        "(ConnectError). Nothing is known of the credentials yet."
    )


def test_an_answer_that_is_no_oauth_answer_says_nothing_of_the_credentials(qbo_settings, emulator):
    qbo_settings.QBO_TOKEN_URL = f"{emulator.base_url}/no/such/endpoint"
    probe = app_check.probe_token_endpoint()
    assert probe.outcome is ProbeOutcome.UNEXPECTED
    assert "QBO_TOKEN_URL" in probe.to_do


def test_without_credentials_nothing_is_asked(settings):
    settings.QBO_CLIENT_SECRET = ""
    # A token URL nobody could reach: an attempt would answer UNREACHABLE instead.
    settings.QBO_TOKEN_URL = "http://127.0.0.1:9/never"
    assert app_check.probe_token_endpoint().outcome is ProbeOutcome.NOT_SET
