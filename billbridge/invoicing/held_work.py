"""Work held on invoice lines (time and expenses made into a draft), as invoicing sees it.

The time app puts entries on a draft's lines; invoicing never imports it (DESIGN.md §4.0). When
a draft loses a line or is deleted, the work held on it goes back to WIP: the time app registers
what does that when Django starts (TimeConfig.ready()), and services.py calls it before the
lines go, inside the same transaction. Without the time app there is no held work.
"""

from collections.abc import Sequence
from typing import Protocol


class HeldWork(Protocol):
    def release(self, line_ids: Sequence[int], why: str) -> None:
        """Return the work held on these lines to WIP, saying why in its history."""
        ...


class _NoWork:
    def release(self, line_ids: Sequence[int], why: str) -> None:
        return None


_registered: HeldWork = _NoWork()


def register(work: HeldWork) -> None:
    global _registered
    _registered = work


def registered() -> HeldWork:
    return _registered
