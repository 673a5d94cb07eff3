"""Contract: the invoice as a document, through python-quickbooks unchanged, against the emulator
over HTTP — an Attachable uploaded by the library's own multipart path, read, queried by the
invoice, downloaded, deleted; `Invoice.send`, `Invoice.download_pdf` and `include=invoiceLink`.

The emulator and the connected client are the contract suites' (conftest.py), so both drive the
library the same way.
"""

import io
from decimal import Decimal

import pytest
import requests
from pypdf import PdfReader
from quickbooks.exceptions import ObjectNotFoundException, ValidationException
from quickbooks.objects.attachable import Attachable
from quickbooks.objects.base import AttachableRef
from quickbooks.objects.invoice import Invoice

from tests.contract.builders import new_customer, new_invoice

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n" + bytes(range(256)) + b"\n%%EOF\n"


def attachment_for(invoice: Invoice, file_name="invoice.pdf", content_type="application/pdf"):
    ref = AttachableRef()
    ref.EntityRef = invoice.to_ref()
    ref.IncludeOnSend = True
    attachment = Attachable()
    attachment.AttachableRef.append(ref)
    attachment.FileName = file_name
    attachment.ContentType = content_type
    return attachment


@pytest.fixture
def invoice(connected) -> Invoice:
    client, _ = connected
    return new_invoice(client, new_customer(client, "Document Customer"), "120.00")


def test_upload_read_query_download_and_delete(connected, invoice):
    client, _ = connected
    attachment = attachment_for(invoice)
    attachment._FileBytes = PDF
    saved = attachment.save(qb=client)  # multipart POST /upload, base64 content part
    assert saved.Id and saved.FileName == "invoice.pdf"
    assert saved.Size == len(PDF)

    fetched = Attachable.get(saved.Id, qb=client)
    assert fetched.ContentType == "application/pdf"
    assert fetched.AttachableRef[0].EntityRef.value == invoice.Id
    assert fetched.AttachableRef[0].IncludeOnSend is True
    assert fetched.TempDownloadUri and fetched.FileAccessUri.endswith(f"/download/{saved.Id}")

    found = Attachable.where(
        f"AttachableRef.EntityRef.Type = 'Invoice' AND AttachableRef.EntityRef.value = "
        f"'{invoice.Id}'",
        qb=client,
    )
    assert [a.Id for a in found] == [saved.Id]

    # The library has no download call: its own request method asks for the link (plain text),
    # and the link needs no token, as Intuit's S3 links do not.
    answer = client.process_request(
        "GET", f"{client.api_url}/company/{client.company_id}/download/{saved.Id}",
        headers={"Accept": "text/plain"},
    )  # fmt: skip
    assert answer.status_code == 200
    served = requests.get(answer.text, timeout=5)
    assert served.status_code == 200 and served.content == PDF

    fetched.delete(qb=client)
    with pytest.raises(ObjectNotFoundException):
        Attachable.get(saved.Id, qb=client)
    assert requests.get(answer.text, timeout=5).status_code == 404


def test_upload_from_a_file_path_and_rename(connected, invoice, tmp_path):
    client, _ = connected
    path = tmp_path / "logo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x01" * 64)
    attachment = attachment_for(invoice, "logo.png", "image/png")
    attachment._FilePath = str(path)
    saved = attachment.save(qb=client)
    assert saved.Size == 72
    saved.FileName = "practice-logo.png"
    renamed = saved.save(qb=client)  # an update: JSON to /attachable, the file is kept
    assert (renamed.FileName, renamed.Size, renamed.SyncToken) == ("practice-logo.png", 72, "1")


def test_unsupported_file_type_is_a_validation_error(connected, invoice):
    client, _ = connected
    attachment = attachment_for(invoice, "tool.exe", "application/x-msdownload")
    attachment._FileBytes = b"MZ"
    with pytest.raises(ValidationException) as refused:
        attachment.save(qb=client)
    assert refused.value.error_code == 2010
    assert Attachable.all(qb=client) == []


def test_a_note_on_the_invoice(connected, invoice):
    client, _ = connected
    note = attachment_for(invoice, file_name=None)
    note.FileName = None
    note.ContentType = None
    note.Note = "Sent a paper copy too."
    saved = note.save(qb=client)  # no file: JSON POST /attachable
    assert Attachable.get(saved.Id, qb=client).Note == "Sent a paper copy too."


def test_send_and_download_pdf(connected, invoice, qbo):
    client, _ = connected
    result = invoice.send(qb=client, send_to="billing@client.example")
    assert result["Invoice"]["EmailStatus"] == "EmailSent"
    assert result["Invoice"]["DeliveryInfo"]["DeliveryType"] == "Email"
    fetched = Invoice.get(invoice.Id, qb=client)
    assert fetched.BillEmail.Address == "billing@client.example"
    emails = qbo.emulator.company(client.company_id).emails
    assert [e["to"] for e in emails] == ["billing@client.example"]

    document = invoice.download_pdf(qb=client)
    text = PdfReader(io.BytesIO(document)).pages[0].extract_text()
    assert f"INVOICE {invoice.DocNumber}" in text
    assert "Document Customer" in text and "120.00" in text


def test_invoice_link_with_qbo_payments_on(connected, qbo):
    client, _ = connected
    company = qbo.emulator.company(client.company_id)
    company.set_preferences(payments=True)
    customer = new_customer(client, "Pays Online")
    invoice = new_invoice(client, customer, "80.00")
    invoice.BillEmail = {"Address": "pays@client.example"}
    invoice.AllowOnlineCreditCardPayment = True
    invoice = invoice.save(qb=client)
    assert not Invoice.get(invoice.Id, qb=client).InvoiceLink
    linked = Invoice.get(invoice.Id, qb=client, params={"include": "invoiceLink"})
    assert linked.InvoiceLink.startswith(qbo.base_url)
    page = requests.get(linked.InvoiceLink, timeout=5)
    assert f"Pay invoice {invoice.DocNumber}" in page.text
    paid = requests.post(linked.InvoiceLink, timeout=5)  # the page's Pay button
    assert paid.status_code == 200
    assert Decimal(str(Invoice.get(invoice.Id, qb=client).Balance)) == 0
