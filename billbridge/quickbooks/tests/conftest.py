"""The QBO emulator for the QuickBooks app's tests: one server for the whole session, reset
before each test, spoken to over HTTP on loopback like Intuit would be."""

import httpx
import pytest

from qbo_emulator.testing import running_emulator


@pytest.fixture(scope="session")
def emulator_server():
    with running_emulator() as qbo:
        yield qbo


@pytest.fixture
def emulator(emulator_server):
    """The running emulator (a RunningEmulator), fresh: no companies, tokens, faults or logs."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def control(emulator):
    """An HTTP client on the emulator's control API: control.post("/faults", json={...})."""
    with httpx.Client(base_url=emulator.control_url) as client:
        yield client


@pytest.fixture
def qbo_company(emulator) -> str:
    """The realm id of a new US company with the sample data (customers, items, invoices)."""
    return emulator.emulator.create_company(name="Sandbox Company US 1", seed="sample").realm_id


@pytest.fixture
def qbo_settings(settings, emulator):
    """Billbridge's QBO settings pointed at the running emulator (its default app)."""
    base = emulator.base_url
    settings.QBO_AUTHORIZE_URL = base + "/connect/oauth2"
    settings.QBO_TOKEN_URL = base + "/oauth2/v1/tokens/bearer"
    settings.QBO_REVOKE_URL = base + "/v2/oauth2/tokens/revoke"
    settings.QBO_API_URL = base + "/v3"
    settings.QBO_CLIENT_ID = "emulator-client"
    settings.QBO_CLIENT_SECRET = "emulator-secret"
    settings.QBO_REDIRECT_URI = "http://127.0.0.1:8000/settings/integrations/quickbooks/callback"
    return settings
