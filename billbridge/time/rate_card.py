"""Work codes and rates: the practice's rate card (Manage settings). A rate is never edited or
removed: a new one from a later date replaces it, so the history stays. A new rate revalues the
unbilled work it applies to, and is refused when billed or held work would fall under it."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput, TransitionRefused
from billbridge.core.money import CENT
from billbridge.practice.models import Membership, Permission
from billbridge.practice.permissions import require
from billbridge.time.models import Entry, EntryKind, EntryState, Rate, WorkCode
from billbridge.time.rates import is_settable
from billbridge.time.services import rate_for, rules_of
from billbridge.time.values import value_of_time

MAX_RATE = Decimal("9999999.99")


@dataclass(frozen=True)
class WorkCodeInput:
    name: str
    description: str = ""
    billable: bool = True
    primary_taxable: bool = False
    secondary_taxable: bool = False
    active: bool = True


def _work_code_problems(data: WorkCodeInput) -> dict[str, list[str]]:
    errors = {}
    name = data.name.strip()
    if not name:
        errors["name"] = ["A work code needs a name."]
    elif len(name) > 100 or any(ord(c) < 32 for c in name):
        errors["name"] = ["A name has at most 100 characters and no control characters."]
    if len(data.description) > 500:
        errors["description"] = ["A description has at most 500 characters."]
    return errors


@transaction.atomic
def save_work_code(
    membership: Membership, data: WorkCodeInput, work_code_id: int | None = None
) -> WorkCode:
    require(membership, Permission.MANAGE_SETTINGS)
    if errors := _work_code_problems(data):
        raise InvalidInput(next(iter(errors.values()))[0], errors)
    if work_code_id is None:
        code = WorkCode(practice=membership.practice)
    else:
        code = WorkCode.objects.select_for_update().get(
            practice=membership.practice, pk=work_code_id
        )
    for name, value in vars(data).items():
        setattr(code, name, value.strip() if isinstance(value, str) else value)
    try:
        with transaction.atomic():
            code.save()
    except IntegrityError as exc:
        raise InvalidInput(
            f"There is already a work code named {code.name}.",
            {"name": ["Another work code has that name."]},
        ) from exc
    return code


@dataclass(frozen=True)
class RateInput:
    effective_from: datetime.date
    hourly_rate: Decimal
    staff_id: int | None = None
    client_id: int | None = None
    work_code_id: int | None = None


def _rate_problems(membership: Membership, data: RateInput) -> dict[str, list[str]]:
    practice = membership.practice
    errors: dict[str, list[str]] = {}
    rate = data.hourly_rate
    if not rate.is_finite() or rate < 0 or rate > MAX_RATE or rate != rate.quantize(CENT):
        errors["hourly_rate"] = ["A rate is an amount from 0 with at most two decimals."]
    if not is_settable(
        data.staff_id is not None, data.client_id is not None, data.work_code_id is not None
    ):
        errors["scope"] = [
            "A rate is for a staff member, for a work code, or a client's override for a staff "
            "member, a work code or both."
        ]
    if (
        data.staff_id is not None
        and not Membership.objects.filter(practice=practice, pk=data.staff_id).exists()
    ):
        errors["staff"] = ["Choose a member of your practice."]
    if (
        data.client_id is not None
        and not Client.objects.for_practice(practice).filter(pk=data.client_id).exists()
    ):
        errors["client"] = ["Choose one of your practice's clients."]
    if (
        data.work_code_id is not None
        and not WorkCode.objects.filter(practice=practice, pk=data.work_code_id).exists()
    ):
        errors["work_code"] = ["Choose one of your practice's work codes."]
    return errors


def _in_scope(practice, data: RateInput):
    entries = Entry.objects.for_practice(practice).filter(
        kind=EntryKind.TIME, date__gte=data.effective_from
    )
    for field in ("staff_id", "client_id", "work_code_id"):
        if getattr(data, field) is not None:
            entries = entries.filter(**{field: getattr(data, field)})
    return entries


def _same_day() -> InvalidInput:
    return InvalidInput(
        "That rate already has a change on that date; choose another date.",
        {"effective_from": ["A rate for this scope already starts on that date."]},
    )


@transaction.atomic
def set_rate(membership: Membership, data: RateInput) -> tuple[Rate, int]:
    """Add a rate from its date. Answers the rate and how many unbilled entries it revalued."""
    require(membership, Permission.MANAGE_SETTINGS)
    if errors := _rate_problems(membership, data):
        raise InvalidInput(next(iter(errors.values()))[0], errors)
    practice = membership.practice
    in_scope = _in_scope(practice, data).select_for_update(of=("self",))
    invoiced = in_scope.filter(invoice_line__isnull=False)
    if first := invoiced.order_by("date").select_related("invoice_line__invoice").first():
        raise TransitionRefused(
            f"Work from {data.effective_from:%Y-%m-%d} that this rate would cover is already "
            f"{first.state_label.lower()} (on {first.invoice_line.invoice.number}, "
            f"{first.date:%Y-%m-%d}): date the rate after the billed work."
        )
    same_day = {"practice": practice, **vars(data)}
    del same_day["hourly_rate"]
    # Checked here as well as by the constraint: SQLite does not enforce NULLS NOT DISTINCT.
    if Rate.objects.filter(**same_day).exists():
        raise _same_day()
    try:
        with transaction.atomic():
            rate = Rate.objects.create(practice=practice, created_by=membership.user, **vars(data))
    except IntegrityError as exc:
        raise _same_day() from exc
    rules = rules_of(practice)
    revalued = []
    for entry in in_scope.in_state(EntryState.UNBILLED).only(
        "pk", "staff_id", "client_id", "work_code_id", "date", "minutes", "rate", "value"
    ):
        new_rate = rate_for(rules, entry.staff_id, entry.client_id, entry.work_code_id, entry.date)
        if new_rate != entry.rate:
            entry.rate = new_rate
            entry.value = value_of_time(entry.minutes, new_rate)
            revalued.append(entry)
    Entry.objects.bulk_update(revalued, ["rate", "value"], batch_size=500)
    return rate, len(revalued)
