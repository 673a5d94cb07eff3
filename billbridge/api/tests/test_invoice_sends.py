"""POST /api/v1/invoices/{id}/send and GET …/sends, each answer checked against the OpenAPI
document, the mail sent to the real SMTP server on loopback."""

from billbridge.core import testing
from billbridge.documents.models import InvoiceSend, SendState
from billbridge.quickbooks import attachments
from billbridge.quickbooks.models import QboConnection


def test_send_answers_202_with_the_row_and_sends_lists_it(
    admin_api, emailable, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_api.post(f"/api/v1/invoices/{emailable.pk}/send")
    assert answer.status_code == 202
    row = answer.json()
    assert (row["invoice"], row["recipients"], row["state"]) == (
        emailable.pk,
        "ap@harbor.example",
        "queued",
    )
    assert len(smtp_server.messages()) == 1

    [listed] = admin_api.get(f"/api/v1/invoices/{emailable.pk}/sends").json()
    assert listed["id"] == row["id"] and listed["state"] == "sent"
    assert listed["sent_at"] is not None and listed["error"] == ""


def test_typed_addresses_and_refusals(
    admin_api, as_member, practice, admin_member, emailable, smtp_server
):
    bad = admin_api.post(f"/api/v1/invoices/{emailable.pk}/send", {"recipients": "nobody"})
    assert bad.status_code == 400 and bad.json()["detail"] == "“nobody” is not an email address."
    draft = testing.make_invoice(admin_member, emailable.client)
    assert admin_api.post(f"/api/v1/invoices/{draft.pk}/send").status_code == 409
    clerk = as_member(testing.make_member(practice, "clerk", can_export=True))
    refused = clerk.post(f"/api/v1/invoices/{emailable.pk}/send")
    assert refused.status_code == 403 and "Process time" in refused.text
    assert not InvoiceSend.objects.exists()


def test_another_practices_invoice_is_not_found(admin_api, db):
    other = testing.make_practice("Elsewhere LLP")
    mallory = testing.make_admin(other, "mallory")
    hidden = testing.make_client(other, "Hidden Co", email="x@hidden.example")
    testing.assign(mallory, hidden)
    theirs = testing.make_invoice(mallory, hidden, "finalized")
    assert admin_api.post(f"/api/v1/invoices/{theirs.pk}/send").status_code == 404
    assert admin_api.get(f"/api/v1/invoices/{theirs.pk}/sends").status_code == 404
    assert not InvoiceSend.objects.exists()


def test_with_send_from_quickbooks_the_api_asks_quickbooks(
    setup, as_member, django_capture_on_commit_callbacks
):
    QboConnection.objects.filter(pk=setup.connection.pk).update(send_from_quickbooks=True)
    api = as_member(setup.member)
    invoice = setup.invoice()
    refused = api.post(f"/api/v1/invoices/{invoice.pk}/send", {"recipients": "ap@harbor.example"})
    assert refused.status_code == 409 and "export it first" in refused.json()["detail"]

    setup.export(invoice)
    attachments.drain(setup.realm)
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(
            f"/api/v1/invoices/{invoice.pk}/send", {"recipients": "ap@harbor.example"}
        )
    assert answer.status_code == 202
    assert (answer.json()["channel"], answer.json()["recipients"]) == (
        "quickbooks",
        "ap@harbor.example",
    )
    assert InvoiceSend.objects.get(invoice=invoice).state == SendState.SENT
