"""Invoice totals, by the rounding rule in billbridge.core.money."""

from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal

from billbridge.core.money import line_amount, tax_on


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    service_name: str = ""
    primary_taxable: bool = False
    secondary_taxable: bool = False
    # The stored line this one keeps (its entries of time stay on it); None for a new line.
    line_id: int | None = None

    @property
    def amount(self) -> Decimal:
        return line_amount(self.quantity, self.unit_price)

    @classmethod
    def of(cls, line) -> "LineInput":
        """The content of anything that has a line's fields: a stored line (which it keeps),
        a line sent to the API."""
        content = {f.name: getattr(line, f.name) for f in fields(cls) if f.name != "line_id"}
        line_id = getattr(line, "line_id", None) or getattr(line, "pk", None)
        return cls(**content, line_id=line_id)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    primary_tax: Decimal
    secondary_tax: Decimal

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.primary_tax + self.secondary_tax


def compute_totals(
    lines: Iterable[LineInput], primary_rate: Decimal, secondary_rate: Decimal
) -> Totals:
    """Each tax applies to the sum of the amounts of the lines flagged for it, and is rounded
    once on that sum (not line by line), as QuickBooks computes TxnTaxDetail."""
    subtotal = primary_base = secondary_base = Decimal("0.00")
    for line in lines:
        amount = line.amount
        subtotal += amount
        if line.primary_taxable:
            primary_base += amount
        if line.secondary_taxable:
            secondary_base += amount
    return Totals(
        subtotal=subtotal,
        primary_tax=tax_on(primary_base, primary_rate),
        secondary_tax=tax_on(secondary_base, secondary_rate),
    )
