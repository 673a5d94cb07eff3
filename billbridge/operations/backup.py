"""Backups of the whole database and restoring one (docs/backups.md).

SQLite, the embedded default, is copied with SQLite's online backup API, which reads one
consistent moment of the database while other processes keep writing; PostgreSQL is dumped with
`pg_dump -Fc` and restored with `pg_restore`. A backup is written under a temporary name in the
same folder and renamed when complete, so a file with a backup's name is always a whole backup.

The Fernet keys that encrypt QuickBooks tokens (QBO_TOKEN_KEYS) are settings, not rows: they are
not in a backup, and a backup's tokens are readable only with them.
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
SUFFIXES = {SQLITE: ".sqlite3", POSTGRESQL: ".dump"}
# The first bytes of each kind of file: SQLite's file header, pg_dump's custom format.
_MAGIC = {SQLITE: b"SQLite format 3\x00", POSTGRESQL: b"PGDMP"}
_ENGINES = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}
_KIND_NAMES = {SQLITE: "a SQLite database", POSTGRESQL: "a PostgreSQL dump (pg_dump -Fc)"}


class BackupError(Exception):
    """A backup or restore that cannot be done, in one line for the operator."""


def engine() -> str:
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    if vendor not in SUFFIXES:
        raise BackupError(f"Backups are made of SQLite and PostgreSQL databases, not {vendor}.")
    return vendor


def database_named() -> str:
    """The configured database in words: what a restore would replace."""
    params = connections[DEFAULT_DB_ALIAS].settings_dict
    if engine() == SQLITE:
        return f"the SQLite database {params['NAME']}"
    where = f"{params.get('HOST') or 'localhost'}:{params.get('PORT') or 5432}"
    return f"the PostgreSQL database {params['NAME']} at {where}"


def back_up(directory: Path) -> Path:
    """A new backup of the configured database in `directory`; its path."""
    kind = engine()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Cannot create the backup folder {directory}: {exc.strerror}.") from None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    final = directory / f"billbridge-{stamp}{SUFFIXES[kind]}"
    if final.exists():
        raise BackupError(f"{final} already exists; wait a second and back up again.")
    try:
        handle, name = tempfile.mkstemp(dir=directory, prefix=f".{final.name}.", suffix=".partial")
    except OSError as exc:
        raise BackupError(
            f"Cannot write in the backup folder {directory}: {exc.strerror}."
        ) from None
    os.close(handle)
    partial = Path(name)
    try:
        (_copy_sqlite if kind == SQLITE else _dump_postgresql)(partial)
        _sync(partial)
        os.replace(partial, final)
    except OSError as exc:
        raise BackupError(f"Cannot write the backup {final}: {exc.strerror}.") from None
    finally:
        partial.unlink(missing_ok=True)
    return final


def restore(path: Path) -> None:
    """Replace the configured database's content with the backup at `path`."""
    kind = engine()
    found = kind_of(path)
    if found != kind:
        what = _KIND_NAMES[found] if found else "neither a SQLite database nor a PostgreSQL dump"
        raise BackupError(
            f"{path} is {what}, but the configured database is {_ENGINES[kind]}, which "
            f"restores only from {_KIND_NAMES[kind]}."
        )
    (_restore_sqlite if kind == SQLITE else _restore_postgresql)(path)


def kind_of(path: Path) -> str | None:
    """SQLITE or POSTGRESQL by the file's first bytes; None for anything else."""
    try:
        with path.open("rb") as file:
            start = file.read(16)
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror}.") from None
    return next((kind for kind, magic in _MAGIC.items() if start.startswith(magic)), None)


def _copy_sqlite(partial: Path) -> None:
    source = connections[DEFAULT_DB_ALIAS]
    source.ensure_connection()
    copy = sqlite3.connect(partial)
    try:
        # The whole database in one step (pages=-1), read in a single read transaction: the copy
        # is one moment's state. In WAL mode a reader blocks no writer, so the server goes on.
        source.connection.backup(copy)
        # One self-contained file: no -wal beside it for a later copy to leave behind.
        copy.execute("PRAGMA journal_mode=DELETE")
        problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
    except sqlite3.Error as exc:
        raise BackupError(f"The SQLite backup failed: {exc}.") from None
    finally:
        copy.close()
    if problems != ["ok"]:
        raise BackupError(f"The backup copy failed SQLite's integrity check: {problems[0]}.")


def _restore_sqlite(path: Path) -> None:
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        problem = source.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise BackupError(f"{path} is damaged (SQLite's check says: {problem}); not restored.")
        target = connections[DEFAULT_DB_ALIAS]
        target.ensure_connection()
        # Through SQLite's own locking and WAL, not by renaming a file over the database: a
        # renamed-in file would sit beside the old database's -wal and -shm, which SQLite could
        # replay into it, and a process still running would go on with the old file. Here
        # every other connection sees either the old database or the restored one, whole.
        source.backup(target.connection)
    except sqlite3.Error as exc:
        raise BackupError(f"The SQLite restore failed: {exc}.") from None
    finally:
        source.close()


def _dump_postgresql(partial: Path) -> None:
    name = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
    _run("pg_dump", "--format=custom", f"--file={partial}", f"--dbname={name}")


def _restore_postgresql(path: Path) -> None:
    name = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
    # Our own connections hold no lock that the restore's DROPs would wait for.
    connections.close_all()
    # One transaction: a restore that fails part-way leaves the database as it was.
    _run(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        f"--dbname={name}",
        str(path),
    )


def _run(program: str, *arguments: str) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} is not installed or not on PATH: install PostgreSQL's client tools "
            "(the server's major version or newer)."
        )
    # Our own arguments, no shell: nothing a user typed reaches this command line.
    done = subprocess.run(  # noqa: S603
        [executable, *arguments], env=_libpq_environment(), capture_output=True, text=True
    )
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.strip()]
        raise BackupError(f"{program} failed: {said[0] if said else f'exit {done.returncode}'}")


def _libpq_environment() -> dict[str, str]:
    """The connection settings as libpq's variables: the password never on a command line,
    where any user of the machine could read it in the process list."""
    params = connections[DEFAULT_DB_ALIAS].settings_dict
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", params.get("HOST")),
        ("PGPORT", params.get("PORT")),
        ("PGUSER", params.get("USER")),
        ("PGPASSWORD", params.get("PASSWORD")),
        ("PGSSLMODE", params.get("OPTIONS", {}).get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _sync(path: Path) -> None:
    """On disk before it gets its final name, so a crash never leaves a short file named as a
    backup."""
    with path.open("rb") as file:
        os.fsync(file.fileno())
