"""The invoice as a document, in a real browser (issue 11's story): a manager designs the
invoice template (logo, colour, payment instructions) and looks at the preview, turns on
automatic export (told how many invoices it sends now), finalizes a draft, emails it and reads
the mail and its PDF in the mail catcher, and finds the invoice in the emulator's view of the
QuickBooks company with that same PDF attached."""

import io

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from billbridge.core import testing
from billbridge.documents.models import InvoiceDocument
from billbridge.documents.rendering import invoice_pdf
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.quickbooks.models import QboInvoiceLink
from billbridge.quickbooks.testing import connect_practice

pytestmark = pytest.mark.browser
SCREENSHOTS = testing.PROJECT_ROOT / "docs" / "screenshots"


def png_logo(path) -> None:
    Image.new("RGB", (240, 80), (31, 78, 121)).save(path, format="PNG")


def attachments_in_qbo(qbo, realm: str) -> list[dict]:
    answer = httpx.get(f"{qbo.control_url}/companies/{realm}/attachable")
    return answer.raise_for_status().json()["objects"]


def test_design_email_and_export_automatically(
    open_page, log_in, catcher, qbo_settings, emulator, qbo_company, transactional_db, tmp_path
):
    emulator.emulator.company(qbo_company).set_preferences(custom_txn_numbers=True)
    practice = testing.make_practice("Ledger & Co")
    alice = testing.make_admin(practice, "alice")
    client = testing.make_client(practice, "Harbor Books", email="ap@harbor.example")
    testing.assign(alice, client)
    draft = testing.make_invoice(alice, client, InvoiceStatus.DRAFT)
    connect_practice(practice, emulator, qbo_company)
    page = open_page()
    log_in(page, "alice")

    # Settings ▸ Invoice template: the practice's details, a logo, its colour, how to pay.
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Invoice template").click()
    page.get_by_label("Address").fill("12 Harbor Rd\nPortland, ME 04101")
    page.get_by_label("Tax id").fill("EIN 12-3456789")
    logo = tmp_path / "logo.png"
    png_logo(logo)
    page.get_by_label("Logo", exact=True).set_input_files(str(logo))
    page.get_by_label("Payment instructions").fill("Pay by ACH to account 123456789.")
    # The preview is a PDF of the unsaved values, opened in a new tab.
    with (
        page.context.expect_event(
            "response", lambda response: "/settings/invoice-template/preview/" in response.url
        ) as preview,
        page.expect_popup() as tab,
    ):
        page.get_by_role("button", name="Preview").click()
    assert preview.value.headers["content-type"] == "application/pdf"
    tab.value.close()
    page.get_by_role("button", name="Save invoice template").click()
    expect(page.locator(".messages")).to_contain_text("saved")
    expect(page.locator("img.logo-preview")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "invoice-template.png"), full_page=True)

    # Settings ▸ Integrations: automatic export when an invoice is finalized, confirmed.
    page.get_by_role("link", name="Integrations").click()
    page.get_by_label("When an invoice is finalized").check()
    page.get_by_role("button", name="Save automatic export").click()
    expect(page.get_by_role("heading", name="Turn on automatic export?")).to_be_visible()
    expect(page.get_by_text("Every finalized invoice is already in QuickBooks")).to_be_visible()
    page.get_by_role("button", name="Turn it on").click()
    expect(page.locator(".messages")).to_contain_text(
        "exported to QuickBooks Online when finalized"
    )

    # Finalize the draft: it leaves for QuickBooks by itself.
    page.goto(f"/invoices/{draft.pk}/")
    page.get_by_role("button", name="Finalize").click()
    expect(page.locator(".messages")).to_contain_text("is finalized")
    page.reload()
    expect(page.locator(".col-export, dd").filter(has_text="Exported").first).to_be_visible()

    # The PDF the client gets: the frozen document, looked at as a page.
    invoice = Invoice.objects.get(pk=draft.pk)
    pdf, name = invoice_pdf(invoice)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "12 Harbor Rd" in text and "Pay by ACH to account 123456789." in text
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1  # the logo
    document = InvoiceDocument.objects.filter(invoice=invoice, payment_link="").get()
    look = open_page()
    look.set_content(document.html)
    look.screenshot(path=str(SCREENSHOTS / "invoice-pdf.png"), full_page=True)

    # Email it, and read it in the catcher with its PDF.
    page.get_by_text("Email to the client").click()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("is on its way to ap@harbor.example")).to_be_visible()
    page.goto(catcher)
    page.get_by_role("link", name=f"Invoice {invoice.number} from Ledger & Co").click()
    link = page.get_by_role("link", name=name)
    assert page.request.get(catcher + link.get_attribute("href")).body() == pdf

    # The emulator's view of the company: the invoice, with our PDF attached.
    qbo_id = QboInvoiceLink.objects.get(invoice=invoice).qbo_invoice_id
    (attached,) = [
        a
        for a in attachments_in_qbo(emulator, qbo_company)
        if any(ref["EntityRef"]["value"] == qbo_id for ref in a.get("AttachableRef", []))
    ]
    assert attached["FileName"] == name
    page.goto(f"{emulator.base_url}/_emulator/ui/{qbo_company}")
    row = page.locator(f"#invoice-{qbo_id}")
    expect(row).to_contain_text(name)
    href = row.get_by_role("link", name=name).get_attribute("href")
    assert page.request.get(href).body() == pdf  # the very bytes the client was emailed
    page.screenshot(path=str(SCREENSHOTS / "emulator-attachment.png"), full_page=True)
