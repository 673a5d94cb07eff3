"""Credit notes and closed periods in a real browser (issue 12's story): a QBO admin closes the
books in the emulator's view of the company; reverting an exported October invoice is refused
with the way forward; followed, part of it is credited, exported and applied, and the balance
agrees on both sides; the rest is credited too, and the invoice closes as credited. Both
documents are then in the emulator's view, the credit memos applied to the invoice."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billbridge.core import testing
from billbridge.invoicing import credits
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.quickbooks import paid_status
from billbridge.quickbooks.models import QboInvoiceLink
from billbridge.quickbooks.testing import connect_practice
from tests.e2e.steps import export_one_from_the_billing_list

pytestmark = pytest.mark.browser
SCREENSHOTS = testing.PROJECT_ROOT / "docs" / "screenshots"


def qbo_invoice(emulator, realm: str, invoice: Invoice) -> dict:
    link = QboInvoiceLink.objects.get(invoice=invoice)
    return emulator.emulator.company(realm).read("Invoice", link.qbo_invoice_id)


def credit_by_amount(page, amount: str, reason: str) -> None:
    page.get_by_label("An amount").check()
    page.get_by_label("Amount", exact=True).fill(amount)
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name="Draft the credit note").click()
    page.get_by_role("button", name="Finalize").click()
    page.get_by_role("button", name="Export to QuickBooks Online").click()
    expect(
        page.get_by_text(re.compile(r"Exported as credit memo CN-\d; applied to"))
    ).to_be_visible()


def test_close_the_books_revert_refused_credit_instead_until_closed(
    open_page, log_in, qbo_settings, emulator, qbo_company, practice_to_export, settings
):
    settings.QBO_LOOKUP_DELAY_SECONDS = 0
    emulator.emulator.company(qbo_company).set_preferences(custom_txn_numbers=True)
    connect_practice(practice_to_export["practice"], emulator, qbo_company)
    invoice = next(i for i in practice_to_export["invoices"] if i.status == "finalized")
    page = open_page()
    log_in(page, "alice")

    # Exported from the Billing list.
    export_one_from_the_billing_list(page, invoice.number)

    # A QBO admin closes October's books in the emulator's view of the company.
    page.goto(f"{emulator.base_url}/_emulator/ui/{qbo_company}")
    page.get_by_label("Close the books through").fill("2026-10-31")
    page.get_by_role("button", name="Save closing date").click()
    expect(page.get_by_text("Books closed through 2026-10-31.")).to_be_visible()

    # Reverting the October invoice is refused, with the way forward.
    page.goto(f"/invoices/{invoice.pk}/")
    before = qbo_invoice(emulator, qbo_company, invoice)
    page.get_by_role("button", name="Revert to draft").click()
    expect(page.get_by_text("in a closed period", exact=False)).to_be_visible()
    expect(page.get_by_text("QuickBooks' closed-books date", exact=False)).to_be_visible()
    assert qbo_invoice(emulator, qbo_company, invoice) == before
    page.screenshot(path=str(SCREENSHOTS / "revert-closed-period.png"), full_page=True)

    # Followed: part of it credited in the open period, exported and applied, and the
    # balance agrees on both sides.
    page.get_by_role("link", name="Issue a credit note instead").click()
    credit_by_amount(page, "50.00", "Discount agreed for October")
    first = Invoice.objects.get(credited_invoice=invoice)
    assert (first.number, first.total) == ("CN-1", Decimal("50.00"))
    assert first.issue_date.isoformat() > "2026-10-31"  # in the open period
    due = invoice.total - Decimal("50.00")
    assert qbo_invoice(emulator, qbo_company, invoice)["Balance"] == due
    page.goto(f"/invoices/{invoice.pk}/")
    expect(page.locator("[data-balance='due']")).to_contain_text(f"{due:,.2f}")
    page.screenshot(path=str(SCREENSHOTS / "invoice-credited.png"), full_page=True)

    # The rest credited as well.
    page.get_by_role("link", name="Issue a credit note").click()
    credit_by_amount(page, f"{due}", "October invoice billed in error")
    assert qbo_invoice(emulator, qbo_company, invoice)["Balance"] == 0

    # The paid sync sees it at zero: closed as credited, nothing due on either side.
    paid_status.sync_company(qbo_company, force=True)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CLOSED
    assert credits.balance_of(invoice).due == 0
    assert invoice.timeline.last().reason == "Credited in QuickBooks (CN-1, CN-2)"
    page.goto(f"/invoices/{invoice.pk}/")
    expect(page.locator("h1")).to_contain_text("Closed")

    # Both documents in the emulator: the invoice paid off, the two memos applied to it.
    page.goto(f"{emulator.base_url}/_emulator/ui/{qbo_company}")
    memos = page.locator("table").nth(1)
    expect(memos).to_contain_text("CN-1")
    expect(memos).to_contain_text("CN-2")
    expect(memos.get_by_text("Applied", exact=True)).to_have_count(2)
    page.screenshot(path=str(SCREENSHOTS / "emulator-credit-memos.png"), full_page=True)
