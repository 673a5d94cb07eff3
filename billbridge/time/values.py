"""Durations and the value of work (docs/decisions/0019-time-and-wip.md).

A duration is whole minutes. The value of time is minutes × hourly rate ÷ 60, rounded once to
the cent, half up, per entry (the rule of docs/decisions/0001 applied to an entry as to a
line); sums of values need no rounding. An expense's value is its amount.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from billbridge.core.money import to_money

MINUTES_PER_DAY = 24 * 60
SIXTY = Decimal(60)
_CLOCK = re.compile(r"^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$")
_UNITS = re.compile(
    r"^(?:(\d+(?:[.,]\d+)?)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:in(?:utes?|s)?)?)?$"
)


def value_of_time(minutes: int, hourly_rate: Decimal | None) -> Decimal:
    if hourly_rate is None:
        return Decimal("0.00")
    return to_money(Decimal(minutes) * hourly_rate / SIXTY)


def hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / SIXTY).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def minutes_of_hours(value: Decimal) -> int:
    return int((value * SIXTY).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def parse_duration(text: str) -> int:
    """Minutes from what a person types: "1:30", "1.5" (decimal hours), "1h 30m", "90m".
    Raises ValueError with a sentence naming what was expected."""
    text = text.strip().lower()
    if not text:
        raise ValueError("Enter a duration, such as 1:30 or 1.5.")
    if match := _CLOCK.match(text):
        hours_part, minutes_part, seconds = match.groups()
        return (
            int(hours_part) * 60 + int(minutes_part) + (1 if seconds and int(seconds) >= 30 else 0)
        )
    try:
        decimal_hours = Decimal(text.replace(",", "."))
    except InvalidOperation:
        match = _UNITS.match(text)
        if not match or not any(match.groups()):
            raise ValueError(
                f"“{text}” is not a duration: type hours and minutes (1:30) or decimal hours (1.5)."
            ) from None
        whole, extra = match.groups()
        return minutes_of_hours(Decimal((whole or "0").replace(",", "."))) + int(extra or 0)
    if not decimal_hours.is_finite() or abs(decimal_hours) > MINUTES_PER_DAY:
        # Beyond any day's hours: refused before the arithmetic could overflow.
        raise ValueError(f"“{text}” is not a duration of a day's work.")
    return minutes_of_hours(decimal_hours)


def format_duration(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"
