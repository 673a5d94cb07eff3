"""A credit note as the client sees it (issue 12): its PDF is the invoice's document titled
"Credit note", naming the invoice it credits, its totals shown as credits, with no due date,
terms or way to pay; a write-off is titled the same; the mail that carries it says so."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from billbridge.core import testing
from billbridge.documents import emailing, rendering
from billbridge.documents.models import SendState
from billbridge.documents.tests.conftest import US_LINES, both_taxes, pdf_text
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.invoicing.services import CreditInput

GOLDEN = Path(__file__).parent / "golden"
DAY = datetime.date(2026, 11, 20)


@pytest.fixture
def us_invoice(designed, admin_member, us_client):
    both_taxes(admin_member)
    return testing.make_invoice(
        admin_member, us_client, InvoiceStatus.FINALIZED, lines=US_LINES, number="INV-0042"
    )


def credit(member, invoice, **fields):
    return invoicing.create_credit_note(
        member,
        CreditInput(
            invoice_id=invoice.pk,
            reason=fields.pop("reason", "Advisory billed twice"),
            issue_date=DAY,
            **fields,
        ),
    )


def test_a_credit_note_names_its_invoice_and_shows_credits_and_no_way_to_pay(
    admin_member, us_invoice
):
    chosen = us_invoice.lines.exclude(description__startswith="Monthly")
    note = credit(admin_member, us_invoice, line_ids=list(chosen.values_list("pk", flat=True)))
    note = invoicing.finalize(admin_member, note.pk)

    pdf, name = rendering.invoice_pdf(note)

    assert name == "CN-1.pdf"
    text = pdf_text(pdf)
    assert text == " ".join((GOLDEN / "us_credit_note.txt").read_text().split())
    # What the invoice's document has and a credit's must not.
    for words in ("INVOICE", "Due date", "Terms", "HOW TO PAY", "Bank transfer", "BILL TO"):
        assert words not in text
    assert "CREDIT NOTE CN-1" in text and "Credits invoice INV-0042" in text


def test_a_credit_notes_document_has_no_place_for_a_payment_link(admin_member, us_invoice):
    note = invoicing.finalize(admin_member, credit(admin_member, us_invoice).pk)
    document = rendering.frozen_document(note)
    assert rendering.PAYMENT_LINK_MARK not in document.html
    link = "https://connect.intuit.example/portal/pay?x=1"
    linked = rendering.frozen_document(note, link)
    assert linked.html == document.html
    assert "Pay online" not in pdf_text(bytes(linked.pdf))


def test_a_write_off_is_titled_a_credit_note_too(admin_member, us_invoice):
    written = credit(admin_member, us_invoice, write_off=True, reason="Client ceased trading")
    text = pdf_text(rendering.invoice_pdf(invoicing.finalize(admin_member, written.pk))[0])
    assert "CREDIT NOTE CN-1" in text
    assert "Written off: Client ceased trading 1 2,433.69 2,433.69" in text
    assert "Subtotal −2,433.69 Total credit −2,433.69" in text
    assert "Write-off" not in text


def test_a_draft_credit_note_says_draft(admin_member, us_invoice):
    text = pdf_text(rendering.invoice_pdf(credit(admin_member, us_invoice))[0])
    assert text.startswith("DRAFT ")
    assert "DRAFT CREDIT NOTE CN-1" in text


def test_an_invoices_document_is_as_it_was(admin_member, us_invoice):
    text = pdf_text(rendering.invoice_pdf(us_invoice)[0])
    assert text == " ".join((GOLDEN / "us_invoice.txt").read_text().split())
    assert "−" not in text


def test_a_credit_notes_mail_is_worded_as_a_credit(
    smtp_server, django_capture_on_commit_callbacks, admin_member, practice
):
    client = testing.make_client(practice, "Harbor Books", email="ap@harbor.example")
    testing.assign(admin_member, client)
    invoice = testing.make_invoice(admin_member, client, InvoiceStatus.FINALIZED)
    note = invoicing.finalize(admin_member, credit(admin_member, invoice, amount=Decimal("50")).pk)

    with django_capture_on_commit_callbacks(execute=True):
        row = emailing.request_send(admin_member, note.pk)
    row.refresh_from_db()

    assert row.state == SendState.SENT
    [mail] = smtp_server.messages()
    assert mail["Subject"] == "Credit note CN-1 from Ledger & Co"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "credit note CN-1 for 50.00, which credits invoice INV-1." in text
    assert "due" not in text
    [attachment] = mail.iter_attachments()
    assert attachment.get_filename() == "CN-1.pdf"
    assert "CREDIT NOTE CN-1" in pdf_text(attachment.get_payload(decode=True))
