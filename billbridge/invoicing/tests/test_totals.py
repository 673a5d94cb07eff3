"""Money and tax arithmetic, as properties over generated invoices and as worked examples."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billbridge.core.money import line_amount, tax_on, to_money
from billbridge.invoicing.totals import LineInput, compute_totals

quantities = st.decimals(min_value="0.01", max_value="10000", places=2)
prices = st.decimals(min_value="0", max_value="100000", places=2)
rates = st.decimals(min_value="0", max_value="100", places=3)
lines = st.builds(
    LineInput,
    description=st.just("Work"),
    quantity=quantities,
    unit_price=prices,
    primary_taxable=st.booleans(),
    secondary_taxable=st.booleans(),
)


@given(st.lists(lines, max_size=30), rates, rates)
def test_total_is_the_sum_of_its_parts_to_the_cent(invoice_lines, primary, secondary):
    totals = compute_totals(invoice_lines, primary, secondary)
    assert totals.subtotal == sum((line.amount for line in invoice_lines), Decimal("0"))
    assert totals.total == totals.subtotal + totals.primary_tax + totals.secondary_tax
    for value in (totals.subtotal, totals.primary_tax, totals.secondary_tax, totals.total):
        assert value == value.quantize(Decimal("0.01"))


@given(st.lists(lines, max_size=30), rates, rates)
def test_each_tax_is_rounded_once_on_the_sum_of_its_taxable_lines(
    invoice_lines, primary, secondary
):
    totals = compute_totals(invoice_lines, primary, secondary)
    primary_base = sum((x.amount for x in invoice_lines if x.primary_taxable), Decimal("0"))
    exact = primary_base * primary / 100
    assert abs(totals.primary_tax - exact) <= Decimal("0.005")
    assert totals.primary_tax == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@given(st.lists(lines, max_size=30), rates)
def test_a_disabled_or_zero_tax_adds_nothing(invoice_lines, primary):
    totals = compute_totals(invoice_lines, primary, Decimal("0"))
    assert totals.secondary_tax == 0


@given(st.lists(lines, max_size=30), rates, rates)
def test_line_order_does_not_change_the_totals(invoice_lines, primary, secondary):
    forward = compute_totals(invoice_lines, primary, secondary)
    backward = compute_totals(list(reversed(invoice_lines)), primary, secondary)
    assert forward == backward


def test_half_a_cent_rounds_up():
    assert line_amount(Decimal("1.5"), Decimal("0.01")) == Decimal("0.02")
    assert tax_on(Decimal("450.00"), Decimal("8.25")) == Decimal("37.13")  # 37.125
    assert tax_on(Decimal("100.00"), Decimal("0.005")) == Decimal("0.01")  # 0.005


def test_worked_invoice():
    invoice_lines = [
        LineInput("Bookkeeping", Decimal("1"), Decimal("450.00"), primary_taxable=True),
        LineInput("Payroll", Decimal("2.5"), Decimal("80.00"), secondary_taxable=True),
        LineInput(
            "Advice",
            Decimal("0.75"),
            Decimal("133.33"),
            primary_taxable=True,
            secondary_taxable=True,
        ),
    ]
    totals = compute_totals(invoice_lines, Decimal("8.25"), Decimal("5"))
    assert totals.subtotal == Decimal("750.00")  # 450 + 200 + 100.00 (99.9975)
    assert totals.primary_tax == Decimal("45.38")  # 8.25% of 550.00 = 45.375
    assert totals.secondary_tax == Decimal("15.00")  # 5% of 300.00
    assert totals.total == Decimal("810.38")


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        to_money(0.1)
