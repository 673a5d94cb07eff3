"""Stage 1, look up unclear sends: settle a row whose last send may have reached QBO.

A timeout, a cut connection, a 5xx or a worker that died while SENDING leaves a row UNKNOWN: QBO
may hold the invoice already. Sending it again blindly could make a second one, so the row is
looked for first (RELIABILITY.md §1.5, docs/decisions/0009): an update by reading the QBO invoice
it updates, a create by DocNumber when the company uses custom numbers, else by customer and
date, keeping only QBO invoices whose PrivateNote carries our marker. A credit note is looked
for the same way among the company's CreditMemos. A look-up that fails sends nothing (fail
closed): the row stays unknown and is tried again later.
"""

from dataclasses import dataclass

from billbridge.quickbooks import payloads
from billbridge.quickbooks.client import QboClient, QboError, QboFault, quote
from billbridge.quickbooks.export.outcomes import Outcomes
from billbridge.quickbooks.export.rows import (
    a_noun_of,
    entity_of,
    frozen_body,
    is_update,
    noun_of,
)
from billbridge.quickbooks.models import ExportState, InvoiceExport
from billbridge.quickbooks.qbo_invoice import QboInvoice
from billbridge.quickbooks.tokens import ReconnectRequired


@dataclass
class LookUp:
    client: QboClient
    outcomes: Outcomes

    def send_again(self, row: InvoiceExport) -> bool:
        """True when QBO does not have the row's invoice (send it again); False when the row
        is settled, or still uncertain."""
        body = frozen_body(row)
        try:
            found = self._search(entity_of(row.invoice), body)
        except ReconnectRequired:
            raise  # not this row's trouble: the whole drain pauses (export/worker.py)
        except QboFault as exc:
            if exc.code == "610" and is_update(body):
                self.outcomes.fault(row, exc)  # the QBO invoice we update was deleted there
                return False
            return self._failed(row, exc)
        except QboError as exc:
            return self._failed(row, exc)
        marker = payloads.marker(row.invoice_id, row.practice_id)
        ours = [answer for answer in found if marker in QboInvoice.read(answer).note]
        if is_update(body):
            return self._settle_update(row, body, ours)
        return self._settle_create(row, body, found, ours)

    def _search(self, entity: str, body: dict) -> list[dict]:
        if is_update(body):
            return [self.client.read(entity, body["Id"])]
        if body.get("DocNumber"):
            return self.client.query(
                f"select * from {entity} where DocNumber = {quote(body['DocNumber'])}"  # noqa: S608
            )
        return self.client.query(
            f"select * from {entity} where CustomerRef = "  # noqa: S608
            f"{quote(body['CustomerRef']['value'])} and TxnDate = {quote(body['TxnDate'])}"
        )

    def _settle_update(self, row: InvoiceExport, body: dict, ours: list[dict]) -> bool:
        """An update reached QBO if QBO now holds our version's note. Returns send_again."""
        if ours and QboInvoice.read(ours[0]).note == body.get("PrivateNote", ""):
            self.outcomes.success(row, ours[0])
            return False
        return True

    def _settle_create(
        self, row: InvoiceExport, body: dict, found: list[dict], ours: list[dict]
    ) -> bool:
        """A create reached QBO if one invoice carries our marker; two are twins for a person
        to settle, and our number on a foreign invoice is a clash. Returns send_again."""
        noun = noun_of(row.invoice)
        if len(ours) > 1:
            self.outcomes.finish(
                row,
                ExportState.NEEDS_REVIEW,
                message=f"QuickBooks holds more than one {noun} made from this one: "
                f"{', '.join(i['Id'] for i in ours)}.",
                advice="Void or delete the extra ones in QuickBooks, then export again.",
            )
            return False
        if ours:
            self.outcomes.success(row, ours[0])
            return False
        if found and body.get("DocNumber"):
            self.outcomes.finish(
                row,
                ExportState.NEEDS_REVIEW,
                message=f"QuickBooks already has {a_noun_of(row.invoice)} numbered "
                f"{body['DocNumber']} that Billbridge did not make.",
                advice="Renumber one of them, then export again.",
            )
            return False
        return True

    def _failed(self, row: InvoiceExport, exc: QboError) -> bool:
        # Fail closed: without an answer we cannot know, so nothing is sent.
        row.attempts += 1
        self.outcomes.retry_later(row, ExportState.UNKNOWN, f"Checking QuickBooks failed: {exc}")
        return False
