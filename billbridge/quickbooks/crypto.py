"""Encryption at rest of OAuth tokens (RELIABILITY.md §2.3).

MultiFernet under dedicated keys from QBO_TOKEN_KEYS (newest first), never derived from
SECRET_KEY. Decryption fails loudly: a wrong or missing key raises TokenDecryptionError instead of
handing ciphertext on as if it were a token.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class TokenDecryptionError(Exception):
    """A stored token cannot be read with any configured key."""


def _fernet() -> MultiFernet:
    keys = settings.QBO_TOKEN_KEYS
    if not keys:
        raise ImproperlyConfigured("QBO_TOKEN_KEYS must hold at least one Fernet key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "Each key in QBO_TOKEN_KEYS must be a Fernet key (32 url-safe base64 bytes)."
        ) from exc


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(value: str) -> str:
    return _readable(value, lambda fernet, token: fernet.decrypt(token))


def rotate(value: str) -> str:
    """The same secret re-encrypted under the newest key."""
    return _readable(value, lambda fernet, token: fernet.rotate(token))


def _readable(value: str, operation) -> str:
    if not value:
        return ""
    try:
        return operation(_fernet(), value.encode()).decode()
    except InvalidToken as exc:
        raise TokenDecryptionError(
            "A stored QuickBooks token cannot be decrypted with the keys in QBO_TOKEN_KEYS."
        ) from exc
