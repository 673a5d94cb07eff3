"""Import time from a Harvest, Toggl Track or Clockify CSV export, as one member: the preview
first (its counts, the names that match nothing and the rows in error), then the store."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billbridge.core.errors import InvalidInput, ServiceError
from billbridge.practice.models import Membership
from billbridge.time.imports import store
from billbridge.time.imports.formats import FORMATS
from billbridge.time.imports.names import SKIP, Directory, Kind, Mappings, name_key

REFUSED, BAD_ARGUMENTS = 1, 2


class Command(BaseCommand):
    help = (
        "Import time entries from a Harvest, Toggl Track or Clockify CSV export (a detailed "
        "report), as the member --user, whose permissions apply: someone else's time needs "
        "Process time. The preview is printed first: the rows ready, already imported (a row "
        "imported before adds nothing), skipped, with a name that matches no member, client or "
        "work code, and in error (each with its line and reasons). Then the ready rows are "
        "stored, all in one go, unless a row is in error or has an unmatched name: then "
        "nothing is stored, unless --skip-errors is given, which stores the ready rows and "
        "leaves the others out. Exit status: 0 when stored (or, with --dry-run, when it would "
        "be), 1 when refused, 2 for bad arguments."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file.")
        parser.add_argument(
            "--format",
            required=True,
            choices=sorted(FORMATS),
            dest="fmt",
            help="The tool the file was exported from.",
        )
        parser.add_argument("--user", required=True, help="The member who imports (username).")
        parser.add_argument(
            "--map-person",
            action="append",
            default=[],
            metavar="NAME=USERNAME",
            help="The member a person of the file is, named by email when the file gives one "
            "(Toggl Track, Clockify), else by name. An empty USERNAME skips that person's rows. "
            "Each --map-… option can be repeated, once a name; the preview prints the option to "
            "give for each name that matches nothing.",
        )
        parser.add_argument(
            "--map-client",
            action="append",
            default=[],
            metavar="NAME=CLIENT",
            help="The client a client name of the file is (an empty CLIENT skips its rows).",
        )
        parser.add_argument(
            "--map-work-code",
            action="append",
            default=[],
            metavar="NAME=CODE",
            help="The work code a task (or, with no task, project) of the file is (an empty "
            "CODE skips its rows).",
        )
        parser.add_argument(
            "--skip-errors",
            action="store_true",
            help="Store the ready rows even when others are in error or unmatched.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the preview only; store nothing."
        )

    def handle(self, *args, file, fmt, user, skip_errors, dry_run, **options):
        membership = self._membership(user)
        mappings = self._mappings(membership, options)
        if not file.is_file():
            raise CommandError(f"No file {file}.", returncode=BAD_ARGUMENTS)
        try:
            with file.open("rb") as stream:
                preview = store.preview(membership, stream, fmt, mappings)
        except InvalidInput as exc:  # the file as a whole (ImportRefused)
            raise _refused(exc) from exc
        self._print(file, preview)
        problems = preview.in_error + preview.unmatched
        if problems and not skip_errors:
            raise CommandError(
                f"Nothing was stored: {_many(problems, 'row')} in error or with a name that "
                "matches nothing. Fix the file or map the names, or give --skip-errors to store "
                "the ready rows only.",
                returncode=REFUSED,
            )
        if dry_run:
            self.stdout.write(f"Dry run: {_many(preview.ready, 'entry')} would be stored.")
            return
        try:
            with file.open("rb") as stream:
                result = store.import_file(membership, stream, fmt, mappings, file_name=file.name)
        except ServiceError as exc:
            raise _refused(exc) from exc
        self.stdout.write(self.style.SUCCESS(f"Stored {_many(result.stored, 'entry')}."))

    def _membership(self, username: str) -> Membership:
        membership = (
            Membership.objects.select_related("practice", "user")
            .filter(user__username=username, user__is_active=True)
            .first()
        )
        if membership is None:
            raise CommandError(f"No active member named {username!r}.", returncode=BAD_ARGUMENTS)
        return membership

    def _mappings(self, membership: Membership, options) -> Mappings:
        """The --map-… options as Mappings, each target found in the practice."""
        directory = Directory(membership.practice)
        find = {
            Kind.PERSON: ("map_person", directory.username, "member with the username"),
            Kind.CLIENT: ("map_client", directory.client, "client named"),
            Kind.WORK_CODE: ("map_work_code", directory.work_code, "work code named"),
        }
        mappings = Mappings()
        for kind, (option, lookup, words) in find.items():
            for text in options[option]:
                name, equals, target = text.partition("=")
                if not equals or not name.strip():
                    raise CommandError(
                        f"--{option.replace('_', '-')} {text!r}: write NAME=VALUE.",
                        returncode=BAD_ARGUMENTS,
                    )
                key = name_key(name)
                if not target.strip():
                    mappings.of(kind)[key] = SKIP
                    continue
                found = lookup(target)
                if found is None:
                    raise CommandError(
                        f"--{option.replace('_', '-')} {text!r}: no {words} {target.strip()!r} "
                        f"in {membership.practice} (or more than one).",
                        returncode=BAD_ARGUMENTS,
                    )
                mappings.of(kind)[key] = found
        return mappings

    def _print(self, file: Path, preview: store.Preview) -> None:
        out = self.stdout.write
        out(
            f"{file.name} ({FORMATS[preview.format].name}): {_many(preview.rows, 'row')}: "
            f"{preview.ready:,} ready, {preview.already_imported:,} already imported, "
            f"{preview.skipped:,} skipped, {preview.unmatched:,} with a name that matches "
            f"nothing, {preview.in_error:,} in error."
        )
        unmatched = [name for name in preview.unknown if name.choice is None]
        if unmatched:
            out(
                "Names that match nothing (map them with --map-person, --map-client or "
                "--map-work-code):"
            )
            for name in unmatched:
                option = f'--map-{name.kind.replace("_", "-")} "{name.key}=…"'
                out(f'  {name.kind.label} "{name.label}": {_many(name.rows, "row")} ({option})')
        for error in preview.errors:
            out(f"line {error.line}: {'; '.join(error.reasons)}")
        if preview.errors_not_shown:
            out(f"… and {_many(preview.errors_not_shown, 'more row')} in error.")


def _refused(exc: ServiceError) -> CommandError:
    return CommandError(f"{exc.message.rstrip('.')}. Nothing was stored.", returncode=REFUSED)


def _many(count: int, word: str) -> str:
    plural = word.removesuffix("y") + "ies" if word.endswith("y") else word + "s"
    return f"{count:,} {word if count == 1 else plural}"
