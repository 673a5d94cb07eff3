"""What the API accepts and answers. Money, quantities and rates travel as decimal strings
("650.00"), never as floats; dates as ISO dates ("2026-11-02"). Length limits come from the
models, and the other rules the document states from the services' own (patterns.py), so that
the two cannot drift apart."""

import copy
import datetime
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)

from billbridge.api import patterns
from billbridge.api.errors import ErrorOut
from billbridge.clients.models import Client
from billbridge.clients.names import MAX_LENGTH as CLIENT_NAME_LENGTH
from billbridge.invoicing import credits
from billbridge.invoicing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    TaxSettings,
    TimelineEvent,
)
from billbridge.invoicing.services import BULK_ACTIONS, MAX_LINE_AMOUNT, MAX_LINE_VALUE, MAX_LINES

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_PAGE_SIZE = 100
MAX_BULK_IDS = 500
# Ids are 64-bit database keys; a larger number would reach the database and fail there.
ID_RANGE = Field(ge=1, le=2**63 - 1)
# A query string's values are all text.
QueryId = Annotated[int, ID_RANGE]


def _json_integer(value):
    # pydantic would also read "12" or true as an id; JSON Schema's integer is a number.
    if isinstance(value, bool | str):
        raise ValueError("Give a whole number.")
    return value


Id = Annotated[int, ID_RANGE, BeforeValidator(_json_integer)]
# pydantic would also read 1, "yes" or "true" as true.
Flag = Annotated[bool, Strict()]


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


def documented(**keywords) -> dict:
    """Field() arguments adding JSON Schema keywords to the document only: the rule they state
    is checked elsewhere, by Input or by a service, which refuses in words of its own."""
    return {"json_schema_extra": keywords}


def _text(model, field: str, pattern: str = patterns.NO_NUL, **extra):
    """Text no longer than its column (422 otherwise). Its pattern is documented: Input refuses
    NUL characters (422), and a service blank text where it needs some (400)."""
    return Field(max_length=_max_length(model, field), **documented(pattern=pattern), **extra)


def _iso_date(value):
    # pydantic would also take a number of seconds or a datetime; the API promises ISO dates.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("Give a date as YYYY-MM-DD.")
    return datetime.date.fromisoformat(value)


IsoDate = Annotated[
    datetime.date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-11-02"]}),
]


def _decimal_out(places: str, example: str):
    quantum = Decimal(places)
    return Annotated[
        Decimal,
        PlainSerializer(
            lambda value: f"{value.quantize(quantum, rounding=ROUND_HALF_UP):f}", return_type=str
        ),
        WithJsonSchema(
            {
                "type": "string",
                "format": "decimal",
                "pattern": r"^-?\d+\.\d+$",
                "examples": [example],
            }
        ),
    ]


Money = _decimal_out("0.01", "650.00")
QuantityOut = _decimal_out("0.01", "2.50")
RateOut = _decimal_out("0.001", "8.875")

# How a decimal string is written: ASCII digits, a point before any decimals, a minus on
# anything but zero, and nothing else. pydantic would also read "1e2", " 5", "+5", ".5" or
# Arabic-Indic digits, none of which the document allows.
DECIMAL_STRING = re.compile(r"(?!-0+(?:\.0+)?$)-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def _decimal_string(value):
    if isinstance(value, str) and not DECIMAL_STRING.fullmatch(value):
        raise ValueError('Give a decimal such as "650.00".')
    return value


def _decimal_in(pattern: str, example: str, number: dict, **constraints):
    """A decimal sent as a string matching `pattern`, or as a JSON number within `number`.
    What the syntax and `constraints` do not refuse (422), the services do (400)."""
    schema = {
        "anyOf": [
            {"type": "string", "pattern": pattern, "examples": [example]},
            {"type": "number", **number},
        ],
        "description": f'A decimal, best sent as a string such as "{example}"; a JSON number is '
        "read exactly too, never through a float.",
    }
    return Annotated[
        Decimal,
        Field(allow_inf_nan=False, **constraints),
        BeforeValidator(_decimal_string),
        WithJsonSchema(schema),
    ]


# Quantities and unit prices are stored with two decimals in twelve digits.
CENTS = {"multipleOf": 0.01, "maximum": float(MAX_LINE_VALUE)}
QuantityIn = _decimal_in(
    patterns.QUANTITY, "2.50", {"exclusiveMinimum": 0, **CENTS}, max_digits=12, decimal_places=2
)
UnitPriceIn = _decimal_in(
    patterns.UNIT_PRICE, "650.00", {"minimum": 0, **CENTS}, max_digits=12, decimal_places=2
)
RateIn = _decimal_in(
    patterns.TAX_RATE, "8.875", {"minimum": 0, "maximum": 100, "multipleOf": 0.001}
)


class Input(Schema):
    """What callers send: JSON objects. PostgreSQL cannot store a NUL character in text, so it
    is refused here with a message rather than failing in the database."""

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(cls, value, handler):
        # Named as ninja's Schema validator, which this replaces: that one reads any value's
        # attributes as fields (for answers built from models), so a list or a number sent as a
        # body became an object with no fields, and a PATCH saved "no change".
        if not isinstance(value, dict | cls):
            raise ValueError("Send a JSON object.")
        return handler(value)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("Text cannot contain NUL characters.")
        return value


def patch_schema(whole: type[Input], name: str, doc: str = "Only the fields sent are changed."):
    """The PATCH twin of a schema: the same fields and checks, none required. A field left out
    is unchanged (callers read `exclude_unset`); sending null where the whole schema forbids it
    is still refused."""
    fields = {}
    for field_name, field in whole.model_fields.items():
        optional = copy.copy(field)
        optional.default, optional.default_factory = None, None
        fields[field_name] = (field.annotation, optional)
    return create_model(name, __base__=Input, __doc__=doc, **fields)


# ---- pages ---------------------------------------------------------------------------------


class PageQuery(Input):
    # Bounded so that the offset always fits the database's integers.
    page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1.")
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")


# ---- clients ---------------------------------------------------------------------------------


class ClientIn(Input):
    # The name's rules are checked by the service, which says why (QuickBooks).
    name: str = Field(
        description="Unique in your practice.",
        **documented(minLength=1, maxLength=CLIENT_NAME_LENGTH, pattern=patterns.CLIENT_NAME),
    )
    email: str = Field(
        "",
        max_length=_max_length(Client, "email"),
        **documented(pattern=patterns.EMAIL),
    )
    billing_emails: str = Field(
        "",
        max_length=_max_length(Client, "billing_emails"),
        description="Where invoices are emailed: up to ten addresses separated by commas; "
        "`email` when empty.",
        examples=["ap@harbor.example, owner@harbor.example"],
        **documented(pattern=patterns.EMAIL_LIST),
    )
    phone: str = _text(Client, "phone", default="")
    address_line1: str = _text(Client, "address_line1", default="")
    address_line2: str = _text(Client, "address_line2", default="")
    city: str = _text(Client, "city", default="")
    region: str = _text(Client, "region", default="")
    postal_code: str = _text(Client, "postal_code", default="")
    country: str = _text(Client, "country", default="")
    notes: str = _text(Client, "notes", default="")


ClientPatch = patch_schema(ClientIn, "ClientPatch")


class ClientOut(Schema):
    id: int
    name: str
    email: str
    billing_emails: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str
    notes: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


class ClientPage(Schema):
    count: int = Field(description="How many clients match, on all pages.")
    page: int
    page_size: int
    items: list[ClientOut]


SEARCH = {"max_length": 100, **documented(pattern=patterns.NO_NUL)}


class ClientFilters(Input):
    search: str = Field("", description="Part of the client's name or email.", **SEARCH)


# ---- invoices --------------------------------------------------------------------------------


class LineIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "description": f"A line's amount, quantity × unit price, is at most "
            f"{MAX_LINE_AMOUNT:,}."
        }
    )

    id: Id | None = Field(
        None,
        description="The id of one of this draft's lines to keep (its time stays on it); a line "
        "sent without id is new; a line not sent is removed and its time returns to WIP. An id "
        "that is not one of this draft's lines, or is sent twice, makes a new line.",
    )
    description: str = _text(InvoiceLine, "description", patterns.NOT_BLANK)
    service_name: str = _text(InvoiceLine, "service_name", default="")
    quantity: QuantityIn
    unit_price: UnitPriceIn
    primary_taxable: Flag = False
    secondary_taxable: Flag = False


class InvoiceIn(Input):
    """A whole draft."""

    client: Id = Field(description="The id of one of your practice's clients.")
    issue_date: IsoDate
    due_date: IsoDate | None = Field(None, description="Not before `issue_date`.")
    memo: str = _text(Invoice, "memo", default="")
    number: str | None = Field(
        None,
        description="Unique in your practice. On create, leave out to take the practice's next "
        "number; on update, leave out to keep the invoice's number.",
        **documented(pattern=patterns.INVOICE_NUMBER, **patterns.NOT_AUTO_GENERATE),
    )
    lines: list[LineIn] = Field(default_factory=list, **documented(maxItems=MAX_LINES))


InvoicePatch = patch_schema(
    InvoiceIn,
    "InvoicePatch",
    "Only the fields sent are changed; `lines`, when sent, replaces all the lines.",
)


class ClientRef(Schema):
    id: int
    name: str


class LineOut(Schema):
    id: int = Field(description="Send it back in `lines` to keep the line (and its time).")
    position: int
    description: str
    service_name: str
    quantity: QuantityOut
    unit_price: Money
    amount: Money
    primary_taxable: bool
    secondary_taxable: bool


class TimelineEventOut(Schema):
    at: datetime.datetime
    who: str
    action: str
    from_status: str
    to_status: str
    reason: str


class InvoiceSummary(Schema):
    id: int
    number: str
    status: InvoiceStatus
    kind: InvoiceKind = Field(
        description="An invoice, or a credit note or write-off taking money back from one."
    )
    credited_invoice_id: int | None = Field(
        description="The invoice a credit note or write-off credits; null for an invoice."
    )
    credit_reason: str = Field(description="Why it credits its invoice; empty for an invoice.")
    client: ClientRef
    issue_date: datetime.date
    due_date: datetime.date | None
    subtotal: Money
    primary_tax: Money
    secondary_tax: Money
    total: Money
    version: int
    updated_at: datetime.datetime


class BalanceOut(Schema):
    total: Money
    credited: Money = Field(description="Taken back by finalized credit notes and write-offs.")
    paid: Money = Field(
        description="Paid as QuickBooks Online shows it, as last read (credits applied there "
        "are not money paid)."
    )
    due: Money = Field(description="What the client still owes: total − credited − paid.")


class InvoiceOut(InvoiceSummary):
    memo: str
    primary_tax_name: str
    primary_tax_rate: RateOut
    secondary_tax_name: str
    secondary_tax_rate: RateOut
    lines: list[LineOut]
    timeline: list[TimelineEventOut]
    balance: BalanceOut | None = Field(
        description="An invoice's balance net of its credit notes; null for a credit note or "
        "write-off, which counts in its invoice's."
    )

    @staticmethod
    def resolve_balance(invoice: Invoice) -> credits.Balance | None:
        return None if invoice.is_credit else credits.balance_of(invoice)


class InvoicePage(Schema):
    count: int = Field(description="How many invoices match, on all pages.")
    page: int
    page_size: int
    items: list[InvoiceSummary]


class InvoiceFilters(Input):
    client: QueryId | None = Field(None, description="Only this client's invoices.")
    status: InvoiceStatus | None = None
    kind: Literal["invoice", "credit_note", "write_off", "credit"] | None = Field(
        None, description="Only this kind; `credit` for credit notes and write-offs together."
    )
    search: str = Field("", description="Part of the number or client name.", **SEARCH)
    include_closed: bool = Field(
        False, description="Closed invoices are left out unless asked for (or `status=closed`)."
    )


class ReasonIn(Input):
    reason: str = _text(TimelineEvent, "reason", default="")


class CloseIn(Input):
    reason: str = _text(TimelineEvent, "reason", patterns.NOT_BLANK, min_length=1)


# A positive sum of money with at most two decimals: as a quantity is written.
CreditAmountIn = _decimal_in(
    patterns.QUANTITY, "120.00", {"exclusiveMinimum": 0, **CENTS}, max_digits=12, decimal_places=2
)


class CreditNoteIn(Input):
    """A credit note against a finalized or closed invoice: all of it (neither `line_ids` nor
    `amount`), the lines named, or an amount; or a write-off of an amount."""

    reason: str = _text(Invoice, "credit_reason", patterns.NOT_BLANK, min_length=1)
    line_ids: list[Id] = Field(
        default_factory=list,
        max_length=MAX_LINES,
        description="Ids of the invoice's lines to credit, as they are; not with `amount` or "
        "`write_off`.",
    )
    amount: CreditAmountIn | None = Field(
        None,
        description="An amount to credit: before tax, taxed as the invoice's lines when they "
        "agree; for a write-off, tax included, and all that remains when left out. At most "
        "what remains on the invoice (its total less credits, drafts included, and payments).",
    )
    issue_date: IsoDate | None = Field(
        None,
        description="Not before the invoice's, nor in a closed period; left out: today, or "
        "the first day after a closed period.",
    )
    write_off: Flag = Field(False, description="Bad debt: written off, not credited.")


class PeriodClosedOut(ErrorOut):
    """A 409 of the error shape; refused for a closed period, it says where to go instead."""

    credit_note: str | None = Field(
        None,
        description="Only when refused for a closed period: where to issue a credit note "
        "instead (POST); null when the refused document is itself a credit note.",
    )


class BulkIn(Input):
    action: Literal[tuple(BULK_ACTIONS)]  # type: ignore[valid-type]
    ids: list[Id] = Field(min_length=1, max_length=MAX_BULK_IDS)


class BulkOutcomeOut(Schema):
    id: int
    number: str = Field(description="Empty when the id is not one of your practice's invoices.")
    done: bool
    message: str


class BulkOut(Schema):
    outcomes: list[BulkOutcomeOut] = Field(description="One per id, in the order sent.")


# ---- tax settings --------------------------------------------------------------------------


TAX_NAME = _text(TaxSettings, "primary_name", patterns.NOT_BLANK)


class TaxSettingsIn(Input):
    primary_name: str = TAX_NAME
    primary_rate: RateIn
    primary_enabled: Flag
    secondary_name: str = TAX_NAME
    secondary_rate: RateIn
    secondary_enabled: Flag


TaxSettingsPatch = patch_schema(TaxSettingsIn, "TaxSettingsPatch")


class TaxSettingsOut(Schema):
    primary_name: str
    primary_rate: RateOut
    primary_enabled: bool
    secondary_name: str
    secondary_rate: RateOut
    secondary_enabled: bool
