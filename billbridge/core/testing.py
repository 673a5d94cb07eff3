"""Builders for tests and demo data: a practice, members with given permissions, clients and
invoices in any status, made through the real services so that every row is one the product
itself could have written."""

import datetime
import itertools
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection

from billbridge.clients.models import Client, ClientAssignment, ClientRole
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.invoicing.totals import LineInput
from billbridge.practice.models import Membership, Practice

_serial = itertools.count(1)

ALL_PERMISSIONS = {"can_export": True, "can_process_time": True, "can_manage_settings": True}


def make_practice(name: str | None = None) -> Practice:
    return Practice.objects.create(name=name or f"Practice {next(_serial)}")


def make_member(
    practice: Practice,
    username: str | None = None,
    *,
    password: str = "correct-horse-battery",
    **permissions: bool,
) -> Membership:
    user = get_user_model().objects.create_user(
        username=username or f"user{next(_serial)}", password=password
    )
    return Membership.objects.create(user=user, practice=practice, **permissions)


def make_admin(practice: Practice, username: str | None = None) -> Membership:
    return make_member(practice, username, **ALL_PERMISSIONS)


def make_client(practice: Practice, name: str | None = None, **fields) -> Client:
    return Client.objects.create(
        practice=practice, name=name or f"Client {next(_serial)}", **fields
    )


def assign(membership: Membership, client: Client, role: str = ClientRole.OWNER) -> None:
    ClientAssignment.objects.update_or_create(
        membership=membership, client=client, defaults={"role": role}
    )


def sample_lines() -> list[LineInput]:
    return [
        LineInput(
            "Monthly bookkeeping",
            Decimal("1"),
            Decimal("450.00"),
            service_name="Bookkeeping",
            primary_taxable=True,
        ),
        LineInput("Payroll run", Decimal("2.5"), Decimal("80.00"), service_name="Payroll"),
    ]


def make_invoice(
    membership: Membership,
    client: Client,
    status: str = InvoiceStatus.DRAFT,
    *,
    lines: list[LineInput] | None = None,
    issue_date: datetime.date | None = None,
    number: str | None = None,
) -> Invoice:
    """An invoice brought to `status` through the services. The member must be allowed to do
    so (make_admin plus assign(..., OWNER) always is)."""
    issue_date = issue_date or datetime.date(2026, 11, 2)
    invoice = services.create_draft(
        membership,
        services.DraftInput(
            client_id=client.pk,
            issue_date=issue_date,
            due_date=issue_date + datetime.timedelta(days=30),
            lines=lines if lines is not None else sample_lines(),
            number=number,
        ),
    )
    if status in (InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED):
        invoice = services.finalize(membership, invoice.pk)
    if status == InvoiceStatus.CLOSED:
        invoice = services.close(membership, invoice.pk, "Paid by cheque")
    return invoice


PROJECT_ROOT = Path(__file__).resolve().parents[2]


def manage_py(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`manage.py ARGS` as an operator starts it: a fresh process, `env` its whole environment,
    its output captured as text."""
    return subprocess.run(  # noqa: S603 - the test's own arguments
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for(condition, seconds: float, what: str) -> None:
    """Poll `condition` until it holds; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


# The application name a test's worker processes connect with, so that the test can tell
# their sessions from any other on its database (pooled threads of earlier tests, autovacuum).
WORKER_APPLICATION = "billbridge-test-worker"


def worker_database_url() -> str:
    """DATABASE_URL for a worker process the test starts on its own PostgreSQL database."""
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        f"?application_name={WORKER_APPLICATION}"
    )


def worker_sessions() -> int:
    """The sessions of the worker processes the test started (worker_database_url) still
    connected to its database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from pg_stat_activity "
            "where datname = current_database() and application_name = %s",
            [WORKER_APPLICATION],
        )
        return cursor.fetchone()[0]
