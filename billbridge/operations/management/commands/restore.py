"""`manage.py restore PATH --yes`: replace the database's content with a backup."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billbridge.operations import backup, readiness


class Command(BaseCommand):
    help = (
        "Replace the configured database's content with a backup made by `manage.py backup` "
        "(a .sqlite3 file for SQLite, a .dump for PostgreSQL). Stop the web server and the "
        "workers first. The QuickBooks tokens in it are readable only with the QBO_TOKEN_KEYS "
        "they were encrypted under. An older backup needs `manage.py migrate` afterwards."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The backup file.")
        parser.add_argument(
            "--yes", action="store_true", help="Do it: everything in the database is replaced."
        )

    def handle(self, *args, path, yes, **options):
        try:
            replaced = backup.database_named()
            if not yes:
                raise CommandError(
                    f"This would replace everything in {replaced} with {path}; add --yes to do it."
                )
            backup.restore(path)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Restored {path} into {replaced}.")
        pending = readiness.migrations_problem()
        if pending:
            self.stdout.write(
                f"{pending}: the backup is older than this version. Run `manage.py migrate` "
                "before starting the site."
            )
        else:
            self.stdout.write("All migrations are applied.")
