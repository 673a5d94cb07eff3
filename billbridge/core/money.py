"""Money arithmetic. One rounding rule for the whole product:

Amounts are kept in the practice's currency to the cent. A value is rounded once, half up
(ROUND_HALF_UP, the rule a person uses on paper), at these points only:
- a line amount: quantity × unit price;
- each tax: rate × the sum of the amounts of the lines that tax applies to.
Subtotals and totals are sums of already-rounded amounts and need no further rounding.
Floats never take part: inputs are converted from strings or Decimals.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def to_money(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Money is never a float; pass a Decimal or a string.")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return to_money(quantity * unit_price)


def tax_on(taxable_base: Decimal, rate_percent: Decimal) -> Decimal:
    return to_money(taxable_base * rate_percent / HUNDRED)


def format_money(value: Decimal) -> str:
    """Two decimals and thousands separators: 12,345.60. Amounts are already rounded to the
    cent, so this only formats: the same on every page and on the invoice's PDF."""
    return f"{Decimal(value):,.2f}"


def format_rate(value: Decimal) -> str:
    """A tax rate without trailing zeros: 8.875 %, 5 %."""
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} %"
