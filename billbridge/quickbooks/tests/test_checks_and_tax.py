"""Check selected invoices (reads only, every finding in plain words) and the tax rules of R7
carried through the whole export against the emulator: US with and without automated sales
tax (both handlings), no sales tax set up, another country's codes, QBO's own numbering."""

from decimal import Decimal

import httpx
import pytest

from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import export, services
from billbridge.quickbooks.connection import update_settings
from billbridge.quickbooks.models import (
    AstTaxHandling,
    ExportCheck,
    ExportState,
    InvoiceExport,
    QboInvoiceLink,
)
from billbridge.quickbooks.testing import connect_practice


def practice_connected_to(emulator, realm, *, rate="8", secondary=None):
    practice = testing.make_practice()
    member = testing.make_admin(practice)
    taxes = {"primary_name": "Sales tax", "primary_rate": Decimal(rate), "primary_enabled": True}
    if secondary:
        taxes.update(
            secondary_name="City tax", secondary_rate=Decimal(secondary), secondary_enabled=True
        )
    invoicing.update_tax_settings(member, **taxes)
    connect_practice(practice, emulator, realm)
    return member


def finalized(member, name="Tax Client"):
    client = testing.make_client(member.practice, name)
    testing.assign(member, client)
    return testing.make_invoice(member, client, InvoiceStatus.FINALIZED)


def exported(member, invoice) -> InvoiceExport:
    services.request_export(member, [invoice.pk])
    export.drain(member.practice.qbo_connection.realm_id)
    return InvoiceExport.objects.get(invoice=invoice)


def qbo_invoice(emulator, realm, invoice) -> dict:
    link = QboInvoiceLink.objects.get(invoice=invoice)
    return emulator.emulator.company(realm).find("Invoice", link.qbo_invoice_id)


@pytest.fixture
def us(db, qbo_settings, emulator, qbo_company):
    return emulator, qbo_company


# ---- check ---------------------------------------------------------------------------------


def test_check_reports_every_finding_and_writes_nothing(us, django_capture_on_commit_callbacks):
    emulator, realm = us
    company = emulator.emulator.company(realm)
    company.set_preferences(custom_txn_numbers=True, book_close_date="2026-10-31")
    member = practice_connected_to(emulator, realm)
    ready = finalized(member, "Cool Cars")
    new_client = finalized(member, "Brand New Client")
    old = testing.make_invoice(
        member,
        ready.client,
        InvoiceStatus.FINALIZED,
        issue_date=ready.issue_date.replace(month=10, day=15),
    )
    draft = testing.make_invoice(member, ready.client)
    company.create(
        "Invoice",
        {
            "CustomerRef": {"value": company.list("Customer")[0]["Id"]},
            "DocNumber": new_client.number,
            "Line": [
                {
                    "Amount": Decimal("5"),
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    )
    invoices_before = len(company.list("Invoice"))
    customers_before = len(company.list("Customer"))

    with django_capture_on_commit_callbacks(execute=True):
        batch = services.request_check(member, [ready.pk, new_client.pk, old.pk, draft.pk])

    findings = {
        check.invoice_id: [(f["tone"], f["text"]) for f in check.findings]
        for check in ExportCheck.objects.filter(batch=batch)
    }
    assert ("ok", "Customer: will use the QBO customer 'Cool Cars'.") in findings[ready.pk]
    assert ("ok", "Tax: 8% matches QBO tax code 'California'") in findings[ready.pk]
    assert ("ok", f"Number {ready.number} is free in QBO.") in findings[ready.pk]
    assert ExportCheck.objects.get(invoice=ready).ok
    assert (
        "ok",
        "Customer: will create 'Brand New Client' in QuickBooks.",
    ) in findings[new_client.pk]
    assert (
        "error",
        f"QuickBooks already has an invoice numbered {new_client.number}.",
    ) in findings[new_client.pk]
    assert not ExportCheck.objects.get(invoice=old).ok
    assert any("2026-10-31" in text for tone, text in findings[old.pk] if tone == "error")
    assert batch.refused[0]["id"] == draft.pk
    progress = services.batch_progress(batch)
    assert (progress.finished, progress.exported, progress.errors) == (True, 1, 2)
    # Nothing written to QBO, nothing exported.
    assert len(company.list("Invoice")) == invoices_before
    assert len(company.list("Customer")) == customers_before
    assert not InvoiceExport.objects.exists()


def preference_reads(control, realm) -> int:
    """How many times QBO's preferences were read since the log was last cleared."""
    log = control.get("/requests", params={"realm": realm, "path": "*/preferences"})
    return len(log.json()["requests"])


def test_each_check_and_export_reads_the_company_afresh_once(
    us, control, django_capture_on_commit_callbacks
):
    # Sales tax turned off in QBO a minute after the last read: a kept copy would still say
    # "matches QBO tax code 'California'" while the export met QBO's raw 6000.
    emulator, realm = us
    member = practice_connected_to(emulator, realm)
    invoices = [finalized(member, "Cool Cars"), finalized(member, "Tax Client")]
    with django_capture_on_commit_callbacks(execute=True):
        services.request_check(member, [i.pk for i in invoices])
    first = ExportCheck.objects.get(invoice=invoices[0])
    assert first.ok
    assert "Tax: 8% matches QBO tax code 'California'" in [f["text"] for f in first.findings]

    emulator.emulator.company(realm).set_preferences(sales_tax=False)
    control.delete("/requests")
    with django_capture_on_commit_callbacks(execute=True):
        services.request_check(member, [i.pk for i in invoices])
    again = ExportCheck.objects.filter(invoice=invoices[0]).latest("id")
    assert not again.ok
    assert any("no sales tax set up" in f["text"] for f in again.findings)
    assert preference_reads(control, realm) == 1  # once for the run, not once per invoice

    control.delete("/requests")
    row = exported(member, invoices[0])
    assert row.state == ExportState.FAILED
    assert "no sales tax set up" in row.message  # our refusal, before anything was sent
    assert row.error_code == ""
    assert preference_reads(control, realm) == 1


# ---- US sales tax (R7) -------------------------------------------------------------------------


def test_no_matching_rate_is_an_error_naming_the_rate(us):
    emulator, realm = us
    member = practice_connected_to(emulator, realm, rate="8.25")
    invoice = finalized(member)
    row = exported(member, invoice)
    assert row.state == ExportState.FAILED
    assert "No QuickBooks tax rate matches 8.25%" in row.message
    notes = [i.get("PrivateNote", "") for i in emulator.emulator.company(realm).list("Invoice")]
    assert not any(f"[bb:{invoice.practice_id}:{invoice.pk}]" in note for note in notes)


def test_a_combined_rate_matches_a_tax_group(us):
    emulator, realm = us  # the sample company's "Tucson" code: 7.1% + 2%
    member = practice_connected_to(emulator, realm, rate="7.1", secondary="2")
    client = testing.make_client(member.practice, "Desert Co")
    testing.assign(member, client)
    invoice = testing.make_invoice(
        member,
        client,
        InvoiceStatus.FINALIZED,
        lines=[
            testing.LineInput(
                "Audit",
                Decimal("1"),
                Decimal("100.00"),
                primary_taxable=True,
                secondary_taxable=True,
            )
        ],
    )
    row = exported(member, invoice)
    assert row.state == ExportState.EXPORTED, row.message
    qbo = qbo_invoice(emulator, realm, invoice)
    assert (
        qbo["TxnTaxDetail"]["TotalTax"]
        == Decimal("9.10")
        == invoice.primary_tax + invoice.secondary_tax
    )
    assert qbo["TotalAmt"] == invoice.total == Decimal("109.10")


def test_a_taxed_invoice_is_refused_when_the_company_has_no_sales_tax(us):
    emulator, realm = us
    emulator.emulator.company(realm).set_preferences(sales_tax=False)
    member = practice_connected_to(emulator, realm)
    invoice = finalized(member)
    row = exported(member, invoice)
    assert row.state == ExportState.FAILED
    assert f"Invoice carries tax {invoice.primary_tax}" in row.message
    assert "no sales tax set up" in row.message


def test_automated_sales_tax_accepted_with_a_warning_showing_both_amounts(us):
    emulator, realm = us
    emulator.emulator.company(realm).set_preferences(automated_sales_tax=True)
    member = practice_connected_to(emulator, realm)
    invoice = finalized(member, "Cool Cars")
    row = exported(member, invoice)
    assert row.state == ExportState.EXPORTED, row.message
    qbo = qbo_invoice(emulator, realm, invoice)
    qbo_tax = qbo["TxnTaxDetail"]["TotalTax"]
    assert qbo_tax != invoice.primary_tax  # the AST engine's rate for California is not 8%
    assert str(qbo_tax) in row.warning and str(invoice.primary_tax) in row.warning
    assert QboInvoiceLink.objects.get(invoice=invoice).qbo_tax == qbo_tax


def test_automated_sales_tax_with_our_amount_sent_as_the_override(us):
    emulator, realm = us
    emulator.emulator.company(realm).set_preferences(automated_sales_tax=True)
    member = practice_connected_to(emulator, realm)
    update_settings(member, ast_tax_handling=AstTaxHandling.SEND_OURS)
    invoice = finalized(member, "Cool Cars")
    row = exported(member, invoice)
    assert row.state == ExportState.EXPORTED, row.message
    assert row.warning == ""
    qbo = qbo_invoice(emulator, realm, invoice)
    assert qbo["TxnTaxDetail"]["TotalTax"] == invoice.primary_tax
    assert qbo["TotalAmt"] == invoice.total


def test_without_custom_numbers_qbo_numbers_the_invoice_and_we_keep_its_number(us):
    emulator, realm = us
    member = practice_connected_to(emulator, realm)
    invoice = finalized(member)
    assert exported(member, invoice).state == ExportState.EXPORTED
    qbo = qbo_invoice(emulator, realm, invoice)
    link = QboInvoiceLink.objects.get(invoice=invoice)
    assert qbo["DocNumber"] != invoice.number
    assert link.doc_number == qbo["DocNumber"]


# ---- another country ---------------------------------------------------------------------------


def test_a_uk_company_gets_a_vat_code_per_line(db, qbo_settings, emulator):
    response = httpx.post(
        f"{emulator.control_url}/companies",
        json={"name": "Tea Ltd", "country": "GB", "seed": "sample"},
    )
    realm = response.json()["realm_id"]
    member = practice_connected_to(emulator, realm, rate="20")
    invoice = finalized(member)
    row = exported(member, invoice)
    assert row.state == ExportState.EXPORTED, row.message
    qbo = qbo_invoice(emulator, realm, invoice)
    codes = {
        line["SalesItemLineDetail"]["TaxCodeRef"]["value"]
        for line in qbo["Line"]
        if line["DetailType"] == "SalesItemLineDetail"
    }
    assert len(codes) == 2  # the taxable line at 20%, the other at 0%
    assert qbo["TotalAmt"] == invoice.total


def test_a_uk_rate_without_a_code_is_an_error_naming_it(db, qbo_settings, emulator):
    response = httpx.post(
        f"{emulator.control_url}/companies",
        json={"name": "Tea Ltd", "country": "GB", "seed": "sample"},
    )
    realm = response.json()["realm_id"]
    member = practice_connected_to(emulator, realm, rate="17.5")
    row = exported(member, finalized(member))
    assert row.state == ExportState.FAILED
    assert "17.5%" in row.message
