"""JSON request bodies with a depth bound.

QBO objects nest a handful of levels (a batch item's invoice line reference is about seven), so a
body nested deeper than MAX_DEPTH is refused as bad input. Without the bound such a body either
overflows the parser's recursion or, a little shallower, is stored and then breaks every later
copy or rendering of the company's objects.
"""

import json
from typing import Any

MAX_DEPTH = 32


def loads(raw: bytes | str, **options) -> Any:
    """`json.loads`, raising ValueError (like any malformed JSON) when nested too deeply."""
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
