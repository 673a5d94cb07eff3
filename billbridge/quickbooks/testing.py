"""Test and benchmark helpers: a practice connected to an emulator company without the browser."""

from datetime import timedelta

from django.utils import timezone

from billbridge.practice.models import Practice
from billbridge.quickbooks.connection import read_company_after_connect
from billbridge.quickbooks.models import QboConnection


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
