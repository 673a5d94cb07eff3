"""Backups and restores as an operator runs them (issue 16): `manage.py backup` in its own
process while another process keeps writing to the database, then `manage.py restore` into a
fresh database, which holds every invoice, export row and QuickBooks token, the tokens readable
with the key they were encrypted under and with no other. On the embedded SQLite (a real file,
WAL, as a single-machine site runs it) and on PostgreSQL."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from billbridge.core import testing
from billbridge.practice.models import Practice
from qbo_emulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

ROOT = Path(__file__).resolve().parents[3]
PG = "postgres://postgres@127.0.0.1:5432"
WRITES_BEFORE_THE_BACKUP = 20

# A practice connected to the emulator company with the tokens the test was granted, three
# invoices exported to it; then what the database holds, as SNAPSHOT prints it.
FILL = """
import json, os
from decimal import Decimal
from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.quickbooks import export, services
from billbridge.quickbooks.testing import connect_practice

class Granted:
    def connect(self, realm_id):
        return json.loads(os.environ["BACKUP_TEST_TOKENS"])

practice = testing.make_practice("Backed Up & Co")
member = testing.make_admin(practice, "keeper")
invoicing.update_tax_settings(
    member, primary_name="Sales tax", primary_rate=Decimal("8"), primary_enabled=True
)
connection = connect_practice(practice, Granted(), os.environ["BACKUP_TEST_REALM"])
invoices = []
for name in ("Harbor Books", "Pine & Sons", "Cool Cars"):
    client = testing.make_client(practice, name)
    testing.assign(member, client)
    invoices.append(testing.make_invoice(member, client, "finalized"))
services.request_export(member, [i.pk for i in invoices])
export.drain(connection.realm_id)
"""

SNAPSHOT = """
import json, os
from django.conf import settings
from billbridge.clients.models import Client
from billbridge.invoicing.models import Invoice
from billbridge.quickbooks.crypto import TokenDecryptionError
from billbridge.quickbooks.models import InvoiceExport, QboConnection

connection = QboConnection.objects.get()
written = Client.objects.filter(name__startswith="Written ").values_list("name", flat=True)
snapshot = {
    "invoices": [[i.number, str(i.total), i.status] for i in Invoice.objects.order_by("pk")],
    "exports": [
        [e.invoice.number, e.state, e.request_id, e.payload]
        for e in InvoiceExport.objects.select_related("invoice").order_by("pk")
    ],
    "tokens": [connection.access_token, connection.refresh_token],
    "written": sorted(int(name.split()[1]) for name in written),
}
settings.QBO_TOKEN_KEYS = [os.environ["BACKUP_TEST_OTHER_KEY"]]
try:
    connection.refresh_token
except TokenDecryptionError as exc:
    snapshot["with_another_key"] = str(exc)
print(json.dumps(snapshot))
"""

# Another process writing all along, as a running site does: a client a transaction.
WRITER = """
import os
from pathlib import Path
from billbridge.clients.models import Client
from billbridge.practice.models import Practice

practice = Practice.objects.get()
stop = Path(os.environ["BACKUP_TEST_STOP"])
written = 0
while not stop.exists():
    written += 1
    Client.objects.create(practice=practice, name=f"Written {written}")
    if written == int(os.environ["BACKUP_TEST_WRITES_FIRST"]):
        Path(os.environ["BACKUP_TEST_STARTED"]).touch()
print(written)
"""


def manage(env: dict, *args: str) -> str:
    done = testing.manage_py(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def site(emulator, qbo_company, tmp_path):
    """A site's environment (its database chosen by each test), the emulator its QuickBooks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QBO_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    key, other_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    return env | {
        "QBO_TOKEN_KEYS": key,
        "BACKUP_TEST_OTHER_KEY": other_key,
        "BACKUP_TEST_TOKENS": json.dumps(emulator.connect(qbo_company)),
        "BACKUP_TEST_REALM": qbo_company,
        "BACKUP_TEST_STARTED": str(tmp_path / "writer-started"),
        "BACKUP_TEST_STOP": str(tmp_path / "writer-stop"),
        "BACKUP_TEST_WRITES_FIRST": str(WRITES_BEFORE_THE_BACKUP),
        "QBO_ENVIRONMENT": "emulator",
        "QBO_EMULATOR_URL": emulator.base_url,
        "QBO_CLIENT_ID": DEMO_CLIENT_ID,
        "QBO_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "QBO_LOOKUP_DELAY_SECONDS": "0",
        "QBO_EXPORT_THREADS": "1",
        # The export is drained by the fill script itself; no worker runs.
        "TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
    }


def back_up_while_writing(env: dict, *backup_args: str) -> Path:
    """Migrate, fill, start the writer, back up once it has written, stop it; the backup."""
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "--no-imports", "-c", FILL)
    writer = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", WRITER],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = Path(env["BACKUP_TEST_STARTED"])
        deadline = time.monotonic() + 60
        while not started.exists() and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), writer.stderr.read() if writer.poll() is not None else "slow"
        backup = Path(manage(env, "backup", *backup_args).strip())
    finally:
        Path(env["BACKUP_TEST_STOP"]).touch()
        out, err = writer.communicate(timeout=60)
    # The writer was never refused a write while the backup read the database.
    assert writer.returncode == 0, err
    assert int(out) > WRITES_BEFORE_THE_BACKUP
    return backup


def assert_restored_whole(restored: dict, env: dict, emulator, qbo_company):
    """Everything the fill made, the tokens readable with the key (and usable at QuickBooks)
    and not with another; the writer's rows one moment's worth: none missing before the last."""
    assert [number for number, _, _ in restored["invoices"]] == [
        "INV-1",
        "INV-2",
        "INV-3",
    ]
    assert {(total, status) for _, total, status in restored["invoices"]} == {
        ("686.00", "finalized")
    }
    assert [(number, state) for number, state, _, _ in restored["exports"]] == [
        ("INV-1", "exported"),
        ("INV-2", "exported"),
        ("INV-3", "exported"),
    ]
    granted = json.loads(env["BACKUP_TEST_TOKENS"])
    assert restored["tokens"] == [granted["access_token"], granted["refresh_token"]]
    assert restored["with_another_key"] == (
        "A stored QuickBooks token cannot be decrypted with the keys in QBO_TOKEN_KEYS."
    )
    company = httpx.get(
        f"{emulator.api_url}/company/{qbo_company}/companyinfo/{qbo_company}",
        headers={"Authorization": f"Bearer {restored['tokens'][0]}", "Accept": "application/json"},
    )
    assert company.status_code == 200, company.text
    written = restored["written"]
    assert len(written) >= WRITES_BEFORE_THE_BACKUP
    assert written == list(range(1, len(written) + 1))


def test_a_sqlite_backup_taken_while_another_process_writes_restores_whole(
    site, tmp_path, emulator, qbo_company
):
    source = site | {"BILLBRIDGE_VAR_DIR": str(tmp_path / "site")}
    # Into BACKUP_DIR (var/backups) when no folder is given.
    backup = back_up_while_writing(source)
    assert backup.parent == tmp_path / "site" / "backups"
    assert backup.name.startswith("billbridge-") and backup.suffix == ".sqlite3"
    assert [p.name for p in backup.parent.iterdir()] == [backup.name]  # no partial left

    fresh = site | {"BILLBRIDGE_VAR_DIR": str(tmp_path / "elsewhere")}
    said = manage(fresh, "restore", str(backup), "--yes")
    database = tmp_path / "elsewhere" / "billbridge.sqlite3"
    assert said.splitlines() == [
        f"Restored {backup} into the SQLite database {database}.",
        "All migrations are applied.",
    ]
    restored = json.loads(manage(fresh, "shell", "--no-imports", "-c", SNAPSHOT))
    assert_restored_whole(restored, fresh, emulator, qbo_company)
    original = json.loads(manage(source, "shell", "--no-imports", "-c", SNAPSHOT))
    assert {k: v for k, v in restored.items() if k != "written"} == {
        k: v for k, v in original.items() if k != "written"
    }


@pytest.fixture
def pg_databases():
    """Two PostgreSQL databases of this test's own, made empty and dropped afterwards."""
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore (PostgreSQL's client tools) are not installed")
    names = ("bb_backup_src", "bb_backup_dst")
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
    yield [f"{PG}/{name}" for name in names]
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_postgresql_backup_taken_while_another_process_writes_restores_whole(
    site, pg_databases, tmp_path, emulator, qbo_company
):
    source_url, fresh_url = pg_databases
    source = site | {"DATABASE_URL": source_url, "BILLBRIDGE_VAR_DIR": str(tmp_path / "site")}
    backup = back_up_while_writing(source, "--to", str(tmp_path / "dumps"))
    assert backup.parent == tmp_path / "dumps" and backup.suffix == ".dump"

    fresh = site | {"DATABASE_URL": fresh_url, "BILLBRIDGE_VAR_DIR": str(tmp_path / "other")}
    said = manage(fresh, "restore", str(backup), "--yes")
    assert said.splitlines() == [
        f"Restored {backup} into the PostgreSQL database bb_backup_dst at 127.0.0.1:5432.",
        "All migrations are applied.",
    ]
    restored = json.loads(manage(fresh, "shell", "--no-imports", "-c", SNAPSHOT))
    assert_restored_whole(restored, fresh, emulator, qbo_company)


def test_a_restore_without_yes_says_what_it_would_replace_and_changes_nothing(db, tmp_path):
    testing.make_practice("Still Here")
    backup = tmp_path / "billbridge.sqlite3"
    backup.write_bytes(b"SQLite format 3\x00")
    with pytest.raises(CommandError, match=r"^This would replace everything in the .*; add --yes"):
        call_command("restore", str(backup))
    assert Practice.objects.filter(name="Still Here").exists()


def test_a_restore_refuses_a_backup_of_the_other_kind_or_no_backup_at_all(db, tmp_path):
    sqlite, dump, text = tmp_path / "a.sqlite3", tmp_path / "a.dump", tmp_path / "notes.txt"
    sqlite.write_bytes(b"SQLite format 3\x00" + bytes(100))
    dump.write_bytes(b"PGDMP" + bytes(100))
    text.write_text("not a backup")
    wrong, engine, wanted = (
        (dump, "SQLite", "a SQLite database")
        if connection.vendor == "sqlite"
        else (sqlite, "PostgreSQL", "a PostgreSQL dump (pg_dump -Fc)")
    )
    with pytest.raises(CommandError, match=f"the configured database is {engine}, which restores"):
        call_command("restore", str(wrong), "--yes")
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(text), "--yes")
    assert str(refused.value) == (
        f"{text} is neither a SQLite database nor a PostgreSQL dump, but the configured "
        f"database is {engine}, which restores only from {wanted}."
    )
    with pytest.raises(CommandError, match="^Cannot read .*missing.sqlite3: No such file"):
        call_command("restore", str(tmp_path / "missing.sqlite3"), "--yes")


def test_a_backup_folder_that_cannot_be_made_is_one_line(db, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(CommandError, match=f"^Cannot create the backup folder {blocker}/x: "):
        call_command("backup", "--to", str(blocker / "x"))


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("backup", "QBO_TOKEN_KEYS are NOT in the backup"),
        ("restore", "Stop the web server and the workers first"),
    ],
)
def test_the_help_says_what_an_operator_must_know(command_help, command, says):
    assert says in command_help(command)
