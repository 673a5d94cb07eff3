"""Each sendable golden body, posted to an emulator company set up like the case's company: QBO
takes it, and its TotalAmt and TotalTax are ours to the cent (or, with automated sales tax and
QBO's amount accepted, compare_tax shows both)."""

from decimal import Decimal

import pytest

from billbridge.quickbooks.payloads import ACCEPT_QBO, compare_tax, marker, plan_invoice
from billbridge.quickbooks.tests.payload_cases import CASES, CUSTOMER, Case, invoice, line
from billbridge.quickbooks.tests.qbo_http import Api, new_company

SENDABLE = sorted(
    name
    for name, case in CASES.items()
    if plan_invoice(case.data, case.company, **case.plan_arguments()).body is not None
)


def company_like(emulator, case: Case) -> Api:
    company = case.company
    preferences = {
        "custom_txn_numbers": company.custom_txn_numbers,
        "automated_sales_tax": company.automated_sales_tax,
    }
    if company.is_us:
        preferences["sales_tax"] = company.using_sales_tax
    if company.book_close_date:
        preferences["book_close_date"] = company.book_close_date.isoformat()
    return Api(emulator, new_company(emulator, country=company.country, **preferences))


def plan(case: Case, company, **changes):
    arguments = case.plan_arguments() | {"customer_id": CUSTOMER} | changes
    return plan_invoice(case.data, company, **arguments)


def test_the_error_cases_are_not_sent():
    assert SENDABLE == [
        "gb_codes_matched",
        "mapped_item",
        "update_body",
        "us_ast_accept_qbo",
        "us_ast_send_ours",
        "us_custom_numbers",
        "us_one_rate",
        "us_primary_and_secondary",
        "us_secondary_disabled",
        "us_untaxed_no_sales_tax",
    ]


@pytest.mark.parametrize("name", SENDABLE)
def test_qbo_takes_the_body_and_agrees_on_the_amounts(emulator, name):
    case = CASES[name]
    api = company_like(emulator, case)
    # Set up the same way: the company as read from QBO gives the very same plan as the one the
    # golden file holds.
    real = api.company()
    assert plan(case, real) == plan(case, case.company)
    body = plan(case, real, existing=None).body
    created = api.create("Invoice", body)
    if case.existing is not None:
        body = plan(case, real, existing=(created["Id"], created["SyncToken"])).body
        updated = api.create("Invoice", body)
        assert (updated["Id"], updated["SyncToken"]) == (created["Id"], "1")
        created = updated

    sent_codes = [line["SalesItemLineDetail"]["TaxCodeRef"] for line in body["Line"]]
    kept_codes = [
        line["SalesItemLineDetail"]["TaxCodeRef"]
        for line in created["Line"]
        if line["DetailType"] == "SalesItemLineDetail"
    ]
    assert kept_codes == sent_codes
    assert created["PrivateNote"].endswith(f"[{marker(42, 1)}]")
    if case.company.custom_txn_numbers:
        assert created["DocNumber"] == case.data.number
    else:
        assert created["DocNumber"] != case.data.number  # QBO numbered it

    qbo_tax = created["TxnTaxDetail"]["TotalTax"]
    if case.company.automated_sales_tax and case.ast_handling == ACCEPT_QBO:
        # The emulator's AST charges California's 7.25 % on the taxed 225.00 line.
        assert (qbo_tax, created["TotalAmt"]) == (Decimal("16.31"), Decimal("286.81"))
        finding = compare_tax(case.data, created, real, case.ast_handling)
        assert (finding.tone, finding.text) == (
            "warning",
            "QuickBooks calculated tax 16.31 (total 286.81); Billbridge's is 18.00 (total 288.50).",
        )
        assert finding.advice.startswith("QuickBooks' automated sales tax chose its own rate.")
    else:
        assert (qbo_tax, created["TotalAmt"]) == (case.data.tax, case.data.total)
        assert compare_tax(case.data, created, real, case.ast_handling) is None


def test_a_rounding_difference_is_reported(emulator):
    """Two taxes of ours on one line (15 % + 5 %) go to QBO as its single 20 % code: we round
    each tax (1.515 → 1.52, 0.505 → 0.51), QBO rounds once (2.02). The warning shows both."""
    data = invoice(
        [line("Filing", "1", "10.10", primary=True, secondary=True)],
        primary=("VAT", "15"),
        secondary=("Levy", "5"),
    )
    api = company_like(emulator, CASES["gb_codes_matched"])
    real = api.company()
    body = plan_invoice(
        data, real, customer_id=CUSTOMER, items_by_service={}, default_item=("1", "Services"),
        ast_handling=ACCEPT_QBO,
    ).body  # fmt: skip
    assert body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "1"}
    created = api.create("Invoice", body)
    finding = compare_tax(data, created, real, ACCEPT_QBO)
    assert finding.tone == "warning"
    assert finding.text == (
        "QuickBooks calculated tax 2.02 (total 12.12); Billbridge's is 2.03 (total 12.13)."
    )
