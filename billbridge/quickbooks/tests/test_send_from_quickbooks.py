"""Send from QuickBooks: QBO emails the exported invoice, its PDF attached, once."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from billbridge.documents.models import InvoiceSend, SendChannel, SendState
from billbridge.quickbooks import attachments, sending

pytestmark = pytest.mark.django_db


def emails(setup) -> list[dict]:
    answer = httpx.get(f"{setup.qbo.control_url}/companies/{setup.realm}/emails")
    return answer.raise_for_status().json()["emails"]


def test_quickbooks_emails_an_exported_invoice_once(setup, django_capture_on_commit_callbacks):
    invoice = setup.invoice()
    setup.export(invoice)
    attachments.drain(setup.realm)
    with django_capture_on_commit_callbacks(execute=True):
        [outcome] = sending.request_send(setup.member, [invoice.pk], recipients=["a@example.com"])
    assert outcome.done, outcome.message
    row = InvoiceSend.objects.get(invoice=invoice)
    assert (row.channel, row.state, row.recipients) == (
        SendChannel.QUICKBOOKS,
        SendState.SENT,
        "a@example.com",
    )
    assert [e["to"] for e in emails(setup)] == ["a@example.com"]
    # The row is the record: sending it again does nothing.
    assert sending.send(row.pk) == SendState.SENT
    assert len(emails(setup)) == 1


def test_not_exported_is_refused_with_the_reason(setup):
    invoice = setup.invoice()
    [outcome] = sending.request_send(setup.member, [invoice.pk], recipients=["a@example.com"])
    assert not outcome.done and "export it first" in outcome.message
    assert not InvoiceSend.objects.exists()
    assert emails(setup) == []


def test_a_lost_answer_is_unknown_and_never_sent_again(setup, django_capture_on_commit_callbacks):
    invoice = setup.invoice()
    setup.export(invoice)
    attachments.drain(setup.realm)
    setup.fault(kind="drop", method="POST", path="/v3/company/*/invoice/*/send", count=1)
    with django_capture_on_commit_callbacks(execute=True):
        sending.request_send(setup.member, [invoice.pk], recipients=["a@example.com"])
    row = InvoiceSend.objects.get(invoice=invoice)
    assert row.state == SendState.UNKNOWN and "Check in QuickBooks" in row.error
    assert sending.send(row.pk) == SendState.UNKNOWN
    assert len(emails(setup)) == 1


def test_a_send_whose_worker_died_becomes_unknown_and_says_so(setup, settings):
    # The wake-up is queued, not run: the row stays as the dead worker left it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    invoice = setup.invoice()
    setup.export(invoice)
    attachments.drain(setup.realm)
    sending.request_send(setup.member, [invoice.pk], recipients=["a@example.com"])
    row = InvoiceSend.objects.get(invoice=invoice)
    InvoiceSend.objects.filter(pk=row.pk).update(state=SendState.SENDING, started_at=timezone.now())
    assert sending.settle_abandoned(timezone.now()) == 0  # its worker may still be asking
    later = timezone.now() + sending.ABANDONED_AFTER + timedelta(seconds=1)
    assert sending.settle_abandoned(later) == 1
    row.refresh_from_db()
    assert row.state == SendState.UNKNOWN and "Check in QuickBooks" in row.error
    note = invoice.timeline.get(action="email unknown")
    assert note.who == "QuickBooks"
    assert emails(setup) == []  # never sent by the sweep


def test_a_credit_note_goes_by_our_mail_beside_invoices_sent_by_quickbooks(setup, credit):
    setup.connection.send_from_quickbooks = True
    setup.connection.save()
    invoice = setup.invoice()
    invoice.client.email = "accounts@harbor.example"
    invoice.client.save()
    setup.export(invoice)
    attachments.drain(setup.realm)
    note = credit(invoice, amount=Decimal("10.00"))
    assert not sending.sends_from_quickbooks(setup.practice, note)
    assert sending.sends_from_quickbooks(setup.practice, invoice)
    outcomes = sending.send_selected(setup.member, [note.pk, invoice.pk])
    assert [(o.invoice_id, o.done) for o in outcomes] == [(note.pk, True), (invoice.pk, True)]
    channels = dict(InvoiceSend.objects.values_list("invoice_id", "channel"))
    assert channels == {note.pk: SendChannel.EMAIL, invoice.pk: SendChannel.QUICKBOOKS}
