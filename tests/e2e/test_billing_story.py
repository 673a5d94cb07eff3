"""The issue's story in a real browser: filter the Billing list by client, select invoices,
finalize them, read the per-invoice results, and see a revert refused."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from billbridge.invoicing.models import Invoice

pytestmark = pytest.mark.browser
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "billing-list.png"


def tick(page, invoices) -> None:
    for invoice in invoices:
        page.get_by_label(f"Select invoice {invoice.number}", exact=True).check()


def holding(locator, invoice):
    """The items of `locator` that link to this invoice (INV-1 must not match INV-13)."""
    return locator.filter(has=locator.page.get_by_role("link", name=invoice.number, exact=True))


def test_filter_select_finalize_and_a_refused_revert(open_page, busy_practice, log_in):
    acme = busy_practice["clients"][0]
    drafts = list(Invoice.objects.filter(client=acme, status="draft"))
    finalized = Invoice.objects.filter(client=acme, status="finalized").first()
    assert len(drafts) >= 2

    page = open_page()
    log_in(page, "alice")
    page.get_by_label("Client").select_option(label="Acme Widgets")
    # htmx swaps the table and puts the filter in the address bar, so the view can be shared.
    expect(page).to_have_url(re.compile(rf"client={acme.pk}"))
    rows = page.locator(".billing-table tbody tr")
    expect(rows).to_have_count(Invoice.objects.filter(client=acme).exclude(status="closed").count())
    expect(page.locator(".billing-table tbody")).not_to_contain_text("Birch & Sons")

    results = page.locator(".results")
    # Nothing ticked yet: the 400 explains itself in the results panel.
    page.get_by_text("More actions").click()
    page.get_by_role("button", name="Finalize", exact=True).click()
    expect(results).to_contain_text("Select at least one invoice first.")

    tick(page, drafts)
    page.get_by_text("More actions").click()
    page.get_by_role("button", name="Finalize", exact=True).click()
    expect(results).to_contain_text(f"Finalize: {len(drafts)} done, 0 refused")
    for draft in drafts:
        expect(holding(results.locator("li"), draft)).to_contain_text("Done")
        # The table below refreshed with the new status.
        expect(holding(rows, draft)).to_contain_text("Finalized")
    assert not Invoice.objects.filter(pk__in=[d.pk for d in drafts], status="draft").exists()

    # Bob processes time but is only Staff on Acme: the service refuses his revert.
    page.get_by_role("button", name="Log out").click()
    log_in(page, "bob")
    page.get_by_label("Search").fill(finalized.number)
    expect(rows).to_have_count(1)
    tick(page, [finalized])
    page.get_by_text("More actions").click()
    page.get_by_role("button", name="Revert to draft").click()
    expect(results).to_contain_text("Revert to draft: 0 done, 1 refused")
    refusal = holding(results.locator("li"), finalized)
    expect(refusal).to_contain_text("Refused")
    expect(refusal).to_contain_text("You need the Owner role on this client to do this.")
    assert Invoice.objects.get(pk=finalized.pk).status == "finalized"


def test_bulk_finalize_works_without_javascript(open_page, busy_practice, log_in):
    drafts = list(Invoice.objects.filter(status="draft").order_by("-issue_date")[:3])
    page = open_page(javascript=False)
    log_in(page, "alice")
    page.get_by_label("Status").select_option("draft")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"status=draft"))
    # Without JavaScript there is no select-all, only the row boxes.
    expect(page.locator("input[data-select-all]")).to_be_hidden()
    tick(page, drafts)
    page.locator("summary", has_text="More actions").click()  # <details> opens natively
    page.get_by_role("button", name="Finalize", exact=True).click()
    expect(page.locator(".results")).to_contain_text("Finalize: 3 done, 0 refused")
    # The list kept its filter: the finalized ones left the list of drafts.
    rows = page.locator(".billing-table tbody tr")
    for draft in drafts:
        expect(holding(rows, draft)).to_have_count(0)
    assert Invoice.objects.filter(pk__in=[d.pk for d in drafts], status="finalized").count() == 3


def test_add_line_in_the_invoice_editor(open_page, busy_practice, log_in):
    page = open_page()
    log_in(page, "alice")
    page.goto("/invoices/new/")
    rows = page.locator("#line-rows tr")
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Add line").click()
    expect(rows).to_have_count(3)
    page.get_by_role("button", name="Add line").click()
    expect(rows).to_have_count(4)
    expect(page.locator("#id_lines-TOTAL_FORMS")).to_have_value("4")
    page.get_by_label("Client").select_option(label="Kestrel Consulting")
    page.locator("#id_lines-3-description").fill("Cash-flow forecast")
    page.locator("#id_lines-3-unit_price").fill("1200")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("h1")).to_contain_text("Draft")
    expect(page.locator("table")).to_contain_text("Cash-flow forecast")
    expect(page.locator("tfoot")).to_contain_text("1,200.00")


def test_screenshot_of_the_billing_list(open_page, busy_practice, log_in):
    page = open_page()
    log_in(page, "alice")
    page.get_by_label("Show closed invoices").check()
    expect(page).to_have_url(re.compile(r"show_closed=on"))
    expect(page.locator(".billing-table tbody tr")).to_have_count(40)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
