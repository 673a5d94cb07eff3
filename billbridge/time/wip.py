"""Work in progress: unbilled, billable time and expenses with their standard value, per client
(by work code, by person, aged) and practice-wide. Sums are made by the database, so a page
costs the same few queries whatever the number of entries."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from billbridge.clients.models import Client
from billbridge.practice.models import Membership
from billbridge.time.models import Entry, EntryKind

ZERO = Decimal("0.00")
# (label, youngest age in days, oldest age in days or None)
AGES = (
    ("0–30 days", 0, 30),
    ("31–60 days", 31, 60),
    ("61–90 days", 61, 90),
    ("Over 90 days", 91, None),
)


def _age_filter(today: datetime.date, youngest: int, oldest: int | None) -> Q:
    q = Q(date__lte=today - datetime.timedelta(days=youngest))
    if oldest is not None:
        q &= Q(date__gte=today - datetime.timedelta(days=oldest))
    return q


def _money(q: Q | None = None):
    return Coalesce(Sum("value", filter=q), Value(ZERO))


def _sums(today: datetime.date) -> dict:
    sums = {
        "time_value": _money(Q(kind=EntryKind.TIME)),
        "expenses": _money(Q(kind=EntryKind.EXPENSE)),
        "entries": Count("pk"),
        "oldest": Min("date"),
        "latest": Max("date"),
    }
    for index, (_, youngest, oldest) in enumerate(AGES):
        sums[f"age{index}"] = _money(_age_filter(today, youngest, oldest))
    # Last: named like the fields they sum, they would stand for those fields in any sum
    # after them.
    sums["minutes"] = Coalesce(Sum("minutes"), 0)
    sums["value"] = _money()
    return sums


def wip_of(membership: Membership):
    return Entry.objects.for_practice(membership.practice).wip()


@dataclass
class ClientWip:
    client: Client
    totals: dict
    by_work_code: list[dict]
    by_person: list[dict]
    entries: list[Entry]
    more: int  # entries beyond those listed

    @property
    def aged(self) -> list[tuple[str, Decimal]]:
        return [(label, self.totals[f"age{i}"]) for i, (label, *_) in enumerate(AGES)]


LISTED = 500


def client_wip(membership: Membership, client_id: int, *, today=None) -> ClientWip:
    """One client's WIP; another practice's client is Client.DoesNotExist."""
    client = Client.objects.for_practice(membership.practice).get(pk=client_id)
    today = today or timezone.localdate()
    wip = wip_of(membership).filter(client=client)
    sums = _sums(today)
    totals = wip.aggregate(**sums)
    by_code = list(
        wip.values("work_code_id", name=Coalesce(F("work_code__name"), Value("")))
        .annotate(minutes=sums["minutes"], value=sums["value"], entries=sums["entries"])
        .order_by("name")
    )
    by_person = list(
        wip.values(
            "staff_id", "staff__user__username", "staff__user__first_name", "staff__user__last_name"
        )
        .annotate(minutes=sums["minutes"], value=sums["value"], entries=sums["entries"])
        .order_by("staff__user__username")
    )
    entries = list(wip.select_related("work_code", "staff__user").order_by("date", "pk")[:LISTED])
    return ClientWip(
        client, totals, by_code, by_person, entries, max(0, totals["entries"] - LISTED)
    )


def wip_list(membership: Membership, *, client_id: int | None = None, search: str = "", today=None):
    """Every client with WIP, with its totals and ages, largest first; narrowed like the
    Billing list (one client, or a name search)."""
    today = today or timezone.localdate()
    wip = wip_of(membership)
    if client_id is not None:
        wip = wip.filter(client_id=client_id)
    if search.strip():
        wip = wip.filter(client__name__icontains=search.strip())
    return (
        wip.values("client_id", client_name=F("client__name"))
        .annotate(**_sums(today))
        .order_by("-value", "client_name")
    )


def wip_totals(rows) -> dict:
    """The practice-wide totals of wip_list's rows."""
    keys = ("minutes", "time_value", "expenses", "value", "entries") + tuple(
        f"age{i}" for i in range(len(AGES))
    )
    return {
        k: sum((row[k] for row in rows), ZERO if k not in ("minutes", "entries") else 0)
        for k in keys
    }
