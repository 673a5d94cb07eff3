"""The paid-status sync with credit notes, against the emulator (docs/decisions/0027): an invoice
brought to a zero balance by credits (and payments) closes, saying which; a credit's zero payment
removed in QBO reopens it and shows the credit unapplied; a credit memo changed, voided or
deleted there is drift on its credit note, settled as an invoice's is."""

import datetime
import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.test import Client
from django.utils import timezone

from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import credit_application, export, paid_status, services
from billbridge.quickbooks.models import (
    ApplicationState,
    QboConnection,
    QboCreditApplication,
    QboInvoiceLink,
    WebhookEvent,
)
from billbridge.time import billing, rate_card
from billbridge.time import services as time
from billbridge.time.realization import Scope, realization
from qbo_emulator.webhooks import sign


def link_of(document) -> QboInvoiceLink:
    return QboInvoiceLink.objects.get(invoice=document)


def application_of(note) -> QboCreditApplication:
    return QboCreditApplication.objects.get(credit_note=note)


def status(invoice) -> str:
    invoice.refresh_from_db()
    return invoice.status


def sync(setup) -> dict:
    return paid_status.sync_company(setup.realm, force=True)


def edit_credit_memo(company, memo_id: str, changes: dict) -> dict:
    """A sparse edit with the current SyncToken, as the QBO UI saves an edited credit memo."""
    with company.emulator.operation():
        current = company.read("CreditMemo", memo_id)
        body = {**changes, "Id": memo_id, "SyncToken": current["SyncToken"], "sparse": True}
        return company.update("CreditMemo", body, sparse=True)


@pytest.fixture
def exported(setup):
    """A finalized invoice of 686.00 in QBO (450.00 taxed at 8 %, 200.00 untaxed), with the
    first sync done, so that later ones read the change data capture."""
    invoice = setup.invoice()
    setup.export(invoice)
    sync(setup)
    return invoice


def test_credits_alone_taking_the_balance_to_zero_close_it_as_credited(setup, exported, credit):
    first, second = exported.lines.order_by("id")
    cn1 = credit(exported, line_ids=[first.pk])
    assert sync(setup)["closed"] == 0
    assert link_of(exported).qbo_balance == Decimal("200.00")
    cn2 = credit(exported, line_ids=[second.pk])

    report = sync(setup)

    # The invoice and the new credit memo (the first, as last read, is not applied again).
    assert (report["closed"], report["read"]) == (1, 2)
    assert status(exported) == InvoiceStatus.CLOSED
    event = exported.timeline.last()
    assert (event.action, event.reason, event.who) == (
        "closed",
        f"Credited in QuickBooks ({cn1.number}, {cn2.number})",
        "QuickBooks sync",
    )
    assert link_of(exported).closed_by_sync
    # Each credit memo's credit is spent, as its link now says.
    assert [link_of(note).qbo_balance for note in (cn1, cn2)] == [Decimal("0.00")] * 2
    assert [status(note) for note in (cn1, cn2)] == [InvoiceStatus.FINALIZED] * 2


def test_a_credit_and_a_payment_together_close_it_as_paid(setup, exported, credit):
    credit(exported, amount=Decimal("100.00"))
    sync(setup)
    assert status(exported) == InvoiceStatus.FINALIZED
    link = link_of(exported)
    assert link.qbo_balance == Decimal("586.00")

    setup.company.receive_payment(link.qbo_invoice_id)
    assert sync(setup)["closed"] == 1
    assert exported.timeline.last().reason == "Paid in QuickBooks"


@pytest.mark.parametrize("removal", ["delete_payment", "void_payment"])
def test_a_credits_zero_payment_removed_in_qbo_reopens_the_invoice_and_unapplies_it(
    setup, exported, credit, removal
):
    note = credit(exported)
    sync(setup)
    assert status(exported) == InvoiceStatus.CLOSED
    application = application_of(note)
    payment_id = application.qbo_payment_id
    getattr(setup.company, removal)(payment_id)

    report = sync(setup)

    assert (report["reopened"], report["unapplied"]) == (1, 1)
    assert status(exported) == InvoiceStatus.FINALIZED
    qbo_invoice = setup.company.read("Invoice", link_of(exported).qbo_invoice_id)
    assert exported.timeline.last().reason == (
        f"The credit's application was removed in QuickBooks ({note.number}; balance "
        f"686.00 of 686.00)."
    )
    application.refresh_from_db()
    assert (application.state, application.qbo_payment_id, application.next_attempt_at) == (
        ApplicationState.FAILED,
        "",
        None,
    )
    assert application.error == (
        f"The credit's application was removed in QuickBooks (its payment {payment_id} is no "
        f"longer on QBO invoice {qbo_invoice['DocNumber']})."
    )
    event = note.timeline.last()
    assert (event.action, event.reason, event.who) == (
        "credit unapplied in QuickBooks",
        application.error,
        "QuickBooks sync",
    )
    assert link_of(note).qbo_balance == note.total  # its credit is unspent again
    # A QBO user took it off: Billbridge does not put it back by itself.
    payments = len(setup.company.list("Payment"))
    assert credit_application.drain(setup.realm) == 0
    assert len(setup.company.list("Payment")) == payments
    assert sync(setup)["unapplied"] == 0  # said once


def test_an_application_newer_than_the_read_is_not_taken_for_removed(setup, exported, credit):
    """A sync reads QBO, then the credit is applied, then the sync applies its (older) read:
    the zero payment is missing from that read, and must not be marked removed."""
    link = link_of(exported)
    before = setup.company.read("Invoice", link.qbo_invoice_id)
    read_from = timezone.now()
    note = credit(exported)

    assert paid_status.apply_qbo_invoice(link, before, read_from=read_from) == []
    assert application_of(note).state == ApplicationState.APPLIED
    # The same read, had the sync begun after the credit was applied, shows it gone.
    outcomes = paid_status.apply_qbo_invoice(link, before, read_from=timezone.now())
    assert outcomes == ["unapplied"]
    assert application_of(note).state == ApplicationState.FAILED


def test_the_capture_asks_for_invoices_and_credit_memos_in_one_call(setup, exported, credit):
    credit(exported, amount=Decimal("50.00"))
    sync(setup)
    [cdc] = setup.requests("/v3/company/*/cdc")
    assert parse_qs(cdc["query"])["entities"] == ["Invoice,CreditMemo"]


def test_a_credit_memo_changed_in_qbo_is_drift_on_its_credit_note(setup, exported, credit):
    note = credit(exported, amount=Decimal("100.00"))
    sync(setup)
    memo_id = link_of(note).qbo_invoice_id
    memo = setup.company.read("CreditMemo", memo_id)
    line = next(line for line in memo["Line"] if "SalesItemLineDetail" in line)
    detail = {**line["SalesItemLineDetail"], "UnitPrice": Decimal("150.00")}
    edited = {**line, "Amount": Decimal("150.00"), "SalesItemLineDetail": detail}
    edit_credit_memo(setup.company, memo_id, {"Line": [edited]})

    assert sync(setup)["drift"] == 1

    link = link_of(note)
    assert link.drift["kind"] == "changed"
    assert link.drift["differences"] == [{"field": "Total", "ours": "100.00", "qbo": "150.00"}]
    assert link.qbo_balance == Decimal("50.00")  # 150 less the 100 applied
    assert application_of(note).state == ApplicationState.APPLIED  # still spent on the invoice
    assert "kind" not in link_of(exported).drift
    assert sync(setup)["drift"] == 0  # flagged once

    assert services.resolve_drift(setup.member, note.pk, keep=True) is None
    assert link_of(note).drift == {"accepted": link.drift["qbo"]}
    assert note.timeline.last().reason == (
        f"Kept as a QuickBooks user left QBO credit memo {link.doc_number} (changed there): "
        "Total 100.00 here, 150.00 in QBO."
    )


def test_export_ours_again_puts_the_credit_memo_back_as_we_made_it(setup, exported, credit):
    note = credit(exported, amount=Decimal("100.00"))
    sync(setup)
    memo_id = link_of(note).qbo_invoice_id
    edit_credit_memo(setup.company, memo_id, {"PrivateNote": "edited", "DocNumber": "CM-X"})
    sync(setup)
    assert link_of(note).drift["differences"] == [
        {"field": "Number", "ours": note.number, "qbo": "CM-X"}
    ]

    batch = services.resolve_drift(setup.member, note.pk, keep=False)
    export.drain(setup.realm)

    assert services.batch_progress(batch).exported == 1
    assert setup.company.read("CreditMemo", memo_id)["DocNumber"] == note.number
    sync(setup)
    assert "kind" not in link_of(note).drift


@pytest.mark.parametrize("removal", ["void_credit_memo", "delete_credit_memo"])
def test_a_credit_memo_voided_or_deleted_in_qbo_is_drift_and_ours_can_go_back(
    setup, exported, credit, removal
):
    """QBO takes no credit memo away while its credit is spent: the zero payment goes first.
    Sent again, ours is in QBO once more (a new one for a deleted one) and applied again."""
    note = credit(exported)
    sync(setup)
    memo_id = link_of(note).qbo_invoice_id
    setup.company.delete_payment(application_of(note).qbo_payment_id)
    getattr(setup.company, removal)(memo_id)

    report = sync(setup)

    assert (report["reopened"], report["unapplied"], report["drift"]) == (1, 1, 1)
    kind = "voided" if removal == "void_credit_memo" else "deleted"
    assert link_of(note).drift["kind"] == kind
    assert status(exported) == InvoiceStatus.FINALIZED

    services.resolve_drift(setup.member, note.pk, keep=False)
    export.drain(setup.realm)
    credit_application.drain(setup.realm)

    link = link_of(note)
    assert (link.state, "kind" in link.drift) == (QboInvoiceLink.State.IN_QBO, False)
    assert (link.qbo_invoice_id == memo_id) is (kind == "voided")
    memo = setup.company.read("CreditMemo", link.qbo_invoice_id)
    assert (memo["TotalAmt"], memo["RemainingCredit"]) == (note.total, 0)
    assert application_of(note).state == ApplicationState.APPLIED
    sync(setup)
    assert status(exported) == InvoiceStatus.CLOSED
    assert exported.timeline.last().reason == f"Credited in QuickBooks ({note.number})"


def test_a_catch_up_reads_credit_memos_by_id(setup, exported, credit):
    """Past CDC's 30 days the sync reads ours by Id, credit memos from their own entity: one
    changed is drift, one gone was deleted there."""
    changed = credit(exported, amount=Decimal("10.00"))
    gone = credit(exported, amount=Decimal("20.00"))
    sync(setup)
    edit_credit_memo(setup.company, link_of(changed).qbo_invoice_id, {"DocNumber": "CM-1"})
    setup.company.delete_payment(application_of(gone).qbo_payment_id)
    setup.company.delete_credit_memo(link_of(gone).qbo_invoice_id)
    QboConnection.objects.update(cdc_watermark=timezone.now() - timedelta(days=40))
    setup.qbo.runtime.requests.clear()

    sync(setup)

    assert setup.requests("/v3/company/*/cdc") == []
    assert link_of(changed).drift["kind"] == "changed"
    assert link_of(gone).drift["kind"] == "deleted"
    assert application_of(gone).state == ApplicationState.FAILED


def test_a_qbo_invoice_sharing_a_credit_memos_id_is_not_taken_for_it(setup, exported, credit):
    """QBO numbers each entity's Ids apart: invoice 1 (made in QBO) is not our credit memo 1."""
    note = credit(exported, amount=Decimal("10.00"))
    sync(setup)
    memo_id = link_of(note).qbo_invoice_id
    twin = setup.company.find("Invoice", memo_id)
    assert twin is not None and "bb:" not in twin.get("PrivateNote", "")
    edit = {"DocNumber": "QBO-OWN", "PrivateNote": "a QBO user's own invoice"}
    setup.company.edit_invoice(memo_id, edit)

    report = sync(setup)

    assert report["read"] == 0 and report["drift"] == 0
    assert link_of(note).drift == {}


def test_a_credit_memo_webhook_makes_the_sync_come(setup, exported, credit, settings):
    note = credit(exported, amount=Decimal("10.00"))
    sync(setup)
    memo_id = link_of(note).qbo_invoice_id
    edit_credit_memo(setup.company, memo_id, {"DocNumber": "CM-2"})
    settings.QBO_WEBHOOK_VERIFIER = "test-verifier"
    body = json.dumps(
        [
            {
                "specversion": "1.0",
                "id": "ev-credit-memo-1",
                "source": "intuit.test",
                "type": "qbo.creditmemo.updated.v1",
                "time": "2026-11-26T10:15:30Z",
                "intuitentityid": memo_id,
                "intuitaccountid": setup.realm,
            }
        ]
    ).encode()

    answer = Client().post(
        "/quickbooks/webhooks",
        body,
        content_type="application/cloudevents-batch+json",
        headers={"intuit-signature": sign(body, "test-verifier")},
    )

    assert answer.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.entity, event.entity_id, event.operation) == ("CreditMemo", memo_id, "Update")
    assert paid_status.sync_due(QboConnection.objects.get())
    assert paid_status.sync_company(setup.realm)["drift"] == 1  # not forced: the event did it
    assert link_of(note).drift["kind"] == "changed"


def test_realization_counts_no_credit_as_collected(setup, credit):
    """5 h at 100/h billed for 400.00: 100.00 credited in QBO collects nothing, the rest paid
    there collects 300.00; all of another such invoice credited there collects nothing."""
    member = setup.member
    rate_card.set_rate(
        member,
        rate_card.RateInput(datetime.date(2020, 1, 1), Decimal("100.00"), staff_id=member.pk),
    )
    day = datetime.date.today() - timedelta(days=5)
    invoices = []
    for name in ("Harbor Books", "Quay Stores"):
        client = testing.make_client(setup.practice, name)
        testing.assign(member, client)
        for minutes in (120, 180):
            time.record(member, time.EntryInput(client_id=client.pk, date=day, minutes=minutes))
        invoice = billing.invoice_from_wip(
            member, billing.WipBilling(client_id=client.pk, total=Decimal("400.00"), reason="Fee")
        )
        invoices.append(invoicing.finalize(member, invoice.pk))
    part, whole = invoices
    assert part.total == whole.total == Decimal("400.00")  # no tax on these lines
    setup.export(part, whole)
    credit(part, amount=Decimal("100.00"))
    credit(whole)
    sync(setup)
    assert (status(part), status(whole)) == (InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED)
    assert realization(member, Scope()).total.collected == Decimal("0.00")

    setup.company.receive_payment(link_of(part).qbo_invoice_id)
    sync(setup)
    assert status(part) == InvoiceStatus.CLOSED
    figures = realization(member, Scope()).total
    assert (figures.standard, figures.billed, figures.collected) == (
        Decimal("1000.00"),
        Decimal("800.00"),
        Decimal("300.00"),
    )
