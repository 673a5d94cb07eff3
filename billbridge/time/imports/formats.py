"""What each tool's detailed-report CSV export looks like: which column holds what, and how its
dates, durations and billable flags are written.

Header names are matched without regard to case or surrounding spaces, and columns the reader
does not use (tags, rates, amounts with their currency in the name, "Hours Rounded", …) may be
there or not, so an export with more or fewer of them reads the same. None of the three exports
is documented to carry an id of the time entry, so no format names one: every row's source_id
is a digest of its content (reader.py).

Where each fact comes from is said beside it; UNCONFIRMED marks what no public source seen
confirms (it comes from exports seen in public code and from memory).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

SECONDS_PER_HOUR = 3600

_DECIMAL_HOURS = re.compile(r"-?\d+(?:[.,]\d+)?")
_CLOCK = re.compile(r"(-?)(\d+):([0-5]\d)(?::([0-5]\d))?")


def decimal_hours(text: str) -> Decimal:
    """Seconds in decimal hours, "1.5" or "1,5" (a comma where the export's locale uses one).
    Raises ValueError when the text is not that."""
    if not _DECIMAL_HOURS.fullmatch(text):
        raise ValueError(text)
    return Decimal(text.replace(",", ".")) * SECONDS_PER_HOUR


def clock(text: str) -> Decimal:
    """Seconds in "h:mm:ss" or "h:mm"; hours may pass 24 (the reader refuses such a row).
    Raises ValueError when the text is not that."""
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError(text)
    sign, hours, minutes, seconds = match.groups()
    total = int(hours) * SECONDS_PER_HOUR + int(minutes) * 60 + int(seconds or 0)
    return Decimal(-total if sign else total)


def decimal_hours_or_clock(text: str) -> Decimal:
    return clock(text) if ":" in text else decimal_hours(text)


# Billable flags: all three write Yes/No; true/false and 1/0 are what a spreadsheet may make of
# them. An empty cell is not billable, as an entry with no flag is in each tool.
BILLABLE_WORDS = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "": False,
}


# Compared and hashed as itself (eq=False): the reader caches by it.
@dataclass(frozen=True, eq=False)
class Duration:
    column: str
    read: Callable[[str], Decimal]  # the cell's text to seconds; ValueError when unreadable
    expected: str  # how the column is written, for a person reading an error


@dataclass(frozen=True)
class Format:
    key: str  # Entry.source
    name: str  # the tool as a person knows it
    date: str
    date_patterns: tuple[str, ...]  # strptime patterns, tried in order
    date_expected: str
    person: tuple[str, ...]  # the name's columns, joined with a space
    email: str | None
    client: str
    project: str
    task: str
    description: str
    durations: tuple[Duration, ...]  # a row's duration is the first of these it has a value in
    billable: str

    @property
    def required(self) -> tuple[str, ...]:
        """The columns a file must have: every one named, bar the durations (one will do)."""
        named = (
            self.date,
            *self.person,
            self.email,
            self.client,
            self.project,
            self.task,
            self.description,
            self.billable,
        )
        return tuple(column for column in named if column is not None)


# Harvest, Reports > Detailed time > Export > CSV.
# https://support.getharvest.com/hc/en-us/articles/360048685111 ("Importing and exporting data"):
# a detailed time report's CSV export can be imported back, its extra columns (rates, roles,
# start and end times) being ignored; the import's own columns are Date, Client, Project, Task,
# Notes, Hours (decimal, e.g. 7.5), First name, Last name. The export's full header —
# Date, Client, Project, Project Code, Task, Notes, Hours, Hours Rounded, Billable?, Invoiced?,
# Approved?, First Name, Last Name, Roles, Employee?, Billable Rate, Billable Amount, Cost Rate,
# Cost Amount, Currency, External Reference URL — is UNCONFIRMED ("Billable?" with its question
# mark included): it is what exports quoted in public code show. No email column is documented.
# Dates: YYYY-MM-DD in those exports (UNCONFIRMED by Harvest's docs, which give YYYY-MM-DD or
# M/D/YYYY for the import only). Hours as h:mm: an account can show time in hh:mm rather than
# decimal (http://www.getharvest.com/help/section/1, "How do I see my time in minutes format");
# whether its CSV then writes 1:30 is UNCONFIRMED, so both are read.
HARVEST = Format(
    key="harvest",
    name="Harvest",
    date="Date",
    date_patterns=("%Y-%m-%d",),
    date_expected="YYYY-MM-DD",
    person=("First Name", "Last Name"),
    email=None,
    client="Client",
    project="Project",
    task="Task",
    description="Notes",
    durations=(Duration("Hours", decimal_hours_or_clock, "decimal hours like 1.5, or h:mm"),),
    billable="Billable?",
)

# Toggl Track, Reports > Detailed > Export > Download CSV.
# https://support.toggl.com/import-and-export/csv-import/editing-and-uploading-a-csv-file:
# its CSV import takes the headers User, Email, Client, Project, Task, Description, Billable,
# Start date, Start time, Duration, Tags, and "the easiest way to see how your CSV file should
# look is to export a Detailed report into the CSV", with the profile's Duration format set to
# "Improved"; https://support.toggl.com/category/integrations/ (older): the import format "is
# basically the same that the detailed report CSV export gives out". That "Improved" writes
# hh:mm:ss (and that another setting would write something else) is UNCONFIRMED, from memory and
# exports in public code; so are End date, End time and "Amount (USD)" (the currency in the
# name), which are not read, and dates written YYYY-MM-DD.
TOGGL = Format(
    key="toggl",
    name="Toggl Track",
    date="Start date",
    date_patterns=("%Y-%m-%d",),
    date_expected="YYYY-MM-DD",
    person=("User",),
    email="Email",
    client="Client",
    project="Project",
    task="Task",
    description="Description",
    durations=(Duration("Duration", clock, "hh:mm:ss"),),
    billable="Billable",
)

# Clockify, Reports > Detailed > Export > Save as CSV.
# https://clockify.me/help/de/reports/exporting-reports (the German page of "Exporting
# reports"): the export holds project, client, description, task, user, email, tags, billable
# status, start date and time, end date and time, duration, billable rate and amount. The
# English header names, with "Group", "Duration (h)" (hh:mm:ss) and "Duration (decimal)"
# (hours to two places), "Billable Rate (USD)" and dates written MM/DD/YYYY (01/07/2021, times
# like 01:26:00 PM), are from an export published at
# https://gist.github.com/mdnurahmed/cd65d2d141f3b29d0fe1a47f130a5484. That the dates follow
# the person's date-format setting (MM/DD/YYYY by default) is UNCONFIRMED; YYYY-MM-DD is read
# too as it cannot be mistaken for another. "Duration (decimal)" is read first: it is written
# the same whatever the person's duration-format setting, at the cost of its two decimals, which
# keep whole minutes exact but can move an entry with seconds by a minute.
CLOCKIFY = Format(
    key="clockify",
    name="Clockify",
    date="Start Date",
    date_patterns=("%m/%d/%Y", "%Y-%m-%d"),
    date_expected="MM/DD/YYYY",
    person=("User",),
    email="Email",
    client="Client",
    project="Project",
    task="Task",
    description="Description",
    durations=(
        Duration("Duration (decimal)", decimal_hours, "decimal hours like 1.50"),
        Duration("Duration (h)", clock, "hh:mm:ss"),
    ),
    billable="Billable",
)

FORMATS = {spec.key: spec for spec in (HARVEST, TOGGL, CLOCKIFY)}
