"""The emulator's clock: real time shifted by an offset, or frozen, so tests can travel in time."""

import threading
from datetime import UTC, datetime, timedelta

# The years the clock may show: token lifetimes (up to a 5-year hard expiry) and company
# time zones are added to "now", which must stay inside what datetime can represent.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class Clock:
    """Thread-safe source of "now" for every timestamp the emulator writes or checks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None

    def now(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return datetime.now(UTC) + self._offset

    def set(self, when: datetime) -> None:
        """Jump to `when` (naive values are taken as UTC); a frozen clock stays frozen there."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        when = _within_range(when.astimezone(UTC))
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = when
            else:
                self._offset = when - datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        step = timedelta(seconds=seconds)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = _within_range(self._frozen_at + step)
            else:
                _within_range(datetime.now(UTC) + self._offset + step)
                self._offset += step

    def freeze(self, frozen: bool = True) -> None:
        """Stop (or restart) time at the current instant; unfreezing continues from there."""
        with self._lock:
            if frozen and self._frozen_at is None:
                self._frozen_at = datetime.now(UTC) + self._offset
            elif not frozen and self._frozen_at is not None:
                self._offset = self._frozen_at - datetime.now(UTC)
                self._frozen_at = None

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None


def _within_range(when: datetime) -> datetime:
    if not EARLIEST <= when < LATEST:
        raise ValueError(f"the clock must stay between {EARLIEST.year} and {LATEST.year}")
    return when
