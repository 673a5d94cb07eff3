"""The paid-status sync against the emulator (R6): closed only when QBO shows it paid in full,
on the total we exported, neither voided nor deleted; reopened when the payment goes away;
whatever else a QBO user changed is flagged, never applied."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import export, paid_status, services
from billbridge.quickbooks.models import QboConnection, QboInvoiceLink, WebhookEvent
from billbridge.quickbooks.testing import connect_practice


@pytest.fixture
def paid(db, qbo_settings, emulator, qbo_company):
    practice = testing.make_practice("Paid Co")
    member = testing.make_admin(practice)
    invoicing.update_tax_settings(
        member, primary_name="Sales tax", primary_rate=Decimal("8"), primary_enabled=True
    )
    connect_practice(practice, emulator, qbo_company)
    return Paid(member, emulator, qbo_company)


class Paid:
    def __init__(self, member, qbo, realm):
        self.member, self.qbo, self.realm = member, qbo, realm
        self.company = qbo.emulator.company(realm)

    def exported(self, name="Payer Co"):
        client = testing.make_client(self.member.practice, name)
        testing.assign(self.member, client)
        invoice = testing.make_invoice(self.member, client, InvoiceStatus.FINALIZED)
        services.request_export(self.member, [invoice.pk])
        export.drain(self.realm)
        link = QboInvoiceLink.objects.get(invoice=invoice)
        return invoice, link.qbo_invoice_id

    def sync(self):
        return paid_status.sync_company(self.realm, force=True)

    def status(self, invoice):
        invoice.refresh_from_db()
        return invoice.status

    def cdc_calls(self) -> int:
        entries = httpx.get(
            f"{self.qbo.control_url}/requests", params={"path": "/v3/company/*/cdc"}
        ).json()["requests"]
        return len(entries)


def test_an_invoice_reopened_here_while_qbo_shows_it_paid_is_closed_again(paid):
    """Found by the stateful test: the sync skipped a QBO invoice it had seen at that SyncToken,
    so a local reopen ("cheque bounced") left ours Finalized while QBO holds the payment."""
    invoice, qbo_id = paid.exported()
    paid.company.receive_payment(qbo_id)
    paid.sync()
    assert paid.status(invoice) == InvoiceStatus.CLOSED
    invoicing.reopen(paid.member, invoice.pk, "Cheque bounced")
    assert paid.status(invoice) == InvoiceStatus.FINALIZED

    assert paid.sync()["closed"] == 1
    assert paid.status(invoice) == InvoiceStatus.CLOSED
    assert paid.sync()["read"] == 0  # seen now, and unchanged here since: skipped again


def test_paid_in_full_closes_with_the_reason_and_who(paid):
    invoice, qbo_id = paid.exported()
    paid.sync()  # the first sync catches up by reading our invoices: still open
    assert paid.status(invoice) == InvoiceStatus.FINALIZED
    paid.company.receive_payment(qbo_id)
    report = paid.sync()
    assert report["closed"] == 1
    assert paid.status(invoice) == InvoiceStatus.CLOSED
    event = invoice.timeline.last()
    assert (event.action, event.reason, event.who) == (
        "closed",
        "Paid in QuickBooks",
        "QuickBooks sync",
    )
    link = QboInvoiceLink.objects.get(invoice=invoice)
    assert link.closed_by_sync and link.qbo_balance == 0
    assert paid.cdc_calls() == 1  # the second sync asked QBO what changed, once


def test_a_partial_payment_leaves_it_open_with_the_balance(paid):
    invoice, qbo_id = paid.exported()
    paid.company.receive_payment(qbo_id, Decimal("100.00"))
    paid.sync()
    assert paid.status(invoice) == InvoiceStatus.FINALIZED
    link = QboInvoiceLink.objects.get(invoice=invoice)
    assert link.qbo_balance == invoice.total - Decimal("100.00")


def test_a_payment_deleted_in_qbo_reopens_the_invoice(paid):
    invoice, qbo_id = paid.exported()
    paid.sync()
    payment = paid.company.receive_payment(qbo_id)
    paid.sync()
    assert paid.status(invoice) == InvoiceStatus.CLOSED
    paid.company.delete_payment(payment["Id"])
    assert paid.sync()["reopened"] == 1
    assert paid.status(invoice) == InvoiceStatus.FINALIZED
    event = invoice.timeline.last()
    assert event.action == "reopened" and "payment was removed in QuickBooks" in event.reason


def test_a_voided_invoice_is_never_closed_and_is_flagged(paid):
    invoice, qbo_id = paid.exported()
    paid.sync()
    paid.company.void_invoice(qbo_id)
    assert paid.sync()["drift"] == 1
    assert paid.status(invoice) == InvoiceStatus.FINALIZED
    assert QboInvoiceLink.objects.get(invoice=invoice).drift["kind"] == "voided"


def test_a_deleted_invoice_is_flagged(paid):
    invoice, qbo_id = paid.exported()
    paid.sync()
    paid.company.delete_invoice(qbo_id)
    paid.sync()
    assert paid.status(invoice) == InvoiceStatus.FINALIZED
    assert QboInvoiceLink.objects.get(invoice=invoice).drift["kind"] == "deleted"


def test_a_total_changed_in_qbo_is_flagged_and_not_closed_when_paid(paid):
    invoice, qbo_id = paid.exported()
    paid.sync()
    current = paid.company.find("Invoice", qbo_id)
    lines = [line for line in current["Line"] if "SalesItemLineDetail" in line][:1]
    paid.company.edit_invoice(qbo_id, {"Line": lines})
    paid.company.receive_payment(qbo_id)
    paid.sync()
    assert paid.status(invoice) == InvoiceStatus.FINALIZED
    drift = QboInvoiceLink.objects.get(invoice=invoice).drift
    assert drift["kind"] == "changed"
    fields = {d["field"] for d in drift["differences"]}
    assert {"Total", "Lines"} <= fields


def test_invoices_made_in_qbo_are_ignored(paid):
    invoice, _ = paid.exported()
    paid.sync()
    other = next(i for i in paid.company.list("Invoice") if "bb:" not in i.get("PrivateNote", ""))
    if Decimal(str(other["Balance"])) > 0:
        paid.company.receive_payment(other["Id"])
    report = paid.sync()
    assert report["closed"] == 0
    assert paid.status(invoice) == InvoiceStatus.FINALIZED
    assert not QboInvoiceLink.objects.filter(qbo_invoice_id=other["Id"]).exists()


def test_an_old_watermark_falls_back_to_reading_our_invoices(paid):
    invoice, qbo_id = paid.exported()
    paid.sync()
    paid.company.receive_payment(qbo_id)
    QboConnection.objects.update(cdc_watermark=timezone.now() - timedelta(days=40))
    paid.sync()
    assert paid.status(invoice) == InvoiceStatus.CLOSED
    assert paid.cdc_calls() == 0  # beyond CDC's 30 days: read by Id instead


def test_events_waiting_make_a_sync_due_and_one_sync_serves_them_all(paid):
    invoice, qbo_id = paid.exported()
    paid.sync()
    assert not paid_status.sync_due(QboConnection.objects.get())
    for n in range(5):
        WebhookEvent.objects.create(
            dedupe_key=f"e{n}", realm_id=paid.realm, entity="Invoice", entity_id=qbo_id,
            operation="Update",
        )  # fmt: skip
    paid.company.receive_payment(qbo_id)
    assert paid_status.sync_due(QboConnection.objects.get())
    assert paid_status.sync_company(paid.realm)["closed"] == 1
    assert not WebhookEvent.objects.filter(processed_at__isnull=True).exists()
    # Nothing waiting, interval not up:
    assert paid_status.sync_company(paid.realm)["skipped"] is True


def test_keep_as_is_accepts_qbo_version_and_a_payment_then_closes_it(paid):
    invoice, qbo_id = paid.exported()
    paid.sync()
    current = paid.company.find("Invoice", qbo_id)
    paid.company.edit_invoice(
        qbo_id, {"Line": [line for line in current["Line"] if "SalesItemLineDetail" in line][:1]}
    )
    paid.sync()
    assert QboInvoiceLink.objects.get(invoice=invoice).drift["kind"] == "changed"
    assert services.resolve_drift(paid.member, invoice.pk, keep=True) is None
    link = QboInvoiceLink.objects.get(invoice=invoice)
    assert "kind" not in link.drift
    paid.sync()  # QBO unchanged since: no new flag
    assert "kind" not in QboInvoiceLink.objects.get(invoice=invoice).drift
    paid.company.receive_payment(qbo_id)
    paid.sync()
    assert paid.status(invoice) == InvoiceStatus.CLOSED


def test_export_ours_again_puts_our_version_back_in_qbo(paid):
    invoice, qbo_id = paid.exported()
    paid.sync()
    current = paid.company.find("Invoice", qbo_id)
    paid.company.edit_invoice(
        qbo_id, {"Line": [line for line in current["Line"] if "SalesItemLineDetail" in line][:1]}
    )
    paid.sync()
    batch = services.resolve_drift(paid.member, invoice.pk, keep=False)
    export.drain(paid.realm)
    assert services.batch_progress(batch).exported == 1
    assert paid.company.find("Invoice", qbo_id)["TotalAmt"] == invoice.total
    paid.sync()
    assert "kind" not in QboInvoiceLink.objects.get(invoice=invoice).drift


def test_export_ours_again_after_a_deletion_in_qbo_makes_a_new_qbo_invoice(paid):
    invoice, qbo_id = paid.exported()
    paid.sync()
    paid.company.delete_invoice(qbo_id)
    paid.sync()
    services.resolve_drift(paid.member, invoice.pk, keep=False)
    export.drain(paid.realm)
    link = QboInvoiceLink.objects.get(invoice=invoice)
    assert link.qbo_invoice_id != qbo_id
    assert paid.company.find("Invoice", link.qbo_invoice_id)["TotalAmt"] == invoice.total
