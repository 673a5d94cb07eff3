"""Send from QuickBooks on the pages: with the practice's option on, the invoice page's Send and
More actions ▸ Email selected invoices ask QuickBooks Online to email the exported invoice."""

import httpx
import pytest
from django.test import Client as Browser
from django.urls import reverse

from billbridge.core import testing
from billbridge.documents.models import InvoiceSend, SendChannel, SendState
from billbridge.quickbooks import attachments
from billbridge.quickbooks.models import QboConnection

pytestmark = pytest.mark.django_db


@pytest.fixture
def by_quickbooks(setup):
    QboConnection.objects.filter(pk=setup.connection.pk).update(send_from_quickbooks=True)
    browser = Browser()
    browser.force_login(setup.member.user)
    return browser


def emails(setup) -> list[dict]:
    answer = httpx.get(f"{setup.qbo.control_url}/companies/{setup.realm}/emails")
    return answer.raise_for_status().json()["emails"]


def exported(setup):
    invoice = setup.invoice(
        testing.make_client(setup.practice, "Harbor Books", email="ap@harbor.example")
    )
    setup.export(invoice)
    attachments.drain(setup.realm)
    return invoice


def test_the_page_offers_one_address_and_says_quickbooks_writes_the_mail(setup, by_quickbooks):
    invoice = exported(setup)
    page = by_quickbooks.get(reverse("web:invoice-detail", args=[invoice.pk])).content.decode()
    assert "QuickBooks Online emails the exported invoice with its own message" in page
    assert 'name="subject"' not in page


def test_send_asks_quickbooks_once(setup, by_quickbooks, django_capture_on_commit_callbacks):
    invoice = exported(setup)
    with django_capture_on_commit_callbacks(execute=True):
        answer = by_quickbooks.post(
            reverse("web:invoice-send", args=[invoice.pk]), {"recipients": "ap@harbor.example"}
        )
    assert answer.status_code == 302
    row = InvoiceSend.objects.get(invoice=invoice)
    assert (row.channel, row.state) == (SendChannel.QUICKBOOKS, SendState.SENT)
    assert [email["to"] for email in emails(setup)] == ["ap@harbor.example"]


def test_an_invoice_not_exported_is_refused_with_the_way_forward(setup, by_quickbooks):
    invoice = setup.invoice()
    answer = by_quickbooks.post(
        reverse("web:invoice-send", args=[invoice.pk]), {"recipients": "ap@harbor.example"}
    )
    assert answer.status_code == 409
    assert "export it first" in answer.content.decode()
    assert not InvoiceSend.objects.exists() and emails(setup) == []


def test_two_addresses_are_refused_before_anything_is_asked(setup, by_quickbooks):
    invoice = exported(setup)
    answer = by_quickbooks.post(
        reverse("web:invoice-send", args=[invoice.pk]), {"recipients": "a@x.example, b@x.example"}
    )
    assert answer.status_code == 400
    assert not InvoiceSend.objects.exists()


def test_email_selected_goes_through_quickbooks(
    setup, by_quickbooks, django_capture_on_commit_callbacks
):
    sent, not_exported = exported(setup), setup.invoice("Birch & Sons")
    with django_capture_on_commit_callbacks(execute=True):
        answer = by_quickbooks.post(
            reverse("web:billing-list"),
            {"action": "email", "invoice": [sent.pk, not_exported.pk]},
        )
    page = answer.content.decode()
    assert "1 done, 1 refused" in page and "export it first" in page
    assert [row.invoice_id for row in InvoiceSend.objects.all()] == [sent.pk]
    assert len(emails(setup)) == 1
