"""The paid story in a real browser, with the emulator sending its signed webhooks to the live
server: an exported invoice is paid in the emulator's own view of the company, as a QBO user
would, and becomes Closed ("Paid in QBO") on the Billing list; reverted to Draft (R9), its QBO
invoice is Outstanding again and QBO keeps the payment (checked through the control API). And
Billing ▸ QuickBooks reconciliation follows a run until a worker has made it."""

import time
from decimal import Decimal

import httpx
import pytest
from playwright.sync_api import expect

from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import reconciliation
from billbridge.quickbooks.models import QboInvoiceLink, ReconciliationReport
from billbridge.quickbooks.testing import connect_practice, point_at_emulator
from qbo_emulator.config import DEMO_VERIFIER_TOKEN, Config, demo_app
from qbo_emulator.testing import running_emulator
from tests.e2e.steps import export_one_from_the_billing_list

pytestmark = pytest.mark.browser
WAIT_SECONDS = 10


@pytest.fixture
def qbo(live_server, settings):
    """The emulator, its app's webhooks aimed at the live server, with one US sample company.
    Webhooks wait in the emulator until the test says "deliver now": Intuit also gathers them
    for a while, and the live server's database connection must not serve a delivery while it
    serves the browser (it shares this test's, on SQLite)."""
    app = demo_app(webhook_url=f"{live_server.url}/quickbooks/webhooks")
    config = Config([app])
    config.options.update({"webhook_window_seconds": 600})
    with running_emulator(config=config) as qbo:
        point_at_emulator(settings, qbo, app)
        settings.QBO_WEBHOOK_VERIFIER = DEMO_VERIFIER_TOKEN
        settings.QBO_LOOKUP_DELAY_SECONDS = 0
        company = qbo.emulator.create_company(name="Harbor Books QBO", seed="sample")
        company.set_preferences(custom_txn_numbers=True)
        qbo.realm = company.realm_id
        qbo.control = httpx.Client(base_url=qbo.control_url)
        yield qbo
        qbo.control.close()


def deliver_webhooks(qbo) -> list[int]:
    """Send what the emulator gathered; the statuses the live server answered."""
    answer = qbo.control.post("/webhooks/deliver")
    answer.raise_for_status()
    return [attempt["status"] for attempt in answer.json()["attempts"]]


def qbo_objects(qbo, entity: str) -> dict[str, dict]:
    answer = qbo.control.get(f"/companies/{qbo.realm}/{entity}")
    answer.raise_for_status()
    return {found["Id"]: found for found in answer.json()["objects"]}


def test_paid_in_qbo_closes_here_and_a_revert_leaves_the_payment_in_qbo(
    open_page,
    log_in,
    qbo,
    practice_to_export,
):
    connect_practice(practice_to_export["practice"], qbo, qbo.realm)
    invoice = next(i for i in practice_to_export["invoices"] if i.status == "finalized")
    page = open_page()
    log_in(page, "alice")

    # Export it from the Billing list.
    export_one_from_the_billing_list(page, invoice.number)
    qbo_id = QboInvoiceLink.objects.get(invoice=invoice).qbo_invoice_id
    deliver_webhooks(qbo)  # the invoice's own creation: nothing to close yet
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.FINALIZED

    # A QBO user receives the whole payment, in the emulator's view of the company.
    page.goto(f"{qbo.base_url}/_emulator/ui/{qbo.realm}")
    page.locator(f"#invoice-{qbo_id}").get_by_role("button", name="Receive payment").click()
    expect(page.locator(f"#invoice-{qbo_id}")).to_contain_text("Paid")
    [payment_id] = [
        payment["Id"]
        for payment in qbo_objects(qbo, "payment").values()
        if any(
            linked.get("TxnId") == qbo_id
            for line in payment.get("Line", [])
            for linked in line.get("LinkedTxn", [])
        )
    ]
    assert deliver_webhooks(qbo) == [200]

    # The Billing list (closed invoices shown) shows it Closed, paid in QBO.
    row = page.locator("tr", has=page.locator(f"#export-cell-{invoice.pk}"))
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        page.goto("/?show_closed=on")
        if row.locator(".badge").inner_text() == "Closed" or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    expect(row.locator(".badge")).to_have_text("Closed")
    expect(row.locator(f"#export-cell-{invoice.pk} .export")).to_have_text("Paid in QBO")

    # Revert it to Draft (R9): Closed → Finalized → Draft, the payment unapplied in QBO.
    page.get_by_role("link", name=invoice.number, exact=True).click()
    page.get_by_label("Why revert it? (optional)").fill("The client paid the wrong invoice")
    page.get_by_role("button", name="Revert to draft").click()
    expect(page.locator(".messages")).to_contain_text(f"Invoice {invoice.number} is a draft again.")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT

    outstanding = qbo_objects(qbo, "invoice")[qbo_id]
    assert Decimal(outstanding["Balance"]) == Decimal(outstanding["TotalAmt"]) == invoice.total
    assert payment_id in qbo_objects(qbo, "payment")


def test_the_reconciliation_page_follows_a_run_until_it_is_done(
    open_page,
    log_in,
    qbo,
    practice_to_export,
    settings,
):
    """With a real queue the run waits for a worker: the report asks for itself every second
    and shows the findings once the worker is done."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    connect_practice(practice_to_export["practice"], qbo, qbo.realm)
    page = open_page()
    log_in(page, "alice")
    page.get_by_role("link", name="QuickBooks reconciliation").click()
    expect(page.locator("#reconciliation-report h2")).to_have_text("No reconciliation yet")
    # Polls (htmx's) wait in the browser while this thread plays the worker: the live server
    # shares this test's database connection. Pages load as usual.
    held = []

    def hold_polls(route):
        if route.request.headers.get("hx-request"):
            held.append(route)
        else:
            route.continue_()

    page.route("**/billing/quickbooks-reconciliation/", hold_polls)
    page.get_by_role("button", name="Run reconciliation").click()
    expect(page.locator("#reconciliation-report h2")).to_have_text("Reconciliation running")
    with page.expect_request("**/billing/quickbooks-reconciliation/"):
        pass  # the next poll, within a second

    reconciliation.run(ReconciliationReport.objects.get().pk)
    page.unroute("**/billing/quickbooks-reconciliation/")
    for poll in held:
        poll.continue_()
    expect(page.locator("[data-report-state]")).to_contain_text("everything matches.")
    expect(page.locator("[hx-trigger]")).to_have_count(0)
