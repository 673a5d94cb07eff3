"""Emailing an invoice, against real SMTP servers on loopback (mail_fixtures.py): what the
client receives, the row that records it, and each way a mail server fails."""

import threading

import pytest
from django.db import connections

from billbridge.core import testing
from billbridge.core.errors import InvalidInput
from billbridge.documents import delivery, emailing
from billbridge.documents.models import InvoiceSend, InvoiceTemplate, SendState
from billbridge.documents.rendering import invoice_pdf
from billbridge.invoicing.models import InvoiceStatus


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Request an email of one invoice and let the worker (the immediate backend) send it."""

    def requested(membership, invoice, **options) -> InvoiceSend:
        with django_capture_on_commit_callbacks(execute=True):
            row = emailing.request_send(membership, invoice.pk, **options)
        row.refresh_from_db()
        return row

    return requested


def timeline(invoice) -> list[tuple[str, str]]:
    return list(invoice.timeline.filter(action__startswith="email").values_list("action", "reason"))


def test_a_sent_invoice_arrives_with_its_pdf_and_the_row_says_sent(
    smtp_server, send, emailable, admin_member, settings
):
    settings.DEFAULT_FROM_EMAIL = "billing@billbridge.example"
    InvoiceTemplate.objects.filter(practice=emailable.practice).update(
        display_name="Ledger & Co CPAs", contact_email="ann@ledger.example"
    )
    row = send(admin_member, emailable)

    assert row.state == SendState.SENT and row.sent_at is not None and row.error == ""
    assert row.attempts == 1
    [mail] = smtp_server.messages()
    assert mail["To"] == "ap@harbor.example"
    [sender] = mail["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Ledger & Co CPAs",
        "billing@billbridge.example",
    )
    assert mail["Reply-To"] == "ann@ledger.example"
    assert mail["Message-ID"] == row.message_id
    assert mail["Subject"] == f"Invoice {emailable.number} from Ledger & Co CPAs"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Dear Harbor Books," in text and "invoice INV-1 for 650.00, due 2026-12-02." in text
    [attachment] = mail.iter_attachments()
    pdf, name = invoice_pdf(emailable)
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == name
    assert attachment.get_payload(decode=True) == pdf
    assert row.document is not None and row.document.sha256 == row.document.digest(pdf)
    assert timeline(emailable) == [
        ("email requested", "To ap@harbor.example"),
        ("emailed", "To ap@harbor.example"),
    ]


def test_the_clients_billing_emails_are_the_to_line(smtp_server, send, emailable, admin_member):
    emailable.client.billing_emails = "ap@harbor.example, owner@harbor.example"
    emailable.client.save()
    row = send(admin_member, emailable)
    assert row.recipients == "ap@harbor.example, owner@harbor.example"
    [mail] = smtp_server.messages()
    assert mail["To"] == "ap@harbor.example, owner@harbor.example"


def test_several_typed_addresses_and_edited_words(smtp_server, send, emailable, admin_member):
    row = send(
        admin_member,
        emailable,
        recipients="a@harbor.example; b@harbor.example , a@harbor.example",
        subject="Your invoice\r\nBcc: spy@evil.example",
        body="Hello {client}, {unknown} and {total:>99999999} stay as typed.",
    )
    assert row.state == SendState.SENT
    [mail] = smtp_server.messages()
    assert mail["To"] == "a@harbor.example, b@harbor.example"
    assert mail["Bcc"] is None and mail["Subject"] == "Your invoice Bcc: spy@evil.example"
    # Only the template's placeholders are filled; a typed message is sent as typed.
    assert "Hello {client}, {unknown}" in mail.get_body().get_content()


def test_the_template_is_filled_leniently():
    values = {"number": "INV-7", "client": "Acme"}
    assert emailing.fill("{number} for {client}: {nope} {0} { {{number}}", values) == (
        "INV-7 for Acme: {nope} {0} { {INV-7}"
    )
    assert emailing.fill("{number:>999999999}", values) == "{number:>999999999}"


@pytest.mark.parametrize(
    ("recipients", "message"),
    [
        ("", "Give at least one email address."),
        ("ap@harbor.example, not an address", "“not an address” is not an email address."),
        ("Ann <ann@harbor.example>", "“Ann <ann@harbor.example>” is not an email address."),
    ],
)
def test_bad_addresses_are_refused_and_nothing_is_written(
    smtp_server, emailable, admin_member, recipients, message
):
    with pytest.raises(InvalidInput, match=message):
        emailing.request_send(admin_member, emailable.pk, recipients=recipients)
    assert not InvoiceSend.objects.exists() and not timeline(emailable)


def test_refusals_of_the_bulk_request_write_nothing(practice, admin_member, emailable):
    no_email = testing.make_client(practice, "Quiet Co")
    testing.assign(admin_member, no_email)
    draft = testing.make_invoice(admin_member, emailable.client)
    silent = testing.make_invoice(admin_member, no_email, InvoiceStatus.FINALIZED)
    elsewhere = testing.make_practice("Elsewhere LLP")
    stranger = testing.make_admin(elsewhere, "mallory")
    theirs_client = testing.make_client(elsewhere, "Hidden Co", email="x@hidden.example")
    testing.assign(stranger, theirs_client)
    theirs = testing.make_invoice(stranger, theirs_client, InvoiceStatus.FINALIZED)

    outcomes = emailing.request_email(admin_member, [draft.pk, silent.pk, theirs.pk, 2**70])
    assert [(o.done, o.message) for o in outcomes] == [
        (False, f"Invoice {draft.number} is a draft: finalize it first, then send it."),
        (
            False,
            "Add a billing email to Quiet Co first (Clients ▸ Quiet Co ▸ Edit), or type an "
            "address on the invoice's Send form.",
        ),
        (False, "No such invoice."),
        (False, "No such invoice."),
    ]
    assert not InvoiceSend.objects.exists()

    clerk = testing.make_member(practice, "clerk", can_export=True)
    [outcome] = emailing.request_email(clerk, [emailable.pk])
    assert not outcome.done
    assert outcome.message == "You need the “Process time” permission to do this."
    assert not InvoiceSend.objects.exists()


def test_a_refused_recipient_fails_with_the_servers_reason(
    smtp_refusing, send, emailable, admin_member
):
    row = send(admin_member, emailable)
    assert row.state == SendState.FAILED and row.sent_at is None
    assert row.error == (
        "The mail server refused ap@harbor.example: 550 5.1.1 <ap@harbor.example>: Recipient "
        "address rejected: User unknown."
    )
    assert smtp_refusing.messages() == []
    assert timeline(emailable)[-1] == ("email failed", row.error)


def test_a_silent_server_times_out_and_nothing_is_sent(smtp_silent, send, emailable, admin_member):
    row = send(admin_member, emailable)
    assert row.state == SendState.FAILED
    assert row.error == (
        f"The mail server at 127.0.0.1:{smtp_silent.port} did not answer within 1 seconds; "
        "nothing was sent."
    )


def test_an_unreachable_server_fails(settings, send, emailable, admin_member):
    from mail_catcher.smtp import free_port

    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    row = send(admin_member, emailable)
    assert row.state == SendState.FAILED
    assert "could not be reached: the connection was refused" in row.error


def test_a_drop_after_the_data_is_unknown_never_sent(smtp_dropping, send, emailable, admin_member):
    row = send(admin_member, emailable)
    assert row.state == SendState.UNKNOWN and row.sent_at is None
    assert row.error.endswith(delivery.UNKNOWN_ADVICE)
    assert timeline(emailable)[-1] == ("email unknown", row.error)


def test_send_again_makes_a_new_row_and_sends_once(
    settings,
    smtp_server,
    smtp_refusing,
    send,
    emailable,
    admin_member,
    django_capture_on_commit_callbacks,
):
    failed = send(admin_member, emailable)
    assert failed.state == SendState.FAILED
    settings.EMAIL_PORT = smtp_server.port  # the server works again
    with django_capture_on_commit_callbacks(execute=True):
        again = emailing.send_again(admin_member, failed.pk)
    again.refresh_from_db()
    failed.refresh_from_db()
    assert again.pk != failed.pk and again.state == SendState.SENT
    assert failed.state == SendState.FAILED  # the record of the failure stays
    assert len(smtp_server.messages()) == 1
    assert again.message_id != failed.message_id
    with pytest.raises(Exception, match="only a failed or unknown one can be sent again"):
        emailing.send_again(admin_member, again.pk)


def test_a_row_sent_twice_by_a_doubled_task_mails_once(smtp_server, send, emailable, admin_member):
    row = send(admin_member, emailable)
    assert delivery.send(row.pk) == "not claimed"
    assert len(smtp_server.messages()) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_row_make_one_mail(smtp_holding, practice, admin_member):
    client = testing.make_client(practice, "Harbor Books", email="ap@harbor.example")
    testing.assign(admin_member, client)
    invoice = testing.make_invoice(admin_member, client, InvoiceStatus.FINALIZED)
    row = InvoiceSend.objects.create(
        practice=practice, invoice=invoice, recipients="ap@harbor.example", subject="s", body="b"
    )
    # The first worker is held mid-send by the server; the second comes for the same row.
    states = []

    def first_worker():
        try:
            states.append(delivery.send(row.pk))
        finally:
            connections.close_all()  # this thread's own connection

    first = threading.Thread(target=first_worker)
    first.start()
    try:
        while not len(smtp_holding.mailbox):
            first.join(0.05)
        assert delivery.send(row.pk) == "not claimed"
    finally:
        smtp_holding.release()
        first.join()
    assert states == [SendState.SENT]
    assert len(smtp_holding.mailbox) == 1


def test_the_sweep_turns_a_lost_sending_into_unknown(emailable, admin_member, settings):
    from datetime import timedelta

    from django.utils import timezone

    row = InvoiceSend.objects.create(
        practice=emailable.practice,
        invoice=emailable,
        recipients="ap@harbor.example",
        subject="s",
        body="b",
        state=SendState.SENDING,
        started_at=timezone.now(),
    )
    assert emailing.sweep()["sends_unknown"] == 0  # its worker may still be talking
    later = timezone.now() + timedelta(
        seconds=emailing.SENDING_STALE_TIMEOUTS * settings.EMAIL_TIMEOUT + 1
    )
    assert emailing.sweep(later)["sends_unknown"] == 1
    row.refresh_from_db()
    assert row.state == SendState.UNKNOWN and row.error.endswith(delivery.UNKNOWN_ADVICE)
    assert emailing.sweep(later)["sends_unknown"] == 0


def test_sends_from_quickbooks_are_left_to_their_own_sweep_and_never_mailed(
    emailable, admin_member, smtp_server, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from billbridge.core.errors import TransitionRefused
    from billbridge.documents.models import SendChannel

    common = {
        "practice": emailable.practice,
        "invoice": emailable,
        "recipients": "ap@harbor.example",
        "subject": "s",
        "body": "b",
        "channel": SendChannel.QUICKBOOKS,
    }
    queued = InvoiceSend.objects.create(**common)
    sending = InvoiceSend.objects.create(
        **common, state=SendState.SENDING, started_at=timezone.now() - timedelta(days=1)
    )
    failed = InvoiceSend.objects.create(**common, state=SendState.FAILED)
    assert emailing.sweep(timezone.now() + timedelta(days=1)) == {
        "sends_unknown": 0,
        "sends_woken": 0,
    }
    assert delivery.send(queued.pk) == "not claimed"
    sending.refresh_from_db()
    assert sending.state == SendState.SENDING
    with pytest.raises(TransitionRefused, match="sent from QuickBooks Online"):
        emailing.send_again(admin_member, failed.pk)
    assert smtp_server.messages() == []


def test_a_pdf_that_cannot_be_made_fails_the_send_and_mails_nothing(
    smtp_server, send, emailable, admin_member, monkeypatch
):
    def broken(invoice):
        raise OSError("no fonts")

    monkeypatch.setattr(delivery, "invoice_pdf", broken)
    row = send(admin_member, emailable)
    assert row.state == SendState.FAILED
    assert row.error == "The invoice's PDF could not be made (no fonts)."
    assert smtp_server.messages() == []
