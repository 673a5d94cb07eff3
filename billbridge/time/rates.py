"""Which hourly rate applies to a piece of work: one rule, in one pure function
(docs/decisions/0019-time-and-wip.md).

A rate is for a scope — some of staff member, client and work code — from a date. A rate
applies to work that matches every part of its scope, from its date on. Of those that apply,
the most specific scope wins, in this order:

1. the client's rate for that staff member doing that work code;
2. the client's rate for that work code, whoever does it;
3. the client's rate for that staff member, whatever the work;
4. the work code's default rate;
5. the staff member's own rate.

Within one scope the latest date on or before the work's date wins. No applicable rate: None.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

# (client, staff, work code) present in a scope → its rank; lower wins. A scope not listed
# here (staff with work code but no client, say) is not a rate the practice can set.
PRECEDENCE: dict[tuple[bool, bool, bool], int] = {
    (True, True, True): 1,
    (True, False, True): 2,
    (True, True, False): 3,
    (False, False, True): 4,
    (False, True, False): 5,
}


@dataclass(frozen=True)
class RateRule:
    effective_from: datetime.date
    hourly_rate: Decimal
    staff_id: int | None = None
    client_id: int | None = None
    work_code_id: int | None = None

    @property
    def rank(self) -> int:
        return PRECEDENCE[
            (self.client_id is not None, self.staff_id is not None, self.work_code_id is not None)
        ]

    def applies_to(
        self, staff_id: int, client_id: int, work_code_id: int | None, on: datetime.date
    ) -> bool:
        return (
            self.effective_from <= on
            and self.staff_id in (None, staff_id)
            and self.client_id in (None, client_id)
            and self.work_code_id in (None, work_code_id)
        )


def is_settable(staff: bool, client: bool, work_code: bool) -> bool:
    return (client, staff, work_code) in PRECEDENCE


def rate_in_force(
    rules: Iterable[RateRule],
    *,
    staff_id: int,
    client_id: int,
    work_code_id: int | None,
    on: datetime.date,
) -> RateRule | None:
    best: RateRule | None = None
    for rule in rules:
        if not rule.applies_to(staff_id, client_id, work_code_id, on):
            continue
        if best is None or (rule.rank, -rule.effective_from.toordinal()) < (
            best.rank,
            -best.effective_from.toordinal(),
        ):
            best = rule
    return best
