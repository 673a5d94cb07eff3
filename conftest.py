"""Fixtures for every test: a practice and its members, tasks run at once, and the QBO emulator
(one server for the whole session, reset before each test, spoken to over HTTP on loopback like
Intuit would be) with a practice connected to one of its companies."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import export, services
from billbridge.quickbooks.models import InvoiceExport, QboConnection
from billbridge.quickbooks.testing import connect_practice, point_at_emulator
from qbo_emulator.testing import running_emulator

# The time app's fixtures (work codes, rates, people, recording work) and the real SMTP servers
# on loopback (smtp_server and its faulty kin) for every app's tests.
pytest_plugins = ["billbridge.time.tests.fixtures", "billbridge.documents.tests.mail_fixtures"]


@pytest.fixture
def practice(db):
    return testing.make_practice("Ledger & Co")


@pytest.fixture
def admin_member(practice):
    """A member with every permission, Owner of no client yet."""
    return testing.make_admin(practice, "alice")


@pytest.fixture
def client_a(practice, admin_member):
    client = testing.make_client(practice, "Acme Widgets")
    testing.assign(admin_member, client)
    return client


@pytest.fixture
def billed(admin_member, client_a):
    """A finalized invoice of 695.00 to credit: 450.00 of bookkeeping taxed at 10 % and 200.00
    of payroll untaxed (testing.sample_lines)."""
    invoicing.update_tax_settings(admin_member, primary_rate=Decimal("10"), primary_enabled=True)
    return testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Tasks run at once, in the test's process; tests of the worker itself choose otherwise."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # A drain's extra threads have connections of their own, which cannot see the rows a test
    # holds in its transaction; test_export_threads.py runs them on committed data.
    settings.QBO_EXPORT_THREADS = 1


@pytest.fixture(autouse=True)
def lifted_request_budget(request, settings):
    """Tests do not wait for QBO's per-company budget (docs/decisions/0010), except the ones
    marked `qbo_budget`, which test it."""
    if request.node.get_closest_marker("qbo_budget") is None:
        settings.QBO_REQUESTS_PER_SECOND = 100_000
        settings.QBO_REQUESTS_PER_MINUTE = 1_000_000
        settings.QBO_BATCH_REQUESTS_PER_MINUTE = 100_000


@pytest.fixture(scope="session")
def emulator_server():
    with running_emulator() as qbo:
        yield qbo


@pytest.fixture
def emulator(emulator_server):
    """The running emulator (a RunningEmulator), fresh: no companies, tokens, faults or logs."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def control(emulator):
    """An HTTP client on the emulator's control API: control.post("/faults", json={...})."""
    with httpx.Client(base_url=emulator.control_url) as client:
        yield client


@pytest.fixture
def qbo_company(request, emulator) -> str:
    """The realm id of a new company with the sample data (customers, items, invoices): a US
    one unless the test is marked, e.g. `@pytest.mark.qbo_company(country="GB")` or
    `(automated_sales_tax=True, custom_txn_numbers=False)` (the emulator's preference names)."""
    marker = request.node.get_closest_marker("qbo_company")
    options = {"country": "US", **(marker.kwargs if marker else {})}
    name = f"Sandbox Company {options['country']} 1"
    return emulator.emulator.create_company(name=name, seed="sample", **options).realm_id


@pytest.fixture
def qbo_settings(settings, emulator):
    """Billbridge's QBO settings pointed at the running emulator (its default app)."""
    point_at_emulator(settings, emulator)
    settings.QBO_REDIRECT_URI = "http://127.0.0.1:8000/settings/integrations/quickbooks/callback"
    return settings


@pytest.fixture
def setup(request, db, qbo_settings, emulator, qbo_company, settings):
    """A practice connected to a fresh emulated company (8% sales tax; custom numbers on unless
    the company is chosen with the `qbo_company` marker)."""
    settings.QBO_LOOKUP_DELAY_SECONDS = 0
    company = emulator.emulator.company(qbo_company)
    if request.node.get_closest_marker("qbo_company") is None:
        company.set_preferences(custom_txn_numbers=True)
    practice = testing.make_practice("Export Co")
    member = testing.make_admin(practice, "exporter")
    invoicing.update_tax_settings(
        member, primary_name="Sales tax", primary_rate=Decimal("8"), primary_enabled=True
    )
    connection = connect_practice(practice, emulator, qbo_company)
    return Setup(practice, member, connection, emulator, company)


class Setup:
    def __init__(self, practice, member, connection, qbo, company):
        self.practice, self.member, self.connection = practice, member, connection
        self.qbo, self.company, self.realm = qbo, company, connection.realm_id

    def invoice(self, client_name="Harbor Books", status=InvoiceStatus.FINALIZED, **kwargs):
        client = (
            testing.make_client(self.practice, client_name)
            if isinstance(client_name, str)
            else client_name
        )
        testing.assign(self.member, client)
        return testing.make_invoice(self.member, client, status, **kwargs)

    def qbo_invoices(self) -> list[dict]:
        return self.company.list("Invoice")

    def ours_in_qbo(self, invoice) -> list[dict]:
        mark = f"[bb:{invoice.practice_id}:{invoice.pk}]"
        return [i for i in self.qbo_invoices() if mark in i.get("PrivateNote", "")]

    def edit_lines(self, invoice, lines) -> None:
        """A draft's lines replaced, everything else kept (the edit after a revert)."""
        invoicing.update_draft(
            self.member,
            invoice.pk,
            invoicing.DraftInput(
                client_id=invoice.client_id,
                issue_date=invoice.issue_date,
                due_date=invoice.due_date,
                lines=lines,
            ),
        )

    def export(self, *invoices):
        batch = services.request_export(self.member, [i.pk for i in invoices])
        export.drain(self.realm)
        return batch

    def drain_all_due(self):
        InvoiceExport.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        QboConnection.objects.update(paused_until=None)
        export.drain(self.realm)

    def fault(self, **fault):
        """One of the emulator's faults (qbo_emulator/README.md), e.g. kind="drop", path=…"""
        httpx.post(f"{self.qbo.control_url}/faults", json=fault).raise_for_status()

    def requests(self, path: str | None = None) -> list[dict]:
        """The emulator's request log; `path` is a glob such as "/v3/company/*/batch"."""
        params = {"limit": 10_000} | ({"path": path} if path else {})
        answer = httpx.get(f"{self.qbo.control_url}/requests", params=params)
        return answer.raise_for_status().json()["requests"]


@pytest.fixture
def command_help():
    """A management command's --help, read in this process with its words joined by single
    spaces (tests/test_fresh_processes.py starts every command in a fresh one)."""
    from django.core.management import get_commands, load_command_class

    def read(name: str) -> str:
        command = load_command_class(get_commands()[name], name)
        return " ".join(command.create_parser("manage.py", name).format_help().split())

    return read
