"""manage.py rotate_token_keys: every connection's tokens under the newest key, or nothing."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from billbridge.core import testing
from billbridge.quickbooks import crypto
from billbridge.quickbooks.crypto import TokenDecryptionError
from billbridge.quickbooks.models import QboConnection

OLD_KEY, NEW_KEY, LOST_KEY = (Fernet.generate_key().decode() for _ in range(3))


def connect(realm_id: str, access: str, refresh: str) -> QboConnection:
    connection = QboConnection(practice=testing.make_practice(), realm_id=realm_id)
    connection.access_token, connection.refresh_token = access, refresh
    connection.save()
    return connection


def stored(connection: QboConnection) -> tuple[str, str]:
    return tuple(
        QboConnection.objects.filter(pk=connection.pk)
        .values_list("access_token_encrypted", "refresh_token_encrypted")
        .get()
    )


@pytest.mark.django_db
def test_every_token_is_re_encrypted_under_the_newest_key(settings):
    settings.QBO_TOKEN_KEYS = [OLD_KEY]
    first = connect("1001", "eyJ-access-1", "AB11-refresh-1")
    second = connect("1002", "eyJ-access-2", "AB11-refresh-2")
    before = {first.pk: stored(first), second.pk: stored(second)}
    settings.QBO_TOKEN_KEYS = [NEW_KEY, OLD_KEY]
    out = io.StringIO()

    call_command("rotate_token_keys", stdout=out)

    assert out.getvalue() == "Re-encrypted the tokens of 2 QuickBooks connection(s).\n"
    settings.QBO_TOKEN_KEYS = [NEW_KEY]  # the old key can now go
    for connection, tokens in ((first, ("eyJ-access-1", "AB11-refresh-1")),
                               (second, ("eyJ-access-2", "AB11-refresh-2"))):  # fmt: skip
        after = stored(connection)
        assert after[0] != before[connection.pk][0] and after[1] != before[connection.pk][1]
        reloaded = QboConnection.objects.get(pk=connection.pk)
        assert (reloaded.access_token, reloaded.refresh_token) == tokens


@pytest.mark.django_db
def test_a_connection_without_tokens_is_left_empty(settings):
    settings.QBO_TOKEN_KEYS = [NEW_KEY, OLD_KEY]
    empty = connect("1003", "", "")
    out = io.StringIO()

    call_command("rotate_token_keys", stdout=out)

    assert stored(empty) == ("", "")
    assert out.getvalue() == "Re-encrypted the tokens of 1 QuickBooks connection(s).\n"


@pytest.mark.django_db
def test_an_unreadable_token_fails_with_status_1_and_changes_nothing(settings):
    settings.QBO_TOKEN_KEYS = [OLD_KEY]
    readable = connect("2001", "eyJ-access-ok", "AB11-refresh-ok")
    settings.QBO_TOKEN_KEYS = [LOST_KEY]
    unreadable = connect("2002", "eyJ-access-lost", "AB11-refresh-lost")
    before = {readable.pk: stored(readable), unreadable.pk: stored(unreadable)}
    settings.QBO_TOKEN_KEYS = [NEW_KEY, OLD_KEY]

    # manage.py exits with the CommandError's returncode (run in-process here: the command line
    # closes the database connection, which the test still needs).
    with pytest.raises(CommandError) as failure:
        call_command("rotate_token_keys")

    assert failure.value.returncode == 1
    assert str(failure.value) == (
        f"Nothing was changed: the tokens of QuickBooks connection {unreadable.pk} (realm 2002) "
        "cannot be decrypted with any key in QBO_TOKEN_KEYS. Put back the key they were "
        "encrypted with and run this again."
    )
    assert {readable.pk: stored(readable), unreadable.pk: stored(unreadable)} == before
    settings.QBO_TOKEN_KEYS = [NEW_KEY]
    with pytest.raises(TokenDecryptionError):
        crypto.decrypt(stored(readable)[1])
