"""Company state: realms, their objects, the change log, and the operations the HTTP API uses.

Locking: every read and write of company state holds `Emulator.lock` (one RLock for the whole
emulator: requests are short and in-memory, so one lock keeps cross-object rules such as payments
on invoices trivially consistent). Listeners added with `add_listener` are called after the
operation that made the change has committed and released the lock (unless the caller itself still
holds `emulator.lock`, e.g. around several calls), in the thread that made the change. They must
be quick: hand the Change to a queue.

The state file encodes, at each save, only the objects that may have changed since the last one
(state_file.Encodings): those stored, touched or deleted (`record_change`) and those a write
operation looked up with `find` (how side effects such as a customer's Balance reach an object).
Code that changes a stored object must reach it through one of these.
"""

import base64
import secrets
import threading
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qbo_emulator import faults, state_file
from qbo_emulator.clock import Clock
from qbo_emulator.entities import entity_type
from qbo_emulator.entities.base import clean, money

# Settings the control API and create_company accept, with their QBO Preferences locations.
PREFERENCE_KEYS = {
    "custom_txn_numbers": ("SalesFormsPrefs", "CustomTxnNumbers"),
    "sales_tax": ("TaxPrefs", "UsingSalesTax"),
    "automated_sales_tax": ("TaxPrefs", "PartnerTaxEnabled"),
    "multicurrency": ("CurrencyPrefs", "MultiCurrencyEnabled"),
    "book_close_date": ("AccountingInfoPrefs", "BookCloseDate"),
    # QBO Payments: with it on, invoices that allow online payment carry a payment link
    # (`include=invoiceLink`). Where QBO shows this switch in Preferences is UNCONFIRMED.
    "payments": ("SalesFormsPrefs", "ETransactionPaymentEnabled"),
}
# Company switches of the emulator itself (no QBO Preferences field), with their defaults.
# closed_books_enforced: QBO's API refuses writes dated on/before BookCloseDate (6210, reported
# by integrations; COVERAGE.md); false lets them through, as the UI does after a warning.
EMULATOR_SWITCHES = {"closed_books_enforced": True}
SETTING_NAMES = (*PREFERENCE_KEYS, *EMULATOR_SWITCHES)

# Snapshots before format 2 stored Decimal as strings; loading one turns these keys back into
# Decimal. Format 2 tags every Decimal (state_file), so new amount fields need no entry here.
DECIMAL_FIELDS = frozenset(
    {
        "Amount", "TotalAmt", "Balance", "BalanceWithJobs", "UnitPrice", "Qty", "TotalTax",
        "TaxPercent", "NetAmountTaxable", "UnappliedAmt", "RateValue", "DiscountPercent",
        "CurrentBalance", "CurrentBalanceWithSubAccounts", "HomeTotalAmt", "HomeBalance",
        "ExchangeRate", "TaxInclusiveAmt", "OverrideDeltaAmount", "TaxInclusiveAmount",
        "RemainingCredit",
    }
)  # fmt: skip

REALM_BASE = 9341450000000000
SNAPSHOT_FORMAT = 2
# A save encodes the objects changed since the last one this many at a time, letting requests
# take the lock in between (PAUSE seconds), so saving a large company never stops the API long.
SAVE_CHUNK = 2000
SAVE_PAUSE = 0.001


@dataclass
class Change:
    """One committed change, for CDC and webhooks."""

    realm_id: str
    entity: str
    entity_id: str
    operation: str  # "Create" | "Update" | "Delete" | "Void" | "Merge"
    at: datetime

    def to_dict(self) -> dict:
        return {
            "realm_id": self.realm_id,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "operation": self.operation,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Change":
        return cls(d["realm_id"], d["entity"], d["entity_id"], d["operation"],
                   datetime.fromisoformat(d["at"]))  # fmt: skip


def clone(value: Any) -> Any:
    """A copy of a stored JSON tree (faster than deepcopy for plain dicts and lists)."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def id_order(entity_id: str) -> tuple:
    """Where an Id sorts, as QBO orders query results: numbers by value, then other Ids."""
    return (1, int(entity_id)) if entity_id.isdigit() else (2, entity_id.casefold())


def _legacy_decimals(value: Any, key: str = "") -> Any:
    """A snapshot from before format 2, with its Decimals turned back from strings."""
    if isinstance(value, dict):
        return {k: _legacy_decimals(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_legacy_decimals(v, key) for v in value]
    if key in DECIMAL_FIELDS and isinstance(value, (str, int, float)):
        # Entities keep fields they do not interpret as sent, so "Qty": "x" on a customer must
        # load back as "x" rather than stop the load.
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return value
        return number if number.is_finite() else value
    return value


class Emulator:
    """The root object: every company (realm) served, the clock and the change listeners."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.honour_request_id = True
        self.request_id_retention_seconds = 24 * 3600
        self._companies: dict[str, Company] = {}
        self._listeners: list[Callable[[Change], None]] = []
        self._local = threading.local()
        self._realm_counter = 0
        # Counts the write operations and company changes, so a periodic save can tell whether
        # anything happened since the last.
        self.generation = 0
        # Signs the temporary download links of attachments; links die with the process, as
        # Intuit's expire after 15 minutes anyway.
        self.link_secret = secrets.token_bytes(32)

    # -- companies ------------------------------------------------------------------------------
    def create_company(
        self,
        *,
        name: str,
        country: str = "US",
        seed: str = "empty",
        realm_id: str | None = None,
        **preferences,
    ) -> "Company":
        from qbo_emulator import seed as seeding

        if seed not in seeding.SEEDS:
            raise ValueError(f"unknown seed {seed!r}; expected one of {sorted(seeding.SEEDS)}")
        unknown = set(preferences) - set(SETTING_NAMES) - {"time_zone"}
        if unknown:
            raise ValueError(f"unknown preferences: {sorted(unknown)}")
        for key, value in preferences.items():
            if key not in ("book_close_date", "time_zone") and not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
        switches = {key: preferences.pop(key) for key in EMULATOR_SWITCHES if key in preferences}
        time_zone = preferences.pop("time_zone", None) or seeding.time_zone(country.upper())
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {time_zone!r}") from None
        with self.lock:
            if realm_id is None:
                self._realm_counter += 1
                realm_id = str(REALM_BASE + self._realm_counter)
                while realm_id in self._companies:
                    self._realm_counter += 1
                    realm_id = str(REALM_BASE + self._realm_counter)
            elif realm_id in self._companies:
                raise ValueError(f"realm {realm_id} already exists")
            company = Company(
                self,
                realm_id,
                name,
                country.upper(),
                time_zone,
            )
            company.switches.update(switches)
            seeding.SEEDS[seed](company, preferences)
            self._companies[realm_id] = company
            return company

    def company(self, realm_id: str) -> "Company":
        with self.lock:
            return self._companies[realm_id]

    def companies(self) -> list["Company"]:
        with self.lock:
            return list(self._companies.values())

    def remove_company(self, realm_id: str) -> None:
        with self.lock:
            del self._companies[realm_id]
            self.generation += 1

    def replace_company(self, realm_id: str, **kwargs) -> "Company":
        """Create a company afresh under an existing realm id (arguments as `create_company`);
        if the new one is refused, the old one stays."""
        with self.lock:
            old = self._companies.pop(realm_id)
            try:
                return self.create_company(realm_id=realm_id, **kwargs)
            except BaseException:
                self._companies[realm_id] = old
                raise

    def reset(self) -> None:
        """Forget every company (listeners, clock and switches stay)."""
        with self.lock:
            self._companies.clear()
            self._realm_counter = 0
            self.generation += 1

    # -- change notification --------------------------------------------------------------------
    def add_listener(self, fn: Callable[[Change], None]) -> None:
        with self.lock:
            self._listeners.append(fn)

    @contextmanager
    def operation(self) -> Iterator[None]:
        """Hold the lock for one operation; announce its Changes once the outermost one ends."""
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            self._local.pending = []
        self._local.depth = depth + 1
        try:
            with self.lock:
                try:
                    yield
                finally:
                    if depth == 0:
                        self.generation += 1
        except BaseException:
            if depth == 0:
                self._local.pending = []
            raise
        finally:
            self._local.depth = depth
        if depth == 0:
            pending, self._local.pending = self._local.pending, []
            for change in pending:
                for listener in list(self._listeners):
                    listener(change)

    def in_operation(self) -> bool:
        return getattr(self._local, "depth", 0) > 0

    def _announce(self, change: Change) -> None:
        pending = getattr(self._local, "pending", None)
        if pending is not None and getattr(self._local, "depth", 0) > 0:
            pending.append(change)
        else:
            for listener in list(self._listeners):
                listener(change)

    # -- snapshot -------------------------------------------------------------------------------
    def snapshot_text(self) -> Iterator[str]:
        """The whole state as JSON text, in pieces, one object or change a line. What changed
        since the last snapshot is encoded first, SAVE_CHUNK objects per hold of the lock; then
        the snapshot is taken under the lock, so it is one moment of the state, and the text is
        joined once the lock is free again."""
        with self.lock:
            companies = list(self._companies.values())
            stale = [(c, key) for c in companies for key in c.encoded.stale(c.tables)]
        for start in range(0, len(stale), SAVE_CHUNK):
            with self.lock:
                for company, (entity, entity_id) in stale[start : start + SAVE_CHUNK]:
                    company.encoded.encode_row(company.tables, entity, entity_id)
            time.sleep(SAVE_PAUSE)
        for company in companies:
            while True:
                with self.lock:
                    done = company.encoded.encode_changes(company.changes, SAVE_CHUNK * 4)
                if done:
                    break
                time.sleep(SAVE_PAUSE)
        with self.lock:
            head = state_file.encode(
                {
                    "snapshot": SNAPSHOT_FORMAT,
                    "honour_request_id": self.honour_request_id,
                    "realm_counter": self._realm_counter,
                }
            )
            parts = [c._snapshot_parts() for c in self._companies.values()]
        return _emulator_text(head, parts)

    def to_dict(self) -> dict:
        """The snapshot as a tree (a copy: nothing in it is shared with the live state)."""
        return state_file.decode("".join(self.snapshot_text()))

    @classmethod
    def from_dict(cls, d: dict, clock: Clock | None = None) -> "Emulator":
        emulator = cls(clock)
        emulator.restore(d)
        return emulator

    def restore(self, d: dict) -> None:
        """Replace all companies with the snapshot `d` (listeners stay registered). `d` is a
        decoded snapshot (state_file.decode), or one from before format 2."""
        legacy = d.get("snapshot") != SNAPSHOT_FORMAT
        with self.lock:
            self.honour_request_id = d.get("honour_request_id", True)
            self._realm_counter = d.get("realm_counter", 0)
            self._companies = {}
            for cd in d.get("companies", []):
                if legacy:
                    cd = {**cd, "tables": _legacy_decimals(cd["tables"])}
                company = Company.from_dict(self, cd)
                self._companies[company.realm_id] = company
            self.generation += 1

    def save(self, path: str | Path) -> Path:
        return state_file.write(path, self.snapshot_text())

    @classmethod
    def load(cls, path: str | Path, clock: Clock | None = None) -> "Emulator":
        return cls.from_dict(state_file.read(path), clock)


class Company:
    """One QBO company (realm): its objects, indexes, number sequences and change log."""

    def __init__(self, emulator: Emulator, realm_id: str, name: str, country: str, tz: str):
        self.emulator = emulator
        self.realm_id = realm_id
        self.country = country
        self.time_zone = tz
        self.tz = ZoneInfo(tz)
        self.tables: dict[str, dict[str, dict]] = defaultdict(dict)
        self.tombstones: dict[str, dict[str, str]] = defaultdict(dict)  # entity → Id → deleted at
        self.sequences: dict[str, int] = defaultdict(int)
        self.indexes: dict[str, dict[str, set[tuple[str, str]]]] = defaultdict(dict)
        self.changes: list[Change] = []
        # Clock jumps back (the control API) can record a change before an earlier one.
        self.changes_in_time_order = True
        self.encoded = state_file.Encodings()  # the objects' text for the state file
        self._ids: dict[str, list[str]] = {}  # entity → its Ids in order, once asked for
        self.minor_versions: dict[str, int] = defaultdict(int)  # minorversion seen → count
        self.request_ids: dict[str, tuple] = {}  # requestid → (when, answer): data_api replay
        self.seeding = False
        self.batch_created: set[tuple[str, str]] | None = None
        self.files: dict[str, bytes] = {}  # Attachable Id → the uploaded file's bytes
        self.emails: list[dict] = []  # each invoice e-mail QBO was asked to send
        self.switches: dict[str, bool] = dict(EMULATOR_SWITCHES)
        self._name = name

    # -- identity and preferences -----------------------------------------------------------------
    @property
    def lock(self) -> threading.RLock:
        return self.emulator.lock

    @property
    def name(self) -> str:
        info = self.tables["CompanyInfo"].get("1")
        return info["CompanyName"] if info else self._name

    @property
    def is_us(self) -> bool:
        return self.country == "US"

    @property
    def preferences(self) -> dict:
        return self.tables["Preferences"]["1"]

    @property
    def company_info(self) -> dict:
        return self.tables["CompanyInfo"]["1"]

    def preference(self, key: str) -> Any:
        if key in EMULATOR_SWITCHES:
            return self.switches[key]
        section, field = PREFERENCE_KEYS[key]
        return self.preferences.get(section, {}).get(field)

    def set_preferences(self, **changes) -> None:
        """Change company settings by their short names (SETTING_NAMES), as a QBO admin would.
        Emulator switches change nothing QBO shows, so they make no change log entry."""
        unknown = set(changes) - set(SETTING_NAMES)
        if unknown:
            raise ValueError(f"unknown preferences: {sorted(unknown)}")
        switches = {key: changes.pop(key) for key in EMULATOR_SWITCHES if key in changes}
        for key, value in switches.items():
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
        with self.emulator.operation():
            if changes:
                sections = {}
                for key, value in changes.items():
                    section, field = PREFERENCE_KEYS[key]
                    if key == "book_close_date":
                        value = date.fromisoformat(str(value)).isoformat() if value else None
                    elif not isinstance(value, bool):
                        raise ValueError(f"{key} must be true or false")
                    sections.setdefault(section, {})[field] = value
                if changes.get("automated_sales_tax"):
                    sections["TaxPrefs"]["UsingSalesTax"] = True
                body = {"Id": "1", "SyncToken": self.preferences["SyncToken"], "sparse": True}
                body.update(sections)
                self.update("Preferences", body, sparse=True)
            self.switches.update(switches)  # last: a refused preference changes nothing

    # -- time -------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.emulator.clock.now()

    def local_now(self) -> datetime:
        return self.now().astimezone(self.tz)

    def timestamp(self, when: datetime | None = None) -> str:
        """MetaData times: company-local time, seconds, numeric offset (QBO.md §2.2)."""
        return (when or self.now()).astimezone(self.tz).isoformat(timespec="seconds")

    def today(self) -> str:
        return self.local_now().date().isoformat()

    # -- lookups ----------------------------------------------------------------------------------
    def find(self, entity: str, entity_id: str) -> dict | None:
        """The stored object itself (not a copy) or None; callers hold the lock. Objects created
        earlier in the batch being run are not found (see `batch_scope`)."""
        entity_id = str(entity_id)
        if self.batch_created and (entity, entity_id) in self.batch_created:
            return None
        if self.emulator.in_operation():
            self.encoded.forget(entity, entity_id)  # a write may change what it looks up
        return self.tables[entity].get(entity_id)

    @contextmanager
    def batch_scope(self) -> Iterator[None]:
        """Run a batch as QBO does: its items cannot see objects created by earlier items of the
        same batch (QBO.md §2.9). Holds the lock throughout so no other request sees that view."""
        with self.emulator.operation():
            self.batch_created = set()
            try:
                yield
            finally:
                self.batch_created = None

    def hide_from_batch(self, entity: str, entity_id: str) -> None:
        if self.batch_created is not None:
            self.batch_created.add((entity, entity_id))

    def next_number(self, sequence: str) -> int:
        self.sequences[sequence] += 1
        return self.sequences[sequence]

    def index_lookup(self, index: str, key: str) -> set[tuple[str, str]]:
        return self.indexes[index].get(key, set())

    def ids_in_order(self, entity: str) -> list[str]:
        """The Ids of a table in order (callers hold the lock), so that a query page is taken
        by position: walking 100,000 invoices to the last page costs more than the page."""
        ids = self._ids.get(entity)
        if ids is None or len(ids) != len(self.tables[entity]):
            ids = self._ids[entity] = list(self.tables[entity])
        return ids

    # -- the operations the HTTP API uses ---------------------------------------------------------
    def create(
        self, entity: str, body: dict, *, options: frozenset = frozenset(), batch_item=False
    ) -> dict:
        """`batch_item`: made by an item of the batch being run, which later items do not see
        (QBO.md §2.9)."""
        kind = entity_type(entity, "create", internal=self.seeding)
        created = self._create(kind, kind.receive(body), options)
        if batch_item:
            self.hide_from_batch(kind.name, created["Id"])
        return kind.present(created)

    def insert(self, entity: str, body: dict, entity_id: str | None = None) -> dict:
        """Create an object QBO's API cannot create (tax rates and codes come from the tax
        service, settings exist from the start); used by the seed and automated sales tax.
        `entity_id` fixes the Id (US pseudo tax codes are "TAX" and "NON")."""
        kind = entity_type(entity, "create", internal=True)
        return self._create(kind, body, frozenset(), entity_id)

    def _create(self, kind, body: dict, options: frozenset, entity_id: str | None = None) -> dict:
        self._require_object(body)
        with self.emulator.operation():
            record = kind.build(self, clean(body), None, options)
            self._check_closed_books(kind, record)
            self._check_unique(kind, record, None, options)
            entity_id = entity_id or str(self.next_number("id:" + kind.name))
            stamp = self.timestamp()
            record = {"Id": entity_id, "SyncToken": "0", **clean(record)}
            record["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
            record["domain"] = "QBO"
            record["sparse"] = False
            self._store(kind, record, None, "Create", options)
            return clone(record)

    def read(self, entity: str, entity_id: str) -> dict:
        kind = entity_type(entity, "read")
        with self.lock:
            record = self.find(kind.name, entity_id)
            if record is None:
                raise faults.object_not_found(kind.name, entity_id)
            return kind.present(clone(record))

    def update(
        self, entity: str, body: dict, *, sparse: bool, options: frozenset = frozenset()
    ) -> dict:
        kind = entity_type(entity, "update")
        body = kind.receive(body)
        self._require_object(body)
        with self.emulator.operation():
            existing = self._current(kind, body)
            self._check_closed_books(kind, existing)
            if sparse:
                record = kind.build(self, kind.sparse_merge(existing, body), existing, options)
            else:
                record = kind.build(self, clean(body), existing, options)
            self._check_closed_books(kind, record)
            record = self._restamp(existing, record)
            self._store(kind, record, existing, "Update", options)
            return kind.present(clone(record))

    def delete(self, entity: str, body: dict) -> dict:
        kind = entity_type(entity, "delete")
        body = kind.receive(body)
        self._require_object(body)
        with self.emulator.operation():
            existing = self._current(kind, body)
            self._check_closed_books(kind, existing)
            kind.before_delete(self, existing)
            self._unindex(kind, existing)
            del self.tables[kind.name][existing["Id"]]
            self._ids.pop(kind.name, None)
            stamp = self.timestamp()
            self.tombstones[kind.name][existing["Id"]] = stamp
            self.record_change(kind.name, existing["Id"], "Delete")
            kind.after_delete(self, existing)
            unlink_attachments(self, kind.name, existing["Id"])
            return {"domain": "QBO", "status": "Deleted", "Id": existing["Id"]}

    def void(self, entity: str, body: dict) -> dict:
        kind = entity_type(entity, "void")
        self._require_object(body)
        with self.emulator.operation():
            existing = self._current(kind, body)
            self._check_closed_books(kind, existing)
            record = kind.void(self, clone(existing))
            record = self._restamp(existing, record)
            self._store(kind, record, existing, "Void", frozenset())
            return clone(record)

    def create_tax_code(self, body: dict) -> dict:
        """The tax service: a tax code with existing or new rates (QBO.md §3.5)."""
        from qbo_emulator.entities.taxes import tax_service_create

        with self.emulator.operation():
            return tax_service_create(self, body)

    def send_invoice(self, invoice_id: str, send_to: str | None = None) -> dict:
        """POST /invoice/{id}/send: QBO e-mails the invoice; here the e-mail is recorded in
        `emails` (no mail leaves the emulator) and the invoice marked as sent."""
        from qbo_emulator.entities.invoice import mark_sent

        with self.emulator.operation():
            invoice = self.find("Invoice", str(invoice_id))
            if invoice is None:
                raise faults.object_not_found("Invoice", invoice_id)
            mark_sent(self, invoice, send_to)
            return clone(invoice)

    def upload(self, files: list[tuple[dict, str, bytes]]) -> list[dict]:
        """POST /upload: one Attachable per (metadata, content type, bytes), all or none. The
        metadata is checked for every file before any is stored."""
        from qbo_emulator.entities.attachable import AttachableType

        kind = AttachableType()
        with self.emulator.operation():
            for metadata, _, _ in files:
                self._require_object(metadata)
                kind.build(self, clean(metadata), None, frozenset())
            created = []
            for metadata, content_type, content in files:
                record = self.create("Attachable", metadata)
                stored = self.tables["Attachable"][record["Id"]]
                stored.update(
                    ContentType=content_type,
                    Size=len(content),
                    FileAccessUri=f"/v3/company/{self.realm_id}/download/{record['Id']}",
                )
                self.files[record["Id"]] = content
                created.append(clone(stored))
            return created

    def query(self, sql: str) -> dict:
        from qbo_emulator.query import run_query

        with self.lock:
            answer = run_query(self, sql)
            for name, rows in answer.items():
                if isinstance(rows, list):  # the entity's page of objects
                    answer[name] = [entity_type(name, "query").present(row) for row in rows]
            return answer

    def list(self, entity: str) -> list[dict]:
        kind = entity_type(entity, "read")
        with self.lock:
            return [clone(r) for r in self.tables[kind.name].values()]

    # -- acting as a QBO user (control API, HTML view) --------------------------------------------
    def receive_payment(self, invoice_id: str, amount: Decimal | None = None) -> dict:
        """Record a customer payment against one invoice; None pays the whole open balance."""
        with self.emulator.operation():
            invoice = self.read("Invoice", invoice_id)
            paid = invoice["Balance"] if amount is None else money(amount, "Amount")
            if paid <= 0:
                raise faults.business(
                    f"Invoice {invoice_id} has no open balance to pay"
                    if amount is None
                    else "A payment amount must be more than zero",
                    "Amount",
                )
            return self.create(
                "Payment",
                {
                    "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
                    "TotalAmt": paid,
                    "Line": [
                        {"Amount": paid, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}
                    ],
                },
            )

    def void_invoice(self, invoice_id: str) -> dict:
        return self._user_action(self.void, "Invoice", invoice_id)

    def delete_invoice(self, invoice_id: str) -> dict:
        return self._user_action(self.delete, "Invoice", invoice_id)

    def void_payment(self, payment_id: str) -> dict:
        return self._user_action(self.void, "Payment", payment_id)

    def delete_payment(self, payment_id: str) -> dict:
        return self._user_action(self.delete, "Payment", payment_id)

    def void_credit_memo(self, credit_memo_id: str) -> dict:
        return self._user_action(self.void, "CreditMemo", credit_memo_id)

    def delete_credit_memo(self, credit_memo_id: str) -> dict:
        return self._user_action(self.delete, "CreditMemo", credit_memo_id)

    def edit_invoice(self, invoice_id: str, changes: dict) -> dict:
        """A sparse edit with the current SyncToken, as the QBO UI saves an edited invoice."""
        with self.emulator.operation():
            current = self.read("Invoice", invoice_id)
            body = {**changes, "Id": invoice_id, "SyncToken": current["SyncToken"], "sparse": True}
            return self.update("Invoice", body, sparse=True)

    def _user_action(self, operation, entity: str, entity_id: str) -> dict:
        with self.emulator.operation():
            current = self.read(entity, entity_id)
            return operation(entity, {"Id": entity_id, "SyncToken": current["SyncToken"]})

    # -- internals --------------------------------------------------------------------------------
    @staticmethod
    def _require_object(body: Any) -> None:
        if not isinstance(body, dict):
            raise faults.malformed_request("Request body must be a JSON object")

    def _current(self, kind, body: dict) -> dict:
        """The stored object named by body Id, after the optimistic-lock check on SyncToken."""
        entity_id = body.get("Id")
        if entity_id is None or entity_id == "":
            raise faults.required("Id")
        existing = self.find(kind.name, str(entity_id))
        if existing is None:
            raise faults.object_not_found(kind.name, entity_id)
        token = body.get("SyncToken")
        if token is None or token == "":
            raise faults.required("SyncToken")
        if str(token) != existing["SyncToken"]:
            raise faults.stale_object()
        return existing

    def _restamp(self, existing: dict, record: dict) -> dict:
        record = {"Id": existing["Id"], "SyncToken": str(int(existing["SyncToken"]) + 1),
                  **clean(record)}  # fmt: skip
        record["MetaData"] = {
            "CreateTime": existing["MetaData"]["CreateTime"],
            "LastUpdatedTime": self.timestamp(),
        }
        record["domain"] = "QBO"
        record["sparse"] = False
        return record

    def touch(self, entity: str, record: dict, operation: str = "Update") -> None:
        """Bump SyncToken and LastUpdatedTime of an object changed as a side effect."""
        record["SyncToken"] = str(int(record["SyncToken"]) + 1)
        record["MetaData"]["LastUpdatedTime"] = self.timestamp()
        self.record_change(entity, record["Id"], operation)

    def _check_unique(self, kind, record: dict, entity_id: str | None, options) -> None:
        allow_duplicates = "allowduplicatedocnum" in options
        for index, key in kind.unique_keys(record):
            if allow_duplicates and index.startswith("DocNumber:"):
                continue
            others = self.indexes[index].get(key, set()) - {(kind.name, entity_id)}
            if others:
                raise kind.duplicate_fault(record, index, key, min(others))

    def _store(self, kind, record: dict, previous: dict | None, operation: str, options) -> None:
        keys = kind.unique_keys(record)
        self._check_unique(kind, record, record["Id"], options)
        if previous is not None:
            self._unindex(kind, previous)
        for index, key in keys:
            self.indexes[index].setdefault(key, set()).add((kind.name, record["Id"]))
        rows = self.tables[kind.name]
        # Tables iterate in Id order, as queries answer: new Ids mostly come last already.
        new_id = record["Id"]
        known = new_id in rows
        in_order = known or not rows or id_order(next(reversed(rows))) < id_order(new_id)
        rows[new_id] = record
        if not in_order:
            _sort_by_id(rows)
            self._ids.pop(kind.name, None)
        elif not known and kind.name in self._ids:
            self._ids[kind.name].append(new_id)
        self.record_change(kind.name, record["Id"], operation)
        kind.after_write(self, record, previous)

    def _unindex(self, kind, record: dict) -> None:
        for index, key in kind.unique_keys(record):
            holders = self.indexes[index].get(key)
            if holders:
                holders.discard((kind.name, record["Id"]))
                if not holders:
                    del self.indexes[index][key]

    def _check_closed_books(self, kind, record: dict) -> None:
        """Only the transaction being written counts: a payment dated in the open period may
        still apply money or credit to an invoice from a closed one (COVERAGE.md). Seed data is
        what the company held before its books closed, so seeding is never refused."""
        if self.seeding or not self.switches["closed_books_enforced"]:
            return
        closed = self.preference("book_close_date") if "1" in self.tables["Preferences"] else None
        txn_date = kind.txn_date(record)
        if closed and txn_date and txn_date <= closed:
            raise faults.period_closed(closed)

    def record_change(self, entity: str, entity_id: str, operation: str) -> None:
        self.encoded.forget(entity, entity_id)
        if self.seeding:
            return
        change = Change(self.realm_id, entity, entity_id, operation, self.now())
        if self.changes and change.at < self.changes[-1].at:
            self.changes_in_time_order = False
        self.changes.append(change)
        self.emulator._announce(change)

    def changes_after(self, since: datetime) -> "list[Change]":
        """The changes recorded after `since`, oldest first (callers hold the lock)."""
        if self.changes_in_time_order:
            return self.changes[bisect_right(self.changes, since, key=_change_time) :]
        return [change for change in self.changes if change.at > since]

    # -- snapshot ---------------------------------------------------------------------------------
    def _snapshot_parts(self) -> "tuple[str, dict[str, list[str]], list[str]]":
        """The company's JSON text under the lock: the small parts encoded whole, the objects
        and changes as the texts `encoded` keeps (see Emulator.snapshot_text)."""
        head = {
            "realm_id": self.realm_id,
            "name": self._name,
            "country": self.country,
            "time_zone": self.time_zone,
            "tombstones": {k: v for k, v in self.tombstones.items() if v},
            "sequences": dict(self.sequences),
            "minor_versions": dict(self.minor_versions),
            "files": {i: base64.b64encode(data).decode("ascii") for i, data in self.files.items()},
            "emails": self.emails,
            "switches": self.switches,
        }
        tables = self.encoded.tables(self.tables)
        return state_file.encode(head), tables, self.encoded.changes(self.changes)

    @classmethod
    def from_dict(cls, emulator: Emulator, d: dict) -> "Company":
        company = cls(emulator, d["realm_id"], d["name"], d["country"], d["time_zone"])
        for entity, rows in d["tables"].items():
            company.tables[entity] = _sort_by_id(rows)
            kind = entity_type(entity, "read", internal=True)
            for record in rows.values():
                for index, key in kind.unique_keys(record):
                    company.indexes[index].setdefault(key, set()).add((entity, record["Id"]))
        for entity, rows in d.get("tombstones", {}).items():
            company.tombstones[entity] = dict(rows)
        company.sequences.update(d.get("sequences", {}))
        company.changes = [Change.from_dict(c) for c in d.get("changes", [])]
        company.changes_in_time_order = all(a.at <= b.at for a, b in pairwise(company.changes))
        company.minor_versions.update(d.get("minor_versions", {}))
        company.files = {i: base64.b64decode(data) for i, data in d.get("files", {}).items()}
        company.emails = [dict(e) for e in d.get("emails", [])]
        company.switches.update(d.get("switches", {}))
        return company


def _change_time(change: Change) -> datetime:
    return change.at


def _sort_by_id(rows: dict[str, dict]) -> dict[str, dict]:
    ordered = sorted(rows.items(), key=lambda row: id_order(row[0]))
    rows.clear()
    rows.update(ordered)
    return rows


def _emulator_text(head: str, companies: list[tuple]) -> Iterator[str]:
    """The snapshot's text from the parts taken under the lock: `head` is the emulator's own
    fields as a JSON object, each company (head, {entity: object texts}, change texts)."""
    yield head[:-1] + ',"companies":[\n'
    for number, (company, tables, changes) in enumerate(companies):
        yield ("," if number else "") + company[:-1] + ',"tables":{'
        for position, (entity, rows) in enumerate(tables.items()):
            yield ("," if position else "") + state_file.encode(entity) + ":{\n"
            yield from state_file.joined(rows)
            yield "}"
        yield '},"changes":[\n'
        yield from state_file.joined(changes)
        yield "]}\n"
    yield "]}"


def unlink_attachments(company: Company, entity: str, entity_id: str) -> None:
    from qbo_emulator.entities.attachable import unlink

    if entity != "Attachable":
        unlink(company, entity, entity_id)
