"""What Billbridge keeps about a practice's QuickBooks Online company and its exports.

The export rows (`InvoiceExport`) are the record of truth of every export: each holds the frozen
QBO body it sends, the `requestid` every retry reuses, its state, attempts and the last outcome in
plain words. The task queue only wakes workers up; a lost task is found again by the sweep.
"""

from django.conf import settings
from django.db import models

from billbridge.core.models import TimeStampedModel
from billbridge.quickbooks import crypto


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", "Connected"
    RECONNECT = "reconnect", "Reconnect required"


class AstTaxHandling(models.TextChoices):
    """With automated sales tax on, whose tax amount the QBO invoice carries (R7c)."""

    ACCEPT_QBO = "accept_qbo", "Accept the amount QuickBooks calculates (warn when it differs)"
    SEND_OURS = "send_ours", "Send our amount as an override"


class AutoExport(models.TextChoices):
    """When a practice's finalized invoices go to QuickBooks without someone pressing Export
    (docs/decisions/0025)."""

    BY_HAND = "by_hand", "By hand"
    WHEN_FINALIZED = "finalized", "When an invoice is finalized"
    DAILY = "daily", "Every day at a chosen time"


class QboConnection(TimeStampedModel):
    """The practice's link to one QBO company (realm). Its row is also the lock under which
    tokens refresh: one refresh at a time per connection."""

    practice = models.OneToOneField(
        "practice.Practice", on_delete=models.CASCADE, related_name="qbo_connection"
    )
    realm_id = models.CharField(max_length=32)
    status = models.CharField(
        max_length=12, choices=ConnectionStatus.choices, default=ConnectionStatus.CONNECTED
    )
    status_reason = models.CharField(max_length=500, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Encrypted with MultiFernet under QBO_TOKEN_KEYS; read and written through the properties.
    access_token_encrypted = models.TextField(blank=True)
    refresh_token_encrypted = models.TextField(blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    # What the company looks like (preferences, tax codes, items), read at connect, on "Test
    # connection" and at the start of every Check and export drain: see company.py.
    company = models.JSONField(default=dict, blank=True)
    company_read_at = models.DateTimeField(null=True, blank=True)
    default_item_id = models.CharField(max_length=32, blank=True)
    default_item_name = models.CharField(max_length=100, blank=True)
    # The QBO item a write-off (bad debt) is exported as (docs/decisions/0027).
    write_off_item_id = models.CharField(max_length=32, blank=True)
    write_off_item_name = models.CharField(max_length=100, blank=True)
    ast_tax_handling = models.CharField(
        max_length=12, choices=AstTaxHandling.choices, default=AstTaxHandling.ACCEPT_QBO
    )
    # After a 429 QBO asks for a minute's rest: no request to this company before this time.
    paused_until = models.DateTimeField(null=True, blank=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_outcome = models.CharField(max_length=500, blank=True)
    # Paid-status sync (paid_status.py): CDC resumes from the watermark (QBO's own clock),
    # webhooks only make it come sooner. Read calls are metered by Intuit: counted per calendar
    # month.
    cdc_watermark = models.DateTimeField(null=True, blank=True)
    last_cdc_poll_at = models.DateTimeField(null=True, blank=True)
    last_webhook_at = models.DateTimeField(null=True, blank=True)
    reads_month = models.CharField(max_length=7, blank=True)  # "2026-11"
    reads_this_month = models.PositiveIntegerField(default=0)
    # The practice's invoices are emailed by QuickBooks (POST /invoice/{id}/send), not our mail.
    send_from_quickbooks = models.BooleanField(default=False)
    auto_export = models.CharField(
        max_length=10, choices=AutoExport.choices, default=AutoExport.BY_HAND
    )
    auto_export_time = models.TimeField(null=True, blank=True)  # the server's TIME_ZONE
    # The day (server's TIME_ZONE) the daily export last queued invoices: once a day.
    auto_export_last_day = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["realm_id"], name="one_practice_per_realm")]

    def __str__(self) -> str:
        return f"{self.practice} ↔ QBO {self.realm_id}"

    @property
    def access_token(self) -> str:
        return crypto.decrypt(self.access_token_encrypted)

    @access_token.setter
    def access_token(self, value: str) -> None:
        self.access_token_encrypted = crypto.encrypt(value)

    @property
    def refresh_token(self) -> str:
        return crypto.decrypt(self.refresh_token_encrypted)

    @refresh_token.setter
    def refresh_token(self, value: str) -> None:
        self.refresh_token_encrypted = crypto.encrypt(value)

    @property
    def is_connected(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED


class QboRequest(models.Model):
    """One request sent (or about to be sent) to a company: the shared record the per-company
    limiter counts, whichever worker or process made it (limiter.py)."""

    realm_id = models.CharField(max_length=32)
    at = models.DateTimeField()
    is_batch = models.BooleanField(default=False)
    is_read = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["realm_id", "at"])]

    def __str__(self) -> str:
        return f"{self.realm_id} at {self.at:%H:%M:%S.%f}"


class CustomerLink(TimeStampedModel):
    """The remembered QBO customer of a client (R3)."""

    class How(models.TextChoices):
        MATCHED = "matched", "Matched by name"
        CREATED = "created", "Created by Billbridge"
        LINKED_BY_HAND = "by_hand", "Linked by hand"

    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, related_name="qbo_customer"
    )
    realm_id = models.CharField(max_length=32)
    qbo_customer_id = models.CharField(max_length=32)
    display_name = models.CharField(max_length=500)
    how = models.CharField(max_length=10, choices=How.choices)

    def __str__(self) -> str:
        return f"{self.client} → QBO customer {self.qbo_customer_id}"


class CustomerCreation(models.Model):
    """A new customer name being created in a QBO company, and by which drain: one creator per
    name across threads and workers (exporting's customer step, quickbooks/customers.py)."""

    realm_id = models.CharField(max_length=32)
    name_key = models.CharField(max_length=500)  # casefolded: QBO compares names without case
    owner = models.CharField(max_length=32)
    lease_until = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["realm_id", "name_key"], name="one_creator_per_customer_name"
            )
        ]

    def __str__(self) -> str:
        return f"Creating customer {self.name_key!r} in {self.realm_id}"


class ItemMapping(TimeStampedModel):
    """Which QBO item (product/service) a line's service name is exported as."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.CASCADE, related_name="qbo_item_mappings"
    )
    service_name = models.CharField(max_length=100)
    qbo_item_id = models.CharField(max_length=32)
    qbo_item_name = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "service_name"], name="one_item_per_service_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_name} → {self.qbo_item_name}"


class QboInvoiceLink(TimeStampedModel):
    """The QBO twin of an exported invoice (a QBO Invoice) or credit note (a QBO CreditMemo):
    every later export updates this same QBO transaction (R4) until it is removed from QBO."""

    class Entity(models.TextChoices):
        INVOICE = "Invoice"
        CREDIT_MEMO = "CreditMemo"

    class State(models.TextChoices):
        IN_QBO = "in_qbo", "In QuickBooks"
        REMOVED = "removed", "Removed from QBO by Billbridge"
        DELETED_IN_QBO = "deleted", "Deleted in QuickBooks"

    invoice = models.OneToOneField(
        "invoicing.Invoice", on_delete=models.CASCADE, related_name="qbo_link"
    )
    realm_id = models.CharField(max_length=32)
    entity = models.CharField(max_length=12, choices=Entity.choices, default=Entity.INVOICE)
    qbo_invoice_id = models.CharField(max_length=32)  # the Id of the QBO Invoice or CreditMemo
    sync_token = models.CharField(max_length=32)
    doc_number = models.CharField(max_length=32, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_QBO)
    exported_version = models.PositiveIntegerField()
    exported_content_version = models.PositiveIntegerField()
    exported_total = models.DecimalField(max_digits=14, decimal_places=2)
    qbo_total = models.DecimalField(max_digits=14, decimal_places=2)
    qbo_tax = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    qbo_balance = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    qbo_customer_id = models.CharField(max_length=32, blank=True)
    # What the last fresh read of the QBO invoice showed (paid_status.py).
    read_at = models.DateTimeField(null=True, blank=True)
    # The QBO payments applied to it, as ",12,15," so that a payment's id finds its invoices.
    payment_ids = models.CharField(max_length=2000, blank=True)
    # Closed because QBO showed it paid: a payment deleted or voided there reopens it.
    closed_by_sync = models.BooleanField(default=False)
    # A QBO user changed, voided or deleted it: what differs, until the user decides.
    drift = models.JSONField(default=dict, blank=True)
    # QBO's payment link (include=invoiceLink, where QBO Payments is on), read once per
    # exported content version: payment_link_version says which one it was read for.
    payment_link = models.URLField(max_length=1000, blank=True)
    payment_link_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["realm_id", "entity", "qbo_invoice_id"],
                name="one_local_invoice_per_qbo_invoice",
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice} ↔ QBO invoice {self.qbo_invoice_id}"


class ExportBatch(TimeStampedModel):
    """One request to check or export a set of invoices (the Billing list's selection, an API
    call or the command). Its progress is the count of its rows in each state."""

    class Kind(models.TextChoices):
        CHECK = "check", "Check"
        EXPORT = "export", "Export"

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.CASCADE, related_name="qbo_batches"
    )
    kind = models.CharField(max_length=6, choices=Kind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Invoices refused before any row was made (not finalized, not found): [{id, number, message}]
    refused = models.JSONField(default=list, blank=True)
    size = models.PositiveIntegerField(default=0)  # invoices taken on (the selection less refusals)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} batch {self.pk}"


class ExportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Exporting"
    UNKNOWN = "unknown", "Exporting (checking QuickBooks)"
    EXPORTED = "exported", "Exported"
    FAILED = "failed", "Error"
    NEEDS_REVIEW = "review", "Needs review"
    # The QBO invoice this export would update was deleted in QuickBooks: the export stops
    # until a person confirms that a new QBO invoice replaces it (services.confirm_replacement).
    DELETED_IN_QBO = "confirm", "Deleted in QBO: confirm a new invoice"


# States in which a worker may pick a row up, once its next_attempt_at has come.
DUE_STATES = (ExportState.QUEUED, ExportState.UNKNOWN)
# States that end an export: the user reads the outcome; nothing more happens by itself.
FINISHED_STATES = (
    ExportState.EXPORTED,
    ExportState.FAILED,
    ExportState.NEEDS_REVIEW,
    ExportState.DELETED_IN_QBO,
)


class InvoiceExport(TimeStampedModel):
    """The export of one version of one invoice (RELIABILITY.md §1.8)."""

    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.CASCADE, related_name="qbo_exports"
    )
    invoice_version = models.PositiveIntegerField()
    batch = models.ForeignKey(
        ExportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="exports"
    )
    practice = models.ForeignKey("practice.Practice", on_delete=models.CASCADE)
    realm_id = models.CharField(max_length=32)
    state = models.CharField(max_length=10, choices=ExportState.choices, default=ExportState.QUEUED)
    # The JSON body, frozen at the first send and reused byte for byte by every retry, with the
    # same request id. Text, not JSONField, so that money stays Decimal (simplejson use_decimal).
    payload = models.TextField(blank=True)
    request_id = models.CharField(max_length=36)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    # The drain holding the lease: its heartbeat renews only its own rows.
    leased_by = models.CharField(max_length=32, blank=True)
    # The user confirmed that a new QBO invoice may replace one deleted in QBO.
    replace_confirmed = models.BooleanField(default=False)
    # The outcome, for the QuickBooks Export column: Intuit's code, plain words, what to do.
    error_code = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=1000, blank=True)
    advice = models.CharField(max_length=500, blank=True)
    warning = models.CharField(max_length=1000, blank=True)
    intuit_tid = models.CharField(max_length=100, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A row that needed more than one try is searched for twins in QBO once by the sweep.
    duplicates_checked = models.BooleanField(default=False)
    # Queued by the practice's automatic export, not by a person.
    automatic = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "invoice_version"], name="one_export_per_invoice_version"
            )
        ]
        indexes = [
            models.Index(fields=["realm_id", "state", "next_attempt_at"]),
            models.Index(fields=["invoice", "-id"]),
        ]

    def __str__(self) -> str:
        return f"Export of invoice {self.invoice_id} v{self.invoice_version}: {self.state}"

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES


class AttachmentState(models.TextChoices):
    QUEUED = "queued", "Waiting to attach"
    SENDING = "sending", "Attaching"
    UNKNOWN = "unknown", "Attaching (checking QuickBooks)"
    ATTACHED = "attached", "Attached"
    # QBO refused the upload: tried again by the sweep, with a back-off.
    FAILED = "failed", "Not attached"
    # Replaced by a newer version's PDF, or the invoice was reverted: delete it in QBO.
    REMOVING = "removing", "Being removed"
    REMOVED = "removed", "Not in QuickBooks"


# States in which an attachment row is picked up once its next_attempt_at has come.
ATTACHMENT_DUE_STATES = (
    AttachmentState.QUEUED,
    AttachmentState.UNKNOWN,
    AttachmentState.FAILED,
    AttachmentState.REMOVING,
)


class QboAttachment(TimeStampedModel):
    """The invoice's frozen PDF as an Attachable on its QBO invoice, one row per exported
    content version: exactly once, as the export rows are (docs/decisions/0025). SENDING is
    committed before the upload leaves; an unclear answer is looked for in QBO before any
    re-upload."""

    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.CASCADE, related_name="qbo_attachments"
    )
    content_version = models.PositiveIntegerField()
    practice = models.ForeignKey("practice.Practice", on_delete=models.CASCADE)
    realm_id = models.CharField(max_length=32)
    document = models.ForeignKey(
        "documents.InvoiceDocument", null=True, blank=True, on_delete=models.SET_NULL
    )
    state = models.CharField(
        max_length=10, choices=AttachmentState.choices, default=AttachmentState.QUEUED
    )
    file_name = models.CharField(max_length=100, blank=True)
    # The QBO invoice it is (or is being) attached to, kept with the row: a look-up after an
    # unclear upload asks QBO about that one, whatever the link holds since.
    qbo_invoice_id = models.CharField(max_length=32, blank=True)
    qbo_attachable_id = models.CharField(max_length=32, blank=True)
    qbo_sync_token = models.CharField(max_length=32, blank=True)
    request_id = models.CharField(max_length=36)
    attempts = models.PositiveIntegerField(default=0)
    # None: nothing more happens by itself (attached, removed, or given up after many tries).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=1000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "content_version"], name="one_attachment_per_content_version"
            )
        ]
        indexes = [models.Index(fields=["realm_id", "state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"PDF of invoice {self.invoice_id} v{self.content_version}: {self.state}"


class ApplicationState(models.TextChoices):
    QUEUED = "queued", "Waiting to apply"
    SENDING = "sending", "Applying"
    UNKNOWN = "unknown", "Applying (checking QuickBooks)"
    APPLIED = "applied", "Applied"
    # QBO refused the application: tried again by the sweep, with a back-off, and shown.
    FAILED = "failed", "Not applied"


APPLICATION_DUE_STATES = (
    ApplicationState.QUEUED,
    ApplicationState.UNKNOWN,
    ApplicationState.FAILED,
)


class QboCreditApplication(TimeStampedModel):
    """A credit note's QBO CreditMemo applied to its invoice's QBO Invoice: in QBO, a Payment
    of 0 whose lines link the two (docs/decisions/0027). Exactly once, as the export rows are:
    SENDING committed before the request leaves, its own requestid, and a look-up in QBO
    before any re-send. Queued when the credit memo is exported; the sweep finishes one left
    behind."""

    credit_note = models.OneToOneField(
        "invoicing.Invoice", on_delete=models.CASCADE, related_name="qbo_application"
    )
    practice = models.ForeignKey("practice.Practice", on_delete=models.CASCADE)
    realm_id = models.CharField(max_length=32)
    qbo_credit_memo_id = models.CharField(max_length=32)
    qbo_invoice_id = models.CharField(max_length=32)
    qbo_customer_id = models.CharField(max_length=32)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    state = models.CharField(
        max_length=10, choices=ApplicationState.choices, default=ApplicationState.QUEUED
    )
    qbo_payment_id = models.CharField(max_length=32, blank=True)
    request_id = models.CharField(max_length=36)
    attempts = models.PositiveIntegerField(default=0)
    # None: nothing more happens by itself (applied, or given up after many tries).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=1000, blank=True)

    class Meta:
        indexes = [models.Index(fields=["realm_id", "state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"Credit {self.credit_note_id} on QBO invoice {self.qbo_invoice_id}: {self.state}"


class ExportCheck(models.Model):
    """The outcome of "Check selected invoices" for one invoice: nothing written to QBO."""

    batch = models.ForeignKey(ExportBatch, on_delete=models.CASCADE, related_name="checks")
    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.CASCADE, related_name="qbo_checks"
    )
    invoice_version = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField()
    # Plain-words findings: [{"tone": "ok|warning|error", "text": "..."}]
    findings = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["invoice", "-id"])]

    def __str__(self) -> str:
        return f"Check of invoice {self.invoice_id}: {'ready' if self.ok else 'problems'}"


class WebhookEvent(models.Model):
    """One event Intuit notified, stored once: a hint that something changed, never the state
    itself (the sync reads QBO again). Dedupe key: the CloudEvents id, or for the legacy format
    realm, entity, id, operation and lastUpdated (RELIABILITY.md §3.3)."""

    dedupe_key = models.CharField(max_length=255, unique=True)
    realm_id = models.CharField(max_length=32)
    entity = models.CharField(max_length=40)
    entity_id = models.CharField(max_length=32)
    operation = models.CharField(max_length=20)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["realm_id", "processed_at"])]

    def __str__(self) -> str:
        return f"{self.entity} {self.entity_id} {self.operation} in {self.realm_id}"


class IgnoredWebhooks(models.Model):
    """Events for companies no practice is connected to: counted, not stored."""

    realm_id = models.CharField(max_length=32, unique=True)
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.count} ignored events for {self.realm_id}"


class ReconciliationReport(models.Model):
    """One comparison of the practice's exported invoices and credit notes with the QBO
    company's invoices and credit memos (reconciliation.py). Unfinished while a worker reads
    QBO; `error` says why it stopped."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.CASCADE, related_name="qbo_reconciliations"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    realm_id = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    # How many QBO invoices were read and how many of ours were compared with them.
    qbo_invoices = models.PositiveIntegerField(default=0)
    our_invoices = models.PositiveIntegerField(default=0)
    # The same for credit memos and our credit notes (docs/decisions/0027).
    qbo_credit_memos = models.PositiveIntegerField(default=0)
    our_credit_notes = models.PositiveIntegerField(default=0)
    # [{kind, entity, number, invoice_id, qbo_ids, qbo_numbers, ours, qbo, note}]; money as
    # exact strings.
    rows = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["practice", "-id"])]

    def __str__(self) -> str:
        return f"Reconciliation {self.pk} of {self.practice}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None
