"""`manage.py preflight`: refuse to start a process that could not work, with one line.

`make serve` and the systemd units run it before the server and workers start: the settings
load (a missing SECRET_KEY or QBO_TOKEN_KEYS, an http:// public URL in production are caught by
manage.py itself), the database answers, and no migration is left to apply.
"""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billbridge.operations import readiness


class Command(BaseCommand):
    help = "Check that the database answers, migrations are applied and the keys are valid."
    requires_system_checks = []  # a database that does not answer must not become a traceback

    def handle(self, *args, **options):
        problem = readiness.database_problem()
        if problem:
            raise CommandError(problem)
        pending = readiness.migrations_problem()
        if pending:
            raise CommandError(
                f"{pending}; run `manage.py migrate` before starting the new processes."
            )
        for number, key in enumerate(settings.QBO_TOKEN_KEYS, start=1):
            try:
                Fernet(key)
            except ValueError:
                raise CommandError(
                    f"QBO_TOKEN_KEYS: key {number} is not a Fernet key (32 url-safe base64 "
                    "bytes; make one as deploy/env.example shows)."
                ) from None
        self.stdout.write("Ready: the database answers, migrations are applied, keys are valid.")
