"""The invoice's frozen PDF as an Attachable on its QBO invoice, against the emulator over HTTP:
once per exported version, replaced on re-export, removed on revert, retried when refused,
looked for after a lost answer."""

import io
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone
from pypdf import PdfReader

from billbridge.core import testing
from billbridge.documents.rendering import frozen_document
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.services import LineInput
from billbridge.quickbooks import attachments
from billbridge.quickbooks.column import cells_for
from billbridge.quickbooks.models import AttachmentState, QboAttachment, QboInvoiceLink

pytestmark = pytest.mark.django_db


def ours(setup, invoice) -> list[dict]:
    """The emulator's Attachables linked to the invoice's QBO invoice."""
    qbo_id = QboInvoiceLink.objects.get(invoice=invoice).qbo_invoice_id
    return [
        record
        for record in setup.company.list("Attachable")
        if any(
            ref["EntityRef"]["value"] == qbo_id and ref["EntityRef"]["type"] == "Invoice"
            for ref in record.get("AttachableRef", [])
        )
    ]


def bytes_of(setup, attachable: dict) -> bytes:
    return setup.company.files[attachable["Id"]]


def drain_attachments(setup):
    QboAttachment.objects.exclude(next_attempt_at=None).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    return attachments.drain(setup.realm)


def test_export_attaches_the_frozen_pdf_once(setup):
    invoice = setup.invoice()
    setup.export(invoice)
    drain_attachments(setup)
    found = ours(setup, invoice)
    assert len(found) == 1
    assert found[0]["FileName"] == f"{invoice.number}.pdf"
    assert found[0]["AttachableRef"][0]["IncludeOnSend"] is True
    invoice.refresh_from_db()
    assert bytes_of(setup, found[0]) == bytes(frozen_document(invoice).pdf)
    row = QboAttachment.objects.get(invoice=invoice)
    assert (row.state, row.qbo_attachable_id) == (AttachmentState.ATTACHED, found[0]["Id"])
    # Nothing more to do: a second drain uploads nothing.
    assert drain_attachments(setup) == 0
    assert len(setup.requests("/v3/company/*/upload")) == 1


def test_re_export_replaces_the_pdf(setup):
    invoice = setup.invoice()
    setup.export(invoice)
    drain_attachments(setup)
    first = ours(setup, invoice)[0]
    invoicing.revert_to_draft(setup.member, invoice.pk, reason="fix a line")
    invoice.refresh_from_db()
    assert ours(setup, invoice) == []  # the revert took it away with the QBO invoice
    setup.edit_lines(invoice, [LineInput("Corrected work", Decimal("3"), Decimal("80.00"))])
    invoicing.finalize(setup.member, invoice.pk)
    invoice.refresh_from_db()
    setup.export(invoice)
    drain_attachments(setup)
    found = ours(setup, invoice)
    assert len(found) == 1 and found[0]["Id"] != first["Id"]
    assert bytes_of(setup, found[0]) == bytes(frozen_document(invoice).pdf)
    assert b"Corrected work" in _text(bytes_of(setup, found[0])).encode()


def test_revert_removes_the_attachment_and_the_invoice(setup):
    invoice = setup.invoice()
    setup.export(invoice)
    drain_attachments(setup)
    qbo_id = QboInvoiceLink.objects.get(invoice=invoice).qbo_invoice_id
    invoicing.revert_to_draft(setup.member, invoice.pk, reason="wrong client")
    assert setup.company.list("Attachable") == [] or all(
        ref["EntityRef"]["value"] != qbo_id
        for record in setup.company.list("Attachable")
        for ref in record.get("AttachableRef", [])
    )
    assert setup.ours_in_qbo(invoice) == []
    assert QboAttachment.objects.get(invoice=invoice).state == AttachmentState.REMOVED


def test_a_pdf_not_yet_uploaded_when_the_invoice_is_reverted_is_never_uploaded(setup):
    invoice = setup.invoice()
    setup.export(invoice)  # its PDF queued, not attached yet
    assert QboAttachment.objects.get(invoice=invoice).state == AttachmentState.QUEUED
    invoicing.revert_to_draft(setup.member, invoice.pk, reason="wrong client")
    row = QboAttachment.objects.get(invoice=invoice)
    assert (row.state, row.lease_until) == (AttachmentState.REMOVED, None)
    assert drain_attachments(setup) == 0
    assert setup.requests("/v3/company/*/upload") == []


def test_a_refused_upload_warns_and_the_sweep_retries_once(setup):
    invoice = setup.invoice()
    setup.export(invoice)
    setup.fault(
        kind="fault",
        path="/v3/company/*/upload",
        status=400,
        code="6000",
        message="A business validation error has occurred while processing your request",
        detail="Business Validation Error: the file could not be stored",
        count=1,
    )
    drain_attachments(setup)
    invoice.refresh_from_db()
    cell = cells_for([invoice])[invoice.pk]
    assert cell.label == "Warning"
    assert "PDF not attached in QuickBooks:" in cell.detail
    assert "retried automatically" in cell.detail
    assert ours(setup, invoice) == []
    assert setup.ours_in_qbo(invoice)  # still exported
    # The sweep finds it due again (after its back-off) and the drain attaches it, once.
    from billbridge.quickbooks import sweeping

    QboAttachment.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert setup.realm in sweeping.sweep()["attachments_due"]
    attachments.drain(setup.realm)
    assert len(ours(setup, invoice)) == 1
    assert cells_for([invoice])[invoice.pk].label == "Exported"


@pytest.mark.parametrize("fault", [{"kind": "drop"}, {"kind": "drop", "status": 500}])
def test_a_lost_answer_is_looked_up_not_uploaded_twice(setup, fault):
    invoice = setup.invoice()
    setup.export(invoice)
    setup.fault(method="POST", path="/v3/company/*/upload", count=1, **fault)
    drain_attachments(setup)
    row = QboAttachment.objects.get(invoice=invoice)
    assert row.state == AttachmentState.UNKNOWN
    assert len(ours(setup, invoice)) == 1  # QBO made it; we did not hear
    drain_attachments(setup)
    row.refresh_from_db()
    assert row.state == AttachmentState.ATTACHED
    assert len(ours(setup, invoice)) == 1
    assert row.qbo_attachable_id == ours(setup, invoice)[0]["Id"]
    assert len(setup.requests("/v3/company/*/upload")) == 1


def test_payment_link_is_stored_shown_and_in_the_pdf(setup, client):
    httpx.patch(
        f"{setup.qbo.control_url}/companies/{setup.realm}/preferences", json={"payments": True}
    ).raise_for_status()
    # With Payments on and a billing email, the export allows online payment.
    invoice = setup.invoice(
        testing.make_client(setup.practice, "Harbor Books", email="pay@example.com")
    )
    setup.export(invoice)
    qbo_id = QboInvoiceLink.objects.get(invoice=invoice).qbo_invoice_id
    sent = setup.company.find("Invoice", qbo_id)
    assert sent["AllowOnlineCreditCardPayment"] is True
    assert sent["BillEmail"] == {"Address": "pay@example.com"}
    drain_attachments(setup)
    link = QboInvoiceLink.objects.get(invoice=invoice)
    assert link.payment_link.startswith("http")
    assert link.payment_link_version == invoice.content_version
    pdf = bytes_of(setup, ours(setup, invoice)[0])
    assert link.payment_link in _text(pdf).replace("\n", "")
    client.force_login(setup.member.user)
    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "<dt>Pay online</dt>" in page and link.payment_link in page
    # Read once per exported version.
    drain_attachments(setup)
    assert len(setup.requests(f"/v3/company/*/invoice/{qbo_id}")) == 1


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
