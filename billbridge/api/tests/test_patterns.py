"""Each pattern the document gives a field says what the rule behind it accepts: exactly, for
ASCII text; and for any text, it never refuses what the rule accepts (billbridge/api/patterns.py
says why it cannot be exact beyond ASCII). Checked on the served document, as a client reads it.
"""

import functools
import re
import string
from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError as SchemaError
from pydantic import TypeAdapter

from billbridge.api.api import api
from billbridge.api.schemas import QuantityIn, RateIn, UnitPriceIn
from billbridge.clients.names import ALLOWED_PUNCTUATION, display_name_problems
from billbridge.invoicing.models import InvoiceLine, TaxSettings, TimelineEvent
from billbridge.invoicing.numbers import number_problems

ASCII = st.characters(codec="ascii")


def _email(text: str) -> bool:
    if text == "":
        return True
    try:
        validate_email(text)
    except ValidationError:
        return False
    # The column's length; an IP address in brackets is left out of the pattern.
    return len(text) <= 254 and not text.endswith("]")


def _decimal(adapter: TypeAdapter, in_range):
    def accepts(text: str) -> bool:
        try:
            return in_range(adapter.validate_python(text))
        except ValueError:
            return False

    return accepts


def _not_blank(model, field: str):
    limit = model._meta.get_field(field).max_length
    return lambda text: bool(text.strip()) and "\x00" not in text and len(text) <= limit


class Rule(NamedTuple):
    accepts: Callable[[str], bool]
    near_its_edges: st.SearchStrategy[str]


RATE_PLACES = Decimal("0.001")
decimal_texts = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.from_regex(r"\A[-+ 0]?[0-9]{0,12}(\.[0-9]{0,4})?\Z"),
)
RULES = {
    ("ClientIn", "name"): Rule(
        lambda text: not display_name_problems(text),
        st.text(
            st.characters(categories=["L", "N"]) | st.sampled_from(sorted(ALLOWED_PUNCTUATION)),
            min_size=1,
            max_size=110,
        ),
    ),
    ("ClientIn", "email"): Rule(_email, st.emails()),
    ("InvoiceIn", "number"): Rule(
        lambda text: not number_problems(text.strip()),
        st.text(ASCII | st.sampled_from(["\u3000", "\xa0", "\u200b"]), max_size=25),
    ),
    ("LineIn", "description"): Rule(
        _not_blank(InvoiceLine, "description"),
        st.text(st.sampled_from(" \t\u3000\x1cab")),
    ),
    ("CloseIn", "reason"): Rule(
        _not_blank(TimelineEvent, "reason"),
        st.text(string.whitespace + "\x85x"),
    ),
    ("TaxSettingsIn", "primary_name"): Rule(
        _not_blank(TaxSettings, "primary_name"),
        st.text(string.whitespace + "V"),
    ),
    ("LineIn", "quantity"): Rule(_decimal(TypeAdapter(QuantityIn), lambda d: d > 0), decimal_texts),
    ("LineIn", "unit_price"): Rule(
        _decimal(TypeAdapter(UnitPriceIn), lambda d: d >= 0), decimal_texts
    ),
    ("TaxSettingsIn", "primary_rate"): Rule(
        _decimal(TypeAdapter(RateIn), lambda d: 0 <= d <= 100 and d == d.quantize(RATE_PLACES)),
        decimal_texts,
    ),
}


def _ecma_pattern(validator, pattern, instance, schema):
    """JSON Schema's patterns are ECMA-262, where a final `$` is the end of the text; in
    Python's re it also matches before a final line break ("0\\n" would pass `^0$`)."""
    if isinstance(instance, str) and not re.search(re.sub(r"\$$", r"\\Z", pattern), instance):
        yield SchemaError(f"{instance!r} does not match {pattern!r}")


EcmaValidator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


@functools.cache
def documented(schema: str, field: str) -> Draft202012Validator:
    properties = api.get_openapi_schema()["components"]["schemas"][schema]["properties"]
    return EcmaValidator(properties[field])


@functools.cache
def texts_for(schema: str, field: str, alphabet=None) -> st.SearchStrategy[str]:
    """Any text, text the pattern describes, and text near the rule's edges."""
    description = documented(schema, field).schema
    pattern = description.get("pattern") or description["anyOf"][0]["pattern"]
    shaped = RULES[schema, field].near_its_edges
    if alphabet is None:
        return st.text(max_size=30) | st.from_regex(pattern, fullmatch=True) | shaped
    return (
        st.text(alphabet, max_size=30)
        | st.from_regex(pattern, fullmatch=True, alphabet=alphabet)
        | shaped.filter(str.isascii)
    )


@pytest.mark.parametrize(("schema", "field"), RULES)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_for_ascii_text_the_document_is_the_rule(schema, field, data):
    text = data.draw(texts_for(schema, field, ASCII))
    assert documented(schema, field).is_valid(text) == RULES[schema, field].accepts(text), repr(
        text
    )


@pytest.mark.parametrize(("schema", "field"), RULES)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_the_document_lets_through_any_text_the_rule_accepts(schema, field, data):
    text = data.draw(texts_for(schema, field))
    if RULES[schema, field].accepts(text):
        assert documented(schema, field).is_valid(text), repr(text)
