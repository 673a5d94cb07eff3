"""Test and benchmark helpers: a practice connected to an emulator company without the browser."""

from datetime import timedelta

from django.utils import timezone

from billbridge.practice.models import Practice
from billbridge.quickbooks.connection import read_company_after_connect
from billbridge.quickbooks.models import QboConnection
from qbo_emulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET


def connect_practice(practice: Practice, qbo, realm_id: str) -> QboConnection:
    """Connect `practice` to the emulator company `realm_id` as if its manager had approved the
    app (qbo is a qbo_emulator.testing.RunningEmulator; settings must point at it)."""
    tokens = qbo.connect(realm_id)
    now = timezone.now()
    connection = QboConnection(practice=practice, realm_id=realm_id)
    connection.access_token = tokens["access_token"]
    connection.refresh_token = tokens["refresh_token"]
    connection.access_token_expires_at = now + timedelta(seconds=tokens["expires_in"])
    connection.refresh_token_expires_at = now + timedelta(
        seconds=tokens["x_refresh_token_expires_in"]
    )
    connection.save()
    read_company_after_connect(connection)
    connection.refresh_from_db()
    return connection


def point_at_emulator(settings, qbo, app=None):
    """Billbridge's QBO settings (pytest-django's `settings`) aimed at a running emulator:
    its OAuth endpoints, its API, its company view, and one of its apps (the demo app's
    credentials unless another `app` is given)."""
    base = qbo.base_url
    settings.QBO_ENVIRONMENT = "emulator"
    settings.QBO_AUTHORIZE_URL = f"{base}/connect/oauth2"
    settings.QBO_TOKEN_URL = f"{base}/oauth2/v1/tokens/bearer"
    settings.QBO_REVOKE_URL = f"{base}/v2/oauth2/tokens/revoke"
    settings.QBO_API_URL = f"{base}/v3"
    settings.QBO_APP_URL = f"{base}/_emulator/ui"
    settings.QBO_CLIENT_ID = app.client_id if app else DEMO_CLIENT_ID
    settings.QBO_CLIENT_SECRET = app.client_secret if app else DEMO_CLIENT_SECRET
    return settings
