"""Access tokens for a connection, refreshed one at a time (RELIABILITY.md §2.2).

The QboConnection row is the lock: a refresh takes it with select_for_update, looks again (a
peer may have refreshed meanwhile), asks Intuit, and saves the rotated pair in the same
transaction before anyone uses it. `invalid_grant` for the token we hold means the connection is
dead: it turns to Reconnect required and exports wait; nothing is lost.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from billbridge.core import metrics
from billbridge.quickbooks.client import QboAuthFailed, QboError, oauth
from billbridge.quickbooks.models import ConnectionStatus, QboConnection

# Refresh ahead of expiry so that requests rarely meet a 401.
REFRESH_AHEAD = timedelta(minutes=5)
DEAD_GRANT = (
    "QuickBooks no longer accepts Billbridge's authorization (it was revoked or expired). "
    "Reconnect in Settings ▸ Integrations ▸ QuickBooks Online; queued exports wait until then."
)


class ReconnectRequired(QboError):
    """The connection needs a person to connect it again; exports pause until then.

    A QboError (nothing was sent, nothing is ambiguous), so one `except QboError` covers it
    where QBO not answering is all that matters; code that must pause the company or tell the
    user to reconnect catches it first."""


class ConnectionTokens:
    """The client's TokenSource for one connection."""

    def __init__(self, connection_id: int):
        self.connection_id = connection_id
        self._token: str | None = None
        self._expires_at = None

    def access_token(self) -> str:
        if self._token and self._expires_at - timezone.now() > REFRESH_AHEAD:
            return self._token
        connection = QboConnection.objects.get(pk=self.connection_id)
        self._require_connected(connection)
        if connection.access_token_expires_at - timezone.now() > REFRESH_AHEAD:
            self._remember(connection)
            return self._token
        return self._refresh(rejected=None)

    def refreshed_after_401(self, rejected: str) -> str:
        return self._refresh(rejected=rejected)

    def _remember(self, connection: QboConnection) -> None:
        self._token = connection.access_token
        self._expires_at = connection.access_token_expires_at

    @staticmethod
    def _require_connected(connection: QboConnection) -> None:
        if connection.status != ConnectionStatus.CONNECTED:
            raise ReconnectRequired(
                connection.status_reason
                or "Reconnect QuickBooks Online in Settings ▸ Integrations."
            )

    def _refresh(self, rejected: str | None) -> str:
        with transaction.atomic():
            connection = QboConnection.objects.select_for_update().get(pk=self.connection_id)
            self._require_connected(connection)
            current = connection.access_token
            fresh_enough = connection.access_token_expires_at - timezone.now() > REFRESH_AHEAD
            if fresh_enough and current != rejected:
                # A peer refreshed while we waited for the lock.
                self._remember(connection)
                return current
            held = connection.refresh_token
            try:
                tokens = oauth.refresh(held)
            except oauth.InvalidGrant:
                metrics.TOKEN_REFRESH_FAILURES.labels(connection.realm_id, "invalid_grant").inc()
                tokens = None
                # Saved in this transaction, which must commit: raise only after it.
                mark_reconnect_required(connection, DEAD_GRANT)
            except oauth.OAuthUnavailable:
                metrics.TOKEN_REFRESH_FAILURES.labels(connection.realm_id, "unavailable").inc()
                raise
            else:
                store_tokens(connection, tokens)
        if tokens is None:
            raise ReconnectRequired(DEAD_GRANT)
        self._remember(connection)
        return self._token


class IssuedTokens:
    """The client's TokenSource for tokens not stored yet: those the connect callback has just
    received, used to prove the company before anything is saved. Never refreshed: QBO refusing
    an access token it has only now issued is an answer in itself."""

    def __init__(self, tokens: oauth.TokenSet):
        self._token = tokens.access_token

    def access_token(self) -> str:
        return self._token

    def refreshed_after_401(self, rejected: str) -> str:
        raise QboAuthFailed("QuickBooks refused the access token it had just issued.", status=401)


def store_tokens(connection: QboConnection, tokens: oauth.TokenSet) -> None:
    connection.access_token = tokens.access_token
    connection.refresh_token = tokens.refresh_token
    connection.access_token_expires_at = tokens.access_expires_at
    connection.refresh_token_expires_at = tokens.refresh_expires_at
    connection.last_refreshed_at = timezone.now()
    connection.save()


def mark_reconnect_required(connection: QboConnection, reason: str) -> None:
    connection.status = ConnectionStatus.RECONNECT
    connection.status_reason = reason
    connection.save(update_fields=["status", "status_reason", "updated_at"])
