"""Tokens at rest: MultiFernet under QBO_TOKEN_KEYS, failing loudly on a key mistake."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from billbridge.quickbooks import crypto
from billbridge.quickbooks.crypto import TokenDecryptionError
from billbridge.quickbooks.models import QboConnection

OLD_KEY, NEW_KEY, OTHER_KEY = (Fernet.generate_key().decode() for _ in range(3))
REFRESH_TOKEN = "AB11-refresh-token-value"


@pytest.fixture
def keys(settings):
    """Set QBO_TOKEN_KEYS, newest first: keys(NEW_KEY, OLD_KEY)."""

    def use(*chosen: str) -> None:
        settings.QBO_TOKEN_KEYS = list(chosen)

    use(OLD_KEY)
    return use


def test_a_token_round_trips_and_is_not_stored_in_clear(keys):
    stored = crypto.encrypt(REFRESH_TOKEN)

    assert crypto.decrypt(stored) == REFRESH_TOKEN
    assert REFRESH_TOKEN not in stored
    assert crypto.encrypt(REFRESH_TOKEN) != stored  # Fernet adds a fresh IV every time


def test_an_empty_token_stays_empty(keys):
    assert (crypto.encrypt(""), crypto.decrypt(""), crypto.rotate("")) == ("", "", "")


def test_the_wrong_key_raises_instead_of_returning_ciphertext(keys):
    stored = crypto.encrypt(REFRESH_TOKEN)
    keys(OTHER_KEY)

    with pytest.raises(TokenDecryptionError) as caught:
        crypto.decrypt(stored)

    assert str(caught.value) == (
        "A stored QuickBooks token cannot be decrypted with the keys in QBO_TOKEN_KEYS."
    )


def test_with_two_keys_old_tokens_read_and_new_ones_use_the_newest_key(keys):
    old = crypto.encrypt(REFRESH_TOKEN)
    keys(NEW_KEY, OLD_KEY)

    new = crypto.encrypt(REFRESH_TOKEN)

    assert crypto.decrypt(old) == crypto.decrypt(new) == REFRESH_TOKEN
    keys(NEW_KEY)
    assert crypto.decrypt(new) == REFRESH_TOKEN
    with pytest.raises(TokenDecryptionError):
        crypto.decrypt(old)


def test_rotate_re_encrypts_under_the_newest_key(keys):
    old = crypto.encrypt(REFRESH_TOKEN)
    keys(NEW_KEY, OLD_KEY)

    rotated = crypto.rotate(old)

    keys(NEW_KEY)
    assert rotated != old
    assert crypto.decrypt(rotated) == REFRESH_TOKEN


def test_rotate_refuses_a_token_no_key_reads(keys):
    stored = crypto.encrypt(REFRESH_TOKEN)
    keys(NEW_KEY)

    with pytest.raises(TokenDecryptionError):
        crypto.rotate(stored)


@pytest.mark.parametrize("bad", [[], ["not-a-fernet-key"]])
def test_missing_or_malformed_keys_are_a_configuration_error(settings, bad):
    settings.QBO_TOKEN_KEYS = bad

    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt(REFRESH_TOKEN)


def test_a_connection_keeps_its_tokens_encrypted_in_the_database(keys, practice):
    connection = QboConnection(practice=practice, realm_id="9341450000000001")
    connection.access_token = "eyJ-access-token"
    connection.refresh_token = REFRESH_TOKEN
    connection.save()

    row = QboConnection.objects.values("access_token_encrypted", "refresh_token_encrypted").get(
        pk=connection.pk
    )
    assert "eyJ-access-token" not in row["access_token_encrypted"]
    assert REFRESH_TOKEN not in row["refresh_token_encrypted"]
    reloaded = QboConnection.objects.get(pk=connection.pk)
    assert (reloaded.access_token, reloaded.refresh_token) == ("eyJ-access-token", REFRESH_TOKEN)
