"""The invoice as a document in QBO: its PDF, e-mail sends, the payment link, and how the HTML
view and the control API show them."""

import io
import json

import pytest
from pypdf import PdfReader

from qbo_emulator import pdf
from qbo_emulator.tests._data_helpers import content, fault_of, line, metadata, multipart
from qbo_emulator.tests._fixtures_edge import edge_client

DESIGN, INSTALLATION = "3", "4"


def new_invoice(api, customer="3", **fields) -> dict:
    return api.create("Invoice", {
        "CustomerRef": {"value": customer},
        "Line": [line(DESIGN, None, qty=2, price=75) | {"Description": "Garden design"},
                 line(INSTALLATION, 50)],
        **fields,
    })  # fmt: skip


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def send(api, invoice_id: str, **params):
    params.setdefault("minorversion", "75")
    return api.client.post(
        api.url(f"invoice/{invoice_id}/send"),
        params=params,
        headers={"Content-Type": "application/octet-stream"},
    )


def test_invoice_pdf_is_a_valid_pdf_with_number_customer_lines_and_total(api, sample):
    invoice = new_invoice(api)
    response = api.client.get(
        api.url(f"invoice/{invoice['Id']}/pdf"),
        headers={"Accept": "application/pdf, application/json"},  # as python-quickbooks asks
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        f"INVOICE {invoice['DocNumber']}",
        "Cool Cars",
        "Garden design",
        "Installation",
        "150.00",
        "50.00",
        "Total",
        "200.00",
        sample.name,
    ):
        assert expected in text, expected  # fmt: skip


def test_pdf_of_an_unknown_invoice_or_other_entity_is_a_fault(api):
    assert fault_of(api.get("invoice/999/pdf"))["code"] == "610"
    assert fault_of(api.get("customer/1/pdf"))["code"] == "500"


def test_pdf_writer_escapes_text_and_replaces_what_latin1_lacks():
    data = pdf.page([pdf.Text(50, 700, "Brackets (a) \\ back"), pdf.Text(50, 680, "Zł 5 €")])
    text = pdf_text(data)
    assert "Brackets (a) \\ back" in text
    assert "Z? 5 ?" in text


def test_send_records_the_delivery_and_the_email(api, sample):
    invoice = new_invoice(api)
    sent = api.ok(send(api, invoice["Id"], sendTo="ap@example.com"))["Invoice"]
    assert sent["EmailStatus"] == "EmailSent"
    assert sent["BillEmail"] == {"Address": "ap@example.com"}
    assert sent["DeliveryInfo"] == {"DeliveryType": "Email",
                                    "DeliveryTime": sample.timestamp()}  # fmt: skip
    assert sample.emails == [{"invoice_id": invoice["Id"], "doc_number": invoice["DocNumber"],
                              "to": "ap@example.com", "at": sample.timestamp()}]  # fmt: skip
    api.ok(send(api, invoice["Id"]))  # to the BillEmail now on the invoice
    assert [e["to"] for e in sample.emails] == ["ap@example.com", "ap@example.com"]


def test_send_without_any_address_or_with_a_bad_one_is_refused(api, sample):
    customer = api.create("Customer", {"DisplayName": "No Mail Ltd"})
    invoice = new_invoice(api, customer=customer["Id"])
    assert fault_of(send(api, invoice["Id"]))["code"] == "2020"
    assert fault_of(send(api, invoice["Id"], sendTo="not-an-address"))["code"] == "2010"
    assert sample.emails == []


def test_send_is_replayed_by_requestid(api, sample):
    invoice = new_invoice(api)
    first = send(api, invoice["Id"], requestid="send-1")
    assert send(api, invoice["Id"], requestid="send-1").content == first.content
    assert len(sample.emails) == 1


@pytest.mark.parametrize(
    "payments, fields, linked",
    [
        (True, {"AllowOnlineCreditCardPayment": True}, True),
        (True, {"AllowOnlineACHPayment": True}, True),
        (True, {}, False),  # the invoice does not allow online payment
        (False, {"AllowOnlineCreditCardPayment": True}, False),  # QBO Payments off
    ],
)
def test_invoice_link_only_with_payments_on_and_online_payment_allowed(
    api, sample, payments, fields, linked
):
    sample.set_preferences(payments=payments)
    invoice = new_invoice(api, **fields)
    assert "InvoiceLink" not in invoice  # never on writes
    read = api.ok(api.get(f"invoice/{invoice['Id']}", include="invoiceLink"))["Invoice"]
    assert ("InvoiceLink" in read) is linked
    assert "InvoiceLink" not in api.read("Invoice", invoice["Id"])  # only when asked for
    if linked:
        assert read["InvoiceLink"] == (
            f"http://testserver/_emulator/pay/{sample.realm_id}/{invoice['Id']}"
        )


def test_invoice_link_needs_a_bill_email_and_comes_with_queries(api, sample):
    sample.set_preferences(payments=True)
    customer = api.create("Customer", {"DisplayName": "No Mail Ltd"})
    without = new_invoice(api, customer=customer["Id"], AllowOnlineCreditCardPayment=True)
    with_email = new_invoice(api, AllowOnlineCreditCardPayment=True)
    answer = api.ok(
        api.client.get(
            api.url("query"),
            params={"query": "select * from Invoice where Id in "
                             f"('{without['Id']}', '{with_email['Id']}')",
                    "include": "invoiceLink", "minorversion": "75"},
        )
    )  # fmt: skip
    links = {i["Id"]: i.get("InvoiceLink") for i in answer["QueryResponse"]["Invoice"]}
    assert links[without["Id"]] is None and links[with_email["Id"]]


@pytest.fixture
def edge():
    with edge_client(seed="sample") as edge:
        edge.emulator.company(edge.realm).set_preferences(payments=True)
        yield edge


def test_payments_is_a_company_preference_in_the_control_api(edge):
    created = edge.client.post("/_emulator/companies", json={
        "name": "Pay Co", "preferences": {"payments": True}}).json()  # fmt: skip
    assert created["preferences"]["payments"] is True
    realm = created["realm_id"]
    changed = edge.client.patch(f"/_emulator/companies/{realm}/preferences",
                                json={"payments": False})  # fmt: skip
    assert changed.json()["preferences"]["payments"] is False
    refused = edge.client.patch(f"/_emulator/companies/{realm}/preferences",
                                json={"payments": "yes"})  # fmt: skip
    assert refused.status_code == 400


def test_the_pay_page_pays_the_invoice_as_a_customer_would(edge):
    company = edge.emulator.company(edge.realm)
    invoice = company.edit_invoice("5", {"AllowOnlineCreditCardPayment": True})
    link = company.read("Invoice", "5")
    page = edge.client.get(f"/_emulator/pay/{edge.realm}/5")
    assert page.status_code == 200
    assert f"Pay invoice {invoice['DocNumber']}" in page.text
    assert f"Pay {link['Balance']:,.2f} now" in page.text
    paid = edge.client.post(f"/_emulator/pay/{edge.realm}/5", follow_redirects=False)
    assert paid.status_code == 303
    assert company.read("Invoice", "5")["Balance"] == 0
    assert "Nothing is due" in edge.client.get(paid.headers["location"]).text
    assert edge.client.get(f"/_emulator/pay/{edge.realm}/999").status_code == 404


def test_company_page_shows_attachments_sends_and_payment_link(edge):
    company = edge.emulator.company(edge.realm)
    company.edit_invoice("5", {"AllowOnlineCreditCardPayment": True})
    headers = edge.bearer()
    body, content_type = multipart(metadata(entity_id="5"), content())
    uploaded = edge.client.post(
        f"/v3/company/{edge.realm}/upload",
        content=body,
        headers={**headers, "Content-Type": content_type},
    )
    assert uploaded.status_code == 200, uploaded.text
    sent = edge.client.post(f"/v3/company/{edge.realm}/invoice/5/send",
                            params={"sendTo": "client@example.com"}, headers=headers)  # fmt: skip
    assert sent.status_code == 200
    page = edge.client.get(f"/_emulator/ui/{edge.realm}").text
    row = page[page.index("id='invoice-5'") :].split("</tr>")[0]
    assert "invoice-1001.pdf" in row
    assert "Emailed to client@example.com at " in row
    assert f"/_emulator/pay/{edge.realm}/5" in row
    link = row.split("href='")[1].split("'")[0].replace("&amp;", "&")
    assert edge.client.get(link).content.startswith(b"%PDF-1.4")
    assert "<h2>Attachments</h2>" in page and "Invoice 5" in page


def test_emails_are_listed_by_the_control_api(edge):
    company = edge.emulator.company(edge.realm)
    company.send_invoice("5", "client@example.com")
    answer = edge.client.get(f"/_emulator/companies/{edge.realm}/emails")
    assert answer.status_code == 200
    [email] = answer.json()["emails"]
    assert (email["invoice_id"], email["to"]) == ("5", "client@example.com")
    assert edge.client.get("/_emulator/companies/nope/emails").status_code == 404


def test_the_state_snapshot_keeps_emails(edge):
    edge.emulator.company(edge.realm).send_invoice("5", "client@example.com")
    state = json.loads(json.dumps(edge.runtime.snapshot(), default=str))
    edge.runtime.restore(state)
    assert edge.emulator.company(edge.realm).emails[0]["to"] == "client@example.com"
