"""Stage 4, send: the frozen bodies go to QBO, each row marked SENDING (and committed) first.

First sends go in one batch request, under a requestid made from the rows' own, so the same rows
sent again replay QBO's answer. A re-send after a look-up goes alone, under the row's own
requestid. A stale SyncToken (5010: the QBO invoice changed since our last export) is met by
reading the invoice once and sending our version again on its current SyncToken. Each row goes
as its invoice's QBO entity (rows.entity_of): an Invoice, or a credit note's CreditMemo.
"""

import hashlib
import uuid
from dataclasses import dataclass

from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from billbridge.quickbooks.client import QboAuthFailed, QboClient, QboError, QboFault, QboThrottled
from billbridge.quickbooks.client.api import dumps
from billbridge.quickbooks.export.outcomes import Outcomes, pause_for_reconnect
from billbridge.quickbooks.export.rows import entity_of, frozen_body, is_update
from billbridge.quickbooks.models import ExportState, InvoiceExport, QboConnection
from billbridge.quickbooks.tokens import ReconnectRequired

STALE_SYNC_TOKEN = "5010"


@dataclass
class Sender:
    connection: QboConnection
    client: QboClient
    outcomes: Outcomes

    def send_batch(self, rows: list[InvoiceExport]) -> None:
        if not rows:
            return
        items = []
        for row in rows:
            body = frozen_body(row)
            items.append(
                {
                    "bId": str(row.pk),
                    "operation": "update" if is_update(body) else "create",
                    entity_of(row.invoice): body,
                }  # fmt: skip
            )
        mark_sending(rows)
        try:
            results = self.client.batch(items, request_id=batch_request_id(rows))
        except QboError as exc:
            self._failed(rows, exc)
            return
        stale = []
        with transaction.atomic():
            for row in rows:
                result = results.get(str(row.pk))
                if result is None:
                    self.outcomes.retry_later(
                        row, ExportState.UNKNOWN, "QuickBooks did not answer for it."
                    )
                elif result.entity:
                    self.outcomes.success(row, result.entity)
                elif result.fault.code == STALE_SYNC_TOKEN:
                    stale.append(row)
                else:
                    self.outcomes.fault(row, result.fault)
        for row in stale:
            self._reapply(row)

    def send_one(self, row: InvoiceExport, *, reapply_if_stale: bool = True) -> None:
        body = frozen_body(row)
        entity = entity_of(row.invoice)
        mark_sending([row])
        try:
            if is_update(body):
                answer = self.client.update(entity, body, request_id=row.request_id)
            else:
                answer = self.client.create(entity, body, request_id=row.request_id)
        except QboFault as exc:
            if exc.code == STALE_SYNC_TOKEN and reapply_if_stale:
                self._reapply(row)
            else:
                self.outcomes.fault(row, exc)
            return
        except QboError as exc:
            self._failed([row], exc)
            return
        self.outcomes.success(row, answer)

    def _reapply(self, row: InvoiceExport) -> None:
        """5010: someone changed the QBO invoice since our last export (a payment, an edit).
        Read it once, and send our version again, once, on its current SyncToken."""
        body = frozen_body(row)
        try:
            current = self.client.read(entity_of(row.invoice), body["Id"])
        except QboFault as exc:
            self.outcomes.fault(row, exc)
            return
        except QboError as exc:
            self.outcomes.retry_later(
                row, ExportState.QUEUED, f"QuickBooks could not be read: {exc}"
            )
            return
        body["SyncToken"] = current["SyncToken"]
        row.payload = dumps(body)
        # The first request failed for sure; a new id keeps QBO from replaying that failure.
        row.request_id = uuid.uuid4().hex
        self.send_one(row, reapply_if_stale=False)

    def _failed(self, rows: list[InvoiceExport], exc: QboError) -> None:
        """No answer for the rows: refused before anything happened, refused for sure, or
        unclear (then they are looked up before any re-send)."""
        if isinstance(exc, (ReconnectRequired, QboAuthFailed)):
            pause_for_reconnect(self.connection, exc)
        if isinstance(exc, (ReconnectRequired, QboAuthFailed, QboThrottled)):
            # Refused before anything happened: not a try that counts.
            for row in rows:
                row.attempts -= 1
                self.outcomes.retry_later(row, ExportState.QUEUED, "", delay=60)
            return
        if isinstance(exc, QboFault) and not exc.transient:
            for row in rows:
                self.outcomes.fault(row, exc)
            return
        state = ExportState.UNKNOWN if exc.ambiguous else ExportState.QUEUED
        for row in rows:
            self.outcomes.retry_later(row, state, f"QuickBooks did not answer clearly ({exc}).")


def mark_sending(rows: list[InvoiceExport]) -> None:
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


def batch_request_id(rows: list[InvoiceExport]) -> str:
    """The batch's requestid, from its rows' own: the same rows sent again (their first send
    lost) replay QBO's answer, while a row planned anew (new request id) is a new request even
    when its body is byte for byte the same, as after a deletion in QBO."""
    joined = ",".join(row.request_id for row in rows)
    return hashlib.sha256(joined.encode()).hexdigest()[:36]
