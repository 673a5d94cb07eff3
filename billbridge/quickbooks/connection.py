"""Connecting a practice to its QBO company, and what Billbridge knows about that company.

Settings ▸ Integrations ▸ QuickBooks Online calls these; all of them need Manage settings except
reading. The OAuth `state` lives in the user's session, so a callback from another session (or a
forged one) is refused (ASVS 10.1.2).
"""

import functools
import logging
import secrets

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billbridge.core.errors import InvalidInput, TransitionRefused
from billbridge.practice.models import Membership, Permission, Practice
from billbridge.practice.permissions import require
from billbridge.quickbooks.client import QboClient, QboError, oauth
from billbridge.quickbooks.company import COMPANY_QUERIES, Company, company_from_qbo
from billbridge.quickbooks.limiter import DatabaseLimiter
from billbridge.quickbooks.models import (
    AstTaxHandling,
    ConnectionStatus,
    ItemMapping,
    QboConnection,
    QboInvoiceLink,
)
from billbridge.quickbooks.tokens import (
    ConnectionTokens,
    IssuedTokens,
    ReconnectRequired,
    store_tokens,
)

log = logging.getLogger(__name__)

SESSION_STATE = "qbo_oauth_state"
NOT_CONNECTED = "Connect QuickBooks Online first, in Settings ▸ Integrations ▸ QuickBooks Online."


def connection_for(practice: Practice) -> QboConnection | None:
    return QboConnection.objects.filter(practice=practice).first()


@functools.cache
def _http() -> httpx.Client:
    """One connection pool per process, kept: a new client loads the CA bundle each time
    (a quarter of a second), and keep-alive saves a handshake per request."""
    return httpx.Client()


def client_for(connection: QboConnection, limiter: DatabaseLimiter | None = None) -> QboClient:
    return QboClient(
        connection.realm_id,
        ConnectionTokens(connection.pk),
        limiter=limiter or DatabaseLimiter(),
        http=_http(),
    )


def company_of(connection: QboConnection) -> Company:
    return Company.from_json(connection.company)


def item_choices(
    connection: QboConnection,
) -> tuple[dict[str, tuple[str, str]], tuple[str, str] | None]:
    """What payloads.plan_invoice picks each line's QBO item from: the practice's mappings
    (service name → item id and name) and the default item chosen at connect."""
    mappings = {
        m.service_name: (m.qbo_item_id, m.qbo_item_name)
        for m in ItemMapping.objects.filter(practice=connection.practice_id)
    }
    default = (
        (connection.default_item_id, connection.default_item_name)
        if connection.default_item_id
        else None
    )
    return mappings, default


def read_company(connection: QboConnection, client: QboClient) -> Company:
    """Read the company's settings, tax codes and items (five metered reads) and keep them."""
    found = {name: client.query(f"{sql} maxresults 1000") for name, sql in COMPANY_QUERIES.items()}
    company = company_from_qbo(
        connection.realm_id,
        client.preferences(),
        client.company_info(),
        found["tax_codes"],
        found["tax_rates"],
        found["items"],
    )
    connection.company = company.to_json()
    connection.company_read_at = timezone.now()
    connection.save(update_fields=["company", "company_read_at", "updated_at"])
    return company


def fresh_company(connection: QboConnection, client: QboClient) -> Company:
    """The company as QBO shows it now, for one Check or one export drain, which call this
    once before their first invoice. Never a kept copy: a setting changed in QBO a minute
    ago (sales tax turned off) made Check say "ready" while the export met QBO's raw refusal
    (docs/decisions/0017). The read is kept on the connection for the settings page."""
    return read_company(connection, client)


# ---- connect and disconnect ----------------------------------------------------------------


def start_connect(membership: Membership, session) -> str:
    require(membership, Permission.MANAGE_SETTINGS)
    if not (settings.QBO_CLIENT_ID and settings.QBO_CLIENT_SECRET):
        raise TransitionRefused(
            "QuickBooks Online is not set up on this server: its administrator must set "
            "QBO_CLIENT_ID, QBO_CLIENT_SECRET and QBO_REDIRECT_URI (the Intuit app's)."
        )
    state = secrets.token_urlsafe(32)
    session[SESSION_STATE] = state
    return oauth.authorization_url(state)


def finish_connect(
    membership: Membership, session, *, code: str, state: str, realm_id: str, error: str = ""
) -> QboConnection:
    require(membership, Permission.MANAGE_SETTINGS)
    expected = session.pop(SESSION_STATE, None)
    if not expected or not secrets.compare_digest(expected, state or ""):
        raise InvalidInput(
            "This QuickBooks answer does not belong to a connection you started. Start again "
            "with Connect."
        )
    if error:
        raise TransitionRefused(
            "QuickBooks Online was not connected: the authorization was cancelled or refused."
        )
    if not code or not realm_id or not realm_id.isdigit() or len(realm_id) > 32:
        raise InvalidInput("QuickBooks' answer lacks the authorization code or company id.")
    practice = membership.practice
    _refuse_other_company(practice, realm_id)
    try:
        tokens = oauth.exchange_code(code)
    except oauth.InvalidGrant as exc:
        raise TransitionRefused(
            "QuickBooks refused the authorization code (it expired or was used). Connect again."
        ) from exc
    except oauth.OAuthUnavailable as exc:
        raise TransitionRefused(f"QuickBooks could not be reached: {exc}. Try again.") from exc
    _prove_company(realm_id, tokens)
    try:
        with transaction.atomic():
            connection, _ = QboConnection.objects.update_or_create(
                practice=practice,
                defaults={
                    "realm_id": realm_id,
                    "status": ConnectionStatus.CONNECTED,
                    "status_reason": "",
                    "connected_by": membership.user,
                    "paused_until": None,
                },
            )
            store_tokens(connection, tokens)
    except IntegrityError as exc:
        raise TransitionRefused(
            "That QuickBooks company is already connected to another practice."
        ) from exc
    read_company_after_connect(connection)
    # Exports queued while the connection needed reconnecting go now. (Imported here: the
    # tasks reach this module through the exporter.)
    from billbridge.quickbooks.tasks import wake_exporter

    wake_exporter(realm_id)
    return connection


def _prove_company(realm_id: str, tokens: oauth.TokenSet) -> None:
    """The callback's realmId is a query parameter anyone can change, while Intuit binds the
    tokens to the company the user approved. So the new tokens must open the named company
    before anything is stored (and before "already connected to another practice" is looked
    at): otherwise one practice could claim another firm's company and lock that firm out of
    connecting its own. QBO's 200 is the proof; the answer names nothing to compare, since
    CompanyInfo's Id is the singleton's "1", not the realm. Tokens that prove nothing are
    revoked so that no grant is left behind."""
    # Limited like any request: the company may be another practice's, busy exporting.
    client = QboClient(realm_id, IssuedTokens(tokens), limiter=DatabaseLimiter(), http=_http())
    try:
        client.company_info()
    except QboError as exc:
        try:
            oauth.revoke(tokens.refresh_token)
        except oauth.OAuthUnavailable as revoke_failed:
            # Nobody holds these tokens: the access token lapses within the hour.
            log.warning("Could not revoke the tokens of an unproven connect: %s", revoke_failed)
        if exc.status == 403:
            raise TransitionRefused(
                "QuickBooks Online was not connected: the authorization given in QuickBooks is "
                f"not for company {realm_id}. Connect again and choose the company there."
            ) from exc
        raise TransitionRefused(
            "QuickBooks Online was not connected: QuickBooks could not confirm company "
            f"{realm_id} just now. Try again. ({exc})"
        ) from exc


def _refuse_other_company(practice: Practice, realm_id: str) -> None:
    """Links to invoices and customers belong to one company: switching companies under them
    would send updates to the wrong books."""
    other = (
        QboInvoiceLink.objects.filter(invoice__practice=practice)
        .exclude(realm_id=realm_id)
        .values_list("realm_id", flat=True)
        .first()
    )
    if other:
        raise TransitionRefused(
            f"This practice has exported invoices to QuickBooks company {other}; connect that "
            "company again (another company would not hold those invoices)."
        )


def read_company_after_connect(connection: QboConnection) -> None:
    """Read the new company and preset the default item (QBO's 'Services' when it has one)."""
    with client_for(connection) as client:
        try:
            company = read_company(connection, client)
        except QboError as exc:
            connection.last_test_outcome = f"Connected, but the company could not be read: {exc}"
            connection.save(update_fields=["last_test_outcome", "updated_at"])
            return
    if not connection.default_item_id:
        item = company.item_named("Services") or next(
            (item for item in company.items if item.active and item.type == "Service"), None
        )
        if item:
            connection.default_item_id, connection.default_item_name = item.id, item.name
    connection.last_tested_at = timezone.now()
    connection.last_test_outcome = f"Connected to {company.name}."
    connection.save()


def disconnect(membership: Membership) -> None:
    """Revoke at Intuit, then forget the tokens whatever Intuit said: a failed revoke is
    reported, never a reason to keep tokens the practice asked us to drop."""
    require(membership, Permission.MANAGE_SETTINGS)
    connection = connection_for(membership.practice)
    if connection is None:
        raise TransitionRefused("QuickBooks Online is not connected.")
    problem = ""
    try:
        refresh_token = connection.refresh_token
        if refresh_token:
            oauth.revoke(refresh_token)
    except oauth.OAuthUnavailable as exc:
        problem = str(exc)
    connection.delete()
    if problem:
        raise TransitionRefused(
            "Disconnected: Billbridge deleted its tokens, but QuickBooks could not be told "
            f"({problem}). Remove the app in QuickBooks' settings to be sure."
        )


def test_connection(membership: Membership) -> QboConnection:
    require(membership, Permission.MANAGE_SETTINGS)
    connection = connection_for(membership.practice)
    if connection is None:
        raise TransitionRefused(NOT_CONNECTED)
    with client_for(connection) as client:
        try:
            company = read_company(connection, client)
            outcome = f"Connection works: read {company.name} ({len(company.items)} items)."
        except ReconnectRequired as exc:
            outcome = exc.message
        except QboError as exc:
            outcome = f"QuickBooks answered with an error: {exc}"
    connection.refresh_from_db()
    connection.last_tested_at = timezone.now()
    connection.last_test_outcome = outcome
    connection.save(update_fields=["last_tested_at", "last_test_outcome", "updated_at"])
    return connection


# ---- export settings -----------------------------------------------------------------------


def _connected(membership: Membership) -> QboConnection:
    require(membership, Permission.MANAGE_SETTINGS)
    connection = connection_for(membership.practice)
    if connection is None:
        raise TransitionRefused(NOT_CONNECTED)
    return connection


def update_settings(
    membership: Membership,
    *,
    default_item_id: str | None = None,
    ast_tax_handling: str | None = None,
    send_from_quickbooks: bool | None = None,
) -> QboConnection:
    connection = _connected(membership)
    if default_item_id is not None:
        item = company_of(connection).item(default_item_id)
        if item is None or not item.active:
            raise InvalidInput(
                "Choose an active item of the QuickBooks company.",
                {"default_item_id": ["Not an active item of the company."]},
            )
        connection.default_item_id, connection.default_item_name = item.id, item.name
    if ast_tax_handling is not None:
        if ast_tax_handling not in AstTaxHandling.values:
            raise InvalidInput(
                "Choose how automated sales tax is handled.",
                {"ast_tax_handling": ["Not one of the choices."]},
            )
        connection.ast_tax_handling = ast_tax_handling
    if send_from_quickbooks is not None:
        connection.send_from_quickbooks = send_from_quickbooks
    connection.save()
    return connection


def set_item_mapping(membership: Membership, service_name: str, qbo_item_id: str) -> ItemMapping:
    connection = _connected(membership)
    service_name = service_name.strip()
    if not service_name or len(service_name) > 100:
        raise InvalidInput(
            "Give the service name as it appears on invoice lines (at most 100 characters).",
            {"service_name": ["A service name is needed."]},
        )
    item = company_of(connection).item(qbo_item_id)
    if item is None or not item.active:
        raise InvalidInput(
            "Choose an active item of the QuickBooks company.",
            {"qbo_item_id": ["Not an active item of the company."]},
        )
    mapping, _ = ItemMapping.objects.update_or_create(
        practice=membership.practice,
        service_name=service_name,
        defaults={"qbo_item_id": item.id, "qbo_item_name": item.name},
    )
    return mapping


def remove_item_mapping(membership: Membership, service_name: str) -> None:
    require(membership, Permission.MANAGE_SETTINGS)
    ItemMapping.objects.filter(practice=membership.practice, service_name=service_name).delete()
