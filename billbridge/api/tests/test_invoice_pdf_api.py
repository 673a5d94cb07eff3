"""GET /api/v1/invoices/{id}/pdf: the invoice's PDF, scoped to the token's practice."""

from billbridge.api.tests.conftest import served_document
from billbridge.core import testing
from billbridge.documents.tests.conftest import pdf_text
from billbridge.invoicing.models import InvoiceStatus


def test_the_pdf_of_a_finalized_invoice_is_its_frozen_document(admin_api, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)

    first = admin_api.get(f"/api/v1/invoices/{invoice.pk}/pdf")
    second = admin_api.get(f"/api/v1/invoices/{invoice.pk}/pdf")

    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert first.content == second.content
    assert invoice.number in pdf_text(first.content)


def test_a_drafts_pdf_says_draft(admin_api, admin_member, client_a):
    draft = testing.make_invoice(admin_member, client_a)
    response = admin_api.get(f"/api/v1/invoices/{draft.pk}/pdf")
    assert "DRAFT" in pdf_text(response.content)


def test_another_practices_invoice_is_not_found(admin_api, admin_member):
    other = testing.make_practice()
    member = testing.make_admin(other)
    client = testing.make_client(other)
    testing.assign(member, client)
    hidden = testing.make_invoice(member, client, InvoiceStatus.FINALIZED)

    response = admin_api.get(f"/api/v1/invoices/{hidden.pk}/pdf")

    assert response.status_code == 404
    assert response.json()["detail"] == "No such invoice."


def test_the_openapi_document_lists_the_pdf_response():
    operation = served_document()["paths"]["/api/v1/invoices/{invoice_id}/pdf"]["get"]
    # Bytes, described by their media type alone (a JSON schema would describe text).
    assert operation["responses"]["200"]["content"] == {"application/pdf": {}}
