"""What the operations tests share: a production environment for fresh `manage.py` processes."""

import os
import secrets

import pytest
from cryptography.fernet import Fernet


@pytest.fixture
def production(tmp_path) -> dict:
    """A production environment that starts (its SQLite under tmp_path, never migrated): each
    test changes or breaks what it is about."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QBO_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    return env | {
        "BILLBRIDGE_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "QBO_TOKEN_KEYS": Fernet.generate_key().decode(),
        "BILLBRIDGE_PUBLIC_URL": "https://billing.example.test",
        "BILLBRIDGE_VAR_DIR": str(tmp_path),
    }
