"""The demo practice's time (`manage.py seed_demo`): a rate card, about three months of time
and a few expenses up to today, some of it invoiced from WIP, all through the services.

Enough stays unbilled, and is old enough, that the WIP list is full and every age column has
money in it; the invoiced part gives the realization report written-down, fixed-fee and
collected figures. Everything is drawn from one seeded random generator, so the same day gives
the same demo.
"""

import datetime
import random
from dataclasses import dataclass, replace
from decimal import Decimal

from billbridge.clients.models import Client
from billbridge.core.money import CENT
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import Invoice
from billbridge.practice.models import Membership
from billbridge.time import billing, rate_card, services
from billbridge.time.models import EntryKind, WorkCode

# Past the oldest age column (over 90 days), so that it has unbilled work too.
DAYS_RECORDED = 100
# Rates start long before the recorded work; the one change below starts inside it.
RATES_FROM_DAYS_AGO = 400


@dataclass(frozen=True)
class DemoWorkCode:
    name: str
    description: str
    default_rate: Decimal | None  # None: charged at the staff member's own rate
    tasks: tuple[str, ...]  # what the entries' descriptions say
    primary_taxable: bool = False


WORK_CODES = [
    DemoWorkCode(
        "Bookkeeping",
        "Monthly bookkeeping and reconciliations",
        None,
        ("Bank reconciliation", "Categorized transactions", "Month-end close", "AP review"),
        primary_taxable=True,
    ),
    DemoWorkCode(
        "Payroll",
        "Payroll runs and payroll tax filings",
        Decimal("95.00"),
        ("Payroll run", "Payroll tax deposit", "New hire set-up"),
    ),
    DemoWorkCode(
        "Tax preparation",
        "Sales tax returns and quarterly estimates",
        Decimal("175.00"),
        ("Sales tax return", "Quarterly estimate", "1099 preparation", "Notice response"),
    ),
    DemoWorkCode(
        "Advisory",
        "Meetings and planning with the client",
        Decimal("210.00"),
        ("Cash-flow review", "Budget planning call", "Entity structure memo"),
    ),
]
# The Payroll default goes up during the recorded months: the WIP shows both rates.
PAYROLL_RAISE = Decimal("105.00")


@dataclass(frozen=True)
class DemoStaff:
    rate: Decimal  # the member's own rate
    hours: tuple[int, int]  # a working day's recorded hours, fewest and most
    split: float  # the chance a day's hours go to two clients rather than one
    days: float = 1.0  # the share of working days with time recorded


# One or two entries a person a day: what `make run` can seed in about a second through the
# services, and still a WIP list with every client in it.
STAFF = {
    "manager": DemoStaff(Decimal("180.00"), (2, 5), 0.0),
    "biller": DemoStaff(Decimal("140.00"), (4, 7), 0.3),
    "clerk": DemoStaff(Decimal("85.00"), (5, 8), 0.3),
    "viewer": DemoStaff(Decimal("65.00"), (1, 3), 0.0, days=0.35),
}

EXPENSES = [
    ("State filing fee", Decimal("125.00")),
    ("Courier to the client's office", Decimal("38.50")),
    ("Mileage to the client's site", Decimal("47.60")),
    ("Certified copies", Decimal("22.00")),
]

WRITE_OFF_REASON = "Re-keyed the client's statements after our import error: not billable"


@dataclass
class _Demo:
    manager: Membership
    members: dict[str, Membership]
    clients: list[Client]
    codes: dict[str, WorkCode]
    today: datetime.date
    rng: random.Random


def seed_time(members: dict[str, Membership], clients: list[Client], today: datetime.date) -> None:
    """Add the demo's time to the practice of `members` (the demo's users by username, the
    manager holding every permission) and its `clients`."""
    demo = _Demo(
        manager=members["manager"],
        members=members,
        clients=clients,
        codes={},
        today=today,
        rng=random.Random(10),  # the demo's own seed: the same work every time
    )
    _rate_card(demo)
    _record_work(demo)
    _record_expenses(demo)
    _write_off(demo)
    _invoice(demo)


def _rate_card(demo: _Demo) -> None:
    manager = demo.manager
    since = demo.today - datetime.timedelta(days=RATES_FROM_DAYS_AGO)
    for code in WORK_CODES:
        saved = rate_card.save_work_code(
            manager,
            rate_card.WorkCodeInput(
                code.name, code.description, primary_taxable=code.primary_taxable
            ),
        )
        demo.codes[code.name] = saved
        if code.default_rate is not None:
            _rate(demo, since, code.default_rate, work_code=saved)
    _rate(demo, _first_of_month(demo.today), PAYROLL_RAISE, work_code=demo.codes["Payroll"])
    for username, staff in STAFF.items():
        _rate(demo, since, staff.rate, staff=demo.members[username])
    # Client overrides: a negotiated bookkeeping rate, and the manager's time at a family rate.
    _rate(
        demo, since, Decimal("110.00"), client=demo.clients[0], work_code=demo.codes["Bookkeeping"]
    )
    _rate(demo, since, Decimal("150.00"), client=demo.clients[5], staff=demo.manager)


def _rate(
    demo: _Demo,
    since: datetime.date,
    hourly: Decimal,
    *,
    staff: Membership | None = None,
    client: Client | None = None,
    work_code: WorkCode | None = None,
) -> None:
    rate_card.set_rate(
        demo.manager,
        rate_card.RateInput(
            since,
            hourly,
            staff_id=staff.pk if staff else None,
            client_id=client.pk if client else None,
            work_code_id=work_code.pk if work_code else None,
        ),
    )


def _first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _clients_of(demo: _Demo, username: str) -> list[Client]:
    """Who works for whom, as the demo assigns them: the biller owns every third client, the
    clerk is Staff on the next third, the viewer helps on the rest, the manager on any."""
    share = {"biller": 0, "clerk": 1, "viewer": 2}.get(username)
    if share is None:
        return demo.clients
    return [c for i, c in enumerate(demo.clients) if i % 3 == share]


def _record_work(demo: _Demo) -> None:
    rng, codes = demo.rng, list(WORK_CODES)
    start = demo.today - datetime.timedelta(days=DAYS_RECORDED)
    for username, staff in STAFF.items():
        member = demo.members[username]
        clients = _clients_of(demo, username)
        for offset in range(DAYS_RECORDED + 1):
            day = start + datetime.timedelta(days=offset)
            if day.weekday() >= 5 or rng.random() >= staff.days:
                continue
            # The day's hours in quarter hours, all on one client or cut in two.
            quarters = rng.randint(staff.hours[0] * 4, staff.hours[1] * 4)
            cuts = [rng.randint(1, quarters - 1)] if rng.random() < staff.split else []
            for first, last in zip([0, *cuts], [*cuts, quarters], strict=True):
                code = rng.choice(codes)
                services.record(
                    member,
                    services.EntryInput(
                        client_id=rng.choice(clients).pk,
                        date=day,
                        minutes=(last - first) * 15,
                        work_code_id=demo.codes[code.name].pk,
                        description=rng.choice(code.tasks),
                    ),
                )


def _record_expenses(demo: _Demo) -> None:
    rng = demo.rng
    for _ in range(12):
        description, amount = rng.choice(EXPENSES)
        services.record(
            demo.members[rng.choice(["manager", "biller"])],
            services.EntryInput(
                client_id=rng.choice(demo.clients).pk,
                date=demo.today - datetime.timedelta(days=rng.randint(0, DAYS_RECORDED)),
                kind=EntryKind.EXPENSE,
                amount=amount,
                description=description,
            ),
        )


def _write_off(demo: _Demo) -> None:
    entries = services.entries_of(demo.manager).filter(client=demo.clients[7], kind=EntryKind.TIME)
    first_two = entries.order_by("date", "pk").values_list("pk", flat=True)[:2]
    services.write_off(demo.manager, list(first_two), WRITE_OFF_REASON)


def _invoice(demo: _Demo) -> None:
    """Invoice some clients' WIP as a practice bills, monthly in arrears: finalized up to the
    end of the month before last (some of it paid) or promptly up to the end of last month, two
    drafts up to the end of last month, and the other clients not invoiced yet, so their WIP
    ages."""
    month = _first_of_month(demo.today)
    last_month = _first_of_month(month - datetime.timedelta(days=1))
    clients = demo.clients
    # (client, first day left unbilled, how it is priced, paid)
    finalized = [
        (clients[0], last_month, "standard", True),
        (clients[3], last_month, "write-down", True),
        (clients[6], last_month, "fixed fee", False),
        (clients[9], month, "standard", False),
        (clients[12], month, "standard", True),
    ]
    for client, first_unbilled, how, paid in finalized:
        invoice = _invoice_through(demo, client, first_unbilled, how)
        invoicing.finalize(demo.manager, invoice.pk)
        if paid:
            invoicing.close(demo.manager, invoice.pk, "Paid by cheque")
    for client in (clients[1], clients[4]):
        _invoice_through(demo, client, month, "standard")


def _invoice_through(
    demo: _Demo, client: Client, first_unbilled: datetime.date, how: str
) -> Invoice:
    wip = billing.WipBilling(
        client_id=client.pk,
        through=first_unbilled - datetime.timedelta(days=1),
        issue_date=min(first_unbilled, demo.today),
    )
    if how == "write-down":
        # The largest line took longer than the client's books deserved: 10% off it.
        line = max(billing.preview(demo.manager, wip), key=lambda group: group.standard)
        wip = replace(
            wip,
            line_amounts={line.key: (line.standard * Decimal("0.9")).quantize(CENT)},
            reason="First months on the new system: 10% courtesy write-down",
        )
    elif how == "fixed fee":
        wip = replace(
            wip,
            fixed_fee=Decimal("1500.00"),
            reason="Monthly fixed fee agreed in the engagement letter",
        )
    return billing.invoice_from_wip(demo.manager, wip)
