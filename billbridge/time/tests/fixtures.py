"""Fixtures for every test that needs time (registered as a plugin by the root conftest): a
practice's rate card, named people and a way to record work."""

import datetime
from decimal import Decimal

import pytest

from billbridge.core import testing
from billbridge.time import rate_card, services
from billbridge.time.models import EntryKind

WEEK_AGO = datetime.date.today() - datetime.timedelta(days=7)
RATES_FROM = datetime.date(2020, 1, 1)


@pytest.fixture
def staff(practice):
    """A member with no permissions: records their own time only."""
    return testing.make_member(practice, "sam")


@pytest.fixture
def tax(admin_member):
    """Tax preparation at 200 an hour, its default rate."""
    code = rate_card.save_work_code(admin_member, rate_card.WorkCodeInput("Tax preparation"))
    rate_card.set_rate(
        admin_member, rate_card.RateInput(RATES_FROM, Decimal("200.00"), work_code_id=code.pk)
    )
    return code


@pytest.fixture
def work_codes(admin_member, tax):
    """Tax preparation at 200/h by default; Bookkeeping at the staff member's rate."""
    books = rate_card.save_work_code(admin_member, rate_card.WorkCodeInput("Bookkeeping"))
    return {"tax": tax, "books": books}


@pytest.fixture
def staff_rates(admin_member, staff):
    """Alice charges 150/h, Sam 90/h."""
    for member, rate in ((admin_member, "150.00"), (staff, "90.00")):
        rate_card.set_rate(
            admin_member, rate_card.RateInput(RATES_FROM, Decimal(rate), staff_id=member.pk)
        )


@pytest.fixture
def record(client_a):
    """record(member, minutes, work_code=None, date=WEEK_AGO, client=client_a, **more)."""

    def recording(member, minutes, work_code=None, date=WEEK_AGO, client=None, **more):
        return services.record(
            member,
            services.EntryInput(
                client_id=(client or client_a).pk,
                date=date,
                minutes=minutes,
                work_code_id=work_code.pk if work_code else None,
                **more,
            ),
        )

    return recording


@pytest.fixture
def expense(client_a):
    def recording(member, amount, date=WEEK_AGO, description="Filing fee"):
        return services.record(
            member,
            services.EntryInput(
                client_id=client_a.pk,
                date=date,
                kind=EntryKind.EXPENSE,
                amount=Decimal(amount),
                description=description,
            ),
        )

    return recording


def name(member, first: str, last: str, email: str = "") -> None:
    member.user.first_name, member.user.last_name, member.user.email = first, last, email
    member.user.save()


@pytest.fixture
def people(admin_member, staff, client_a, work_codes, staff_rates):
    """Alice Archer (every permission) and Sam Okafor (none), Acme Widgets, the rate card."""
    name(admin_member, "Alice", "Archer", "alice@ledger.example")
    name(staff, "Sam", "Okafor", "sam@ledger.example")
    return {"alice": admin_member, "sam": staff}
