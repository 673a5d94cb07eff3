"""The pure payload builders: golden bodies and findings for each case, the customer body, the
marker, reading the models, and the comparison after QBO answered.

Golden files are written, for review, with BB_UPDATE_GOLDEN=1; otherwise a missing or different
file fails the test."""

import json
import os
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import simplejson

from billbridge.core import testing
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.quickbooks.models import AstTaxHandling
from billbridge.quickbooks.payloads import (
    ACCEPT_QBO,
    AST_HANDLINGS,
    SEND_OURS,
    ClientData,
    Finding,
    InvoiceData,
    LineData,
    compare_tax,
    customer_body,
    marker,
    plan_invoice,
    private_note,
)
from billbridge.quickbooks.tests.payload_cases import CASES, TWO_LINES_ONE_TAXED, invoice, line
from billbridge.quickbooks.tests.sample_companies import GB_SAMPLE, US_SAMPLE

GOLDEN = Path(__file__).parent / "golden"


def golden_text(name: str) -> str:
    case = CASES[name]
    plan = plan_invoice(case.data, case.company, **case.plan_arguments())
    shown = {
        "body": plan.body,
        "findings": [{"tone": f.tone, "text": f.text, "advice": f.advice} for f in plan.findings],
    }
    # Decimals are written as JSON numbers, digit for digit: 1250.00 stays 1250.00, and a
    # string "1250.00" in a body would show up quoted.
    return simplejson.dumps(shown, use_decimal=True, sort_keys=True, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    path = GOLDEN / f"{name}.json"
    text = golden_text(name) + "\n"
    if os.environ.get("BB_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


def test_every_golden_file_has_its_case():
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(CASES)


def test_errors_leave_no_body_and_anything_else_has_one():
    for name, case in CASES.items():
        plan = plan_invoice(case.data, case.company, **case.plan_arguments())
        assert (plan.body is None) == bool(plan.errors), name
        assert plan.errors == tuple(f for f in plan.findings if f.tone == "error")


def test_same_input_same_body_key_for_key():
    for case in CASES.values():
        first = plan_invoice(case.data, case.company, **case.plan_arguments())
        again = plan_invoice(case.data, case.company, **case.plan_arguments())
        assert simplejson.dumps(first.body, use_decimal=True) == simplejson.dumps(
            again.body, use_decimal=True
        )
        assert first == again


def test_the_body_of_a_us_invoice_in_full():
    """One golden body spelled out here, so a wrong fixture cannot go unnoticed in review."""
    case = CASES["us_one_rate"]
    plan = plan_invoice(case.data, case.company, **case.plan_arguments())
    assert plan.body == {
        "CustomerRef": {"value": "1"},
        "TxnDate": "2026-11-02",
        "DueDate": "2026-12-02",
        "CustomerMemo": {"value": "Thank you for your business."},
        "PrivateNote": "Billbridge invoice INV-7, version 3 [bb:1:42]",
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": Decimal("225.00"),
                "Description": "Garden design — 3h @ 75",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "3"},
                    "Qty": Decimal("3.00"),
                    "UnitPrice": Decimal("75.00"),
                    "ServiceDate": "2026-11-02",
                    "TaxCodeRef": {"value": "TAX"},
                },
            },
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": Decimal("45.50"),
                "Description": "Site visit",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "4"},
                    "Qty": Decimal("1.00"),
                    "UnitPrice": Decimal("45.50"),
                    "ServiceDate": "2026-11-02",
                    "TaxCodeRef": {"value": "NON"},
                },
            },
        ],
        "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}},
    }
    assert [str(v) for v in (case.data.subtotal, case.data.tax, case.data.total)] == [
        "270.50",
        "18.00",
        "288.50",
    ]
    assert plan.warnings == ()
    assert Finding("ok", "Tax: 8% matches QBO tax code 'California'") in plan.findings


def test_amounts_are_decimals_to_the_cent():
    data = invoice([line("Half an hour", "0.50", "33.33")])
    plan = plan_invoice(
        data, US_SAMPLE, customer_id="1", items_by_service={}, default_item=("1", "Services"),
        ast_handling=ACCEPT_QBO,
    )  # fmt: skip
    (sent,) = plan.body["Line"]
    assert sent["Amount"] == Decimal("16.67")
    assert str(sent["Amount"]) == "16.67"
    assert isinstance(sent["SalesItemLineDetail"]["Qty"], Decimal)


@pytest.mark.parametrize(
    ("payments", "email", "sent"),
    [(True, "ap@client.example", True), (True, "", False), (False, "ap@client.example", False)],
)
def test_online_payment_is_allowed_where_qbo_payments_is_on(payments, email, sent):
    """QBO gives a payment link only to an invoice that allows online payment and has a
    billing email: both are sent when the company has Payments on and the client an email."""
    data = replace(invoice([line("Audit", "1", "100.00")]), bill_email=email)
    company = replace(US_SAMPLE, online_payments=payments)
    plan = plan_invoice(
        data, company, customer_id="1", items_by_service={}, default_item=("1", "Services"),
        ast_handling=ACCEPT_QBO,
    )  # fmt: skip
    online = {"BillEmail", "AllowOnlineCreditCardPayment", "AllowOnlineACHPayment"}
    if sent:
        assert plan.body["BillEmail"] == {"Address": email}
        assert plan.body["AllowOnlineCreditCardPayment"] is True
        assert plan.body["AllowOnlineACHPayment"] is True
    else:
        assert not online & plan.body.keys()


def test_ast_handling_must_be_one_of_the_connection_choices():
    assert set(AST_HANDLINGS) == set(AstTaxHandling.values)
    case = CASES["us_one_rate"]
    with pytest.raises(ValueError, match="ast_handling"):
        plan_invoice(
            case.data, case.company, customer_id="1", items_by_service={},
            default_item=None, ast_handling="ours",
        )  # fmt: skip


def test_marker_and_private_note():
    assert marker(42, 1) == "bb:1:42"
    data = CASES["us_one_rate"].data
    assert private_note(data) == "Billbridge invoice INV-7, version 3 [bb:1:42]"
    assert private_note(replace(data, version=4)) == "Billbridge invoice INV-7, version 4 [bb:1:42]"


CLIENT = ClientData(
    client_id=5,
    name="Baker & Sons LLP",
    email="ap@bakersons.example",
    phone="(217) 555-0100",
    address_line1="1 Main St",
    address_line2="Suite 200",
    city="Springfield",
    region="IL",
    postal_code="62701",
    country="USA",
)


def test_customer_body_with_every_detail():
    assert customer_body(CLIENT) == {
        "DisplayName": "Baker & Sons LLP",
        "CompanyName": "Baker & Sons LLP",
        "PrimaryEmailAddr": {"Address": "ap@bakersons.example"},
        "PrimaryPhone": {"FreeFormNumber": "(217) 555-0100"},
        "BillAddr": {
            "Line1": "1 Main St",
            "Line2": "Suite 200",
            "City": "Springfield",
            "CountrySubDivisionCode": "IL",
            "PostalCode": "62701",
            "Country": "USA",
        },
    }


def test_customer_body_sends_only_what_is_set():
    bare = replace(CLIENT, email="", phone="", address_line1="", address_line2="", city="",
                   region="", postal_code="", country="")  # fmt: skip
    assert customer_body(bare) == {
        "DisplayName": "Baker & Sons LLP",
        "CompanyName": "Baker & Sons LLP",
    }
    assert customer_body(replace(bare, city="Leeds", country="GB")) == {
        "DisplayName": "Baker & Sons LLP",
        "CompanyName": "Baker & Sons LLP",
        "BillAddr": {"City": "Leeds", "Country": "GB"},
    }


@pytest.mark.django_db
def test_invoice_and_client_data_read_the_models():
    practice = testing.make_practice()
    member = testing.make_admin(practice)
    client = testing.make_client(
        practice, "Baker & Sons LLP", email="ap@bakersons.example", city="Springfield"
    )
    testing.assign(member, client)
    services.update_tax_settings(
        member, primary_name="Sales tax", primary_rate=Decimal("8.25"), primary_enabled=True,
        secondary_name="City tax", secondary_rate=Decimal("1.5"), secondary_enabled=False,
    )  # fmt: skip
    made = testing.make_invoice(member, client, InvoiceStatus.FINALIZED, number="INV-7")
    stored = Invoice.objects.prefetch_related("lines").get(pk=made.pk)
    assert InvoiceData.of(stored) == InvoiceData(
        invoice_id=made.pk,
        practice_id=practice.pk,
        number="INV-7",
        version=stored.version,
        issue_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        memo="",
        primary_tax_name="Sales tax",
        primary_tax_rate=Decimal("8.25"),
        secondary_tax_name="City tax",
        secondary_tax_rate=Decimal("0"),
        subtotal=Decimal("650.00"),
        primary_tax=Decimal("37.13"),
        secondary_tax=Decimal("0.00"),
        total=Decimal("687.13"),
        lines=(
            LineData("Monthly bookkeeping", "Bookkeeping", Decimal("1"), Decimal("450.00"),
                     Decimal("450.00"), primary_taxable=True, secondary_taxable=False),
            LineData("Payroll run", "Payroll", Decimal("2.5"), Decimal("80.00"),
                     Decimal("200.00"), primary_taxable=False, secondary_taxable=False),
        ),
        bill_email="ap@bakersons.example",
    )  # fmt: skip
    assert stored.version >= 2  # finalizing bumped it
    assert ClientData.of(client) == ClientData(
        client_id=client.pk, name="Baker & Sons LLP", email="ap@bakersons.example", phone="",
        address_line1="", address_line2="", city="Springfield", region="", postal_code="",
        country="",
    )  # fmt: skip


def qbo_answer(tax: str, total: str) -> dict:
    return {"TotalAmt": Decimal(total), "TxnTaxDetail": {"TotalTax": Decimal(tax)}}


def test_compare_tax_is_silent_when_qbo_agrees():
    data = invoice(TWO_LINES_ONE_TAXED, primary=("Sales tax", "8"))
    assert compare_tax(data, qbo_answer("18.00", "288.50"), US_SAMPLE, ACCEPT_QBO) is None
    # QBO's JSON numbers drop trailing zeros; read as floats they still compare exactly.
    assert compare_tax(data, json.loads('{"TotalAmt": 288.5, "TxnTaxDetail": {"TotalTax": 18}}'),
                       US_SAMPLE, ACCEPT_QBO) is None  # fmt: skip


def test_compare_tax_shows_both_amounts():
    data = invoice(TWO_LINES_ONE_TAXED, primary=("Sales tax", "8"))
    ast = replace(US_SAMPLE, automated_sales_tax=True)
    finding = compare_tax(data, qbo_answer("16.31", "286.81"), ast, ACCEPT_QBO)
    assert finding == Finding(
        "warning",
        "QuickBooks calculated tax 16.31 (total 286.81); Billbridge's is 18.00 (total 288.50).",
        "QuickBooks' automated sales tax chose its own rate. The QuickBooks invoice keeps its "
        "amount; to send Billbridge's tax as an override instead, change the automated sales "
        "tax choice in Settings ▸ Integrations ▸ QuickBooks Online and export again.",
    )
    rounding = compare_tax(data, qbo_answer("18.01", "288.51"), GB_SAMPLE, SEND_OURS)
    assert rounding.text == (
        "QuickBooks calculated tax 18.01 (total 288.51); Billbridge's is 18.00 (total 288.50)."
    )
    assert rounding.advice.startswith("QuickBooks rounds the tax of each of its tax rates")


def test_compare_tax_reads_an_invoice_without_tax_detail():
    data = invoice(TWO_LINES_ONE_TAXED, primary=("Sales tax", "8"))
    finding = compare_tax(data, {"TotalAmt": Decimal("270.50")}, US_SAMPLE, ACCEPT_QBO)
    assert finding.text == (
        "QuickBooks calculated tax 0.00 (total 270.50); Billbridge's is 18.00 (total 288.50)."
    )


def test_a_mapped_item_renamed_or_gone_in_qbo():
    data = invoice([line("Audit", "1", "900.00", "Audit")])

    def item_finding(mapped: tuple[str, str]) -> Finding:
        plan = plan_invoice(
            data, US_SAMPLE, customer_id="1", items_by_service={"Audit": mapped},
            default_item=None, ast_handling=ACCEPT_QBO,
        )  # fmt: skip
        return plan.findings[0]

    assert item_finding(("2", "Hourly work")) == Finding(
        "ok", "Service 'Audit' → QuickBooks item 'Hourly work' (mapped), now named 'Hours' in "
        "QuickBooks"
    )  # fmt: skip
    assert item_finding(("99", "Audit")) == Finding(
        "error",
        "The QuickBooks item 'Audit' mapped to service 'Audit' no longer exists in QuickBooks.",
        "Map 'Audit' to another item in Settings ▸ Integrations ▸ QuickBooks Online.",
    )
