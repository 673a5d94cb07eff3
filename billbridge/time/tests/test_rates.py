"""The rate precedence rule (time/rates.py), property-based."""

import datetime
import random
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billbridge.time.rates import PRECEDENCE, RateRule, rate_in_force

DAYS = st.dates(min_value=datetime.date(2024, 1, 1), max_value=datetime.date(2026, 12, 31))
IDS = st.sampled_from([1, 2])


@st.composite
def rules(draw):
    client, staff, code = draw(st.sampled_from(sorted(PRECEDENCE)))
    return RateRule(
        effective_from=draw(DAYS),
        hourly_rate=Decimal(draw(st.integers(0, 50_000))) / 100,
        staff_id=draw(IDS) if staff else None,
        client_id=draw(IDS) if client else None,
        work_code_id=draw(IDS) if code else None,
    )


WORK = st.fixed_dictionaries(
    {"staff_id": IDS, "client_id": IDS, "work_code_id": st.one_of(st.none(), IDS), "on": DAYS}
)


def applies(rule: RateRule, work: dict) -> bool:
    return rule.applies_to(work["staff_id"], work["client_id"], work["work_code_id"], work["on"])


@given(st.lists(rules(), max_size=12), WORK)
def test_the_chosen_rate_applies_and_none_that_applies_is_more_specific_or_newer(card, work):
    chosen = rate_in_force(card, **work)
    applicable = [r for r in card if applies(r, work)]
    if chosen is None:
        assert applicable == []
        return
    assert chosen in applicable
    for rule in applicable:
        assert (chosen.rank, -chosen.effective_from.toordinal()) <= (
            rule.rank,
            -rule.effective_from.toordinal(),
        )


@given(st.lists(rules(), max_size=12), WORK, st.randoms())
def test_the_order_the_rates_were_set_in_does_not_matter(card, work, rng: random.Random):
    # A scope has one rate a day (the rate card refuses a second), as on a real card.
    card = list(
        {(r.staff_id, r.client_id, r.work_code_id, r.effective_from): r for r in card}.values()
    )
    shuffled = list(card)
    rng.shuffle(shuffled)
    first, second = rate_in_force(card, **work), rate_in_force(shuffled, **work)
    assert (first and (first.rank, first.effective_from, first.hourly_rate)) == (
        second and (second.rank, second.effective_from, second.hourly_rate)
    )


@given(st.lists(rules(), max_size=12), WORK, rules())
def test_a_rate_for_other_work_or_from_a_later_date_changes_nothing(card, work, extra):
    if applies(extra, work):
        return
    assert rate_in_force([*card, extra], **work) == rate_in_force(card, **work)


@given(st.lists(rules(), max_size=12), WORK)
def test_the_clients_rate_for_that_person_and_work_from_before_always_wins(card, work):
    if work["work_code_id"] is None:
        return
    override = RateRule(
        work["on"], Decimal("999.99"), work["staff_id"], work["client_id"], work["work_code_id"]
    )
    assert rate_in_force([*card, override], **work).rank == 1


def test_the_order_of_precedence_is_the_documented_one():
    staff, client, code, day = 1, 2, 3, datetime.date(2026, 1, 1)
    card = [
        RateRule(day, Decimal("50"), staff_id=staff),
        RateRule(day, Decimal("60"), work_code_id=code),
        RateRule(day, Decimal("70"), staff_id=staff, client_id=client),
        RateRule(day, Decimal("80"), client_id=client, work_code_id=code),
        RateRule(day, Decimal("90"), staff_id=staff, client_id=client, work_code_id=code),
    ]
    seen = []
    while card:
        chosen = rate_in_force(card, staff_id=staff, client_id=client, work_code_id=code, on=day)
        seen.append(chosen.hourly_rate)
        card.remove(chosen)
    assert seen == [Decimal(n) for n in ("90", "80", "70", "60", "50")]
