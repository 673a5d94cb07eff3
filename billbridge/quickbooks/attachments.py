"""The invoice's PDF on its QBO invoice: an Attachable, shown to the client when QuickBooks
emails the invoice (docs/decisions/0025-pdf-in-quickbooks.md).

One row (QboAttachment) per exported content version, queued in the transaction that records
the export (export/outcomes.py), and worked by a drain of its own (`drain`, the task
`attach_documents`), so that rendering PDFs never slows the export. Exactly once, as exports
are: the row is SENDING and committed before the upload leaves; an unclear answer (a timeout, a
5xx, a worker that died SENDING) is looked for in QBO first, by the QBO invoice it hangs on,
its file name and our marker in its Note; a look-up that fails uploads nothing. A refused
upload leaves the invoice exported, with a warning in the QuickBooks Export column, and is
tried again with a back-off. The PDF of a newer version replaces the older one: uploaded first,
then the older one deleted. A revert removes them before the QBO invoice is deleted
(`remove_before_delete`, called by services.QuickBooksOnline.remove_before_revert).
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billbridge.core.errors import TransitionRefused
from billbridge.documents.rendering import file_name, frozen_document
from billbridge.invoicing.models import Invoice
from billbridge.quickbooks.client import (
    QboClient,
    QboError,
    QboFault,
    quote,
)
from billbridge.quickbooks.faults import describe
from billbridge.quickbooks.models import (
    ATTACHMENT_DUE_STATES,
    AttachmentState,
    InvoiceExport,
    QboAttachment,
    QboInvoiceLink,
)
from billbridge.quickbooks.row_drains import LEASE, NOT_A_TRY, RowDrain

log = logging.getLogger(__name__)

PDF = "application/pdf"
STALE_SYNC_TOKEN = "5010"
NOT_FOUND = "610"
BACKOFF_BASE = 30.0
BACKOFF_CAP = 6 * 3600.0
RETRIED = "retried automatically"


def marker(row: QboAttachment) -> str:
    """Our mark in the Attachable's Note: which invoice and content version it is the PDF of."""
    return f"[bb:{row.practice_id}:{row.invoice_id}:v{row.content_version}]"


def backoff(attempts: int) -> float:
    """Refusals are rarely fixed in seconds: from half a minute to six hours, doubling."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(attempts - 1, 0))


# ---- queued when an export is recorded --------------------------------------------------------


def queue(rows: list[InvoiceExport]) -> None:
    """In the transaction recording these exports: each exported content version's PDF is to
    be attached. A version whose PDF was removed (reverted and finalized again with no edit)
    or given up on is queued afresh."""
    now = timezone.now()
    wanted = {(row.invoice_id, row.invoice.content_version): row for row in rows}
    if not wanted:
        return
    QboAttachment.objects.bulk_create(
        [
            QboAttachment(
                invoice_id=invoice_id,
                content_version=content_version,
                practice_id=row.practice_id,
                realm_id=row.realm_id,
                file_name=file_name(row.invoice),
                request_id=uuid.uuid4().hex,
                next_attempt_at=now,
            )
            for (invoice_id, content_version), row in wanted.items()
        ],
        ignore_conflicts=True,
    )
    # One indexed look by invoice (an OR of 30 pairs costs more to build than to run); the
    # content version is told apart here.
    for again in QboAttachment.objects.filter(
        invoice_id__in=[invoice_id for invoice_id, _ in wanted],
        state__in=[AttachmentState.REMOVED, AttachmentState.FAILED],
    ):
        given_up = again.state == AttachmentState.REMOVED or again.next_attempt_at is None
        if (again.invoice_id, again.content_version) in wanted and given_up:
            _requeue(again, now)


def _requeue(row: QboAttachment, now) -> None:
    row.state = AttachmentState.QUEUED
    row.qbo_attachable_id = row.qbo_sync_token = row.error = ""
    row.request_id = uuid.uuid4().hex
    row.attempts = 0
    row.next_attempt_at = now
    row.lease_until = None
    row.save()


ROWS = RowDrain(
    QboAttachment, ATTACHMENT_DUE_STATES, AttachmentState.SENDING, AttachmentState.UNKNOWN
)
next_due_at = ROWS.next_due_at


# ---- the drain --------------------------------------------------------------------------------


def drain(realm_id: str) -> int:
    """Attach (or remove) every due PDF of the company, one row at a time; returns how many
    rows were worked on."""
    return ROWS.drain(realm_id, lambda client, row: Attaching(client, row).run())


class Attaching:
    """One row taken one step further: attached, removed, or to be tried again."""

    def __init__(self, client: QboClient, row: QboAttachment) -> None:
        self.client, self.row = client, row

    def run(self) -> None:
        row = self.row
        if row.state == AttachmentState.REMOVING:
            self._remove()
            return
        invoice = Invoice.objects.select_related("practice", "client").get(pk=row.invoice_id)
        link = QboInvoiceLink.objects.filter(invoice=invoice).first()
        current = (
            link is not None
            and link.state == QboInvoiceLink.State.IN_QBO
            and link.exported_content_version == row.content_version == invoice.content_version
        )
        try:
            if row.state == AttachmentState.UNKNOWN:
                found = self._look_up()
                if found is not None:
                    self._found(found, current)
                    return
            if not current:
                self._end(AttachmentState.REMOVED, "Replaced before it was attached.")
                return
            self._upload(invoice, link)
        except QboError as exc:
            if isinstance(exc, NOT_A_TRY):
                raise
            if row.state != AttachmentState.SENDING:
                row.attempts += 1  # failed before the upload, which counts its own
            self._failed(exc)

    # -- attaching ---------------------------------------------------------------------------

    def _upload(self, invoice: Invoice, link: QboInvoiceLink) -> None:
        row = self.row
        document = frozen_document(invoice, payment_link=payment_link_of(self.client, link))
        row.document = document
        row.qbo_invoice_id = link.qbo_invoice_id
        row.state = AttachmentState.SENDING
        row.attempts += 1
        # Committed before the upload leaves (no transaction is open here).
        row.save(
            update_fields=["document", "qbo_invoice_id", "state", "attempts", "updated_at"]
        )  # fmt: skip
        metadata = {
            "AttachableRef": [
                {
                    "EntityRef": {"type": "Invoice", "value": link.qbo_invoice_id},
                    "IncludeOnSend": True,
                }
            ],
            "FileName": row.file_name,
            "ContentType": PDF,
            "Note": f"Invoice {invoice.number}, from Billbridge {marker(row)}",
        }
        answer = self.client.upload_attachment(
            metadata, row.file_name, bytes(document.pdf), PDF, request_id=row.request_id
        )
        self._attached(answer)

    def _attached(self, attachable: dict) -> None:
        row = self.row
        with transaction.atomic():
            row.state = AttachmentState.ATTACHED
            row.qbo_attachable_id = str(attachable.get("Id", ""))
            row.qbo_sync_token = str(attachable.get("SyncToken", "0"))
            row.error = ""
            row.next_attempt_at = row.lease_until = None
            row.save()
            # The older versions' PDFs leave QBO now that this one is there.
            QboAttachment.objects.filter(
                invoice_id=row.invoice_id, state=AttachmentState.ATTACHED
            ).exclude(pk=row.pk).update(
                state=AttachmentState.REMOVING, next_attempt_at=timezone.now(), lease_until=None
            )

    def _look_up(self) -> dict | None:
        """The Attachable an unclear upload may have made: on the row's QBO invoice, with its
        file name and our marker, and not one another row already knows. A failing look-up
        raises: nothing is uploaded until it can tell (fail closed)."""
        row = self.row
        if not row.qbo_invoice_id:
            return None  # never sent: SENDING is written with the QBO invoice's id
        known = set(
            QboAttachment.objects.filter(invoice_id=row.invoice_id)
            .exclude(pk=row.pk)
            .exclude(qbo_attachable_id="")
            .values_list("qbo_attachable_id", flat=True)
        )
        mark = marker(row)
        return next(
            (
                found
                for found in attached_to(self.client, row.qbo_invoice_id)
                if found.get("FileName") == row.file_name
                and mark in found.get("Note", mark)
                and str(found.get("Id")) not in known
            ),
            None,
        )

    def _found(self, attachable: dict, current: bool) -> None:
        if current:
            self._attached(attachable)
            return
        # Made for a version since replaced (or reverted): it leaves QBO.
        row = self.row
        row.qbo_attachable_id = str(attachable.get("Id", ""))
        row.qbo_sync_token = str(attachable.get("SyncToken", "0"))
        row.state = AttachmentState.REMOVING
        row.next_attempt_at = timezone.now()
        row.lease_until = None
        row.save()

    def _failed(self, exc: QboError) -> None:
        """Refused (a fault QBO answered for sure) or unclear: tried again after a back-off;
        an unclear one is looked for first. After QBO_EXPORT_MAX_ATTEMPTS tries it waits for
        the next export of the invoice."""
        row = self.row
        if row.state == AttachmentState.REMOVING:
            row.error = f"Could not remove it from QuickBooks: {_reason(exc)}"[:1000]
        elif exc.ambiguous or row.state == AttachmentState.UNKNOWN:
            row.state = AttachmentState.UNKNOWN
            row.error = f"QuickBooks did not answer clearly ({exc})."[:1000]
        else:
            row.state = AttachmentState.FAILED
            row.error = _reason(exc)[:1000]
        if (
            row.attempts >= settings.QBO_EXPORT_MAX_ATTEMPTS
            and row.state != AttachmentState.UNKNOWN
        ):
            row.next_attempt_at = None
        else:
            delay = backoff(row.attempts)
            if row.state == AttachmentState.UNKNOWN:
                delay = max(delay, settings.QBO_LOOKUP_DELAY_SECONDS)
            row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        row.lease_until = None
        row.save()

    def _end(self, state: str, error: str = "") -> None:
        row = self.row
        row.state = state
        row.error = error
        row.next_attempt_at = row.lease_until = None
        row.save()

    # -- removing ----------------------------------------------------------------------------

    def _remove(self) -> None:
        try:
            delete_attachable(self.client, self.row.qbo_attachable_id, self.row.qbo_sync_token)
        except QboError as exc:
            if isinstance(exc, NOT_A_TRY):
                raise
            self.row.attempts += 1
            self._failed(exc)
            return
        self._end(AttachmentState.REMOVED)


def _reason(exc: QboError) -> str:
    return describe(exc) if isinstance(exc, QboFault) else str(exc)


# ---- QBO's side -------------------------------------------------------------------------------


def payment_link_of(client: QboClient, link: QboInvoiceLink) -> str:
    """QBO's payment link for the exported version, read once per version (a metered read,
    counted in the budget) and kept on the link; "" where QBO Payments is off."""
    if link.payment_link_version == link.exported_content_version:
        return link.payment_link
    answer = client.read("Invoice", link.qbo_invoice_id, include="invoiceLink")
    found = str(answer.get("InvoiceLink") or "")
    # Only a web address goes into a PDF and a page's href.
    link.payment_link = found[:1000] if found.startswith(("https://", "http://")) else ""
    link.payment_link_version = link.exported_content_version
    QboInvoiceLink.objects.filter(pk=link.pk).update(
        payment_link=link.payment_link, payment_link_version=link.payment_link_version
    )
    return link.payment_link


def attached_to(client: QboClient, qbo_invoice_id: str) -> list[dict]:
    return client.query(
        "select * from Attachable where AttachableRef.EntityRef.Type = 'Invoice' "
        f"and AttachableRef.EntityRef.value = {quote(qbo_invoice_id)}"
    )


def delete_attachable(client: QboClient, attachable_id: str, sync_token: str) -> None:
    """Gone is what a delete wants: 610 is success. A stale SyncToken (a QBO user changed its
    note) is met by reading it once."""
    try:
        client.delete("Attachable", attachable_id, sync_token, request_id=uuid.uuid4().hex)
    except QboFault as exc:
        if exc.code == NOT_FOUND:
            return
        if exc.code != STALE_SYNC_TOKEN:
            raise
        current = client.read("Attachable", attachable_id)
        client.delete(
            "Attachable", attachable_id, current["SyncToken"], request_id=uuid.uuid4().hex
        )


# ---- revert -----------------------------------------------------------------------------------


def remove_before_delete(client: QboClient, invoice: Invoice, qbo_invoice_id: str) -> None:
    """Before the revert deletes the QBO invoice: its PDFs leave QBO, so that no orphan stays
    in the company's attachment list. Rows not started are cancelled; one being uploaded
    right now makes the revert wait; an unclear one is looked for by file name and marker.
    Raises QboError when QBO cannot be asked (the revert is refused; nothing is lost)."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            QboAttachment.objects.select_for_update()
            .filter(invoice=invoice)
            .exclude(state=AttachmentState.REMOVED)
        )
        if any(row.lease_until and row.lease_until > now for row in rows):
            raise TransitionRefused(
                f"The PDF of invoice {invoice.number} is being attached in QuickBooks right now; "
                "revert it when that has finished."
            )
        # Held by the revert while it asks QBO: no drain starts an upload meanwhile. Should
        # QBO not answer, the lease runs out and the rows are as they were.
        QboAttachment.objects.filter(pk__in=[row.pk for row in rows]).update(
            lease_until=now + LEASE
        )
    in_qbo = {row.qbo_attachable_id: row for row in rows if row.qbo_attachable_id}
    unsure = [
        row for row in rows if row.state in (AttachmentState.UNKNOWN, AttachmentState.SENDING)
    ]
    tokens = {attachable_id: row.qbo_sync_token for attachable_id, row in in_qbo.items()}
    if unsure:
        marks = {(row.file_name, marker(row)) for row in unsure}
        for found in attached_to(client, qbo_invoice_id):
            note = found.get("Note", "")
            if any(found.get("FileName") == name and mark in note for name, mark in marks):
                tokens[str(found["Id"])] = str(found.get("SyncToken", "0"))
    for attachable_id, sync_token in tokens.items():
        delete_attachable(client, attachable_id, sync_token)
    QboAttachment.objects.filter(pk__in=[row.pk for row in rows]).update(
        state=AttachmentState.REMOVED,
        error="",
        next_attempt_at=None,
        lease_until=None,
        updated_at=now,
    )


def attach_again(invoice: Invoice) -> None:
    """The revert was refused after the PDFs left QBO, the QBO invoice still there: the current
    version's PDF goes back (the next drain uploads it)."""
    link = QboInvoiceLink.objects.filter(invoice=invoice, state=QboInvoiceLink.State.IN_QBO).first()
    if link is None:
        return
    now = timezone.now()
    for row in QboAttachment.objects.filter(
        invoice=invoice,
        content_version=link.exported_content_version,
        state=AttachmentState.REMOVED,
    ):
        _requeue(row, now)


# ---- what pages read --------------------------------------------------------------------------


def warning_of(row: QboAttachment | None) -> str:
    """The QuickBooks Export column's words for a PDF QBO has not taken; "" when there is
    nothing to say."""
    if row is None or row.state not in (AttachmentState.FAILED, AttachmentState.UNKNOWN):
        return ""
    if row.next_attempt_at is None:
        return (
            f"PDF not attached in QuickBooks: {row.error} After {row.attempts} tries it is "
            "tried again when the invoice is next exported."
        )
    return f"PDF not attached in QuickBooks: {row.error.rstrip('.')}; {RETRIED}."
