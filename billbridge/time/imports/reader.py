"""Reads a time tool's CSV export into rows, one at a time (formats.py says what each export
looks like).

It streams throughout: bytes are read a line at a time, decoded as they come, split into CSV
records and parsed one by one, so memory does not grow with the file, bar one number per
distinct row (_Occurrences). Problems with a row are the row's (ParsedRow.errors); problems
with the file stop the reading (ImportRefused). Nothing here looks at the database: whether a
person or a client is known is the service's business.
"""

import codecs
import csv
import datetime
import functools
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from billbridge.core.errors import InvalidInput
from billbridge.time.imports.formats import BILLABLE_WORDS, FORMATS, Duration, Format
from billbridge.time.values import MINUTES_PER_DAY

MAX_ROWS = 50_000
MAX_LINE_CHARS = 100_000
# Bytes asked of the stream at a time: a longer line comes in several pieces.
_PIECE_BYTES = 64 * 1024
# Seconds, as Decimals.
_NONE, _HALF_A_MINUTE, _A_MINUTE = Decimal(0), Decimal(30), Decimal(60)
_OVER_A_DAY = Decimal(MINUTES_PER_DAY * 60 + 30)  # and more rounds to over 24 hours


class ImportRefused(InvalidInput):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One time entry as the export has it.

    line is the row number a spreadsheet shows (the header is 1): a line break inside a quoted
    cell does not start a new row, and blank rows count though they yield nothing.

    source_id identifies the entry to later imports: the tool's id when it exports one (none
    of the three does, formats.py), otherwise "<digest>-<n>", where the digest (32 hex
    characters) is of what the row says — tool, person, email, client, project, task, date,
    minutes, description, billable — and n counts the rows saying exactly that so far in the
    file. The same file read twice gives the same ids, as does a later export that repeats the
    same rows, whatever its columns' order or extra columns; two identical rows in one file
    are told apart by their order.
    """

    line: int
    source: str
    source_id: str
    person_name: str
    person_email: str
    client_name: str
    project_name: str
    work_code_name: str  # the task, else the project when the task is empty
    date: datetime.date | None
    minutes: int | None  # rounded to the nearest minute, half up
    description: str
    billable: bool
    errors: tuple[str, ...]  # what is wrong with the row, in words naming the column


def read_rows(stream: BinaryIO, fmt: str) -> Iterator[ParsedRow]:
    """The rows of the CSV export in `stream` (bytes), for fmt "harvest", "toggl" or
    "clockify". The header is read and checked now, so a file that is empty, undecodable or
    not that format's export raises ImportRefused before any row is yielded.

    Later problems with the file raise ImportRefused while iterating, after earlier rows were
    yielded: a row past MAX_ROWS (raised on reaching the 50,001st), text that stops being
    UTF-8 (or UTF-16), a line over MAX_LINE_CHARS characters, a cell past the CSV field size
    limit. The caller stores the rows of a file only once all have been read, or stores them
    in a transaction that such an error rolls back, so that a refused file adds nothing.
    """
    spec = _format(fmt)
    records = _records(stream)
    for _, header in records:
        if any(header):
            columns = check_header(header, fmt)
            return _rows(spec, columns, header, records)
    raise ImportRefused("The file is empty; export the report again and choose that file")


def check_header(header: Sequence[str], fmt: str) -> dict[str, int]:
    """Where each of the format's columns is in the header, by the name formats.py gives it
    (matched without regard to case or surrounding spaces). Raises ImportRefused naming the
    columns that are missing, and the tool whose export it is when it fits another format."""
    spec = _format(fmt)
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        found.setdefault(_key(name), index)
    durations = [d.column for d in spec.durations if _key(d.column) in found]
    missing = [column for column in spec.required if _key(column) not in found]
    if not durations:
        missing.append(" or ".join(d.column for d in spec.durations))
    if missing:
        plural = "s" if len(missing) > 1 else ""
        message = (
            f"The file is not a {spec.name} export: it has no {', '.join(missing)} column{plural}"
        )
        fits = [
            other.name for other in FORMATS.values() if other is not spec and _fits(other, found)
        ]
        if fits:
            message += f". This looks like a {fits[0]} export; import it as {fits[0]}"
        raise ImportRefused(message)
    return {column: found[_key(column)] for column in (*spec.required, *durations)}


def _format(fmt: str) -> Format:
    try:
        return FORMATS[fmt]
    except KeyError:
        names = ", ".join(spec.name for spec in FORMATS.values())
        raise ImportRefused(f'"{fmt}" is not a format this can import: {names}') from None


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _fits(spec: Format, found: dict[str, int]) -> bool:
    return all(_key(c) in found for c in spec.required) and any(
        _key(d.column) in found for d in spec.durations
    )


def _rows(
    spec: Format,
    columns: dict[str, int],
    header: list[str],
    records: Iterator[tuple[int, list[str]]],
) -> Iterator[ParsedRow]:
    rows = _RowReader(spec, columns, header)
    count = 0
    for line, cells in records:
        # Spreadsheets leave blank rows, or rows of empty cells, at the end of a sheet.
        if not any(cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise ImportRefused(
                f"The file has more than {MAX_ROWS:,} rows; split it and import each part"
            )
        yield rows.parse(line, cells)


class _RowReader:
    """Reads the rows of one file, set up once from its header. This is where a 50,000-row
    file spends its time, so a row is read with plain lookups and no function made per row."""

    def __init__(self, spec: Format, columns: dict[str, int], header: list[str]) -> None:
        self.spec = spec
        self.columns = columns
        self.width = len(header)
        self.labels = {column: header[index].strip() for column, index in columns.items()}
        self.durations = [d for d in spec.durations if d.column in columns]
        self.occurrences = _Occurrences()

    def cell(self, cells: list[str], column: str) -> str:
        return cells[self.columns[column]].strip()

    def parse(self, line: int, cells: list[str]) -> ParsedRow:
        spec, labels, errors = self.spec, self.labels, []
        if len(cells) != self.width:
            # Trailing empty cells are a spreadsheet's padding, not a shifted row.
            if len(cells) < self.width or any(cells[self.width :]):
                errors.append(f"The row has {len(cells)} cells where the header has {self.width}")
            cells = (cells + [""] * self.width)[: self.width]

        person_name = " ".join([self.cell(cells, column) for column in spec.person]).strip()
        if not person_name:
            names = " and ".join(labels[column] for column in spec.person)
            errors.append(f"{names} {'are' if len(spec.person) > 1 else 'is'} empty")
        person_email = self.cell(cells, spec.email) if spec.email else ""
        client_name = self.cell(cells, spec.client)
        if not client_name:
            errors.append(f"{labels[spec.client]} is empty")
        project_name = self.cell(cells, spec.project)
        task_name = self.cell(cells, spec.task)
        description = self.cell(cells, spec.description)
        date_text = self.cell(cells, spec.date)
        date = _date(spec, date_text, labels[spec.date], errors)
        minutes, duration_text = self.minutes(cells, errors)
        billable_text = self.cell(cells, spec.billable)
        billable = BILLABLE_WORDS.get(billable_text.casefold())
        if billable is None:
            errors.append(f'{labels[spec.billable]} "{billable_text}" is not Yes or No')

        # What the row says, as read rather than as written where it could be read, so that an
        # export writing its dates or durations another way gives the same ids.
        content = (
            spec.key,
            person_name,
            person_email,
            client_name,
            project_name,
            task_name,
            date.isoformat() if date else date_text,
            str(minutes) if minutes is not None else duration_text,
            description,
            "billable" if billable else "not billable",
        )
        digest = hashlib.blake2b("\x1f".join(content).encode(), digest_size=16).digest()
        return ParsedRow(
            line=line,
            source=spec.key,
            source_id=f"{digest.hex()}-{self.occurrences.count(digest)}",
            person_name=person_name,
            person_email=person_email,
            client_name=client_name,
            project_name=project_name,
            work_code_name=task_name or project_name,
            date=date,
            minutes=minutes,
            description=description,
            billable=bool(billable),
            errors=tuple(errors),
        )

    def minutes(self, cells: list[str], errors: list[str]) -> tuple[int | None, str]:
        """The row's duration in minutes (None when it has a problem) and the text it was read
        from: the first of the format's duration columns with a value."""
        for duration in self.durations:
            text = self.cell(cells, duration.column)
            if text:
                break
        else:
            errors.append(f"{self.labels[self.durations[0].column]} is empty")
            return None, ""
        minutes = _duration_minutes(duration, text)
        if isinstance(minutes, str):
            errors.append(f'{self.labels[duration.column]} "{text}" {minutes}')
            return None, text
        return minutes, text


# An export repeats its durations, as it does its dates: the cache spares reading them again.
@functools.lru_cache(maxsize=4096)
def _duration_minutes(duration: Duration, text: str) -> int | str:
    """The minutes in a duration's text, or what is wrong with it."""
    try:
        seconds = duration.read(text)
    except ValueError:
        return f"is not a duration (expected {duration.expected})"
    if seconds < _NONE:
        return "is negative"
    if seconds >= _OVER_A_DAY:
        return "is more than 24 hours in one row"
    if seconds == _NONE:
        return "is zero"
    if seconds < _HALF_A_MINUTE:
        return "is under half a minute, which rounds to zero"
    # Half up: 30 seconds and more make a minute. Exact, as seconds is a Decimal.
    return int((seconds + _HALF_A_MINUTE) // _A_MINUTE)


def _date(spec: Format, text: str, label: str, errors: list[str]) -> datetime.date | None:
    if not text:
        errors.append(f"{label} is empty")
        return None
    date = _read_date(text, spec.date_patterns)
    if date is None:
        errors.append(f'{label} "{text}" is not a date (expected {spec.date_expected})')
    return date


# An export repeats a few hundred dates at most, and strptime is the slowest step of a row.
@functools.lru_cache(maxsize=4096)
def _read_date(text: str, patterns: tuple[str, ...]) -> datetime.date | None:
    for pattern in patterns:
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


class _Occurrences:
    """How often each row's content has come up so far in the file: the one thing that grows
    with the file, by one 64-bit number per distinct row (about 70 bytes in a set)."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._repeats: dict[int, int] = {}

    def count(self, digest: bytes) -> int:
        key = int.from_bytes(digest[:8], "big")
        if key not in self._seen:
            self._seen.add(key)
            return 1
        self._repeats[key] = self._repeats.get(key, 1) + 1
        return self._repeats[key]


class _Undecodable(Exception):
    def __init__(self, encoding: str, byte: int, position: int):
        super().__init__(encoding, byte, position)
        self.encoding, self.byte, self.position = encoding, byte, position


class _LineTooLong(Exception):
    pass


def _records(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """The file's CSV records with their spreadsheet row numbers. A problem in reading the text
    is raised as ImportRefused naming the row it was met in."""
    reader = csv.reader(_lines(stream))
    line = 0
    while True:
        line += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except _Undecodable as error:
            raise ImportRefused(
                f"The file is not {error.encoding} text (byte 0x{error.byte:02X} at position "
                f"{error.position}, line {line}); export it again as CSV UTF-8"
            ) from None
        except _LineTooLong:
            raise ImportRefused(
                f"Line {line} is longer than {MAX_LINE_CHARS:,} characters; "
                "this does not look like a time export"
            ) from None
        except csv.Error as error:
            # Mostly a quote opened in a cell and never closed, which runs to the field limit.
            raise ImportRefused(
                f"Line {line} cannot be read as CSV ({error}); "
                "check for a cell with an opening quote and no closing one"
            ) from None
        yield line, cells


def _lines(stream: BinaryIO) -> Iterator[str]:
    """The file's text, a line at a time with its line ending (as csv wants it), decoded as it
    is read: UTF-8 with or without a byte-order mark, or UTF-16 with one. Raises _Undecodable
    with the offending byte's position (from 0, in the file's bytes) and _LineTooLong."""
    head = stream.read(len(codecs.BOM_UTF8))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, piece, position = "UTF-16", head, 0  # the decoder reads the mark
    elif head == codecs.BOM_UTF8:
        encoding, piece, position = "UTF-8", b"", len(head)
    else:
        encoding, piece, position = "UTF-8", head, 0
    decoder = codecs.getincrementaldecoder(encoding)()
    text = ""
    while True:
        piece += stream.readline(_PIECE_BYTES)
        try:
            text += decoder.decode(piece, final=not piece)
        except UnicodeDecodeError as error:
            # The error counts from the bytes the decoder held back from the last piece.
            held = len(decoder.getstate()[0])
            position += error.start - held
            raise _Undecodable(encoding, error.object[error.start], position) from None
        position += len(piece)
        # A UTF-16 piece ends at any 0x0A byte, not only at a line's end, so the text is
        # split here. A UTF-8 piece is one whole line, which the slice gives back uncopied.
        start = 0
        while end := text.find("\n", start) + 1:
            if end - start > MAX_LINE_CHARS + 1:
                raise _LineTooLong
            yield text[start:end]
            start = end
        text = text[start:]
        if len(text) > MAX_LINE_CHARS:
            raise _LineTooLong
        if not piece:
            if text:
                yield text
            return
        piece = b""
