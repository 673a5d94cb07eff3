"""Importing a time tool's CSV export (reader.py) as the practice's time entries: the preview of
what a file would add, and the import that stores it, both reading the file through the same
steps so that the import stores exactly what the preview said would be ready.

Each row becomes one of: in error (the reader's problems, the entry rules of
services.entry_fields, or someone else's time without Process time), already imported (its
source and source_id are stored in the practice: it adds nothing), unmatched (a name matches
no member, client or work code and has no mapping, names.py), skipped (a name is mapped to
"skip"), or ready. The import stores the ready rows in one transaction, so a problem with the
file met halfway (the 50,001st row, text that stops being UTF-8) stores nothing at all.

The practice's members, clients, work codes and rates are read once; the rows are read a
batch at a time, and for each batch one query finds its rows already imported and one reads
the day totals of dates not met before. Entries are stored a batch at a time too, so memory
stays flat however long the file.
"""

import datetime
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.db.models import Sum

from billbridge.core.errors import InvalidInput, TransitionRefused
from billbridge.practice.models import Membership
from billbridge.time import services
from billbridge.time.imports.names import (
    NO_WORK_CODE,
    SKIP,
    Choice,
    Directory,
    Kind,
    Mappings,
    name_key,
    person_key,
    person_label,
)
from billbridge.time.imports.reader import ParsedRow, read_rows
from billbridge.time.models import Entry, EntryChange, EntryKind, WorkCode
from billbridge.time.values import hours

# Rows read, checked and stored together. Under 999 (SQLite's historical limit on a query's
# parameters), as a batch's source ids are looked up in one IN list.
BATCH_ROWS = 900
ERRORS_KEPT = 200


@dataclass(frozen=True)
class RowError:
    line: int
    reasons: tuple[str, ...]


@dataclass
class UnknownName:
    """A name of the file that matches nothing in the practice, with the choice made for it
    (None: none yet) and how many of the file's rows carry it."""

    kind: Kind
    key: str
    label: str
    choice: Choice | None
    rows: int = 0


@dataclass
class Preview:
    """What a file adds: how many rows, how many of each kind, the first ERRORS_KEPT rows in
    error and the names that need a choice."""

    format: str
    rows: int = 0
    ready: int = 0
    already_imported: int = 0
    unmatched: int = 0
    skipped: int = 0
    in_error: int = 0
    minutes_ready: int = 0
    value_ready: Decimal = Decimal("0.00")  # at the rates in force on the rows' dates
    errors: list[RowError] = field(default_factory=list)
    unknown: list[UnknownName] = field(default_factory=list)

    @property
    def hours_ready(self) -> Decimal:
        return hours(self.minutes_ready)

    @property
    def errors_not_shown(self) -> int:
        return self.in_error - len(self.errors)

    @property
    def not_stored(self) -> int:
        """Rows that are neither ready nor already imported."""
        return self.unmatched + self.skipped + self.in_error


@dataclass(frozen=True)
class ImportResult:
    stored: int
    preview: Preview  # the file as it was when stored


def preview(
    membership: Membership, stream: BinaryIO, fmt: str, mappings: Mappings | None = None
) -> Preview:
    """What importing the file in `stream` (bytes) as `fmt` would add; stores nothing. Raises
    ImportRefused for a file that cannot be imported, InvalidInput for a mapping to something
    not the practice's."""
    return _Import(membership, fmt, mappings or Mappings()).read(stream)


def import_file(
    membership: Membership,
    stream: BinaryIO,
    fmt: str,
    mappings: Mappings | None = None,
    *,
    file_name: str = "",
) -> ImportResult:
    """Stores the ready rows of the file as time entries of the practice, each with its
    source and source_id and an "imported" line of history naming `file_name`, in one
    transaction. Raises as preview() does, and stores nothing then."""
    run = _Import(membership, fmt, mappings or Mappings(), file_name=file_name, store=True)
    try:
        with transaction.atomic():
            read = run.read(stream)
    except IntegrityError:
        # Only another import storing the same rows at the same moment gets here: the rows
        # already imported are looked for in the same transaction.
        raise TransitionRefused(
            "Some of these rows were imported by someone else at the same time, so nothing was "
            "stored. Preview the file again to see what it would still add."
        ) from None
    return ImportResult(read.ready, read)


class _Facts:
    """services.PracticeFacts read once for the file: the day totals of the dates met so
    far, with the file's ready rows added to them as they are accepted."""

    def __init__(self, practice, directory: Directory) -> None:
        self.practice = practice
        self.directory = directory
        self.days: dict[tuple[int, datetime.date], int] = {}
        self.dates: set[datetime.date] = set()

    def load(self, dates: Iterable[datetime.date]) -> None:
        new = set(dates) - self.dates
        if not new:
            return
        self.dates |= new
        totals = (
            Entry.objects.filter(practice=self.practice, kind=EntryKind.TIME, date__in=new)
            .order_by()
            .values_list("staff_id", "date")
            .annotate(total=Sum("minutes"))
        )
        for staff_id, date, total in totals:
            self.days[staff_id, date] = total

    def add(self, staff_id: int, date: datetime.date, minutes: int) -> None:
        self.days[staff_id, date] = self.days.get((staff_id, date), 0) + minutes

    def is_member(self, staff_id: int) -> bool:
        return staff_id in self.directory.members

    def is_client(self, client_id: int) -> bool:
        return client_id in self.directory.clients

    def work_code(self, work_code_id: int) -> WorkCode | None:
        return self.directory.work_codes.get(work_code_id)

    def minutes_recorded(self, staff_id: int, date: datetime.date, entry: Entry | None) -> int:
        return self.days.get((staff_id, date), 0)


class _Names:
    """Resolves a row's names to ids: its mapping first, else the directory's match. Each
    distinct name is matched once; those that match nothing are listed for a choice."""

    def __init__(self, directory: Directory, mappings: Mappings) -> None:
        self.directory = directory
        self.mappings = mappings
        self.matched: dict[tuple[Kind, str], int | None] = {}
        self.unknown: dict[tuple[Kind, str], UnknownName] = {}

    def choice(self, kind: Kind, key: str, label: str, match) -> Choice | None:
        """The row's id for that name, SKIP, NO_WORK_CODE, or None (not matched)."""
        if (kind, key) not in self.matched:
            self.matched[kind, key] = match()
        found = self.matched[kind, key]
        chosen = self.mappings.of(kind).get(key, found)
        if found is None:
            unknown = self.unknown.get((kind, key))
            if unknown is None:
                unknown = self.unknown[kind, key] = UnknownName(kind, key, label, chosen)
            unknown.rows += 1
        return chosen

    def of(self, row: ParsedRow) -> tuple[Choice | None, Choice | None, Choice | None]:
        directory = self.directory
        person = self.choice(
            Kind.PERSON,
            person_key(row.person_name, row.person_email),
            person_label(row.person_name, row.person_email),
            lambda: directory.person(row.person_name, row.person_email),
        )
        client = self.choice(
            Kind.CLIENT,
            name_key(row.client_name),
            row.client_name,
            lambda: directory.client(row.client_name),
        )
        work_code: Choice | None = NO_WORK_CODE
        if row.work_code_name:
            work_code = self.choice(
                Kind.WORK_CODE,
                name_key(row.work_code_name),
                row.work_code_name,
                lambda: directory.work_code(row.work_code_name),
            )
        return person, client, work_code

    def listed(self) -> list[UnknownName]:
        return sorted(self.unknown.values(), key=lambda u: (list(Kind).index(u.kind), u.key))


class _Import:
    """One reading of a file: counts every row, and when storing, stores the ready ones."""

    def __init__(
        self,
        membership: Membership,
        fmt: str,
        mappings: Mappings,
        *,
        file_name: str = "",
        store: bool = False,
    ) -> None:
        self.membership = membership
        self.practice = membership.practice
        self.fmt = fmt
        self.file_name = file_name
        self.store = store
        directory = Directory(self.practice)
        directory.check(mappings)
        self.directory = directory
        self.names = _Names(directory, mappings)
        self.facts = _Facts(self.practice, directory)
        self.rules = services.rules_of(self.practice)
        self.preview = Preview(format=fmt)

    def read(self, stream: BinaryIO) -> Preview:
        rows = read_rows(stream, self.fmt)
        while batch := list(itertools.islice(rows, BATCH_ROWS)):
            self.batch(batch)
        self.preview.unknown = self.names.listed()
        return self.preview

    def batch(self, rows: list[ParsedRow]) -> None:
        readable = [row for row in rows if not row.errors]
        already = set(
            Entry.objects.filter(
                practice=self.practice,
                source=self.fmt,
                source_id__in=[row.source_id for row in readable],
            ).values_list("source_id", flat=True)
        )
        self.facts.load(row.date for row in readable if row.source_id not in already)
        entries: list[tuple[Entry, int]] = []
        preview = self.preview
        for row in rows:
            preview.rows += 1
            if row.errors:
                self.error(row.line, row.errors)
            elif row.source_id in already:
                preview.already_imported += 1
            else:
                entry = self.entry(row)
                if entry is not None:
                    preview.ready += 1
                    preview.minutes_ready += entry.minutes
                    preview.value_ready += entry.value
                    if self.store:
                        entries.append((entry, row.line))
        if entries:
            self.save(entries)

    def entry(self, row: ParsedRow) -> Entry | None:
        """The row's entry when it is ready; otherwise counts it where it belongs."""
        person, client, work_code = self.names.of(row)
        choices = (person, client, work_code)
        if None in choices:
            self.preview.unmatched += 1
            return None
        if SKIP in choices:
            self.preview.skipped += 1
            return None
        if not services.may_change(self.membership, person):
            name = self.directory.member_name(person)
            self.error(
                row.line, (f"You need the “Process time” permission to import {name}'s time.",)
            )
            return None
        data = services.EntryInput(
            client_id=client,
            date=row.date,
            minutes=row.minutes,
            work_code_id=None if work_code == NO_WORK_CODE else work_code,
            description=row.description,
            billable=row.billable,
            staff_id=person,
        )
        try:
            fields = services.entry_fields(self.membership, data, self.facts)
        except InvalidInput as exc:
            self.error(row.line, _reasons(exc))
            return None
        self.facts.add(person, row.date, row.minutes)
        entry = Entry(practice=self.practice, source=self.fmt, source_id=row.source_id, **fields)
        services.apply_rate(entry, self.rules)
        return entry

    def error(self, line: int, reasons: tuple[str, ...]) -> None:
        self.preview.in_error += 1
        if len(self.preview.errors) < ERRORS_KEPT:
            self.preview.errors.append(RowError(line, reasons))

    def save(self, entries: list[tuple[Entry, int]]) -> None:
        # The ids bulk_create sets (SQLite 3.35+ and PostgreSQL return them) tie the history.
        Entry.objects.bulk_create([entry for entry, _ in entries])
        actor = self.membership.user
        EntryChange.objects.bulk_create(
            EntryChange(
                entry=entry,
                actor=actor,
                action="imported",
                note=f"{self.file_name}, line {line}" if self.file_name else f"line {line}",
            )
            for entry, line in entries
        )


def _reasons(exc: InvalidInput) -> tuple[str, ...]:
    """Every problem the entry rules found, in their words; one alone in its full sentence."""
    messages = [message for field in exc.field_errors.values() for message in field]
    return tuple(messages) if len(messages) > 1 else (exc.message,)
