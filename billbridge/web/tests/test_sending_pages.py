"""Emailing invoices from the pages: the Send form, the Emails card, Send again, More actions ▸
Email selected invoices and the Emailed column, against the real SMTP server on loopback."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billbridge.core import testing
from billbridge.documents.models import InvoiceSend, SendState
from billbridge.invoicing.models import InvoiceStatus


@pytest.fixture
def page(emailable):
    return f"/invoices/{emailable.pk}/"


@pytest.fixture
def send_url(emailable):
    return f"/invoices/{emailable.pk}/email/send/"


def test_the_send_form_is_prefilled_from_the_client_and_the_template(alice, page, emailable):
    html = alice.get(page).content.decode()
    assert 'name="recipients" value="ap@harbor.example"' in html
    assert f'value="Invoice {emailable.number} from Ledger &amp; Co"' in html
    assert "Dear Harbor Books," in html
    assert "Emails" not in html.split("Timeline")[0].split("Lines")[1]  # no sends yet, no card


def test_send_delivers_and_the_card_and_timeline_say_so(
    alice, page, send_url, emailable, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = alice.post(
            send_url,
            {
                "recipients": "ap@harbor.example, owner@harbor.example",
                "subject": "Your November invoice",
                "body": "Hello, it is attached.",
            },
        )
    assert answer.status_code == 302 and answer["Location"] == page
    [mail] = smtp_server.messages()
    assert mail["Subject"] == "Your November invoice"
    assert mail["To"] == "ap@harbor.example, owner@harbor.example"
    html = alice.get(page).content.decode()
    assert "is on its way to ap@harbor.example, owner@harbor.example" in html
    card = html.split('id="sends-title"')[1].split("Timeline")[0]
    assert "Delivered to the mail server" in card and "Your November invoice" in card
    assert "Send again" not in card
    assert "Emailed" in html.split("Timeline")[1]


def test_a_bad_address_is_refused_with_the_input_kept(alice, send_url, emailable, smtp_server):
    answer = alice.post(
        send_url, {"recipients": "ap@harbor.example, nobody", "subject": "Hi", "body": "Typed."}
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "“nobody” is not an email address." in html
    assert 'value="ap@harbor.example, nobody"' in html and "Typed." in html
    assert not InvoiceSend.objects.exists() and smtp_server.messages() == []


def test_a_client_without_email_gets_a_note_and_an_empty_to(alice, practice, admin_member):
    client = testing.make_client(practice, "Quiet Co")
    testing.assign(admin_member, client)
    invoice = testing.make_invoice(admin_member, client, InvoiceStatus.FINALIZED)
    html = alice.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "Quiet Co has no billing email" in html
    assert 'name="recipients" value=""' not in html  # empty: no value at all
    assert 'name="recipients"' in html


def test_a_draft_offers_no_send(alice, admin_member, emailable):
    draft = testing.make_invoice(admin_member, emailable.client)
    html = alice.get(f"/invoices/{draft.pk}/").content.decode()
    assert "Email to the client" not in html
    answer = alice.post(
        f"/invoices/{draft.pk}/email/send/",
        {"recipients": "ap@harbor.example", "subject": "s", "body": "b"},
    )
    assert answer.status_code == 409
    assert "is a draft: finalize it first, then send it." in answer.content.decode()


def test_a_member_without_the_permission_is_told_why(browser_for, practice, page, send_url):
    clerk = browser_for(testing.make_member(practice, "clerk", can_export=True))
    html = clerk.get(page).content.decode()
    assert "Emailing the invoice needs the Process time permission" in html
    assert "Email to the client" not in html
    answer = clerk.post(send_url, {"recipients": "ap@harbor.example", "subject": "s", "body": "b"})
    assert answer.status_code == 403
    assert "You need the “Process time” permission to do this." in answer.content.decode()
    assert not InvoiceSend.objects.exists()


def test_another_practices_invoice_is_not_found(alice, other_practice_invoice, smtp_server):
    url = f"/invoices/{other_practice_invoice.pk}/email/send/"
    answer = alice.post(url, {"recipients": "x@y.example", "subject": "s", "body": "b"})
    assert answer.status_code == 404
    assert not InvoiceSend.objects.exists()


def test_send_again_and_i_checked(
    alice, page, emailable, smtp_server, django_capture_on_commit_callbacks
):
    common = {"practice": emailable.practice, "invoice": emailable, "subject": "s", "body": "b"}
    failed = InvoiceSend.objects.create(
        **common, recipients="ap@harbor.example", state=SendState.FAILED, error="Refused."
    )
    unknown = InvoiceSend.objects.create(
        **common, recipients="ap@harbor.example", state=SendState.UNKNOWN, error="Check."
    )
    html = alice.get(page).content.decode()
    assert "I checked: send again" in html and ">Send again<" in html

    with django_capture_on_commit_callbacks(execute=True):
        answer = alice.post(f"/invoices/{emailable.pk}/emails/{unknown.pk}/send-again/")
    assert answer.status_code == 302
    assert len(smtp_server.messages()) == 1
    assert InvoiceSend.objects.count() == 3
    failed.refresh_from_db()
    unknown.refresh_from_db()
    assert (failed.state, unknown.state) == (SendState.FAILED, SendState.UNKNOWN)
    sent = InvoiceSend.objects.get(state=SendState.SENT)
    again = alice.post(f"/invoices/{emailable.pk}/emails/{sent.pk}/send-again/")
    assert again.status_code == 409
    assert alice.post(f"/invoices/{emailable.pk}/emails/999999/send-again/").status_code == 404


def test_bulk_email_lists_each_outcome_and_the_emailed_column_shows_it(
    alice, practice, admin_member, emailable, smtp_server, django_capture_on_commit_callbacks
):
    quiet = testing.make_client(practice, "Quiet Co")
    testing.assign(admin_member, quiet)
    no_email = testing.make_invoice(admin_member, quiet, InvoiceStatus.FINALIZED)
    draft = testing.make_invoice(admin_member, emailable.client)
    with django_capture_on_commit_callbacks(execute=True):
        answer = alice.post(
            "/", {"action": "email", "invoice": [emailable.pk, no_email.pk, draft.pk]}
        )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Email selected invoices: 1 done, 2 refused" in html
    assert "Queued to ap@harbor.example" in html
    assert "Add a billing email to Quiet Co first" in html
    assert "is a draft: finalize it first" in html
    assert len(smtp_server.messages()) == 1

    listed = alice.get("/").content.decode()
    assert '<th scope="col" class="col-emailed">Emailed</th>' in listed
    assert listed.count("Delivered to the mail server") == 1


def test_the_emailed_column_reads_the_page_in_one_query(alice, practice, admin_member, emailable):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alice.get("/").status_code == 200
        return len(captured)

    InvoiceSend.objects.create(
        practice=practice, invoice=emailable, recipients="a@b.example", subject="s", body="b"
    )
    one = queries()
    for n in range(3):
        client = testing.make_client(practice, f"Client {n}", email=f"c{n}@x.example")
        testing.assign(admin_member, client)
        invoice = testing.make_invoice(admin_member, client, InvoiceStatus.FINALIZED)
        InvoiceSend.objects.create(
            practice=practice, invoice=invoice, recipients="a@b.example", subject="s", body="b"
        )
    assert queries() == one


def test_an_empty_list_spans_every_column(alice, practice):
    html = alice.get("/").content.decode()
    columns = html.split("<thead>")[1].split("</thead>")[0].count("<th ")
    assert f'colspan="{columns}" class="empty"' in html
