"""Invoice from WIP: a client's unbilled work becomes a Draft invoice (Process time).

The lines are grouped by work code, by person or one per entry; a line may be written up or
down, the whole invoice written to an amount, or a fixed fee billed instead. The draft is made
by invoicing's own service, so its editor, taxes, finalize and export all apply; each entry is
then held on the line it went into. A write-up or write-down is not stored as an amount: it is
always the line's amount less its entries' standard value, with the reason kept beside it.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput, TransitionRefused
from billbridge.core.money import CENT, line_amount
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import Invoice
from billbridge.invoicing.services import MAX_LINE_AMOUNT, MAX_LINES, DraftInput
from billbridge.invoicing.totals import LineInput
from billbridge.practice.models import Membership, Permission
from billbridge.practice.permissions import require
from billbridge.time.models import Entry, EntryKind, LineAdjustment
from billbridge.time.values import hours

GROUPINGS = {"work_code": "By work code", "person": "By person", "entry": "One line per entry"}
DEFAULT_TERMS_DAYS = 30
EXPENSES = "Disbursements"


@dataclass(frozen=True)
class WipBilling:
    client_id: int
    entry_ids: tuple[int, ...] = ()  # the entries picked; empty: all WIP through `through`
    through: datetime.date | None = None
    grouping: str = "work_code"
    # Billed amount per group key (see Group.key) for lines written up or down.
    line_amounts: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal | None = None  # write the whole invoice to this amount
    fixed_fee: Decimal | None = None  # one line for all the work, of this amount
    reason: str = ""
    issue_date: datetime.date | None = None
    due_date: datetime.date | None = None
    memo: str = ""


@dataclass
class Group:
    key: str
    description: str
    service_name: str
    entries: list[Entry]
    primary_taxable: bool = False
    secondary_taxable: bool = False
    amount: Decimal | None = None  # None: the standard value

    @property
    def minutes(self) -> int:
        return sum(e.minutes for e in self.entries)

    @property
    def standard(self) -> Decimal:
        return sum((e.value for e in self.entries), Decimal("0.00"))

    @property
    def billed(self) -> Decimal:
        return self.standard if self.amount is None else self.amount

    def line(self) -> LineInput:
        billed = self.billed
        quantity, price = Decimal(1), billed
        if self.minutes:
            # Hours × a unit price when that multiplies back to the billed amount exactly;
            # otherwise one unit of the whole amount, so the line says exactly what is billed.
            quantity = hours(self.minutes)
            price = (billed / quantity).quantize(CENT, rounding=ROUND_HALF_UP)
            if line_amount(quantity, price) != billed:
                quantity, price = Decimal(1), billed
        return LineInput(
            description=self.description[:4000],
            quantity=quantity,
            unit_price=price,
            service_name=self.service_name[:100],
            primary_taxable=self.primary_taxable,
            secondary_taxable=self.secondary_taxable,
        )


def selected_wip(membership: Membership, billing: WipBilling, *, lock: bool = False) -> list[Entry]:
    """The entries `billing` asks for, all of them still WIP of its client, or a refusal that
    names what changed."""
    client = Client.objects.for_practice(membership.practice).filter(pk=billing.client_id).first()
    if client is None:
        raise Client.DoesNotExist
    entries = Entry.objects.for_practice(membership.practice).filter(client=client)
    if lock:
        # Only the entries are locked: their work codes and people are read beside them, and
        # PostgreSQL cannot lock the nullable side of an outer join.
        entries = entries.select_for_update(of=("self",))
    if billing.entry_ids:
        chosen = list(
            entries.filter(pk__in=list(billing.entry_ids)).select_related(
                "work_code", "staff__user"
            )
        )
        wip_ids = set(
            Entry.objects.filter(pk__in=[e.pk for e in chosen]).wip().values_list("pk", flat=True)
        )
        missing = set(billing.entry_ids) - wip_ids
        if missing:
            raise TransitionRefused(
                f"{len(missing)} of the chosen entries are no longer unbilled work of "
                f"{client.name} (billed, held on a draft, written off, non-billable or removed): "
                "nothing was invoiced. Reload the WIP and choose again."
            )
        return sorted(chosen, key=lambda e: (e.date, e.pk))
    wip = entries.wip()
    if billing.through is not None:
        wip = wip.filter(date__lte=billing.through)
    return list(wip.select_related("work_code", "staff__user").order_by("date", "pk"))


def grouped(entries: list[Entry], grouping: str) -> list[Group]:
    if grouping not in GROUPINGS:
        raise InvalidInput(
            "Group lines by work code, by person or one per entry.",
            {"grouping": [f"One of: {', '.join(GROUPINGS)}."]},
        )
    groups: dict[str, Group] = {}
    for entry in entries:
        key, description, service = _group_of(entry, grouping)
        group = groups.get(key)
        if group is None:
            code = entry.work_code
            group = groups[key] = Group(
                key,
                description,
                service,
                [],
                primary_taxable=bool(code and code.primary_taxable and grouping != "person"),
                secondary_taxable=bool(code and code.secondary_taxable and grouping != "person"),
            )
        group.entries.append(entry)
    return list(groups.values())


def _group_of(entry: Entry, grouping: str) -> tuple[str, str, str]:
    if entry.kind == EntryKind.EXPENSE:
        if grouping == "entry":
            return f"e{entry.pk}", entry.description or EXPENSES, EXPENSES
        return "expenses", EXPENSES, EXPENSES
    code = entry.work_code
    code_name = code.name if code else ""
    if grouping == "work_code":
        return f"w{code.pk if code else 0}", code_name or "Professional services", code_name
    if grouping == "person":
        name = entry.staff.user.get_full_name() or entry.staff.user.get_username()
        return f"p{entry.staff_id}", f"Professional services — {name}", ""
    text = entry.description or code_name or "Professional services"
    return f"e{entry.pk}", f"{entry.date:%Y-%m-%d} {text}", code_name


def _money(value: Decimal, what: str) -> Decimal:
    if (
        not value.is_finite()
        or value < 0
        or value > MAX_LINE_AMOUNT
        or value != value.quantize(CENT)
    ):
        raise InvalidInput(
            f"The {what} must be an amount from 0 with at most two decimals.", {what: ["Check it."]}
        )
    return value


def priced(groups: list[Group], billing: WipBilling) -> list[Group]:
    """The groups with the amounts `billing` bills: per line, the whole, or a fixed fee."""
    if billing.fixed_fee is not None:
        fee = _money(billing.fixed_fee, "fixed fee")
        everything = [e for g in groups for e in g.entries]
        return [Group("fee", "Fixed fee", "", everything, amount=fee)]
    unknown = set(billing.line_amounts) - {g.key for g in groups}
    if unknown:
        raise InvalidInput("A write-up or write-down names a line that is not there.")
    for group in groups:
        if group.key in billing.line_amounts:
            group.amount = _money(billing.line_amounts[group.key], "line amount")
    if billing.total is not None:
        _spread(groups, _money(billing.total, "total"))
    return groups


def _spread(groups: list[Group], total: Decimal) -> None:
    """Bill `total` in all, each line in proportion to what it bills now; the cents the
    proportions leave go to the largest line, so the lines add up exactly."""
    now = sum((g.billed for g in groups), Decimal("0"))
    if not groups:
        return
    for group in groups:
        share = group.billed / now if now else Decimal(1) / len(groups)
        group.amount = (total * share).quantize(CENT, rounding=ROUND_HALF_UP)
    left = total - sum((g.amount for g in groups), Decimal("0"))
    max(groups, key=lambda g: g.amount).amount += left


def _adjustment_kind(group: Group, fixed_fee: bool) -> str | None:
    if fixed_fee:
        return LineAdjustment.Kind.FIXED_FEE
    if group.billed > group.standard:
        return LineAdjustment.Kind.WRITE_UP
    if group.billed < group.standard:
        return LineAdjustment.Kind.WRITE_DOWN
    return None


def preview(membership: Membership, billing: WipBilling) -> list[Group]:
    require(membership, Permission.PROCESS_TIME)
    return priced(grouped(selected_wip(membership, billing), billing.grouping), billing)


@transaction.atomic
def invoice_from_wip(membership: Membership, billing: WipBilling) -> Invoice:
    require(membership, Permission.PROCESS_TIME)
    entries = selected_wip(membership, billing, lock=True)
    if not entries:
        raise TransitionRefused("There is no unbilled work to invoice for that choice.")
    groups = priced(grouped(entries, billing.grouping), billing)
    if len(groups) > MAX_LINES:
        raise InvalidInput(
            f"That makes {len(groups)} lines; an invoice has at most {MAX_LINES}. Group by work "
            "code or person, or invoice fewer entries."
        )
    adjusted = [g for g in groups if _adjustment_kind(g, billing.fixed_fee is not None)]
    reason = billing.reason.strip()
    if adjusted and not reason:
        raise InvalidInput(
            "Say why the work is written up or down.", {"reason": ["A reason is needed."]}
        )
    issue = billing.issue_date or timezone.localdate()
    invoice = invoicing.create_draft(
        membership,
        DraftInput(
            client_id=billing.client_id,
            issue_date=issue,
            due_date=billing.due_date or issue + datetime.timedelta(days=DEFAULT_TERMS_DAYS),
            memo=billing.memo,
            lines=[g.line() for g in groups],
        ),
    )
    lines = list(invoice.lines.order_by("position"))
    held = {}
    for group, line in zip(groups, lines, strict=True):
        held.update({entry.pk: line.pk for entry in group.entries})
        if kind := _adjustment_kind(group, billing.fixed_fee is not None):
            LineAdjustment.objects.create(invoice_line=line, kind=kind, reason=reason[:500])
    by_line = defaultdict(list)
    for entry_id, line_id in held.items():
        by_line[line_id].append(entry_id)
    # One statement whatever the number of entries: each entry to its line.
    Entry.objects.filter(pk__in=list(held)).update(
        invoice_line_id=Case(
            *(When(pk__in=ids, then=Value(line_id)) for line_id, ids in by_line.items()),
            output_field=IntegerField(),
        )
    )
    standard = sum((g.standard for g in groups), Decimal("0.00"))
    invoicing.record_note(
        invoice,
        membership,
        "made from WIP",
        f"{len(held)} entries of work valued {standard:,.2f} at standard rates"
        + (f"; billed {invoice.subtotal:,.2f}: {reason}" if adjusted else ""),
    )
    return invoice
