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
from billbridge.quickbooks.tests.test_oauth import approve
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


# ---- the callback proves its company -------------------------------------------------------


def approved_callback(member, session: dict, realm_id: str) -> dict[str, str]:
    """Connect started by `member`, the consent page approved for `realm_id`: the callback's
    query as Intuit sends it."""
    return approve(qbo_connection.start_connect(member, session), realm_id)


def finish(member, session: dict, callback: dict[str, str], realm_id: str):
    return qbo_connection.finish_connect(
        member, session, code=callback["code"], state=callback["state"], realm_id=realm_id
    )


def grants(emulator) -> list[tuple[str, bool]]:
    """The emulator's grants as (company, revoked)."""
    return [(grant["realm_id"], grant["revoked"]) for grant in emulator.runtime.tokens.grants()]


def test_a_callback_naming_another_company_is_refused_and_its_tokens_revoked(
    db, qbo_settings, emulator
):
    own_books = emulator.emulator.create_company(name="Practice One Books").realm_id
    their_books = emulator.emulator.create_company(name="Practice Two Books").realm_id
    attacker = testing.make_admin(testing.make_practice())
    victim = testing.make_admin(testing.make_practice())
    session = {}
    callback = approved_callback(attacker, session, own_books)

    with pytest.raises(TransitionRefused) as caught:
        finish(attacker, session, callback, their_books)

    assert caught.value.message == (
        "QuickBooks Online was not connected: the authorization given in QuickBooks is not "
        f"for company {their_books}. Connect again and choose the company there."
    )
    assert not QboConnection.objects.exists()
    assert grants(emulator) == [(own_books, True)]
    # The other practice connects its own company as if nothing had happened.
    session = {}
    connection = finish(
        victim, session, approved_callback(victim, session, their_books), their_books
    )
    assert (connection.practice, connection.realm_id) == (victim.practice, their_books)
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.last_test_outcome == "Connected to Practice Two Books."


def test_a_forged_callback_leaves_the_company_connected_elsewhere_alone(db, qbo_settings, emulator):
    own_books = emulator.emulator.create_company(name="Practice One Books").realm_id
    their_books = emulator.emulator.create_company(name="Practice Two Books").realm_id
    theirs = connect_practice(testing.make_practice(), emulator, their_books)
    attacker = testing.make_admin(testing.make_practice())
    session = {}
    callback = approved_callback(attacker, session, own_books)

    # Refused for what it is, not with "already connected to another practice", which would
    # tell the attacker whose company it is.
    with pytest.raises(TransitionRefused, match="is not for company"):
        finish(attacker, session, callback, their_books)

    assert list(QboConnection.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert QboConnection.objects.get().refresh_token == theirs.refresh_token
    assert sorted(grants(emulator)) == sorted([(their_books, False), (own_books, True)])


@pytest.mark.parametrize(
    "outage",
    [
        pytest.param(
            lambda settings, control: setattr(settings, "QBO_API_URL", "http://127.0.0.1:9/v3"),
            id="unreachable",
        ),
        pytest.param(
            lambda settings, control: control.post(
                "/faults", json={"path": "/v3/company/*/companyinfo/*", "status": 503}
            ).raise_for_status(),
            id="503",
        ),
        pytest.param(
            lambda settings, control: control.post(
                "/faults",
                json={
                    "path": "/v3/company/*/companyinfo/*",
                    "kind": "fault",
                    "status": 401,
                    "code": "3200",
                    "fault_type": "AuthenticationFault",
                },
            ).raise_for_status(),
            id="401 for the token just issued",
        ),
    ],
)
def test_a_company_qbo_cannot_confirm_now_is_refused_with_try_again(
    db, qbo_settings, control, emulator, qbo_company, outage
):
    member = testing.make_admin(testing.make_practice())
    session = {}
    callback = approved_callback(member, session, qbo_company)
    outage(qbo_settings, control)

    with pytest.raises(TransitionRefused) as caught:
        finish(member, session, callback, qbo_company)

    assert caught.value.message.startswith(
        "QuickBooks Online was not connected: QuickBooks could not confirm company "
        f"{qbo_company} just now. Try again. ("
    )
    assert not QboConnection.objects.exists()
    assert grants(emulator) == [(qbo_company, True)]
