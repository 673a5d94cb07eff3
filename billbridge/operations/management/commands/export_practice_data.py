"""`manage.py export_practice_data --practice ID|NAME --out FILE.zip`: a practice's own data."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billbridge.operations import archive
from billbridge.practice.models import Practice


class Command(BaseCommand):
    help = (
        "Write one practice's data (clients, invoices, lines, timelines, QuickBooks export "
        "history, work codes and time entries) as a ZIP of CSV and JSON files with a manifest. "
        "Only that practice's rows; never a token or password."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--practice", required=True, help="The practice's id, or its name (any case)."
        )
        parser.add_argument("--out", required=True, type=Path, help="The ZIP file to write.")

    def handle(self, *args, practice, out, **options):
        chosen = _practice(practice)
        # Under a temporary name until complete: a file named FILE.zip is a whole archive.
        partial = out.with_name(f".{out.name}.partial")
        try:
            with partial.open("wb") as file:
                manifest = archive.write_archive(chosen, file)
            os.replace(partial, out)
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}.") from None
        finally:
            partial.unlink(missing_ok=True)
        rows = sum(f["rows"] for f in manifest["files"] if f["name"].startswith("csv/"))
        self.stdout.write(f"Wrote {out}: {rows} rows of {chosen.name} (id {chosen.pk}).")


def _practice(wanted: str) -> Practice:
    if wanted.isdigit():
        found = Practice.objects.filter(pk=int(wanted)).first()
        if found is None:
            raise CommandError(f"No practice has the id {wanted}.")
        return found
    named = list(Practice.objects.filter(name__iexact=wanted.strip()).order_by("pk")[:5])
    if not named:
        raise CommandError(f"No practice is named {wanted!r}.")
    if len(named) > 1:
        ids = ", ".join(str(p.pk) for p in named)
        raise CommandError(f"Several practices are named {wanted!r} (ids {ids}); give the id.")
    return named[0]
