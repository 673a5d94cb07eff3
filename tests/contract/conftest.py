"""The contract suites' emulator and python-quickbooks client, connected through intuit-oauth's
real authorization flow and pointed at the emulator by the library's own `api_url_v3` setting
(QBO.md §7.2). requests-oauthlib refuses plain http unless OAUTHLIB_INSECURE_TRANSPORT is set,
which is that library's documented switch."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from quickbooks import QuickBooks

from qbo_emulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI
from qbo_emulator.testing import running_emulator


@pytest.fixture(scope="module")
def qbo():
    with running_emulator() as qbo:
        yield qbo


def authorize(qbo, realm: str) -> AuthClient:
    """intuit-oauth through the authorization flow for one company; its tokens are set on it.
    Needs OAUTHLIB_INSECURE_TRANSPORT set (plain http)."""
    auth = AuthClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI, qbo.discovery_url)
    url = auth.get_authorization_url([Scopes.ACCOUNTING])
    redirect = requests.get(f"{url}&emulator_realm={realm}", allow_redirects=False, timeout=5)
    query = parse_qs(urlsplit(redirect.headers["Location"]).query)
    auth.get_bearer_token(query["code"][0], realm_id=query["realmId"][0])
    return auth


@pytest.fixture
def connected(qbo, monkeypatch):
    """A fresh company connected through the real OAuth flow; returns (QuickBooks, AuthClient)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    realm = qbo.emulator.create_company(name="Contract QB Co", seed="empty").realm_id
    auth = authorize(qbo, realm)
    client = QuickBooks(
        auth_client=auth, refresh_token=auth.refresh_token, company_id=realm, minorversion=75
    )
    client.api_url_v3 = qbo.api_url  # the library's own setting for where QBO lives
    client.sandbox_api_url_v3 = qbo.api_url
    return client, auth
