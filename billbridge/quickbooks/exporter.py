"""The export worker: drains a company's due export rows, up to QBO_BATCH_SIZE at a time.

Per chunk (RELIABILITY.md §1.8):
1. rows whose earlier send has an unknown outcome are looked up in QBO first (by DocNumber, or by
   customer and date, then by our marker); a failed look-up leaves them unknown (fail closed);
2. the clients' QBO customers are found by name or created, in one query and one batch, by one
   creator per new name (quickbooks/customers.py);
3. each invoice's QBO body is planned (payloads.plan_invoice) and frozen in its row;
4. first sends go in one batch request; re-sends after a look-up go one by one with the row's
   own requestid; each row is marked SENDING, and committed, before its request leaves;
5. QBO's answers are recorded in one transaction: the link to the QBO invoice, its number,
   total and tax, and any warning.

Nothing here retries by looping: a row that cannot finish now gets a `next_attempt_at`, and the
next drain (or the sweep) picks it up again. What a drain claims is leased to it and kept alive by
its heartbeat (quickbooks/leases.py).
"""

import hashlib
import logging
import random
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property

import simplejson
from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.db.models import Case, Min, Q, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from billbridge.quickbooks import payloads
from billbridge.quickbooks.client import (
    QboAuthFailed,
    QboClient,
    QboError,
    QboFault,
    QboThrottled,
    quote,
)
from billbridge.quickbooks.client.api import dumps
from billbridge.quickbooks.company import Company
from billbridge.quickbooks.connection import client_for, fresh_company, item_choices
from billbridge.quickbooks.customers import CustomerStep
from billbridge.quickbooks.faults import advice_for, describe
from billbridge.quickbooks.leases import Heartbeat, lease_length
from billbridge.quickbooks.limiter import DatabaseLimiter
from billbridge.quickbooks.models import (
    ConnectionStatus,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboInvoiceLink,
)
from billbridge.quickbooks.tokens import ReconnectRequired, mark_reconnect_required

log = logging.getLogger(__name__)

ROW_OUTCOME_FIELDS = [
    "state", "error_code", "message", "advice", "warning", "intuit_tid", "lease_until",
    "finished_at", "updated_at",
]  # fmt: skip
# An earlier send in one of these states may have made (or may yet make) the QBO invoice.
UNSETTLED = (
    ExportState.QUEUED,
    ExportState.SENDING,
    ExportState.UNKNOWN,
    ExportState.NEEDS_REVIEW,
)
LINK_FIELDS = [
    f for f in QboInvoiceLink._meta.concrete_fields if f.name not in ("id", "invoice", "created_at")
]
BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0


def drain(realm_id: str, *, limiter: DatabaseLimiter | None = None) -> int:
    """Export every due row of the company; returns how many rows were worked on.

    With QBO_EXPORT_THREADS > 1, that many threads drain side by side, each claiming its own
    chunks: one prepares and records in the database while another waits for QBO's answer.
    The shared limiter keeps them, together, within the company's budget."""
    threads = settings.QBO_EXPORT_THREADS
    with Heartbeat() as owner:
        if threads <= 1:
            return _drain(realm_id, limiter, owner)
        with ThreadPoolExecutor(threads) as pool:
            futures = [
                pool.submit(_drain_in_thread, realm_id, limiter, owner) for _ in range(threads)
            ]
        return sum(future.result() for future in futures)


def _drain_in_thread(realm_id: str, limiter: DatabaseLimiter | None, owner: str) -> int:
    try:
        return _drain(realm_id, limiter, owner)
    finally:
        db.close()  # the thread's own database connection


def _drain(realm_id: str, limiter: DatabaseLimiter | None, owner: str) -> int:
    connection = QboConnection.objects.filter(realm_id=realm_id).first()
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        return 0
    worked = 0
    with client_for(connection, limiter) as client:
        company = None
        while rows := claim(realm_id, settings.QBO_BATCH_SIZE, owner):
            worked += len(rows)
            try:
                company = company or fresh_company(connection, client)
                Chunk(connection, client, company, rows, owner).run()
            except (ReconnectRequired, QboAuthFailed) as exc:
                _pause_for_reconnect(connection, exc)
                release(rows)
                break
            except QboThrottled:
                release(rows, delay=60)
            except QboError as exc:
                # Reading the company failed: nothing was sent, try the rows again later.
                log.warning("QBO %s: could not prepare an export chunk: %s", realm_id, exc)
                release(rows, delay=_backoff(1))
                break
    return worked


def _pause_for_reconnect(connection: QboConnection, exc: Exception) -> None:
    connection.refresh_from_db()
    if connection.status == ConnectionStatus.CONNECTED:
        mark_reconnect_required(
            connection,
            f"QuickBooks refused Billbridge's access ({exc}). Reconnect in Settings ▸ "
            "Integrations ▸ QuickBooks Online; queued exports wait until then.",
        )


def claim(realm_id: str, limit: int, owner: str) -> list[InvoiceExport]:
    """Take up to `limit` due rows under `owner`'s lease. SKIP LOCKED lets workers on PostgreSQL
    claim side by side; an expired lease (a worker that died) makes a row claimable again, and
    a row that died while SENDING comes back as unknown: its send must be looked up first."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            InvoiceExport.objects.select_for_update(skip_locked=True)
            .filter(realm_id=realm_id)
            .filter(
                Q(state__in=[ExportState.QUEUED, ExportState.UNKNOWN], next_attempt_at__lte=now)
                | Q(state=ExportState.SENDING)
            )
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        InvoiceExport.objects.filter(id__in=ids, state=ExportState.SENDING).update(
            state=ExportState.UNKNOWN
        )
        InvoiceExport.objects.filter(id__in=ids).update(
            lease_until=now + lease_length(), leased_by=owner
        )
    return list(
        InvoiceExport.objects.filter(id__in=ids)
        .select_related("invoice__client", "invoice__qbo_link")
        .prefetch_related("invoice__lines")
        .order_by("id")
    )


def next_claimable_at(realm_id: str) -> datetime | None:
    """The first moment `claim` could take one of the company's waiting rows: its due time, or
    the end of the lease that holds it (a live drain's, renewed; a dead one's, running out).
    None when nothing waits, or the company cannot export (reconnect wakes it)."""
    waiting = InvoiceExport.objects.filter(
        realm_id=realm_id,
        state__in=[ExportState.QUEUED, ExportState.UNKNOWN, ExportState.SENDING],
        practice__qbo_connection__status=ConnectionStatus.CONNECTED,
    )
    free_at = Coalesce("lease_until", "next_attempt_at")
    return waiting.aggregate(
        at=Min(
            Case(
                # A row that died while SENDING is claimable once its lease ends, whenever due.
                When(state=ExportState.SENDING, then=free_at),
                default=Greatest("next_attempt_at", free_at),
            )
        )
    )["at"]


def release(rows: list[InvoiceExport], *, delay: float = 0) -> None:
    """Give rows back untouched (nothing was sent for them) to be picked up after `delay`."""
    InvoiceExport.objects.filter(id__in=[row.pk for row in rows]).update(
        lease_until=None, next_attempt_at=timezone.now() + timedelta(seconds=delay)
    )


def _backoff(attempts: int) -> float:
    """Capped exponential back-off with full jitter (RELIABILITY.md §4.3)."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempts))  # noqa: S311


def link_of(invoice) -> QboInvoiceLink | None:
    try:
        return invoice.qbo_link
    except QboInvoiceLink.DoesNotExist:
        return None


@dataclass
class Chunk:
    connection: QboConnection
    client: QboClient
    company: Company
    rows: list[InvoiceExport]
    owner: str  # the drain's lease owner
    # Written together at the end of each step: one transaction, not one per invoice.
    exported: list[tuple[InvoiceExport, QboInvoiceLink]] = field(default_factory=list)
    invoice_data: dict[int, payloads.InvoiceData] = field(default_factory=dict)

    @property
    def realm_id(self) -> str:
        return self.connection.realm_id

    @cached_property
    def customer_step(self) -> CustomerStep:
        return CustomerStep(self.client, self.realm_id, self.owner, lease_length())

    def run(self) -> None:
        try:
            pending = []
            for row in self.rows:
                if row.state == ExportState.UNKNOWN:
                    if self._look_up(row):
                        pending.append(row)
                else:
                    pending.append(row)
            fresh = self._after_earlier_sends([row for row in pending if not row.payload])
            resend = [row for row in pending if row.payload]
            if fresh:
                self.customer_step.find({row.invoice.client for row in fresh})
                fresh = self._after_customer_creations(fresh)
                self._send_batch([row for row in fresh if self._plan(row)])
            for row in resend:
                self._send_one(row)
        finally:
            # What QBO already answered is kept even when a later step of the chunk fails.
            self._save_exported()

    def _after_earlier_sends(self, fresh: list[InvoiceExport]) -> list[InvoiceExport]:
        """A new version of an invoice QBO does not hold yet waits while an earlier version's
        send is unsettled (unknown, queued to be sent again, or for review): that one may have
        made the QBO invoice, which the new version must then update, not duplicate."""
        unlinked = {row.invoice_id for row in fresh if link_of(row.invoice) is None}
        waiting = set(
            InvoiceExport.objects.filter(invoice_id__in=unlinked)
            .exclude(pk__in=[row.pk for row in fresh])
            .exclude(payload="")
            .filter(state__in=UNSETTLED)
            .values_list("invoice_id", flat=True)
        )
        for row in fresh:
            if row.invoice_id in waiting:
                row.attempts += 1
                self._retry_later(
                    row,
                    ExportState.QUEUED,
                    "Waiting for an earlier export of this invoice to be confirmed in QuickBooks.",
                    delay=max(_backoff(row.attempts), 5),
                )
        return [row for row in fresh if row.invoice_id not in waiting]

    # ---- 1. look before re-sending ----------------------------------------------------------

    def _look_up(self, row: InvoiceExport) -> bool:
        """Settle a row whose last send may have reached QBO. Returns True when QBO does not
        have it (send again), False when it is settled or still uncertain."""
        body = payloads_from(row)
        try:
            if "Id" in body:
                found = [self.client.read("Invoice", body["Id"])]
            elif body.get("DocNumber"):
                found = self.client.query(
                    f"select * from Invoice where DocNumber = {quote(body['DocNumber'])}"
                )
            else:
                found = self.client.query(
                    "select * from Invoice where CustomerRef = "
                    f"{quote(body['CustomerRef']['value'])} and TxnDate = {quote(body['TxnDate'])}"
                )
        except QboFault as exc:
            if exc.code == "610" and "Id" in body:
                self._record_fault(row, exc)  # the QBO invoice we update was deleted there
                return False
            return self._look_up_failed(row, exc)
        except QboError as exc:
            return self._look_up_failed(row, exc)
        note = body.get("PrivateNote", "")
        marker = payloads.marker(row.invoice_id, row.practice_id)
        ours = [invoice for invoice in found if marker in invoice.get("PrivateNote", "")]
        if "Id" in body:
            # An update reached QBO if QBO now holds our version's note.
            if ours and ours[0].get("PrivateNote") == note:
                self._record_success(row, ours[0])
                return False
            return True
        if len(ours) > 1:
            self._finish(
                row,
                ExportState.NEEDS_REVIEW,
                message="QuickBooks holds more than one invoice made from this one: "
                f"{', '.join(i['Id'] for i in ours)}.",
                advice="Void or delete the extra ones in QuickBooks, then export again.",
            )
            return False
        if ours:
            self._record_success(row, ours[0])
            return False
        if found and body.get("DocNumber"):
            self._finish(
                row,
                ExportState.NEEDS_REVIEW,
                message=f"QuickBooks already has an invoice numbered {body['DocNumber']} that "
                "Billbridge did not make.",
                advice="Renumber one of them, then export again.",
            )
            return False
        return True

    def _look_up_failed(self, row: InvoiceExport, exc: QboError) -> bool:
        # Fail closed: without an answer we cannot know, so nothing is sent.
        row.attempts += 1
        self._retry_later(row, ExportState.UNKNOWN, f"Checking QuickBooks failed: {exc}")
        return False

    # ---- 2. customers (quickbooks/customers.py) --------------------------------------------

    def _after_customer_creations(self, fresh: list[InvoiceExport]) -> list[InvoiceExport]:
        """Invoices whose new customer another chunk is creating go back for a moment: nothing
        was sent for them, and next time they find the customer it made."""
        waiting = [row for row in fresh if row.invoice.client_id in self.customer_step.busy]
        release(waiting, delay=1)
        return [row for row in fresh if row not in waiting]

    # ---- 3. plan and freeze -------------------------------------------------------------------

    def _plan(self, row: InvoiceExport) -> bool:
        invoice = row.invoice
        if invoice.version != row.invoice_version:
            self._finish(
                row,
                ExportState.FAILED,
                message=f"Invoice {invoice.number} changed after it was queued (it is now "
                f"{invoice.get_status_display()}); nothing was sent.",
                advice="Export it again once it is finalized.",
            )
            return False
        problem = self.customer_step.problems.get(invoice.client_id)
        if problem and problem.is_error:
            self._finish(
                row,
                ExportState.FAILED,
                code=problem.code,
                message=problem.text,
                advice="Link this client to an existing QBO customer on the client's page, or "
                "rename the client.",
            )
            return False
        link = link_of(invoice)
        existing = None
        if link and link.state == QboInvoiceLink.State.IN_QBO:
            existing = (link.qbo_invoice_id, link.sync_token)
        elif (
            link and link.state == QboInvoiceLink.State.DELETED_IN_QBO and not row.replace_confirmed
        ):
            self._finish(
                row,
                ExportState.CONFIRM,
                message=f"The QBO invoice {link.doc_number or link.qbo_invoice_id} was deleted in "
                "QuickBooks.",
                advice="Create a new QBO invoice from this one, or leave it out of QuickBooks.",
            )
            return False
        plan = payloads.plan_invoice(
            self._data(invoice),
            self.company,
            customer_id=self.customer_step.customers.get(invoice.client_id),
            items_by_service=self._item_choices[0],
            default_item=self._item_choices[1],
            ast_handling=self.connection.ast_tax_handling,
            existing=existing,
        )
        if plan.errors:
            self._finish(
                row,
                ExportState.FAILED,
                message=" ".join(f.text for f in plan.errors),
                advice=next((f.advice for f in plan.errors if f.advice), ""),
            )
            return False
        warnings = [f.text for f in plan.warnings]
        if problem:
            warnings.insert(0, problem.text)
        row.payload = dumps(plan.body)
        row.warning = " ".join(warnings)[:1000]
        row.updated_at = timezone.now()
        return True

    @cached_property
    def _item_choices(self) -> tuple[dict[str, tuple[str, str]], tuple[str, str] | None]:
        return item_choices(self.connection)

    # ---- 4. send ------------------------------------------------------------------------------

    def _mark_sending(self, rows: list[InvoiceExport]) -> None:
        """Freeze each row's body and mark it SENDING, committed before the request leaves: a
        worker that dies now leaves SENDING rows, which the next claim treats as unknown and
        looks up before any re-send. One statement for the chunk (executemany)."""
        now = timezone.now()
        for row in rows:
            row.state = ExportState.SENDING
            row.attempts += 1
            row.updated_at = now
        table = InvoiceExport._meta.db_table
        with transaction.atomic(), db.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET state = %s, attempts = %s, payload = %s, "  # noqa: S608
                "warning = %s, request_id = %s, updated_at = %s WHERE id = %s",
                [
                    (row.state, row.attempts, row.payload, row.warning, row.request_id, now, row.pk)
                    for row in rows
                ],
            )

    def _send_batch(self, rows: list[InvoiceExport]) -> None:
        if not rows:
            return
        items = []
        for row in rows:
            body = payloads_from(row)
            items.append(
                {
                    "bId": str(row.pk),
                    "operation": "update" if "Id" in body else "create",
                    "Invoice": body,
                }  # fmt: skip
            )
        self._mark_sending(rows)
        try:
            results = self.client.batch(items, request_id=_batch_request_id(rows))
        except (QboError, ReconnectRequired) as exc:
            self._send_failed(rows, exc)
            return
        stale = []
        with transaction.atomic():
            for row in rows:
                result = results.get(str(row.pk))
                if result is None:
                    self._retry_later(row, ExportState.UNKNOWN, "QuickBooks did not answer for it.")
                elif result.entity:
                    self._record_success(row, result.entity)
                elif result.fault.code == "5010":
                    stale.append(row)
                else:
                    self._record_fault(row, result.fault)
        for row in stale:
            self._reapply(row)

    def _send_one(self, row: InvoiceExport, *, reapply_if_stale: bool = True) -> None:
        body = payloads_from(row)
        self._mark_sending([row])
        try:
            if "Id" in body:
                entity = self.client.update("Invoice", body, request_id=row.request_id)
            else:
                entity = self.client.create("Invoice", body, request_id=row.request_id)
        except QboFault as exc:
            if exc.code == "5010" and reapply_if_stale:
                self._reapply(row)
            else:
                self._record_fault(row, exc)
            return
        except (QboError, ReconnectRequired) as exc:
            self._send_failed([row], exc)
            return
        self._record_success(row, entity)

    def _reapply(self, row: InvoiceExport) -> None:
        """5010: someone changed the QBO invoice since our last export (a payment, an edit).
        Read it once, and send our version again, once, on its current SyncToken."""
        body = payloads_from(row)
        try:
            current = self.client.read("Invoice", body["Id"])
        except QboFault as exc:
            self._record_fault(row, exc)
            return
        except (QboError, ReconnectRequired) as exc:
            self._retry_later(row, ExportState.QUEUED, f"QuickBooks could not be read: {exc}")
            return
        body["SyncToken"] = current["SyncToken"]
        row.payload = dumps(body)
        # The first request failed for sure; a new id keeps QBO from replaying that failure.
        row.request_id = uuid.uuid4().hex
        self._send_one(row, reapply_if_stale=False)

    def _send_failed(self, rows: list[InvoiceExport], exc: QboError) -> None:
        if isinstance(exc, (ReconnectRequired, QboAuthFailed)):
            _pause_for_reconnect(self.connection, exc)
        if isinstance(exc, (ReconnectRequired, QboAuthFailed, QboThrottled)):
            # Refused before anything happened: not a try that counts.
            for row in rows:
                row.attempts -= 1
                self._retry_later(row, ExportState.QUEUED, "", delay=60)
            return
        if isinstance(exc, QboFault) and not exc.transient:
            for row in rows:
                self._record_fault(row, exc)
            return
        state = ExportState.UNKNOWN if exc.ambiguous else ExportState.QUEUED
        for row in rows:
            self._retry_later(row, state, f"QuickBooks did not answer clearly ({exc}).")

    # ---- 5. record ----------------------------------------------------------------------------

    def _data(self, invoice) -> payloads.InvoiceData:
        if invoice.pk not in self.invoice_data:
            self.invoice_data[invoice.pk] = payloads.InvoiceData.of(invoice)
        return self.invoice_data[invoice.pk]

    def _record_success(self, row: InvoiceExport, entity: dict) -> None:
        """Keep QBO's answer for _save_exported: the link to the QBO invoice, and a warning
        when QBO's tax or total differ from ours (R7c)."""
        invoice = row.invoice
        qbo_total = Decimal(str(entity.get("TotalAmt", "0")))
        qbo_tax = (entity.get("TxnTaxDetail") or {}).get("TotalTax")
        warnings = [row.warning] if row.warning else []
        finding = payloads.compare_tax(
            self._data(invoice), entity, self.company, self.connection.ast_tax_handling
        )
        if finding:
            warnings.append(finding.text)
        link = QboInvoiceLink(
            invoice=invoice,
            realm_id=self.realm_id,
            qbo_invoice_id=entity["Id"],
            sync_token=entity["SyncToken"],
            doc_number=entity.get("DocNumber", ""),
            state=QboInvoiceLink.State.IN_QBO,
            exported_version=row.invoice_version,
            exported_content_version=invoice.content_version,
            exported_total=invoice.total,
            qbo_total=qbo_total,
            qbo_tax=Decimal(str(qbo_tax)) if qbo_tax is not None else None,
            qbo_balance=Decimal(str(entity.get("Balance", qbo_total))),
            qbo_customer_id=(entity.get("CustomerRef") or {}).get("value", ""),
        )
        row.warning = " ".join(warnings)[:1000]
        self._finish(row, ExportState.EXPORTED, keep_warning=True, save=False)
        self.exported.append((row, link))

    def _save_exported(self) -> None:
        if not self.exported:
            return
        rows, links = zip(*self.exported, strict=True)
        by_warning = defaultdict(list)
        for row in rows:
            by_warning[row.warning].append(row.pk)
        now = timezone.now()
        with transaction.atomic():
            QboInvoiceLink.objects.bulk_create(
                links,
                update_conflicts=True,
                unique_fields=["invoice"],
                update_fields=[f.name for f in LINK_FIELDS],
            )
            # Rows differ only by their warning: one UPDATE per distinct warning.
            for warning, ids in by_warning.items():
                InvoiceExport.objects.filter(pk__in=ids).update(
                    state=ExportState.EXPORTED,
                    warning=warning,
                    error_code="",
                    message="",
                    advice="",
                    intuit_tid="",
                    lease_until=None,
                    finished_at=now,
                    updated_at=now,
                )
        self.exported.clear()

    def _record_fault(self, row: InvoiceExport, fault: QboFault) -> None:
        if fault.code == "610" and "Id" in payloads_from(row):
            QboInvoiceLink.objects.filter(invoice=row.invoice).update(
                state=QboInvoiceLink.State.DELETED_IN_QBO
            )
            self._finish(
                row,
                ExportState.CONFIRM,
                code=fault.code,
                message="The QBO invoice was deleted in QuickBooks.",
                advice="Create a new QBO invoice from this one, or leave it out of QuickBooks.",
                tid=fault.intuit_tid,
            )
            return
        if fault.transient:
            self._retry_later(row, ExportState.UNKNOWN, f"QuickBooks had trouble ({fault}).")
            return
        self._finish(
            row,
            ExportState.FAILED,
            code=fault.code,
            message=describe(fault),
            advice=advice_for(fault.code),
            tid=fault.intuit_tid,
        )

    def _retry_later(
        self,
        row: InvoiceExport,
        state: str,
        message: str,
        *,
        delay: float | None = None,
    ) -> None:
        if row.attempts >= settings.QBO_EXPORT_MAX_ATTEMPTS:
            self._finish(
                row,
                ExportState.NEEDS_REVIEW,
                message=f"After {row.attempts} tries Billbridge cannot tell whether QuickBooks "
                f"has this invoice. {message}",
                advice="Look for it in QuickBooks; if it is there, tell your administrator; if "
                "not, export it again.",
            )
            return
        if delay is None:
            delay = _backoff(row.attempts)
            if state == ExportState.UNKNOWN:
                delay = max(delay, settings.QBO_LOOKUP_DELAY_SECONDS)
        row.state = state
        row.message = message[:1000]
        row.lease_until = None
        row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        row.save(
            update_fields=[
                "state", "message", "lease_until", "next_attempt_at", "attempts", "updated_at"
            ]
        )  # fmt: skip

    def _finish(
        self,
        row: InvoiceExport,
        state: str,
        *,
        code: str = "",
        message: str = "",
        advice: str = "",
        tid: str = "",
        keep_warning: bool = False,
        save: bool = True,
    ) -> None:
        row.state = state
        row.error_code = code
        row.message = message[:1000]
        row.advice = advice[:500]
        row.intuit_tid = tid
        if not keep_warning:
            row.warning = ""
        row.lease_until = None
        row.finished_at = row.updated_at = timezone.now()
        if save:
            row.save(update_fields=ROW_OUTCOME_FIELDS)


def payloads_from(row: InvoiceExport) -> dict:
    return payloads_from_text(row.payload)


def payloads_from_text(payload: str) -> dict:
    return simplejson.loads(payload, use_decimal=True)


def _batch_request_id(rows: list[InvoiceExport]) -> str:
    """The batch's requestid, from its rows' own: the same rows sent again (their first send
    lost) replay QBO's answer, while a row planned anew (new request id) is a new request even
    when its body is byte for byte the same, as after a deletion in QBO."""
    joined = ",".join(row.request_id for row in rows)
    return hashlib.sha256(joined.encode()).hexdigest()[:36]
