"""The production settings pass Django's deployment checklist, and bad settings fail loudly."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[3]
# Set by the browser tests for their own process; a deployment never has it, and check --deploy
# rightly refuses it.
TEST_HARNESS_ONLY = {"DJANGO_ALLOW_ASYNC_UNSAFE"}


def manage(*args, **env):
    inherited = {k: v for k, v in os.environ.items() if k not in TEST_HARNESS_ONLY}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        BILLBRIDGE_ENV="production",
        SECRET_KEY="a-long-random-production-key-" + "k7Qz9" * 10,
        BILLBRIDGE_PUBLIC_URL="https://billing.example.com",
        BILLBRIDGE_VAR_DIR=str(tmp_path),
        QBO_TOKEN_KEYS=Fernet.generate_key().decode(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_own_token_keys(tmp_path):
    result = manage(
        "check",
        BILLBRIDGE_ENV="production",
        SECRET_KEY="a-long-random-production-key-" + "k7Qz9" * 10,
        BILLBRIDGE_PUBLIC_URL="https://billing.example.com",
        BILLBRIDGE_VAR_DIR=str(tmp_path),
        QBO_TOKEN_KEYS="",
    )
    assert result.returncode != 0
    assert "QBO_TOKEN_KEYS" in result.stderr


def test_production_refuses_a_missing_secret_key(tmp_path):
    env = {"BILLBRIDGE_ENV": "production", "BILLBRIDGE_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={k: v for k, v in {**os.environ, **env}.items() if k != "SECRET_KEY"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_bad_boolean_fails_loudly(tmp_path):
    result = manage("check", DEBUG="perhaps", BILLBRIDGE_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr
