"""The export engine against the running emulator: exactly one QBO invoice per Billbridge
invoice, whatever QBO answers (RELIABILITY.md §1.8), customers matched or created (R3), the
same QBO invoice updated on re-export (R4), and removal from QBO before a revert (R8; a paid one
is kept, its payments unapplied, R9: test_paid_revert.py)."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import export, services
from billbridge.quickbooks.connection import client_for
from billbridge.quickbooks.customers import CustomerStep
from billbridge.quickbooks.models import (
    ConnectionStatus,
    CustomerCreation,
    CustomerLink,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboInvoiceLink,
)


def row_of(invoice) -> InvoiceExport:
    return InvoiceExport.objects.filter(invoice=invoice).latest("id")


def test_exports_finalized_invoices_once_with_our_numbers_and_totals(setup):
    first = setup.invoice("Harbor Books")
    second = setup.invoice("Pine & Sons")
    draft = setup.invoice("Draft Ltd", status=InvoiceStatus.DRAFT)
    batch = setup.export(first, second, draft)

    assert batch.refused == [
        {
            "id": draft.pk,
            "number": draft.number,
            "message": f"Invoice {draft.number} is Draft; only finalized invoices go to "
            "QuickBooks.",
        }
    ]
    for invoice in (first, second):
        row = row_of(invoice)
        assert row.state == ExportState.EXPORTED, row.message
        [qbo] = setup.ours_in_qbo(invoice)
        assert qbo["DocNumber"] == invoice.number
        assert qbo["TotalAmt"] == invoice.total
        link = QboInvoiceLink.objects.get(invoice=invoice)
        assert (link.qbo_invoice_id, link.doc_number) == (qbo["Id"], invoice.number)
        assert link.qbo_total == invoice.total
        customer = setup.company.find("Customer", qbo["CustomerRef"]["value"])
        assert customer["DisplayName"] == invoice.client.name
    assert CustomerLink.objects.get(client=first.client).how == CustomerLink.How.CREATED
    progress = services.batch_progress(batch)
    assert (progress.exported, progress.errors, progress.refused, progress.finished) == (
        2,
        0,
        1,
        True,
    )


def test_an_existing_customer_is_matched_by_name_not_duplicated(setup):
    existing = next(
        c for c in setup.company.list("Customer") if c["DisplayName"] == "Amy's Bird Sanctuary"
    )
    invoice = setup.invoice("Amy's Bird Sanctuary")
    customers_before = len(setup.company.list("Customer"))
    setup.export(invoice)
    assert row_of(invoice).state == ExportState.EXPORTED
    assert len(setup.company.list("Customer")) == customers_before
    link = CustomerLink.objects.get(client=invoice.client)
    assert (link.qbo_customer_id, link.how) == (existing["Id"], CustomerLink.How.MATCHED)


def test_names_qbo_cannot_quote_in_a_query_are_matched_and_created(setup):
    """QBO takes curly quotes and dashes in a customer's name but answers 4000 "Lexical error"
    when a query's literal holds one (quickbooks-ruby#309, QuickBooks-V3-PHP-SDK#397): such a
    name is looked up on its own, with a LIKE, and must not fail its 29 neighbours' look-up."""
    known = setup.company.create("Customer", {"DisplayName": "O\u2019Brien \u2013 Tax"})
    setup.company.create("Customer", {"DisplayName": "O\u2019Brien \u2013 Taxes"})
    matched = setup.invoice("O\u2019Brien \u2013 Tax")
    created = setup.invoice("\u201cNew\u201d Partners")
    plain = setup.invoice("Amy's Bird Sanctuary")
    setup.export(matched, created, plain)
    assert {row_of(i).state for i in (matched, created, plain)} == {ExportState.EXPORTED}
    link = CustomerLink.objects.get(client=matched.client)
    assert (link.qbo_customer_id, link.how) == (known["Id"], CustomerLink.How.MATCHED)
    named = [c for c in setup.company.list("Customer") if c["DisplayName"] == created.client.name]
    assert len(named) == 1
    assert CustomerLink.objects.get(client=created.client).how == CustomerLink.How.CREATED
    # By hand, the exact name is found among the LIKE's wider answers.
    other = testing.make_client(setup.practice, "Another O'Brien")
    by_hand = services.link_customer_by_hand(setup.member, other.pk, "o\u2019brien \u2013 tax")
    assert by_hand.qbo_customer_id == known["Id"]


def test_exporting_again_without_a_change_is_refused(setup):
    invoice = setup.invoice()
    setup.export(invoice)
    batch = setup.export(invoice)
    assert batch.refused[0]["message"] == (
        f"Invoice {invoice.number} is already in QuickBooks as {invoice.number}; nothing "
        "changed since."
    )
    assert len(setup.ours_in_qbo(invoice)) == 1


SAMPLE_CUSTOMERS = ["Amy's Bird Sanctuary", "Bill's Windsurf Shop", "Cool Cars"]


def test_a_dropped_invoice_batch_answer_is_looked_up_not_resent(setup):
    # Clients QBO already knows: the only batch is the invoices'.
    invoices = [setup.invoice(name) for name in SAMPLE_CUSTOMERS]
    setup.fault(kind="drop", method="POST", path="/v3/company/*/batch", count=1)
    setup.export(*invoices)
    assert {row_of(i).state for i in invoices} == {ExportState.UNKNOWN}
    assert all(len(setup.ours_in_qbo(i)) == 1 for i in invoices)  # QBO did create them
    setup.drain_all_due()
    for invoice in invoices:
        assert row_of(invoice).state == ExportState.EXPORTED
        assert len(setup.ours_in_qbo(invoice)) == 1


def test_a_dropped_customer_batch_creates_each_customer_once(setup):
    invoices = [setup.invoice(f"New client {n}") for n in range(3)]
    setup.fault(kind="drop", method="POST", path="/v3/company/*/batch", count=1)
    setup.export(*invoices)
    assert {row_of(i).state for i in invoices} == {ExportState.QUEUED}
    setup.drain_all_due()
    names = [c["DisplayName"] for c in setup.company.list("Customer")]
    for invoice in invoices:
        assert row_of(invoice).state == ExportState.EXPORTED
        assert names.count(invoice.client.name) == 1
        assert len(setup.ours_in_qbo(invoice)) == 1


def test_a_failed_look_up_sends_nothing(setup):
    invoice = setup.invoice(SAMPLE_CUSTOMERS[0])
    setup.fault(kind="drop", method="POST", path="/v3/company/*/batch", count=1)
    setup.export(invoice)
    setup.company.delete_invoice(setup.ours_in_qbo(invoice)[0]["Id"])
    setup.fault(path="/v3/company/*/query", status=503, count=1)
    posts_before = _posts(setup)
    setup.drain_all_due()
    assert row_of(invoice).state == ExportState.UNKNOWN
    assert _posts(setup) == posts_before  # the failed query only: no create
    setup.drain_all_due()
    assert row_of(invoice).state == ExportState.EXPORTED
    assert len(setup.ours_in_qbo(invoice)) == 1


def _posts(setup) -> int:
    entries = httpx.get(
        f"{setup.qbo.control_url}/requests", params={"method": "POST", "limit": 1000}
    ).json()
    return len([e for e in entries["requests"] if not e["path"].endswith("/query")])


def test_a_throttled_batch_waits_a_minute_and_then_goes(setup):
    invoice = setup.invoice()
    setup.fault(method="POST", path="/v3/company/*/batch", status=429, count=1)
    setup.export(invoice)
    row = row_of(invoice)
    assert row.state == ExportState.QUEUED
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert QboConnection.objects.get().paused_until > timezone.now() + timedelta(seconds=50)
    setup.drain_all_due()
    assert row_of(invoice).state == ExportState.EXPORTED


def test_a_revoked_connection_pauses_exports_and_loses_nothing(setup):
    invoice = setup.invoice()
    httpx.post(f"{setup.qbo.control_url}/tokens/revoke", json={"realm_id": setup.realm})
    setup.export(invoice)
    connection = QboConnection.objects.get()
    assert connection.status == ConnectionStatus.RECONNECT
    assert row_of(invoice).state == ExportState.QUEUED
    assert setup.ours_in_qbo(invoice) == []


def test_a_vendor_with_the_clients_name_is_a_clear_error_with_a_way_out(setup):
    setup.company.create("Vendor", {"DisplayName": "Clash Supplies"})
    invoice = setup.invoice("Clash Supplies")
    setup.export(invoice)
    row = row_of(invoice)
    assert row.state == ExportState.FAILED
    assert "vendor or an employee" in row.message
    assert "Link this client to an existing QBO customer" in row.advice
    customer = setup.company.create("Customer", {"DisplayName": "Clash Supplies Inc"})
    services.link_customer_by_hand(setup.member, invoice.client_id, customer["Id"])
    setup.export(invoice)
    assert row_of(invoice).state == ExportState.EXPORTED
    assert setup.ours_in_qbo(invoice)[0]["CustomerRef"]["value"] == customer["Id"]


def test_an_inactive_customer_is_made_active_with_a_warning(setup):
    customer = setup.company.create("Customer", {"DisplayName": "Sleepy Co", "Active": False})
    invoice = setup.invoice("Sleepy Co")
    setup.export(invoice)
    row = row_of(invoice)
    assert row.state == ExportState.EXPORTED
    assert "was inactive" in row.warning
    assert setup.company.find("Customer", customer["Id"])["Active"] is True


def test_a_customer_made_between_look_up_and_create_is_matched_not_called_a_clash(setup):
    """Another worker (or a QBO user) creates the name after our look-up: QBO answers 6240 to
    our create, and the customer it made is the one to bill."""
    client = testing.make_client(setup.practice, "Late Arrivals")

    class RacedClient:
        """The real client; each name look-up is followed by someone else creating the name."""

        def __init__(self, real):
            self.real = real

        def query(self, text):
            found = self.real.query(text)
            if "DisplayName in" in text:
                setup.company.create("Customer", {"DisplayName": "Late Arrivals"})
            return found

        def __getattr__(self, name):
            return getattr(self.real, name)

    with client_for(setup.connection) as qbo:
        step = CustomerStep(RacedClient(qbo), setup.realm, "test-owner", timedelta(seconds=60))
        step.find({client})
    named = [c for c in setup.company.list("Customer") if c["DisplayName"] == "Late Arrivals"]
    assert len(named) == 1
    assert step.problems == {}
    assert step.customers == {client.pk: named[0]["Id"]}
    link = CustomerLink.objects.get(client=client)
    assert (link.qbo_customer_id, link.how) == (named[0]["Id"], CustomerLink.How.MATCHED)
    assert not CustomerCreation.objects.exists()  # the name is let go


def test_a_name_another_drain_is_creating_waits_for_it_and_is_not_created_twice(setup):
    invoice = setup.invoice("Busy Name Co")
    CustomerCreation.objects.create(
        realm_id=setup.realm,
        name_key="busy name co",
        owner="another-drain",
        lease_until=timezone.now() + timedelta(seconds=60),
    )
    setup.export(invoice)
    row = row_of(invoice)
    assert (row.state, row.payload, row.lease_until) == (ExportState.QUEUED, "", None)
    assert setup.requests("/v3/company/*/batch") == []  # nothing created, nothing sent
    assert row.next_attempt_at > timezone.now()
    assert not [c for c in setup.company.list("Customer") if c["DisplayName"] == "Busy Name Co"]

    # The other drain made the customer and let the name go; ours now finds and bills it.
    made = setup.company.create("Customer", {"DisplayName": "Busy Name Co"})
    CustomerLink.objects.create(
        client=invoice.client,
        realm_id=setup.realm,
        qbo_customer_id=made["Id"],
        display_name="Busy Name Co",
        how=CustomerLink.How.CREATED,
    )
    CustomerCreation.objects.all().delete()
    setup.drain_all_due()
    assert row_of(invoice).state == ExportState.EXPORTED
    assert setup.ours_in_qbo(invoice)[0]["CustomerRef"]["value"] == made["Id"]


def test_a_name_left_by_a_dead_drain_is_taken_over_when_its_lease_ends(setup):
    invoice = setup.invoice("Orphan Name Co")
    CustomerCreation.objects.create(
        realm_id=setup.realm,
        name_key="orphan name co",
        owner="dead-drain",
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    setup.export(invoice)
    assert row_of(invoice).state == ExportState.EXPORTED
    named = [c for c in setup.company.list("Customer") if c["DisplayName"] == "Orphan Name Co"]
    assert len(named) == 1
    assert not CustomerCreation.objects.exists()


def test_revert_removes_the_invoice_from_qbo_and_a_new_export_creates_it_again(setup):
    invoice = setup.invoice()
    setup.export(invoice)
    invoicing.revert_to_draft(setup.member, invoice.pk, "fix a line")
    assert setup.ours_in_qbo(invoice) == []
    assert QboInvoiceLink.objects.get(invoice=invoice).state == QboInvoiceLink.State.REMOVED
    invoicing.finalize(setup.member, invoice.pk)
    invoice.refresh_from_db()
    setup.export(invoice)
    assert row_of(invoice).state == ExportState.EXPORTED
    assert len(setup.ours_in_qbo(invoice)) == 1


def test_revert_of_an_invoice_paid_in_qbo_unapplies_the_payment_and_keeps_the_qbo_invoice(setup):
    invoice = setup.invoice()
    setup.export(invoice)
    qbo_id = QboInvoiceLink.objects.get(invoice=invoice).qbo_invoice_id
    payment = setup.company.receive_payment(qbo_id, Decimal("10.00"))
    invoicing.revert_to_draft(setup.member, invoice.pk, "oops")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT
    [qbo] = setup.ours_in_qbo(invoice)
    assert (qbo["Id"], qbo["TotalAmt"], qbo["Balance"]) == (
        qbo_id,
        Decimal("686.00"),
        Decimal("686.00"),
    )
    assert setup.company.read("Payment", payment["Id"])["UnappliedAmt"] == Decimal("10.00")
    assert QboInvoiceLink.objects.get(invoice=invoice).state == QboInvoiceLink.State.IN_QBO


def test_re_export_updates_the_same_qbo_invoice_even_after_an_edit_in_qbo(setup):
    invoice = setup.invoice()
    setup.export(invoice)
    link = QboInvoiceLink.objects.get(invoice=invoice)
    setup.company.edit_invoice(link.qbo_invoice_id, {"CustomerMemo": {"value": "edited in QBO"}})
    invoicing.close(setup.member, invoice.pk, "paid by cheque")
    invoicing.reopen(setup.member, invoice.pk, "cheque bounced")
    invoice.refresh_from_db()
    setup.export(invoice)  # a new version: an update on a stale SyncToken (5010), reapplied
    assert row_of(invoice).state == ExportState.EXPORTED, row_of(invoice).message
    [qbo] = setup.ours_in_qbo(invoice)
    assert qbo["Id"] == link.qbo_invoice_id
    assert int(qbo["SyncToken"]) >= 2


def test_a_qbo_invoice_deleted_there_is_replaced_only_when_confirmed(setup):
    invoice = setup.invoice()
    setup.export(invoice)
    link = QboInvoiceLink.objects.get(invoice=invoice)
    setup.company.delete_invoice(link.qbo_invoice_id)
    invoicing.close(setup.member, invoice.pk, "x")
    invoicing.reopen(setup.member, invoice.pk, "y")
    invoice.refresh_from_db()
    setup.export(invoice)
    assert row_of(invoice).state == ExportState.DELETED_IN_QBO
    assert setup.ours_in_qbo(invoice) == []
    services.confirm_replacement(setup.member, invoice.pk)
    export.drain(setup.realm)
    assert row_of(invoice).state == ExportState.EXPORTED
    [qbo] = setup.ours_in_qbo(invoice)
    assert qbo["Id"] != link.qbo_invoice_id


@pytest.mark.qbo_company(country="GB")
def test_a_uk_company_chosen_by_the_marker_gets_a_vat_code_on_every_line(setup):
    """The qbo_company marker's company: a UK one, whose lines each carry a VAT code."""
    invoicing.update_tax_settings(
        setup.member, primary_name="VAT", primary_rate=Decimal("20"), primary_enabled=True
    )
    invoice = setup.invoice("Thames Traders")
    setup.export(invoice)
    row = row_of(invoice)
    assert row.state == ExportState.EXPORTED, row.message
    [qbo] = setup.ours_in_qbo(invoice)
    assert all(
        "TaxCodeRef" in line["SalesItemLineDetail"]
        for line in qbo["Line"]
        if "SalesItemLineDetail" in line
    )
