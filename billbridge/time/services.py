"""Recording time and expenses: every change to an entry happens here, checked and written to
its history. Everyone records their own time; recording or changing someone else's needs
Process time (docs/decisions/0019-time-and-wip.md). Billed and held entries are locked."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from billbridge.core.money import CENT
from billbridge.practice.models import Membership, Permission
from billbridge.practice.permissions import require
from billbridge.time.models import Entry, EntryChange, EntryKind, EntryState, Rate, WorkCode
from billbridge.time.rates import RateRule, rate_in_force
from billbridge.time.values import MINUTES_PER_DAY, format_duration, value_of_time

# Time is recorded for work done, or about to be done this month: a date further ahead is
# almost always a typing slip (2062 for 2026).
DAYS_AHEAD_ALLOWED = 31
MAX_EXPENSE = Decimal("999999999.99")
EDITABLE = ("staff_id", "client_id", "date", "minutes", "work_code_id", "description", "billable")


@dataclass(frozen=True)
class EntryInput:
    client_id: int
    date: datetime.date
    kind: str = EntryKind.TIME
    minutes: int = 0
    work_code_id: int | None = None
    description: str = ""
    billable: bool | None = None  # None: the work code's default (expenses: billable)
    amount: Decimal | None = None  # an expense's amount
    staff_id: int | None = None  # None: the member recording it


# ---- reading, scoped to the practice --------------------------------------------------------


def entries_of(membership: Membership):
    return Entry.objects.for_practice(membership.practice)


def get_entry(membership: Membership, entry_id: int) -> Entry:
    """Another practice's entry looks exactly like one that does not exist."""
    return entries_of(membership).select_related("invoice_line__invoice").get(pk=entry_id)


def rules_of(practice) -> list[RateRule]:
    return [
        RateRule(r.effective_from, r.hourly_rate, r.staff_id, r.client_id, r.work_code_id)
        for r in Rate.objects.filter(practice=practice)
    ]


def rate_for(rules, staff_id: int, client_id: int, work_code_id, on: datetime.date):
    rule = rate_in_force(
        rules, staff_id=staff_id, client_id=client_id, work_code_id=work_code_id, on=on
    )
    return None if rule is None else rule.hourly_rate


def may_change(membership: Membership, staff_id: int) -> bool:
    return staff_id == membership.pk or membership.has(Permission.PROCESS_TIME)


def _require_may_change(membership: Membership, staff_id: int) -> None:
    if not may_change(membership, staff_id):
        raise PermissionRefused(
            "You need the “Process time” permission to record or change someone else's time."
        )


# ---- checks -------------------------------------------------------------------------------


class PracticeFacts(Protocol):
    """What the entry rules need to know of the practice. Recording one entry asks the
    database (AskedFacts); an import reads them once for a whole file (imports/store.py), so
    that the same rules check both."""

    def is_member(self, staff_id: int) -> bool: ...

    def is_client(self, client_id: int) -> bool: ...

    def work_code(self, work_code_id: int) -> WorkCode | None: ...

    # The time the person has recorded that day, bar `entry` (the one being changed).
    def minutes_recorded(self, staff_id: int, date: datetime.date, entry: Entry | None) -> int: ...


class AskedFacts:
    def __init__(self, practice) -> None:
        self.practice = practice

    def is_member(self, staff_id: int) -> bool:
        return Membership.objects.filter(practice=self.practice, pk=staff_id).exists()

    def is_client(self, client_id: int) -> bool:
        return Client.objects.for_practice(self.practice).filter(pk=client_id).exists()

    def work_code(self, work_code_id: int) -> WorkCode | None:
        return WorkCode.objects.filter(practice=self.practice, pk=work_code_id).first()

    def minutes_recorded(self, staff_id: int, date: datetime.date, entry: Entry | None) -> int:
        # By practice too, so the (practice, staff, date) index finds the day's entries.
        others = Entry.objects.filter(
            practice=self.practice, staff_id=staff_id, date=date, kind=EntryKind.TIME
        )
        if entry is not None:
            others = others.exclude(pk=entry.pk)
        return others.aggregate(total=Sum("minutes"))["total"] or 0


def entry_fields(
    membership: Membership,
    data: EntryInput,
    facts: PracticeFacts,
    *,
    entry: Entry | None = None,
) -> dict:
    """The entry's fields from `data`, every problem named by its field (InvalidInput)."""
    errors: dict[str, list[str]] = {}
    staff_id = data.staff_id or membership.pk
    if not facts.is_member(staff_id):
        errors["staff"] = ["Choose a member of your practice."]
    if not facts.is_client(data.client_id):
        errors["client"] = ["Choose one of your practice's clients."]
    work_code = None
    if data.work_code_id is not None:
        work_code = facts.work_code(data.work_code_id)
        if work_code is None:
            errors["work_code"] = ["Choose one of your practice's work codes."]
        elif not work_code.active and (entry is None or entry.work_code_id != work_code.pk):
            errors["work_code"] = [f"The work code {work_code.name} is no longer in use."]
    latest = timezone.localdate() + datetime.timedelta(days=DAYS_AHEAD_ALLOWED)
    if data.date > latest:
        errors["date"] = [f"The date is too far ahead: the latest allowed is {latest:%Y-%m-%d}."]
    if len(data.description) > 1000:
        errors["description"] = ["A description has at most 1,000 characters."]
    if "\x00" in data.description:
        errors["description"] = ["A description cannot contain NUL characters."]
    fields = {
        "kind": data.kind,
        "staff_id": staff_id,
        "client_id": data.client_id,
        "date": data.date,
        "work_code_id": data.work_code_id,
        "description": data.description.strip(),
    }
    if data.kind == EntryKind.TIME:
        if data.minutes <= 0:
            errors["minutes"] = ["The duration must be more than zero."]
        elif data.minutes > MINUTES_PER_DAY:
            errors["minutes"] = ["The duration cannot be more than 24 hours."]
        fields["minutes"] = data.minutes
        default_billable = work_code.billable if work_code else True
    elif data.kind == EntryKind.EXPENSE:
        amount = data.amount
        if amount is None or not amount.is_finite() or amount <= 0:
            errors["amount"] = ["An expense's amount must be more than zero."]
        elif amount > MAX_EXPENSE or amount != amount.quantize(CENT):
            errors["amount"] = ["An amount has at most two decimals and is under a billion."]
        else:
            fields["value"] = amount
        fields["minutes"] = 0
        default_billable = True
    else:
        errors["kind"] = ["An entry is time or an expense."]
        default_billable = True
    fields["billable"] = default_billable if data.billable is None else data.billable
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors)
    if data.kind == EntryKind.TIME:
        recorded = facts.minutes_recorded(staff_id, data.date, entry)
        if recorded + data.minutes > MINUTES_PER_DAY:
            raise InvalidInput(
                f"That makes {format_duration(recorded + data.minutes)} on {data.date:%Y-%m-%d}: "
                f"a day has 24 hours ({format_duration(recorded)} is recorded already).",
                {"minutes": ["More than 24 hours in one day."]},
            )
    return fields


def apply_rate(entry: Entry, rules) -> None:
    """Sets the rate in force on a time entry's date and its value at that rate."""
    if entry.kind == EntryKind.TIME:
        entry.rate = rate_for(
            rules, entry.staff_id, entry.client_id, entry.work_code_id, entry.date
        )
        entry.value = value_of_time(entry.minutes, entry.rate)


def _log(entry: Entry, membership: Membership | None, action: str, changes=None, note=""):
    EntryChange.objects.create(
        entry=entry,
        actor=membership.user if membership else None,
        action=action,
        changes=changes or {},
        note=note[:500],
    )


def _locked_entry(membership: Membership, entry_id: int) -> Entry:
    entry = entries_of(membership).select_for_update().get(pk=entry_id)
    if entry.invoice_line_id is not None:
        # The state reads the line's invoice; read it after the lock.
        entry = entries_of(membership).select_related("invoice_line__invoice").get(pk=entry.pk)
    return entry


def _refuse_locked(entry: Entry, doing: str) -> None:
    if entry.state in (EntryState.BILLED, EntryState.ON_DRAFT):
        invoice = entry.invoice_line.invoice
        raise TransitionRefused(
            f"This entry is {entry.state_label.lower()} ({invoice.number}), so it cannot be "
            f"{doing}. Remove it from the draft, or revert the invoice to Draft and then remove it."
        )
    if entry.state == EntryState.WRITTEN_OFF:
        raise TransitionRefused(f"This entry is written off: restore it before it is {doing}.")


# ---- recording ------------------------------------------------------------------------------


@transaction.atomic
def record(membership: Membership, data: EntryInput) -> Entry:
    """One entry, as a person types it. A file of them is imported by imports/store.py, under
    the same rules (entry_fields)."""
    _require_may_change(membership, data.staff_id or membership.pk)
    entry = Entry(
        practice=membership.practice,
        **entry_fields(membership, data, AskedFacts(membership.practice)),
    )
    apply_rate(entry, rules_of(membership.practice))
    entry.save()
    _log(entry, membership, "created")
    return entry


@transaction.atomic
def update(
    membership: Membership,
    entry_id: int,
    data: EntryInput,
    *,
    read_at_change: datetime.datetime | None = None,
) -> Entry:
    """Replace an unbilled entry's content. A caller that built `data` from what it read
    earlier passes the `updated_at` it read, so that a change made in between is refused, not
    overwritten."""
    entry = _locked_entry(membership, entry_id)
    if read_at_change is not None and read_at_change != entry.updated_at:
        raise TransitionRefused(
            "This entry was changed by someone else since it was read: read it again and make "
            "your change again."
        )
    _require_may_change(membership, entry.staff_id)
    _require_may_change(membership, data.staff_id or entry.staff_id)
    _refuse_locked(entry, "changed")
    if data.kind != entry.kind:
        raise InvalidInput("A time entry stays time and an expense stays an expense.")
    fields = entry_fields(membership, data, AskedFacts(membership.practice), entry=entry)
    before = {name: _plain(getattr(entry, name)) for name in (*EDITABLE, "value")}
    for name, value in fields.items():
        setattr(entry, name, value)
    apply_rate(entry, rules_of(membership.practice))
    entry.save()
    after = {name: _plain(getattr(entry, name)) for name in (*EDITABLE, "value")}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        _log(entry, membership, "edited", changes)
    return entry


def _plain(value):
    return str(value) if isinstance(value, (Decimal, datetime.date)) else value


@transaction.atomic
def delete(membership: Membership, entry_id: int) -> None:
    entry = _locked_entry(membership, entry_id)
    _require_may_change(membership, entry.staff_id)
    _refuse_locked(entry, "deleted")
    entry.delete()


@transaction.atomic
def write_off(membership: Membership, entry_ids, reason: str) -> int:
    """Write unbilled work off: it stays recorded, valued, and out of WIP. Answers how many."""
    require(membership, Permission.PROCESS_TIME)
    if not reason.strip() or "\x00" in reason:
        raise InvalidInput("Say why the work is written off.", {"reason": ["A reason is needed."]})
    entries = list(
        entries_of(membership).select_for_update().filter(pk__in=list(entry_ids)).order_by("pk")
    )
    unbilled = [e for e in entries if not e.written_off and e.invoice_line_id is None]
    if len(unbilled) != len(entries) or not entries:
        raise TransitionRefused("Only unbilled entries can be written off; nothing was changed.")
    Entry.objects.filter(pk__in=[e.pk for e in entries]).update(written_off=True)
    for entry in entries:
        _log(entry, membership, "written off", note=reason.strip())
    return len(entries)


@transaction.atomic
def restore(membership: Membership, entry_id: int) -> Entry:
    require(membership, Permission.PROCESS_TIME)
    entry = _locked_entry(membership, entry_id)
    if not entry.written_off:
        raise TransitionRefused("This entry is not written off.")
    entry.written_off = False
    entry.save(update_fields=["written_off", "updated_at"])
    _log(entry, membership, "restored to WIP")
    return entry


# ---- the running timer ----------------------------------------------------------------------


@transaction.atomic
def start_timer(membership: Membership, entry_id: int) -> Entry:
    """Start timing an unbilled time entry; any other timer of the same person stops first."""
    entry = _locked_entry(membership, entry_id)
    _require_may_change(membership, entry.staff_id)
    _refuse_locked(entry, "timed")
    if entry.kind != EntryKind.TIME:
        raise InvalidInput("Only time entries have a timer.")
    for running in Entry.objects.filter(staff_id=entry.staff_id, timer_started_at__isnull=False):
        if running.pk != entry.pk:
            _stop(membership, running)
    if entry.timer_started_at is None:
        entry.timer_started_at = timezone.now()
        entry.save(update_fields=["timer_started_at", "updated_at"])
        _log(entry, membership, "timer started")
    return entry


@transaction.atomic
def stop_timer(membership: Membership, entry_id: int) -> Entry:
    entry = _locked_entry(membership, entry_id)
    _require_may_change(membership, entry.staff_id)
    if entry.timer_started_at is None:
        raise TransitionRefused("The timer of this entry is not running.")
    return _stop(membership, entry)


def _stop(membership: Membership, entry: Entry) -> Entry:
    elapsed = timezone.now() - entry.timer_started_at
    # Started minutes count: a timer stopped after 10 s has timed one minute.
    added = max(1, -(-int(elapsed.total_seconds()) // 60))
    minutes = min(entry.minutes + added, MINUTES_PER_DAY)
    before = entry.minutes
    entry.timer_started_at = None
    entry.minutes = minutes
    apply_rate(entry, rules_of(entry.practice))
    entry.save(update_fields=["timer_started_at", "minutes", "rate", "value", "updated_at"])
    _log(entry, membership, "timer stopped", {"minutes": [before, minutes]})
    return entry
