"""The Time and WIP story in a real browser (issue 10): a member types a week's hours on the
timesheet and imports a Toggl Track export, turns the client's WIP into a draft with one line
written down, finalizes and exports it to the emulator, sees it close when paid in QBO, and
finds on Billing ▸ Realization the money that work brought in."""

import csv
import datetime
import io
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.quickbooks import export, paid_status
from billbridge.quickbooks.models import QboInvoiceLink
from billbridge.quickbooks.testing import connect_practice, point_at_emulator
from billbridge.time import rate_card
from billbridge.time.models import Entry, EntryKind, LineAdjustment
from billbridge.time.realization import Scope, realization
from billbridge.time.tests.test_import_formats import TOGGL
from qbo_emulator.testing import running_emulator

pytestmark = pytest.mark.browser
RATES_FROM = datetime.date(2020, 1, 1)
BOOKKEEPING = "Acme Widgets, Bookkeeping"
REASON = "First month: a courtesy discount"
# The columns of Toggl Track's detailed export, as the reader's tests know them.
TOGGL_HEADER = list(TOGGL)


@pytest.fixture
def qbo(live_server, settings):
    """The emulator with one US sample company (its California rate is 8 %), Billbridge pointed
    at it. Tasks wait for a worker, which this test plays (export.drain): the live server shares
    the test's database connection, so the worker must not run while the browser asks."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with running_emulator() as qbo:
        point_at_emulator(settings, qbo)
        settings.QBO_LOOKUP_DELAY_SECONDS = 0
        company = qbo.emulator.create_company(name="Harbor Books QBO", seed="sample")
        company.set_preferences(custom_txn_numbers=True)
        qbo.realm = company.realm_id
        yield qbo


@pytest.fixture
def practice_with_rates(transactional_db, qbo):
    """Alice Archer (every permission, Owner of Acme Widgets) in a practice connected to the
    emulator, taxed at 8 %. Bookkeeping (taxable) is billed at her own 150/h; Tax preparation
    (not taxable) at its 200/h, whoever does it."""
    practice = testing.make_practice("Ledger & Co")
    alice = testing.make_admin(practice, "alice")
    user = alice.user
    user.first_name, user.last_name, user.email = "Alice", "Archer", "alice@ledger.example"
    user.save()
    client = testing.make_client(practice, "Acme Widgets")
    testing.assign(alice, client)
    invoicing.update_tax_settings(
        alice, primary_name="Sales tax", primary_rate=Decimal("8"), primary_enabled=True
    )
    rate_card.save_work_code(alice, rate_card.WorkCodeInput("Bookkeeping", primary_taxable=True))
    tax = rate_card.save_work_code(alice, rate_card.WorkCodeInput("Tax preparation"))
    rate_card.set_rate(alice, rate_card.RateInput(RATES_FROM, Decimal("150.00"), staff_id=alice.pk))
    rate_card.set_rate(
        alice, rate_card.RateInput(RATES_FROM, Decimal("200.00"), work_code_id=tax.pk)
    )
    connect_practice(practice, qbo, qbo.realm)
    return {"practice": practice, "alice": alice, "client": client}


def toggl_export(monday: datetime.date) -> bytes:
    """A Toggl Track detailed export: two hours of tax preparation for Acme Widgets, half an
    hour of it by Sam Rivers, a name the practice does not know."""
    tuesday = (monday + datetime.timedelta(days=1)).isoformat()
    alice = ["Alice Archer", "alice@ledger.example"]
    sam = ["Sam Rivers", "sam.rivers@example.com"]
    rows = [
        [*alice, "Prepared the return", monday.isoformat(), "09:00:00", "10:00:00", "01:00:00"],
        [*sam, "Gathered the receipts", tuesday, "09:00:00", "09:30:00", "00:30:00"],
        [*alice, "Filed the return", tuesday, "14:00:00", "14:30:00", "00:30:00"],
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TOGGL_HEADER)
    for person, email, description, day, start, end, duration in rows:
        writer.writerow(
            [person, email, "Acme Widgets", "Year-end", "Tax preparation", description, "Yes"]
            + [day, start, day, end, duration, "", ""]
        )
    return out.getvalue().encode()


def long_day(day: datetime.date) -> str:
    """A day as the timesheet's cells name it (Django's "l j F")."""
    return f"{day:%A} {day.day} {day:%B}"


def cells_of(row):
    return row.locator("th, td")


def test_a_week_of_time_becomes_an_invoice_paid_in_qbo_and_its_realization(
    open_page, log_in, qbo, practice_with_rates
):
    client = practice_with_rates["client"]
    alice = practice_with_rates["alice"]
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    days = [monday + datetime.timedelta(days=n) for n in range(3)]
    page = open_page()
    log_in(page, "alice")

    # 1. Time: add a row to this week's sheet and type three days' hours, each saved by htmx.
    page.get_by_role("link", name="Time", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your timesheet")
    page.get_by_label("Client").select_option(label="Acme Widgets")
    page.get_by_label("Work code").select_option(label="Bookkeeping")
    page.get_by_role("button", name="Add row").click()
    expect(page.locator(".messages")).to_contain_text(
        "Acme Widgets — Bookkeeping is on the timesheet."
    )
    page.evaluate("window.sheetNotReloaded = true")  # gone if the page loads again
    row = page.locator("tbody tr", has_text="Acme Widgets")
    typed = [("1:30", "1:30", "1:30"), ("2", "2:00", "3:30"), ("0.75", "0:45", "4:15")]
    for day, (hours, shown, row_total) in zip(days, typed, strict=True):
        cell = page.get_by_label(f"Hours for {BOOKKEEPING} on {long_day(day)}")
        cell.fill(hours)
        cell.press("Tab")
        expect(row.locator(".row-total")).to_have_text(row_total)
        expect(page.get_by_label(f"Hours for {BOOKKEEPING} on {long_day(day)}")).to_have_value(
            shown
        )
        expect(page.locator(f"#day-total-{day:%Y%m%d}")).to_have_text(shown)
    expect(row.locator(".row-value")).to_have_text("637.50")  # 4:15 at 150/h
    expect(page.locator("#week-total")).to_have_text("4:15")
    expect(page.locator("#week-value")).to_have_text("637.50")
    assert page.evaluate("window.sheetNotReloaded") is True

    # 2. Time ▸ Import: a Toggl Track export, its unknown person mapped to Alice on the page.
    # No Time page links to the import yet (reported): its address, as from a bookmark.
    page.goto("/time/import/")
    page.get_by_label("CSV file").set_input_files(
        {"name": "toggl-week.csv", "mimeType": "text/csv", "buffer": toggl_export(monday)}
    )
    page.get_by_label("Exported from").select_option(label="Toggl Track")
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import toggl-week.csv")
    facts = page.locator("#import-preview dl.facts dd")
    expect(facts).to_have_text(
        [
            "Toggl Track",
            "3",
            "2 (1.50 hours, worth 300.00 at the rates in force)",
            "0",
            "1 row",
            "0",
            "0",
        ]
    )
    page.get_by_label("Sam Rivers <sam.rivers@example.com>").select_option(
        label="Alice Archer (alice)"
    )
    expect(facts.nth(2)).to_have_text("3 (2.00 hours, worth 400.00 at the rates in force)")
    expect(facts.nth(4)).to_have_text("0 rows")
    page.get_by_role("button", name="Import 3 entries").click()
    expect(page.locator(".messages")).to_contain_text("Imported 3 entries.")
    expect(page.locator("dl.facts dd").nth(2)).to_have_text("3")  # Entries stored
    page.get_by_role("link", name="See the entries").click()
    for description in ("Prepared the return", "Gathered the receipts", "Filed the return"):
        listed = page.locator("tbody tr", has_text=description)
        expect(listed).to_contain_text("Alice Archer")
        expect(listed).to_contain_text("Tax preparation")
        expect(listed).to_contain_text("200.00/h")

    # 3. The client's WIP, invoiced with the Bookkeeping line written down.
    page.get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name="Acme Widgets", exact=True).click()
    page.get_by_role("link", name="WIP", exact=True).click()
    page.wait_for_url(f"**/clients/{client.pk}/wip/")
    by_code = page.locator("section[aria-labelledby='by-code-title'] tbody tr")
    expect(cells_of(by_code.nth(0))).to_have_text(["Bookkeeping", "3", "4.25", "637.50"])
    expect(cells_of(by_code.nth(1))).to_have_text(["Tax preparation", "3", "2.00", "400.00"])
    by_person = page.locator("section[aria-labelledby='by-person-title'] tbody tr")
    expect(cells_of(by_person)).to_have_text(["Alice Archer", "6", "6.25", "1,037.50"])

    page.get_by_role("link", name="Invoice this WIP").click()
    page.wait_for_url(f"**/clients/{client.pk}/wip/invoice/")
    preview_total = cells_of(page.locator(".wip-preview tfoot tr"))
    expect(preview_total).to_have_text(["2 lines", "6.25", "1,037.50", "1,037.50", "—"])
    billed = page.get_by_label("Billed amount of Bookkeeping")
    billed.fill("600.00")
    billed.press("Tab")
    expect(preview_total).to_have_text(["2 lines", "6.25", "1,037.50", "1,000.00", "-37.50"])
    written_down = page.locator(".wip-preview tbody tr", has_text="Bookkeeping")
    expect(written_down.locator("td.wip-down")).to_have_text("-37.50")
    # The reason, like every change, is posted for a new preview: wait for it, so that the
    # form it brings back is in place before the draft is asked for.
    with page.expect_response(lambda answer: answer.url.endswith("/wip/invoice/")):
        page.get_by_label("Reason").fill(REASON)
        page.get_by_label("Reason").press("Tab")
    page.get_by_role("button", name="Create draft").click()
    expect(page.locator(".messages")).to_contain_text("is made from the WIP of Acme Widgets.")
    invoice = Invoice.objects.get(client=client)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {invoice.number} Draft")
    lines = page.locator("table tbody tr", has=page.locator(".work-behind"))
    expect(lines.filter(has_text="Bookkeeping").locator(".work-behind")).to_have_text(
        "3 entries of work, 4.25 h, 637.50 at standard rates — written down 37.50 "
        f"(write-down: {REASON})"
    )
    expect(lines.filter(has_text="Tax preparation").locator(".work-behind")).to_have_text(
        "3 entries of work, 2.00 h, 400.00 at standard rates"
    )
    expect(page.locator("tfoot .grand-total td.num")).to_have_text("1,048.00")  # 8 % on 600.00

    # 4. Finalize, and export it: the worker (played here) sends it while polls wait.
    page.get_by_role("button", name="Finalize").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {invoice.number} Finalized")
    held = []
    page.route("**/exports/*/progress/", lambda route: held.append(route))
    page.get_by_role("button", name="Export to QuickBooks Online").click()
    progress = page.locator(".results [data-progress]")
    expect(progress).to_have_text("0 of 1 exported, 1 queued.")
    with page.expect_request("**/exports/*/progress/"):
        pass  # the next poll, within a second
    assert export.drain(qbo.realm) == 1
    page.unroute("**/exports/*/progress/")
    for poll in held:
        poll.continue_()
    expect(progress).to_have_text("1 of 1 exported.")
    cell = page.locator(f"#export-cell-{invoice.pk}")
    expect(cell.locator(".export")).to_have_text("Exported")
    link = QboInvoiceLink.objects.get(invoice=invoice)
    expect(cell.get_by_role("link", name=f"QBO invoice {link.doc_number}")).to_be_visible()

    # 5. Paid in full by a QBO user in the emulator's view of the company; the sync closes it.
    page.goto(f"{qbo.base_url}/_emulator/ui/{qbo.realm}")
    in_qbo = page.locator(f"#invoice-{link.qbo_invoice_id}")
    in_qbo.get_by_role("button", name="Receive payment").click()
    expect(in_qbo).to_contain_text("Paid")
    assert paid_status.sync_company(qbo.realm, force=True)["closed"] == 1
    page.goto(f"/invoices/{invoice.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {invoice.number} Closed")
    expect(cell.locator(".export")).to_have_text("Paid in QBO")

    # 6. Billing ▸ Realization: all that was billed (before tax) is collected, 96.4 % of the
    # work's standard value after the write-down.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    page.get_by_role("navigation", name="Billing").get_by_role("link", name="Realization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Realization")
    acme = page.locator(".realization-table tbody tr", has_text="Acme Widgets")
    expect(cells_of(acme)).to_have_text(
        ["Acme Widgets", "6.25", "1,037.50", "1,000.00", "1,000.00", "96.4 %", "96.4 %"]
    )
    chart = page.get_by_role("img", name="Realization by client")
    expect(chart).to_be_visible()
    expect(chart.locator(".chart-row title")).to_have_text(
        "Acme Widgets: standard 1,037.50, billed 1,000.00, collected 1,000.00"
    )

    # The stored facts: six entries billed on the closed invoice, the write-down's reason kept,
    # and the QBO invoice paid in full.
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CLOSED
    assert (invoice.subtotal, invoice.primary_tax, invoice.total) == (
        Decimal("1000.00"),
        Decimal("48.00"),
        Decimal("1048.00"),
    )
    entries = Entry.objects.filter(client=client, kind=EntryKind.TIME)
    assert sorted(entries.values_list("source", "minutes", "value")) == [
        ("", 45, Decimal("112.50")),
        ("", 90, Decimal("225.00")),
        ("", 120, Decimal("300.00")),
        ("toggl", 30, Decimal("100.00")),
        ("toggl", 30, Decimal("100.00")),
        ("toggl", 60, Decimal("200.00")),
    ]
    assert set(entries.values_list("staff", "invoice_line__invoice")) == {(alice.pk, invoice.pk)}
    adjustment = LineAdjustment.objects.get(invoice_line__invoice=invoice)
    assert (adjustment.kind, adjustment.reason) == (LineAdjustment.Kind.WRITE_DOWN, REASON)
    assert adjustment.invoice_line.amount == Decimal("600.00")
    answer = httpx.get(f"{qbo.control_url}/companies/{qbo.realm}/invoice")
    [paid] = [i for i in answer.json()["objects"] if i["Id"] == link.qbo_invoice_id]
    assert (Decimal(str(paid["TotalAmt"])), Decimal(str(paid["Balance"]))) == (
        Decimal("1048.00"),
        Decimal("0"),
    )
    figures = realization(alice, Scope()).total
    assert (figures.standard, figures.billed, figures.collected) == (
        Decimal("1037.50"),
        Decimal("1000.00"),
        Decimal("1000.00"),
    )
