"""What the time, WIP and realization API accepts and answers, in schemas.py's conventions:
money as decimal strings, ISO dates, and every rule on a single value stated in the document
(docs/decisions/0018-api-contract.md); rules across fields are said in the descriptions."""

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field

from billbridge.api.schemas import (
    ClientRef,
    Flag,
    Id,
    Input,
    IsoDate,
    Money,
    QuantityOut,
    QueryId,
    _decimal_in,
    _decimal_out,
    _json_integer,
    _text,
    documented,
    patch_schema,
)
from billbridge.invoicing.models import Invoice
from billbridge.invoicing.services import MAX_LINE_AMOUNT, MAX_LINES
from billbridge.time.billing import DEFAULT_TERMS_DAYS, GROUPINGS
from billbridge.time.models import Entry, EntryKind, EntryState, LineAdjustment
from billbridge.time.realization import GROUPS
from billbridge.time.services import DAYS_AHEAD_ALLOWED, MAX_EXPENSE
from billbridge.time.values import MINUTES_PER_DAY
from billbridge.time.wip import LISTED

# A caller picks entries from the WIP it read, which lists at most LISTED of them; `through`
# takes any number.
MAX_ENTRY_IDS = 2 * LISTED


class StrictInput(Input):
    """A body whose fields are all named in the document: an unknown one is refused (422), so
    that a misspelt field ("minute") is not silently left out of a recording."""

    model_config = ConfigDict(extra="forbid")


# ---- amounts --------------------------------------------------------------------------------


def _amount_pattern(largest: Decimal, *, zero: bool) -> str:
    """Decimal strings from 0 (or from 0.01) to `largest` with at most two decimals, as the
    services take them; pydantic drops trailing zeros before counting decimals."""
    more_digits = len(str(int(largest))) - 1
    whole = rf"[1-9][0-9]{{0,{more_digits}}}"
    if zero:
        return rf"^(?:0|{whole})(?:\.[0-9]{{1,2}}0*)?$"
    return rf"^(?:{whole}(?:\.[0-9]{{1,2}}0*)?|0\.(?:0[1-9]|[1-9][0-9]?)0*)$"


def _cents_up_to(largest: Decimal) -> dict:
    # Two decimals and no more whole digits than `largest` has; more is refused as syntax (422).
    return {"max_digits": len(str(int(largest))) + 2, "decimal_places": 2}


EXPENSE_AMOUNT = _amount_pattern(MAX_EXPENSE, zero=False)
BILLED_AMOUNT = _amount_pattern(MAX_LINE_AMOUNT, zero=True)
ExpenseAmountIn = _decimal_in(
    EXPENSE_AMOUNT,
    "25.00",
    {"exclusiveMinimum": 0, "maximum": float(MAX_EXPENSE), "multipleOf": 0.01},
    **_cents_up_to(MAX_EXPENSE),
)
BilledAmountIn = _decimal_in(
    BILLED_AMOUNT,
    "650.00",
    {"minimum": 0, "maximum": float(MAX_LINE_AMOUNT), "multipleOf": 0.01},
    **_cents_up_to(MAX_LINE_AMOUNT),
)
# A JSON number; the range is the service's rule (400), stated here.
MinutesIn = Annotated[
    int,
    BeforeValidator(_json_integer),
    Field(**documented(minimum=1, maximum=MINUTES_PER_DAY)),
]
PercentOut = _decimal_out("0.1", "92.5")


# ---- time entries ---------------------------------------------------------------------------


class EntryFields(StrictInput):
    client: Id = Field(description="The id of one of your practice's clients.")
    date: IsoDate = Field(description=f"At most {DAYS_AHEAD_ALLOWED} days after today.")
    staff: Id | None = Field(
        None,
        description="Whose work it is: the id of a member of your practice (`staff.id` in the "
        "answers); left out or null, yours. Someone else's needs the Process time permission.",
    )
    minutes: MinutesIn | None = Field(
        None,
        description=f"A time entry's duration in whole minutes, 1 to {MINUTES_PER_DAY}; a "
        "person's time entries of one day add up to at most 24 hours. Only for time.",
    )
    amount: ExpenseAmountIn | None = Field(
        None, description="An expense's amount. Only for an expense."
    )
    work_code: Id | None = Field(
        None, description="The id of one of your practice's work codes in use, or null for none."
    )
    description: str = _text(Entry, "description", default="")
    billable: Flag | None = Field(
        None, description="Left out or null: the work code's default (an expense: billable)."
    )


class EntryIn(EntryFields):
    """A time entry (`minutes`) or an expense (`kind: "expense"` and `amount`)."""

    kind: EntryKind = EntryKind.TIME


class EntryPatch(patch_schema(EntryFields, "EntryPatchFields")):
    """Only the fields sent are changed; a time entry stays time and an expense an expense."""

    model_config = ConfigDict(extra="forbid")


class EntryFilters(Input):
    client: QueryId | None = Field(None, description="Only this client's entries.")
    staff: QueryId | None = Field(
        None,
        description="Only this member's entries (their `staff.id`). Without the Process time "
        "permission you see only your own entries, and asking for someone else's answers 403.",
    )
    date_from: IsoDate | None = Field(None, description="Dated on or after this day.")
    date_to: IsoDate | None = Field(None, description="Dated on or before this day.")
    state: EntryState | None = None
    kind: EntryKind | None = None


class StaffRef(Schema):
    id: int = Field(description="The member's id in the practice (a membership).")
    username: str


class WorkCodeRef(Schema):
    id: int
    name: str


class InvoiceRef(Schema):
    id: int
    number: str


class EntryOut(Schema):
    id: int
    kind: EntryKind
    staff: StaffRef
    client: ClientRef
    date: datetime.date
    minutes: int = Field(description="0 for an expense.")
    hours: QuantityOut = Field(description="The minutes in hours, to the hundredth.")
    work_code: WorkCodeRef | None
    description: str
    billable: bool
    rate: Money | None = Field(description="The hourly rate in force on the date; null: none.")
    value: Money = Field(description="At standard rates: minutes × rate, or the expense's amount.")
    state: EntryState
    invoice: InvoiceRef | None = Field(description="The invoice the entry is on, if any.")
    source: str = Field(description='Where an imported entry came from ("harvest", …), or "".')
    source_id: str
    timer_started_at: datetime.datetime | None

    @staticmethod
    def resolve_staff(entry: Entry) -> dict:
        return {"id": entry.staff_id, "username": entry.staff.user.get_username()}

    @staticmethod
    def resolve_invoice(entry: Entry) -> Invoice | None:
        return entry.invoice_line.invoice if entry.invoice_line_id else None


class EntryPage(Schema):
    count: int = Field(description="How many entries match, on all pages.")
    page: int
    page_size: int
    items: list[EntryOut]


# ---- WIP ------------------------------------------------------------------------------------


class WipTotalsOut(Schema):
    entries: int
    hours: QuantityOut
    time_value: Money
    expenses: Money
    value: Money
    oldest: datetime.date | None
    latest: datetime.date | None


class WipByWorkCodeOut(Schema):
    work_code: WorkCodeRef | None = Field(description="null: time with no work code, expenses.")
    entries: int
    hours: QuantityOut
    value: Money


class WipByPersonOut(Schema):
    staff: StaffRef
    name: str = Field(description="The member's full name, or their username.")
    entries: int
    hours: QuantityOut
    value: Money


class AgedOut(Schema):
    label: str = Field(examples=["0–30 days"])
    value: Money


class ClientWipOut(Schema):
    client: ClientRef
    totals: WipTotalsOut
    by_work_code: list[WipByWorkCodeOut]
    by_person: list[WipByPersonOut]
    aged: list[AgedOut] = Field(description="The value by the entries' age, youngest first.")
    entries: list[EntryOut] = Field(description=f"The first {LISTED}, oldest first.")
    more: int = Field(description=f"How many entries there are beyond the {LISTED} listed.")


LineKey = Annotated[str, Field(pattern=r"^(?:[wpe][0-9]{1,19}|expenses)$")]


class WipBillingIn(StrictInput):
    """Which of the client's WIP to invoice, how its lines are grouped and what they bill."""

    entry_ids: list[Id] | None = Field(
        None,
        min_length=1,
        max_length=MAX_ENTRY_IDS,
        description="The entries to invoice, each still unbilled billable work of this client "
        "(409 otherwise, and nothing is invoiced). Left out: all the client's WIP, through "
        "`through` when it is sent. Not with `through` (400).",
    )
    through: IsoDate | None = Field(None, description="The WIP dated on or before this day.")
    grouping: Literal[tuple(GROUPINGS)] = Field(  # type: ignore[valid-type]
        "work_code",
        description="A line per work code (and one for the expenses), per person (and one for "
        "the expenses), or per entry.",
    )
    line_amounts: dict[LineKey, BilledAmountIn] = Field(
        default_factory=dict,
        max_length=MAX_LINES,
        description="What a line bills instead of its standard value (a write-up or "
        "write-down), by the line's `key` as the preview answers it: `w<work code id>` (`w0`: "
        "time with no work code) by work code, `p<staff id>` by person, `e<entry id>` per "
        "entry, and `expenses` for the expenses' line. A key that is not one of the lines "
        "answers 400. Not with `fixed_fee` (400).",
        **documented(additionalProperties=False),
    )
    total: BilledAmountIn | None = Field(
        None,
        description="Bill this much in all: each line in proportion to what it bills (after "
        "`line_amounts`), the cents left over on the largest line.",
    )
    fixed_fee: BilledAmountIn | None = Field(
        None,
        description="Bill all the work as one line of this amount. Not with `total` or "
        "`line_amounts` (400).",
    )
    reason: str = _text(
        LineAdjustment,
        "reason",
        default="",
        description="Why the work bills other than its standard value: needed when it does "
        "(400 otherwise).",
    )
    issue_date: IsoDate | None = Field(None, description="Left out or null: today.")
    due_date: IsoDate | None = Field(
        None,
        description=f"Not before the issue date. Left out or null: {DEFAULT_TERMS_DAYS} days "
        "after it.",
    )
    memo: str = _text(Invoice, "memo", default="")


class WipLineOut(Schema):
    key: str = Field(description="The line's key in `line_amounts`.")
    description: str
    service_name: str
    entries: int
    hours: QuantityOut
    standard: Money = Field(description="The entries' value at standard rates.")
    billed: Money = Field(description="What the line bills.")


class WipPreviewOut(Schema):
    lines: list[WipLineOut]
    standard: Money
    billed: Money


# ---- realization ----------------------------------------------------------------------------


class RealizationQuery(Input):
    group_by: Literal[tuple(GROUPS)] = "client"  # type: ignore[valid-type]
    date_from: IsoDate | None = Field(None, description="Work dated on or after this day.")
    date_to: IsoDate | None = Field(None, description="Work dated on or before this day.")
    client: QueryId | None = Field(None, description="Only this client's work.")
    staff: QueryId | None = Field(None, description="Only this member's work.")
    work_code: QueryId | None = Field(None, description="Only work of this work code.")


class FiguresOut(Schema):
    label: str
    hours: QuantityOut
    standard: Money = Field(description="The work's value at standard rates.")
    billed: Money = Field(description="Its share of the finalized and closed invoices' lines.")
    collected: Money = Field(description="The part of that paid: in QuickBooks, or closed.")
    billed_percent: PercentOut | None = Field(description="Of standard; null when it is 0.")
    collected_percent: PercentOut | None = Field(description="Of standard; null when it is 0.")


class RealizationOut(Schema):
    group_by: str
    rows: list[FiguresOut]
    total: FiguresOut
