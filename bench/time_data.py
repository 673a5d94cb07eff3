"""What the time benchmarks share (invoice_from_wip.py, wip_pages.py, import_time.py): Django
on a throwaway database, a practice with a rate card, and its time entries written fast.

The entries are written with bulk_create: they are the data a benchmark measures on, not a use
of the recording service (which its own tests cover), and recording 200,000 entries one by one
would take many minutes. They keep the services' rules all the same: dates up to today,
15 minutes to 2 hours each, nine hours per person per day (so two sets of entries for the same
people still stay under 24), each valued at the rate in force (services.rate_for,
values.value_of_time), as the service would have valued it.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billbridge.clients.models import Client
    from billbridge.practice.models import Membership, Practice
    from billbridge.time.models import WorkCode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORK_CODES = {
    "Bookkeeping": Decimal("120.00"),
    "Payroll": Decimal("95.00"),
    "Tax preparation": Decimal("175.00"),
    "Advisory": Decimal("210.00"),
}
# An entry's minutes cycle through 15, 30, … 120: a person's eight a day make nine hours.
ENTRIES_PER_DAY = 8
BATCH = 5000


def add_database_option(parser) -> None:
    parser.add_argument(
        "--database-url",
        help="measure on this PostgreSQL server (postgres://user@host:5432/name): a database "
        "test_<name> is made there and dropped afterwards; default: a temporary SQLite file",
    )


@contextlib.contextmanager
def fresh_database(database_url: str | None = None) -> Iterator[None]:
    """Django set up in this process on an empty, migrated database, removed on leaving:
    SQLite (WAL, as `make run` uses) in a temporary folder, or a database of its own on the
    PostgreSQL server that `database_url` names."""
    with tempfile.TemporaryDirectory(prefix="bench-time-") as var_dir:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="billbridge.settings",
            BILLBRIDGE_VAR_DIR=var_dir,
            TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend",
            DEBUG="false",  # as deployed: DEBUG keeps every query in memory
        )
        if database_url:
            os.environ["DATABASE_URL"] = database_url
        else:
            os.environ.pop("DATABASE_URL", None)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        if not database_url:
            call_command("migrate", verbosity=0)
            try:
                yield
            finally:
                connection.close()
            return
        named = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield
        finally:
            connection.creation.destroy_test_db(named, verbosity=0)


@dataclass
class BenchPractice:
    practice: Practice
    admin: Membership  # every permission, Owner of every client
    staff: list[Membership]  # the admin first
    clients: list[Client]
    codes: list[WorkCode]


def slug_of(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def person_name(practice_name: str, n: int) -> str:
    """The full name of make_practice's n-th member (what a time tool's export calls them)."""
    return f"Staff {n:03d} {practice_name}"


def person_email(practice_name: str, n: int) -> str:
    return f"staff{n:03d}@{slug_of(practice_name)}.example"


def client_name(practice_name: str, n: int) -> str:
    return f"Client {n:04d} {practice_name}"


def make_practice(name: str, *, staff: int, clients: int) -> BenchPractice:
    """A practice with `staff` members (the first of them its admin), `clients` clients, its
    tax settings, and the four WORK_CODES at their default rates, set through the services."""
    from django.contrib.auth import get_user_model

    from billbridge.clients.models import Client, ClientAssignment, ClientRole
    from billbridge.core import testing
    from billbridge.invoicing import services as invoicing
    from billbridge.practice.models import Membership
    from billbridge.time import rate_card

    practice = testing.make_practice(name)
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"{slug_of(name)}-{n:03d}",
            first_name="Staff",
            last_name=person_name(name, n).removeprefix("Staff "),
            email=person_email(name, n),
        )
        for n in range(staff)
    )
    members = Membership.objects.bulk_create(
        Membership(user=user, practice=practice, **(testing.ALL_PERMISSIONS if n == 0 else {}))
        for n, user in enumerate(users)
    )
    admin = members[0]
    client_rows = Client.objects.bulk_create(
        Client(practice=practice, name=client_name(name, n)) for n in range(clients)
    )
    ClientAssignment.objects.bulk_create(
        ClientAssignment(membership=admin, client=client, role=ClientRole.OWNER)
        for client in client_rows
    )
    # Set now, not by the first invoice made, which would count its queries.
    invoicing.update_tax_settings(
        admin, primary_name="Sales tax", primary_rate=Decimal("8"), primary_enabled=True
    )
    since = datetime.date(2020, 1, 1)
    codes = []
    for code_name, rate in WORK_CODES.items():
        code = rate_card.save_work_code(admin, rate_card.WorkCodeInput(code_name))
        rate_card.set_rate(admin, rate_card.RateInput(since, rate, work_code_id=code.pk))
        codes.append(code)
    return BenchPractice(practice, admin, members, client_rows, codes)


def workdays_back(end: datetime.date) -> Iterator[datetime.date]:
    day = end
    while True:
        if day.weekday() < 5:
            yield day
        day -= datetime.timedelta(days=1)


def write_entries(
    bench: BenchPractice,
    count: int,
    *,
    clients: list[Client] | None = None,
    billed_before: datetime.date | None = None,
) -> None:
    """`count` time entries for `clients` (default: all of the practice's), eight a day for
    each staff member on the working days back from today, clients and work codes taken in
    turn. Work dated before `billed_before` is billed: on a finalized invoice per client and
    month, one line per invoice, whose amount is its entries' value."""
    from django.utils import timezone

    from billbridge.time.models import Entry
    from billbridge.time.services import rate_for, rules_of
    from billbridge.time.values import value_of_time

    clients = clients or bench.clients
    rules = rules_of(bench.practice)
    rates = {}
    rows = []
    days = workdays_back(timezone.localdate())
    while len(rows) < count:
        day = next(days)
        for member in bench.staff:
            for _ in range(ENTRIES_PER_DAY):
                n = len(rows)
                if n == count:
                    break
                client = clients[n % len(clients)]
                code = bench.codes[(n // len(clients)) % len(bench.codes)]
                key = (member.pk, client.pk, code.pk, day)
                if key not in rates:
                    rates[key] = rate_for(rules, *key)
                minutes = 15 * (1 + n % ENTRIES_PER_DAY)
                rows.append((member.pk, client.pk, code.pk, day, minutes, rates[key]))
    lines = _billed_lines(bench, rows, billed_before) if billed_before else {}
    for start in range(0, count, BATCH):
        Entry.objects.bulk_create(
            Entry(
                practice=bench.practice,
                staff_id=staff_id,
                client_id=client_id,
                work_code_id=code_id,
                date=day,
                minutes=minutes,
                description=f"Work {start + offset}",
                rate=rate,
                value=value_of_time(minutes, rate),
                invoice_line_id=lines.get((client_id, day.replace(day=1))),
            )
            for offset, (staff_id, client_id, code_id, day, minutes, rate) in enumerate(
                rows[start : start + BATCH]
            )
        )


def _billed_lines(bench: BenchPractice, rows: list, billed_before: datetime.date) -> dict:
    """A finalized invoice of one line for each client and month of work before
    `billed_before`: {(client id, first of month): line id}."""
    from billbridge.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
    from billbridge.time.values import value_of_time

    amounts: dict[tuple, Decimal] = defaultdict(Decimal)
    for _, client_id, _, day, minutes, rate in rows:
        if day < billed_before:
            amounts[(client_id, day.replace(day=1))] += value_of_time(minutes, rate)
    keys = sorted(amounts)
    invoices = Invoice.objects.bulk_create(
        (
            Invoice(
                practice=bench.practice,
                client_id=client_id,
                number=f"W-{n}",
                status=InvoiceStatus.FINALIZED,
                issue_date=month,
                due_date=month + datetime.timedelta(days=30),
                subtotal=amounts[(client_id, month)],
                total=amounts[(client_id, month)],
            )
            for n, (client_id, month) in enumerate(keys)
        ),
        batch_size=2000,
    )
    lines = InvoiceLine.objects.bulk_create(
        (
            InvoiceLine(
                invoice=invoice,
                position=1,
                description="Professional services",
                quantity=Decimal(1),
                unit_price=amounts[key],
                amount=amounts[key],
            )
            for invoice, key in zip(invoices, keys, strict=True)
        ),
        batch_size=2000,
    )
    return {key: line.pk for key, line in zip(keys, lines, strict=True)}


def run_script(script: str, *args: str, timeout: int = 600) -> dict:
    """`make bench`'s way to run a time benchmark: `python bench/<script> …` in a process of
    its own (each sets Django up on its own database), answering the JSON line it ends with."""
    import json
    import subprocess

    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    print(done.stdout, end="")
    return json.loads(done.stdout.strip().splitlines()[-1])
