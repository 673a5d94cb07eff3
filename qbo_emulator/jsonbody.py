"""JSON request bodies, held to what the emulator can store and send back as JSON.

QBO objects nest a handful of levels (a batch item's invoice line reference is about seven), so a
body nested deeper than MAX_DEPTH is refused as bad input. Without the bound such a body either
overflows the parser's recursion or, a little shallower, is stored and then breaks every later
copy or rendering of the company's objects. Likewise NaN, Infinity and numbers beyond a double's
range are refused: Python's parser accepts them, but echoing them back would not be JSON.
"""

import json
import math
from decimal import Decimal
from typing import Any

MAX_DEPTH = 32


def loads(raw: bytes | str, **options) -> Any:
    """`json.loads`, raising ValueError (like any malformed JSON) when nested too deeply or
    given a non-finite number."""
    options.setdefault("parse_constant", _refuse_constant)
    try:
        value = json.loads(raw, **options)
    except RecursionError:
        value = None
        too_deep = True
    else:
        too_deep = _deeper_than(value, MAX_DEPTH)
    if too_deep:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return False


def finite_decimal(text: str) -> Decimal:
    """A JSON number as Decimal (for `parse_float`), refused if it would render as Infinity."""
    value = Decimal(text)
    if not math.isfinite(float(value)):
        raise ValueError(f"the number {text} is out of range")
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")
