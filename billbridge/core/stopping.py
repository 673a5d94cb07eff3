"""A worker asked to stop (SIGTERM from systemd, honcho or a person) finishes what it holds and
takes nothing more: long work checks `requested()` between steps and hands the rest back, so a
restart waits seconds, not for a whole company's exports (manage.py worker)."""

import threading

_requested = threading.Event()


def request() -> None:
    _requested.set()


def requested() -> bool:
    return _requested.is_set()
