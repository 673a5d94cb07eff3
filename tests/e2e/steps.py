"""What several browser stories do the same way."""

from playwright.sync_api import expect


def export_one_from_the_billing_list(page, number: str) -> None:
    """Tick one invoice on the Billing list and export it, waiting for its progress to end."""
    page.get_by_label(f"Select invoice {number}", exact=True).check()
    page.get_by_text("More actions").click()
    page.get_by_role("button", name="Export selected invoices to QuickBooks Online").click()
    expect(page.locator(".results [data-progress]")).to_have_text("1 of 1 exported.")
