"""Realization: how much of the work's value at standard rates was billed, and how much of that
was collected — the money the practice's books show paid (docs/decisions/0019-time-and-wip.md).

The work counted is the work that left WIP in the period: billed on a finalized or closed
invoice, or written off. An entry's share of a line is the line's amount in proportion to the
entries' standard values (by minutes when they have none); its collected share is its billed
share times the part of the invoice's total that is paid: all of a closed invoice less what its
credit notes took back (a credit is not money collected: an invoice closed by credits alone
collected nothing), otherwise what the books (QuickBooks) last showed paid, which leaves credits
out already.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum

from billbridge.invoicing import books
from billbridge.invoicing.credits import credited_totals
from billbridge.invoicing.models import InvoiceStatus
from billbridge.practice.models import Membership
from billbridge.time.models import Entry
from billbridge.time.values import hours

ZERO = Decimal("0.00")
GROUPS = {"client": "Client", "person": "Person", "work_code": "Work code", "month": "Month"}


@dataclass
class Figures:
    label: str
    minutes: int = 0
    standard: Decimal = ZERO
    billed: Decimal = ZERO
    collected: Decimal = ZERO

    @property
    def hours(self) -> Decimal:
        return hours(self.minutes)

    @property
    def billed_percent(self) -> Decimal | None:
        return _percent(self.billed, self.standard)

    @property
    def collected_percent(self) -> Decimal | None:
        return _percent(self.collected, self.standard)

    def add(self, minutes: int, standard: Decimal, billed: Decimal, collected: Decimal) -> None:
        self.minutes += minutes
        self.standard += standard
        self.billed += billed
        self.collected += collected


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Realization:
    group_by: str
    rows: list[Figures]
    total: Figures = field(default_factory=lambda: Figures("Total"))


@dataclass(frozen=True)
class Scope:
    group_by: str = "client"
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    client_id: int | None = None
    staff_id: int | None = None
    work_code_id: int | None = None


def _labels(entry: dict) -> dict[str, tuple]:
    name = " ".join(
        p for p in (entry["staff__user__first_name"], entry["staff__user__last_name"]) if p
    )
    return {
        "client": (entry["client_id"], entry["client__name"]),
        "person": (entry["staff_id"], name or entry["staff__user__username"]),
        "work_code": (entry["work_code_id"] or 0, entry["work_code__name"] or "(no work code)"),
        "month": (entry["date"].strftime("%Y-%m"), entry["date"].strftime("%Y-%m")),
    }


def realization(membership: Membership, scope: Scope) -> Realization:
    if scope.group_by not in GROUPS:
        raise ValueError(scope.group_by)
    done = Entry.objects.for_practice(membership.practice).filter(
        Q(written_off=True)
        | (Q(invoice_line__isnull=False) & ~Q(invoice_line__invoice__status=InvoiceStatus.DRAFT))
    )
    for name, lookup in (
        ("date_from", "date__gte"),
        ("date_to", "date__lte"),
        ("client_id", "client_id"),
        ("staff_id", "staff_id"),
        ("work_code_id", "work_code_id"),
    ):
        if getattr(scope, name) is not None:
            done = done.filter(**{lookup: getattr(scope, name)})
    entries = list(
        done.values(
            "client_id",
            "client__name",
            "staff_id",
            "staff__user__username",
            "staff__user__first_name",
            "staff__user__last_name",
            "work_code_id",
            "work_code__name",
            "date",
            "minutes",
            "value",
            "written_off",
            "invoice_line_id",
            "invoice_line__amount",
            "invoice_line__invoice_id",
            "invoice_line__invoice__status",
            "invoice_line__invoice__total",
        )
    )
    line_ids = {e["invoice_line_id"] for e in entries if e["invoice_line_id"]}
    # A line's entries all count for its split, also those outside the period or filter.
    lines = {
        row["invoice_line_id"]: (row["value"] or ZERO, row["minutes"] or 0, row["n"])
        for row in Entry.objects.filter(invoice_line_id__in=line_ids)
        .values("invoice_line_id")
        .annotate(value=Sum("value"), minutes=Sum("minutes"), n=Count("pk"))
    }
    paid = _paid_fractions(entries)
    groups: dict[object, Figures] = {}
    report = Realization(scope.group_by, [])
    for entry in entries:
        key, label = _labels(entry)[scope.group_by]
        figures = groups.setdefault(key, Figures(str(label)))
        billed = collected = ZERO
        if not entry["written_off"]:
            billed = _share(entry, lines[entry["invoice_line_id"]])
            collected = billed * paid.get(entry["invoice_line__invoice_id"], Decimal(0))
        for target in (figures, report.total):
            target.add(entry["minutes"], entry["value"], billed, collected)
    for figures in [*groups.values(), report.total]:
        figures.billed = figures.billed.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        figures.collected = figures.collected.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    report.rows = sorted(groups.values(), key=lambda f: f.label)
    return report


def _share(entry: dict, line: tuple[Decimal, int, int]) -> Decimal:
    """The entry's part of its line's amount, unrounded (rounded once, on the report's sums)."""
    value, minutes, count = line
    amount = entry["invoice_line__amount"]
    if value:
        return amount * entry["value"] / value
    if minutes:
        return amount * entry["minutes"] / minutes
    return amount / count


def _paid_fractions(entries: list[dict]) -> dict[int, Decimal]:
    invoices = {
        e["invoice_line__invoice_id"]: (
            e["invoice_line__invoice__status"],
            e["invoice_line__invoice__total"],
        )
        for e in entries
        if e["invoice_line_id"]
    }
    closed = {pk for pk, (status, _) in invoices.items() if status == InvoiceStatus.CLOSED}
    credited = credited_totals(closed)
    collected = {
        **books.external_books().collected([pk for pk in invoices if pk not in closed]),
        **{pk: invoices[pk][1] - credited.get(pk, ZERO) for pk in closed},
    }
    fractions = {}
    for pk, (_, total) in invoices.items():
        if total and pk in collected:
            fractions[pk] = min(Decimal(1), max(Decimal(0), collected[pk] / total))
    return fractions
