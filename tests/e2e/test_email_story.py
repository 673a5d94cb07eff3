"""Emailing an invoice in a real browser, read in the mail catcher `make run` starts: finalize,
Send from the invoice page, see the Emails card say it was delivered, then open the catcher's
page and download the PDF it received (the same bytes as the invoice's)."""

import pytest
from playwright.sync_api import expect

from billbridge.core import testing
from billbridge.documents.rendering import invoice_pdf
from billbridge.invoicing.models import InvoiceStatus

pytestmark = pytest.mark.browser
SCREENSHOT = testing.PROJECT_ROOT / "docs" / "screenshots" / "invoice-emailed.png"


def test_email_an_invoice_and_read_it_in_the_catcher(open_page, log_in, catcher, transactional_db):
    practice = testing.make_practice("Ledger & Co")
    alice = testing.make_admin(practice, "alice")
    client = testing.make_client(practice, "Harbor Books", email="ap@harbor.example")
    testing.assign(alice, client)
    invoice = testing.make_invoice(alice, client, InvoiceStatus.FINALIZED)

    page = open_page()
    log_in(page, "alice")
    page.goto(f"/invoices/{invoice.pk}/")
    page.get_by_text("Email to the client").click()
    expect(page.get_by_label("To")).to_have_value("ap@harbor.example")
    expect(page.get_by_label("Subject")).to_have_value(f"Invoice {invoice.number} from Ledger & Co")
    page.get_by_label("Message").fill("Dear Harbor Books,\n\nYour invoice is attached.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("is on its way to ap@harbor.example")).to_be_visible()
    emails = page.locator("section", has=page.get_by_role("heading", name="Emails"))
    expect(emails).to_contain_text("Delivered to the mail server")
    expect(page.locator(".timeline")).to_contain_text("Emailed")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)  # the invoice page, once emailed

    page.goto(catcher)
    page.get_by_role("link", name=f"Invoice {invoice.number} from Ledger & Co").click()
    expect(page.locator("pre")).to_contain_text("Your invoice is attached.")
    link = page.get_by_role("link", name=f"{invoice.number}.pdf")
    # The link is relative to the catcher; the context resolves against Billbridge.
    downloaded = page.request.get(catcher + link.get_attribute("href"))
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.body() == invoice_pdf(invoice)[0]
