"""`manage.py backup [--to DIR]`: a backup of the whole database, safe while the site runs."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billbridge.operations import backup


class Command(BaseCommand):
    help = (
        "Back up the whole database while the site runs: SQLite with its online backup API "
        "(then an integrity check of the copy), PostgreSQL with pg_dump -Fc. Prints the "
        "backup's path. The Fernet keys in QBO_TOKEN_KEYS are NOT in the backup: keep them "
        "apart and safe, for without them the QuickBooks tokens in a backup cannot be read."
    )
    requires_system_checks = []  # a backup must not wait on checks that have nothing to do with it

    def add_arguments(self, parser):
        parser.add_argument(
            "--to",
            type=Path,
            default=None,
            metavar="DIR",
            help=f"Folder to write the backup in (default BACKUP_DIR: {settings.BACKUP_DIR}).",
        )

    def handle(self, *args, to, **options):
        try:
            path = backup.back_up(to or settings.BACKUP_DIR)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(path))
