"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's
live_server. One browser for the whole session; each test gets a fresh context (cookies)."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import sync_playwright

from billbridge.clients.models import ClientRole
from billbridge.core import testing
from billbridge.invoicing import services
from billbridge.invoicing.totals import LineInput
from mail_catcher.testing import started

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def chromium():
    # Playwright's sync API runs an event loop in this thread; Django would otherwise refuse to
    # touch the database from it. Allowed from the first browser test on, not at import: set
    # when collected, it switched off async safety for every test run beside these (and made
    # `check --deploy` fail in the same run).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()


@pytest.fixture
def open_page(chromium, live_server):
    """A new page in a fresh context; pass javascript=False for a browser without it.

    Every test that uses it also checks that the browser reported no breach of the Content
    Security Policy: a blocked script or style would break a page without failing its test."""
    contexts, breaches = [], []

    def opened(*, javascript: bool = True):
        context = chromium.new_context(
            base_url=live_server.url,
            java_script_enabled=javascript,
            viewport={"width": 1280, "height": 800},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                breaches.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        return page

    yield opened
    for context in contexts:
        context.close()
    assert breaches == []


@pytest.fixture
def log_in():
    def logged_in(page, username: str) -> None:
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/")

    return logged_in


CLIENT_NAMES = [
    "Acme Widgets",
    "Birch & Sons",
    "Cedar Dental Group",
    "Delta Freight Co",
    "Evergreen Landscaping",
    "Fulton Street Bakery",
    "Granite Peak Outfitters",
    "Harbor View Clinic",
    "Ironwood Architects",
    "Juniper Yoga Studio",
    "Kestrel Consulting",
    "Lakeside Veterinary",
]
# (description, service, unit price, primary-taxable): billed by the hour below.
SERVICES = [
    ("Monthly bookkeeping", "Bookkeeping", "95.00", True),
    ("Payroll processing", "Payroll", "85.00", False),
    ("Quarterly sales tax return", "Tax filing", "140.00", True),
    ("Year-end adjustments", "Advisory", "165.00", False),
    ("Accounts payable review", "Bookkeeping", "95.00", True),
    ("1099 preparation", "Tax filing", "120.00", False),
    ("Cash-flow forecast", "Advisory", "175.00", False),
]
HOURS = ["2", "3.5", "1.25", "6", "4.75", "0.5", "8", "2.25", "5", "1.5", "12", "3"]


def _lines(number: int) -> list[LineInput]:
    """One to three lines, different enough from invoice to invoice to look lived-in."""
    lines = []
    for position in range(1 + number % 3):
        description, service_name, unit_price, taxable = SERVICES[
            (number * 3 + position * 2) % len(SERVICES)
        ]
        hours = HOURS[(number * 5 + position) % len(HOURS)]
        lines.append(
            LineInput(description, Decimal(hours), Decimal(unit_price), service_name, taxable)
        )
    return lines


@pytest.fixture
def busy_practice(transactional_db):
    """A practice as it looks on an ordinary month: a dozen clients and about forty invoices
    in every status. Alice may do everything; Bob processes time and is Staff, not Owner, on
    every client."""
    practice = testing.make_practice("Ledger & Co")
    alice = testing.make_admin(practice, "alice")
    bob = testing.make_member(practice, "bob", can_process_time=True)
    services.update_tax_settings(
        alice, primary_name="State sales tax", primary_rate=Decimal("6.25"), primary_enabled=True
    )
    statuses = ["draft", "finalized", "closed", "finalized", "draft"]
    start = datetime.date(2026, 8, 3)
    clients = []
    for position, name in enumerate(CLIENT_NAMES):
        client = testing.make_client(practice, name, email=f"accounts{position}@example.com")
        testing.assign(alice, client)
        testing.assign(bob, client, ClientRole.STAFF)
        clients.append(client)
    for number in range(40):
        client = clients[number % len(clients)]
        testing.make_invoice(
            alice,
            client,
            statuses[(number + number // len(clients)) % len(statuses)],
            lines=_lines(number),
            issue_date=start + datetime.timedelta(days=number * 2),
        )
    return {"practice": practice, "alice": alice, "bob": bob, "clients": clients}


@pytest.fixture
def practice_to_export(transactional_db):
    """Alice manages everything and owns every client; four finalized invoices and a draft,
    taxed at the sample company's 8 %."""
    practice = testing.make_practice("Ledger & Co")
    alice = testing.make_admin(practice, "alice")
    services.update_tax_settings(
        alice, primary_name="Sales tax", primary_rate=Decimal("8"), primary_enabled=True
    )
    invoices = []
    for position, name in enumerate(["Acme Widgets", "Birch & Sons", "Cedar Dental Group"]):
        client = testing.make_client(practice, name)
        testing.assign(alice, client)
        for status in ("finalized", "finalized", "draft")[: 2 if position else 3]:
            invoices.append(
                testing.make_invoice(
                    alice,
                    client,
                    status,
                    number=f"EX-{len(invoices) + 1}",
                    issue_date=datetime.date(2026, 10, 1) + datetime.timedelta(days=len(invoices)),
                    lines=[
                        LineInput("Monthly bookkeeping", Decimal("3"), Decimal("95.00"), "", True),
                        LineInput("Payroll", Decimal("1.5"), Decimal("80.00")),
                    ],
                )
            )
    return {"practice": practice, "invoices": invoices}


@pytest.fixture
def catcher(settings):
    """`python -m mail_catcher` as make run starts it, Billbridge's mail pointed at it; the
    catcher's page."""
    with started() as running:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", running.smtp_port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        yield running.page
