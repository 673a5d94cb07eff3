"""What the API accepts and answers. Money, quantities and rates travel as decimal strings
("650.00"), never as floats; dates as ISO dates ("2026-11-02"). Length limits come from the
models so that the two cannot drift apart."""

import copy
import datetime
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
    create_model,
    field_validator,
)

from billbridge.clients.models import Client
from billbridge.invoicing.models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    TaxSettings,
    TimelineEvent,
)
from billbridge.invoicing.services import BULK_ACTIONS

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_PAGE_SIZE = 100
# Ids are 64-bit database keys; a larger number would reach the database and fail there.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
MAX_BULK_IDS = 500


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


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

DECIMAL_IN_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["650.00"]},
        {"type": "number"},
    ],
    "description": 'A decimal, best sent as a string such as "650.00"; a JSON number is read '
    "exactly too, never through a float.",
}


def _decimal_in(**constraints):
    return Annotated[
        Decimal, Field(allow_inf_nan=False, **constraints), WithJsonSchema(DECIMAL_IN_SCHEMA)
    ]


AmountIn = _decimal_in(max_digits=12, decimal_places=2)
RateIn = _decimal_in()


class Input(Schema):
    """What callers send. PostgreSQL cannot store a NUL character in text, so it is refused
    here with a message rather than failing in the database."""

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


def _client_text(field: str, **extra):
    return Field(max_length=_max_length(Client, field), **extra)


class ClientIn(Input):
    # The name's length and characters are checked by the service, which says why (QuickBooks).
    name: str
    email: str = _client_text("email", default="")
    phone: str = _client_text("phone", default="")
    address_line1: str = _client_text("address_line1", default="")
    address_line2: str = _client_text("address_line2", default="")
    city: str = _client_text("city", default="")
    region: str = _client_text("region", default="")
    postal_code: str = _client_text("postal_code", default="")
    country: str = _client_text("country", default="")
    notes: str = _client_text("notes", default="")


ClientPatch = patch_schema(ClientIn, "ClientPatch")


class ClientOut(Schema):
    id: int
    name: str
    email: str
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


class ClientFilters(Input):
    search: str = Field("", max_length=100, description="Part of the client's name or email.")


# ---- invoices --------------------------------------------------------------------------------


class LineIn(Input):
    description: str = Field(max_length=_max_length(InvoiceLine, "description"))
    service_name: str = Field("", max_length=_max_length(InvoiceLine, "service_name"))
    quantity: AmountIn
    unit_price: AmountIn
    primary_taxable: bool = False
    secondary_taxable: bool = False


class InvoiceIn(Input):
    """A whole draft."""

    client: Id = Field(description="The id of one of your practice's clients.")
    issue_date: IsoDate
    due_date: IsoDate | None = None
    memo: str = Field("", max_length=_max_length(Invoice, "memo"))
    number: str | None = Field(
        None,
        description="On create, leave out to take the practice's next number; on update, "
        "leave out to keep the invoice's number.",
    )
    lines: list[LineIn] = Field(default_factory=list)


InvoicePatch = patch_schema(
    InvoiceIn,
    "InvoicePatch",
    "Only the fields sent are changed; `lines`, when sent, replaces all the lines.",
)


class ClientRef(Schema):
    id: int
    name: str


class LineOut(Schema):
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
    client: ClientRef
    issue_date: datetime.date
    due_date: datetime.date | None
    subtotal: Money
    primary_tax: Money
    secondary_tax: Money
    total: Money
    version: int
    updated_at: datetime.datetime


class InvoiceOut(InvoiceSummary):
    memo: str
    primary_tax_name: str
    primary_tax_rate: RateOut
    secondary_tax_name: str
    secondary_tax_rate: RateOut
    lines: list[LineOut]
    timeline: list[TimelineEventOut]


class InvoicePage(Schema):
    count: int = Field(description="How many invoices match, on all pages.")
    page: int
    page_size: int
    items: list[InvoiceSummary]


class InvoiceFilters(Input):
    client: Id | None = Field(None, description="Only this client's invoices.")
    status: InvoiceStatus | None = None
    search: str = Field("", max_length=100, description="Part of the number or client name.")
    include_closed: bool = Field(
        False, description="Closed invoices are left out unless asked for (or `status=closed`)."
    )


class ReasonIn(Input):
    reason: str = Field("", max_length=_max_length(TimelineEvent, "reason"))


class CloseIn(Input):
    reason: str = Field(min_length=1, max_length=_max_length(TimelineEvent, "reason"))


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


TAX_NAME = Field(max_length=_max_length(TaxSettings, "primary_name"))


class TaxSettingsIn(Input):
    primary_name: str = TAX_NAME
    primary_rate: RateIn
    primary_enabled: bool
    secondary_name: str = TAX_NAME
    secondary_rate: RateIn
    secondary_enabled: bool


TaxSettingsPatch = patch_schema(TaxSettingsIn, "TaxSettingsPatch")


class TaxSettingsOut(Schema):
    primary_name: str
    primary_rate: RateOut
    primary_enabled: bool
    secondary_name: str
    secondary_rate: RateOut
    secondary_enabled: bool
