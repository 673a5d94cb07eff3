"""The work behind an invoice's lines: what each line made from WIP holds, so an invoice (and
its QuickBooks twin) can be traced back to the hours and forward from them."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from billbridge.invoicing.models import Invoice
from billbridge.time.models import Entry, LineAdjustment
from billbridge.time.values import hours


@dataclass(frozen=True)
class WorkBehind:
    entries: int
    minutes: int
    standard: Decimal
    billed: Decimal
    adjustment: LineAdjustment | None

    @property
    def hours(self) -> Decimal:
        return hours(self.minutes)

    @property
    def difference(self) -> Decimal:
        """Written up (positive) or down (negative) from the standard value."""
        return self.billed - self.standard

    @property
    def difference_size(self) -> Decimal:
        return abs(self.difference)


def work_behind(invoice: Invoice) -> dict[int, WorkBehind]:
    """{line id: its work}, for the lines that hold work; two queries."""
    sums = (
        Entry.objects.filter(invoice_line__invoice=invoice)
        .values("invoice_line_id", "invoice_line__amount")
        .annotate(entries=Count("pk"), minutes=Sum("minutes"), standard=Sum("value"))
    )
    adjustments = {
        a.invoice_line_id: a for a in LineAdjustment.objects.filter(invoice_line__invoice=invoice)
    }
    return {
        row["invoice_line_id"]: WorkBehind(
            row["entries"],
            row["minutes"] or 0,
            row["standard"],
            row["invoice_line__amount"],
            adjustments.get(row["invoice_line_id"]),
        )
        for row in sums
    }
