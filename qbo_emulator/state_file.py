"""The state file (`--state FILE`): its JSON encoding and a write that survives a crash.

Numbers say what they are: a Decimal is written as `{"$decimal": "12.30"}` and read back as
Decimal("12.30") (its exponent too), while JSON numbers stay int or float. So an amount field of
any entity, present or future, survives a save and a load without being listed anywhere. QBO
field names never begin with "$", so a one-key object with that tag can only be a Decimal.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

DECIMAL_TAG = "$decimal"


def encode(value: Any) -> str:
    """`value` as compact JSON, Decimals tagged."""
    return json.dumps(value, default=_tagged, separators=(",", ":"))


def _tagged(value: Any) -> dict:
    if isinstance(value, Decimal):
        return {DECIMAL_TAG: str(value)}
    raise TypeError(f"{type(value).__name__} cannot go into the state file")


def decode(text: str) -> Any:
    return json.loads(text, object_hook=_untagged)


def _untagged(obj: dict) -> Any:
    if DECIMAL_TAG in obj and len(obj) == 1 and isinstance(obj[DECIMAL_TAG], str):
        with contextlib.suppress(InvalidOperation):
            return Decimal(obj[DECIMAL_TAG])
    return obj


def read(path: str | Path) -> Any:
    text = Path(path).read_text(encoding="utf-8")
    # Decoding a large company makes millions of objects, none in a reference cycle; with the
    # cycle collector on, it would walk them all again and again (twice the time at 100,000
    # invoices).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return decode(text)
    finally:
        if collecting:
            gc.enable()


def write(path: str | Path, pieces: Iterable[str]) -> Path:
    """Replace the file at `path` by the text `pieces` join to, atomically: a kill or a power
    cut at any moment leaves the old file or the new one, whole. The text goes to a temporary
    file beside it, is forced to disk (fsync), renamed over the old file, and the directory is
    forced to disk too, since the rename lives in the directory."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.writelines(pieces)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_directory(target.parent)
    return target


def _sync_directory(directory: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return  # Windows cannot open a directory to fsync it
    handle = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def joined(texts: list[str], batch: int = 1000) -> Iterator[str]:
    """`texts` one a line, comma-separated as in a JSON object or array, in pieces of `batch`:
    a 100,000-invoice table never becomes one 100 MB string."""
    for start in range(0, len(texts), batch):
        yield (",\n" if start else "") + ",\n".join(texts[start : start + batch])


class Encodings:
    """A company's objects and changes as JSON text, kept from one save to the next, so that a
    save encodes only what is new or changed since the last one (at 100,000 invoices, encoding
    them all takes seconds; the texts cost about the file's size in memory). The store tells it
    what may have changed (`forget`); an object replaced by a new one is seen by identity."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, tuple[dict, str]]] = defaultdict(dict)
        self._changes: list[str] = []

    def forget(self, entity: str, entity_id: str) -> None:
        self._rows[entity].pop(entity_id, None)

    def stale(self, tables: dict[str, dict[str, dict]]) -> list[tuple[str, str]]:
        """The (entity, Id) of every object with no text, or a text of an older object."""
        stale = []
        for entity, rows in tables.items():
            texts = self._rows[entity]
            for entity_id, record in rows.items():
                known = texts.get(entity_id)
                if known is None or known[0] is not record:
                    stale.append((entity, entity_id))
        return stale

    def encode_row(self, tables: dict[str, dict[str, dict]], entity: str, entity_id: str) -> None:
        record = tables[entity].get(entity_id)
        if record is not None:  # deleted since it was found stale
            self._row(entity, entity_id, record)

    def _row(self, entity: str, entity_id: str, record: dict) -> str:
        known = self._rows[entity].get(entity_id)
        if known is None or known[0] is not record:
            known = (record, f"{encode(entity_id)}:{encode(record)}")
            self._rows[entity][entity_id] = known
        return known[1]

    def encode_changes(self, changes: list, limit: int) -> bool:
        """Encode up to `limit` changes not encoded yet (the change log only grows); True when
        none is left."""
        done = len(self._changes)
        self._changes.extend(encode(c.to_dict()) for c in changes[done : done + limit])
        return len(self._changes) == len(changes)

    def tables(self, tables: dict[str, dict[str, dict]]) -> dict[str, list[str]]:
        """Every object's text, table by table, encoding what is still stale."""
        return {
            entity: [self._row(entity, i, record) for i, record in rows.items()]
            for entity, rows in tables.items()
            if rows
        }

    def changes(self, changes: list) -> list[str]:
        self.encode_changes(changes, len(changes))
        return list(self._changes)
