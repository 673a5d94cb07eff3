"""The connection's rules: configured before Connect, one company's books at a time, tokens
refreshed one at a time and saved before use, a dead grant turned into Reconnect required."""

import threading
from datetime import timedelta

import httpx
import pytest
from django.db import connection as db
from django.utils import timezone

from billbridge.core import testing
from billbridge.core.errors import TransitionRefused
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import connection as qbo_connection
from billbridge.quickbooks.models import ConnectionStatus, QboConnection, QboInvoiceLink
from billbridge.quickbooks.testing import connect_practice
from billbridge.quickbooks.tokens import ConnectionTokens, ReconnectRequired


def test_connect_needs_the_intuit_app_configured(db, settings):
    settings.QBO_CLIENT_ID = ""
    member = testing.make_admin(testing.make_practice())
    with pytest.raises(TransitionRefused, match="QBO_CLIENT_ID"):
        qbo_connection.start_connect(member, {})


def test_another_company_is_refused_while_invoices_are_linked_to_the_first(
    db, qbo_settings, emulator, qbo_company
):
    practice = testing.make_practice()
    member = testing.make_admin(practice)
    connect_practice(practice, emulator, qbo_company)
    client = testing.make_client(practice)
    testing.assign(member, client)
    invoice = testing.make_invoice(member, client, InvoiceStatus.FINALIZED)
    QboInvoiceLink.objects.create(
        invoice=invoice,
        realm_id=qbo_company,
        qbo_invoice_id="1",
        sync_token="0",
        exported_version=1,
        exported_content_version=1,
        exported_total=invoice.total,
        qbo_total=invoice.total,
    )
    session = {}
    url = qbo_connection.start_connect(member, session)
    state = httpx.URL(url).params["state"]
    with pytest.raises(TransitionRefused, match=f"company {qbo_company}"):
        qbo_connection.finish_connect(
            member, session, code="whatever", state=state, realm_id="4620816365000000099"
        )


def test_a_refresh_saves_the_rotated_tokens_encrypted(db, qbo_settings, emulator, qbo_company):
    practice = testing.make_practice()
    connection = connect_practice(practice, emulator, qbo_company)
    old_refresh = connection.refresh_token
    QboConnection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() + timedelta(seconds=30)
    )
    token = ConnectionTokens(connection.pk).access_token()
    connection.refresh_from_db()
    assert token == connection.access_token
    assert connection.refresh_token != old_refresh
    assert token not in connection.access_token_encrypted
    response = httpx.get(
        f"{emulator.api_url}/company/{qbo_company}/companyinfo/{qbo_company}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    assert response.status_code == 200


def test_a_dead_grant_turns_the_connection_to_reconnect_required(
    db, qbo_settings, emulator, qbo_company
):
    connection = connect_practice(testing.make_practice(), emulator, qbo_company)
    httpx.post(f"{emulator.control_url}/tokens/revoke", json={"realm_id": qbo_company})
    QboConnection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(ReconnectRequired):
        ConnectionTokens(connection.pk).access_token()
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.RECONNECT
    assert "Reconnect" in connection.status_reason


@pytest.mark.skipif(
    db.vendor == "sqlite",
    reason="the in-memory SQLite test database locks whole tables between connections; "
    "the row lock is PostgreSQL's (CI's second run)",
)
@pytest.mark.django_db(transaction=True)
def test_many_workers_meeting_an_expired_token_make_one_refresh(
    qbo_settings, emulator, qbo_company
):
    connection = connect_practice(testing.make_practice(), emulator, qbo_company)
    QboConnection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    httpx.delete(f"{emulator.control_url}/requests")
    tokens, errors = [], []

    def worker():
        try:
            tokens.append(ConnectionTokens(connection.pk).access_token())
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(tokens)) == 1
    refreshes = httpx.get(
        f"{emulator.control_url}/requests", params={"path": "/oauth2/v1/tokens/bearer"}
    ).json()["requests"]
    assert len(refreshes) == 1
