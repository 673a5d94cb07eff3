"""The export story in a real browser against the running emulator: a manager connects the
practice to QuickBooks through the emulator's consent page, selects finalized invoices on the
Billing list, exports them and sees the QuickBooks Export column fill with QBO numbers; an
invoice reverted to Draft leaves QuickBooks (checked through the emulator's control API)."""

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from billbridge.quickbooks import export
from billbridge.quickbooks.models import QboConnection, QboInvoiceLink
from billbridge.quickbooks.testing import connect_practice, point_at_emulator
from qbo_emulator.testing import running_emulator

pytestmark = pytest.mark.browser
COMPANY = "Harbor Books QBO"
CALLBACK = "/settings/integrations/quickbooks/callback"

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "quickbooks-export.png"


@pytest.fixture
def qbo(live_server, settings):
    """The emulator with one US sample company (its California rate is 8 %), Billbridge pointed
    at it, and the live server's callback registered with the emulator's app."""
    with running_emulator() as qbo:
        point_at_emulator(settings, qbo)
        settings.QBO_REDIRECT_URI = f"{live_server.url}{CALLBACK}"
        settings.QBO_LOOKUP_DELAY_SECONDS = 0
        httpx.patch(
            f"{qbo.control_url}/apps/emulator-client",
            json={"redirect_uris": [settings.QBO_REDIRECT_URI]},
        ).raise_for_status()
        company = qbo.emulator.create_company(name=COMPANY, seed="sample")
        company.set_preferences(custom_txn_numbers=True)
        qbo.realm = company.realm_id
        yield qbo


def qbo_invoices(qbo) -> dict[str, dict]:
    """The emulator company's invoices by Id, read through the control API."""
    answer = httpx.get(f"{qbo.control_url}/companies/{qbo.realm}/invoice")
    answer.raise_for_status()
    return {invoice["Id"]: invoice for invoice in answer.json()["objects"]}


def test_connect_export_and_revert_remove_from_qbo(open_page, log_in, qbo, practice_to_export):
    invoices = practice_to_export["invoices"]
    finalized = [invoice for invoice in invoices if invoice.status == "finalized"][:3]
    page = open_page()
    log_in(page, "alice")

    # Settings ▸ Integrations ▸ QuickBooks Online: Connect, through the consent page.
    page.get_by_role("link", name="Integrations").click()
    page.get_by_role("button", name="Connect to QuickBooks Online").click()
    page.wait_for_url(f"{qbo.base_url}/connect/oauth2**")
    page.get_by_label(COMPANY, exact=False).check()
    page.get_by_role("button", name="Connect", exact=True).click()
    page.wait_for_url("**/settings/integrations/quickbooks/")
    expect(page.locator(".messages")).to_contain_text(
        f"QuickBooks Online is connected to {COMPANY}."
    )
    expect(page.locator("[data-qbo-status]")).to_contain_text(qbo.realm)
    assert QboConnection.objects.get().realm_id == qbo.realm

    # The Billing list: select three finalized invoices and export them.
    page.get_by_role("link", name="Billing", exact=True).click()
    for invoice in finalized:
        page.get_by_label(f"Select invoice {invoice.number}", exact=True).check()
    page.get_by_text("More actions").click()
    page.get_by_role("button", name="Export selected invoices to QuickBooks Online").click()
    results = page.locator(".results")
    expect(results).to_contain_text("Export to QuickBooks Online")
    expect(results.locator("[data-progress]")).to_have_text("3 of 3 exported.")

    in_qbo = qbo_invoices(qbo)
    for invoice in finalized:
        link = QboInvoiceLink.objects.get(invoice=invoice)
        assert in_qbo[link.qbo_invoice_id]["DocNumber"] == invoice.number
        cell = page.locator(f"#export-cell-{invoice.pk}")
        expect(cell.locator(".export")).to_have_text("Exported")
        expect(cell.get_by_role("link", name=f"QBO invoice {invoice.number}")).to_have_attribute(
            "href", f"{qbo.base_url}/_emulator/ui/{qbo.realm}#invoice-{link.qbo_invoice_id}"
        )
    untouched = next(i for i in invoices if i.status == "finalized" and i not in finalized)
    expect(page.locator(f"#export-cell-{untouched.pk} .export")).to_have_text("Not exported")
    page.screenshot(path=str(SCREENSHOT))  # the README's picture of an export

    # Revert one to Draft: the invoice service removes it from QuickBooks first.
    reverted = finalized[0]
    removed_id = QboInvoiceLink.objects.get(invoice=reverted).qbo_invoice_id
    page.get_by_role("link", name=reverted.number, exact=True).click()
    page.get_by_label("Why revert it? (optional)").fill("A line was billed twice")
    page.get_by_role("button", name="Revert to draft").click()
    draft_again = f"Invoice {reverted.number} is a draft again."
    expect(page.locator(".messages")).to_contain_text(draft_again)
    expect(page.locator(f"#export-cell-{reverted.pk} .export")).to_have_text("Removed from QBO")
    still = qbo_invoices(qbo)
    assert removed_id not in still
    assert {QboInvoiceLink.objects.get(invoice=i).qbo_invoice_id for i in finalized[1:]} <= set(
        still
    )


def test_the_column_fills_as_the_worker_exports(
    open_page, log_in, qbo, practice_to_export, settings
):
    """With a real queue the export waits for a worker: the progress line asks for itself
    every second and brings the cells along once the worker is done."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    connect_practice(practice_to_export["practice"], qbo, qbo.realm)
    chosen = [i for i in practice_to_export["invoices"] if i.status == "finalized"][:2]
    page = open_page()
    log_in(page, "alice")
    # Polls wait in the browser while this thread plays the worker: the live server shares
    # this test's database connection, so the two must not use it at once.
    held = []
    page.route("**/exports/*/progress/", lambda route: held.append(route))
    for invoice in chosen:
        page.get_by_label(f"Select invoice {invoice.number}", exact=True).check()
    page.get_by_text("More actions").click()
    page.get_by_role("button", name="Export selected invoices to QuickBooks Online").click()
    progress = page.locator("[data-progress]")
    expect(progress).to_have_text("0 of 2 exported, 2 queued.")
    for invoice in chosen:
        expect(page.locator(f"#export-cell-{invoice.pk} .export")).to_have_text("Queued")
    with page.expect_request("**/exports/*/progress/"):
        pass  # the next poll, within a second

    assert export.drain(qbo.realm) == 2
    page.unroute("**/exports/*/progress/")
    for poll in held:
        poll.continue_()
    expect(progress).to_have_text("2 of 2 exported.")
    for invoice in chosen:
        number = QboInvoiceLink.objects.get(invoice=invoice).doc_number
        cell = page.locator(f"#export-cell-{invoice.pk}")
        expect(cell.locator(".export")).to_have_text("Exported")
        expect(cell.get_by_role("link", name=f"QBO invoice {number}")).to_be_visible()
    # Done: nothing asks for the progress any more.
    expect(page.locator("[hx-get*='/progress/']")).to_have_count(0)


LAYOUT_SHOT = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "selection.png"


def test_the_selection_is_counted_kept_after_check_and_spans_every_page(
    open_page, log_in, qbo, practice_to_export, settings
):
    settings.BILLING_LIST_PAGE_SIZE = 3
    connect_practice(practice_to_export["practice"], qbo, qbo.realm)
    finalized = [i for i in practice_to_export["invoices"] if i.status == "finalized"]
    assert len(finalized) == 6
    page = open_page()
    log_in(page, "alice")
    page.get_by_label("Status").select_option("finalized")
    # The filtered table has come (htmx swaps it in): a tick made before would be swapped away.
    expect(page.get_by_label("Select all 6 matching invoices")).to_have_count(1)
    rows = page.locator(".billing-table tbody tr")
    expect(rows).to_have_count(3)
    count = page.locator("[data-selected-count]")
    expect(count).to_have_text("")

    shown = [finalized[-1], finalized[-2]]  # newest first
    for invoice in shown:
        page.get_by_label(f"Select invoice {invoice.number}", exact=True).check()
    expect(count).to_have_text("2 selected")

    # Check swaps the table in: the two stay ticked, ready for the export.
    page.get_by_text("More actions").click()
    page.get_by_role("button", name="Check selected invoices").click()
    expect(page.locator(".results [data-progress]")).to_have_text("2 of 2 checked.")
    for invoice in shown:
        expect(page.get_by_label(f"Select invoice {invoice.number}", exact=True)).to_be_checked()
        expect(page.locator(f"#export-cell-{invoice.pk}")).to_contain_text("Checked: ready")
    expect(count).to_have_text("2 selected")

    # Every finalized invoice, on both pages: the server finds those of the second page.
    page.get_by_label("Select all 6 matching invoices").check()
    expect(count).to_have_text("6 selected")
    for box in page.locator("input[data-row-check]").all():
        expect(box).to_be_checked()
    page.get_by_text("More actions").click()
    page.get_by_role("button", name="Export selected invoices to QuickBooks Online").click()
    expect(page.locator(".results [data-progress]")).to_have_text("6 of 6 exported.")
    assert QboInvoiceLink.objects.filter(invoice__in=finalized).count() == 6
    expect(page.get_by_label("Select all 6 matching invoices")).to_be_checked()

    # Sales tax turned off in QBO, then Check: long messages beside each exported invoice,
    # which wrap in their column and leave the dates on one line.
    qbo.emulator.company(qbo.realm).set_preferences(sales_tax=False)
    page.get_by_text("More actions").click()
    page.get_by_role("button", name="Check selected invoices").click()
    expect(page.locator(".results [data-progress]")).to_contain_text("6 of 6 checked")
    cell = page.locator(f"#export-cell-{shown[0].pk}")
    expect(cell).to_contain_text(f"Exported QBO invoice {shown[0].number}")
    expect(cell).to_contain_text("Checked: problems")
    expect(cell).to_contain_text("no sales tax set up")
    page.set_viewport_size({"width": 1024, "height": 800})  # a laptop's narrower window
    date = page.locator("td.col-date time").first
    line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight) || 24")
    assert date.bounding_box()["height"] <= line * 1.5  # one line, not squeezed to two
    LAYOUT_SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(LAYOUT_SHOT), full_page=True)
