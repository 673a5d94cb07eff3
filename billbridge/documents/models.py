"""The invoice as a document (DESIGN.md T3): the practice's template, the PDF frozen when an
invoice is finalized, each email to a client, and the notices the practice's billing contacts
receive."""

import hashlib

from django.conf import settings
from django.db import models

from billbridge.core.models import TimeStampedModel

DEFAULT_ACCENT = "#1f4e79"
DEFAULT_SUBJECT = "Invoice {number} from {practice}"
DEFAULT_BODY = (
    "Dear {client},\n\n"
    "Please find attached invoice {number} for {total}, due {due_date}.\n\n"
    "Thank you,\n{practice}"
)


class InvoiceTemplate(TimeStampedModel):
    """Settings ▸ Invoice template: what the practice prints on its invoices and writes in the
    mail that carries them. One per practice, made with the defaults when first needed."""

    practice = models.OneToOneField(
        "practice.Practice", on_delete=models.CASCADE, related_name="invoice_template"
    )
    # The practice as its clients see it; the practice's own name when blank.
    display_name = models.CharField(max_length=200, blank=True)
    address = models.TextField(blank=True, max_length=500)
    tax_id = models.CharField("Tax id", max_length=50, blank=True)
    contact_email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    # The logo's bytes live in the database, so a backup holds them (decision 0021); checked
    # when uploaded: a PNG, JPEG, GIF or WebP, or an SVG without scripts.
    logo = models.BinaryField(null=True, blank=True, editable=True)
    logo_type = models.CharField(max_length=30, blank=True)
    accent_colour = models.CharField(max_length=7, default=DEFAULT_ACCENT)
    payment_instructions = models.TextField(blank=True, max_length=2000)
    footer = models.TextField(blank=True, max_length=1000)
    email_subject = models.CharField(max_length=200, default=DEFAULT_SUBJECT)
    email_body = models.TextField(max_length=5000, default=DEFAULT_BODY)

    def __str__(self) -> str:
        return f"Invoice template of {self.practice}"


class InvoiceDocument(models.Model):
    """The PDF of one content version of a finalized invoice: rendered once, then the same
    bytes are downloaded, emailed and attached in QBO until the invoice's content changes.
    QBO's payment link is known only once the invoice is exported: the PDF that carries it is
    the same content version's second and last rendering (docs/decisions/0023)."""

    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.CASCADE, related_name="documents"
    )
    content_version = models.PositiveIntegerField()
    payment_link = models.URLField(max_length=1000, blank=True)
    # What the PDF shows, frozen when the invoice is finalized (a few milliseconds); the PDF
    # itself is rendered from it once, when first needed, and kept.
    html = models.TextField()
    pdf = models.BinaryField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "content_version", "payment_link"],
                name="one_document_per_content_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice} v{self.content_version}"

    @staticmethod
    def digest(pdf: bytes) -> str:
        return hashlib.sha256(pdf).hexdigest()


class SendState(models.TextChoices):
    QUEUED = "queued", "Waiting to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Delivered to the mail server"
    FAILED = "failed", "Failed"
    # The worker stopped between handing the mail over and recording it: it may or may not
    # have gone. Never sent again by itself; a person checks and decides.
    UNKNOWN = "unknown", "Unknown, check"


class SendChannel(models.TextChoices):
    EMAIL = "email", "Our mail server"
    QUICKBOOKS = "quickbooks", "QuickBooks Online"


class InvoiceSend(TimeStampedModel):
    """One sending of one invoice to its client: the record of truth, as export rows are. It is
    SENDING and committed before the mail leaves, so a crash can never make a second mail."""

    practice = models.ForeignKey("practice.Practice", on_delete=models.CASCADE)
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.CASCADE, related_name="sends")
    document = models.ForeignKey(
        InvoiceDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="sends"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    channel = models.CharField(
        max_length=12, choices=SendChannel.choices, default=SendChannel.EMAIL
    )
    recipients = models.TextField()  # comma-separated addresses, as on the To line
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # Our Message-ID: one per row, so a mail server's log or a client's inbox tells one send.
    message_id = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=SendState.choices, default=SendState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "started_at"])]

    def __str__(self) -> str:
        return f"{self.invoice} to {self.recipients}: {self.get_state_display()}"


class NoticeKind(models.TextChoices):
    RECONNECT = "reconnect", "QuickBooks Online needs reconnecting"
    TOKEN_EXPIRING = "token_expiring", "The QuickBooks connection expires soon"
    EXPORT_PROBLEMS = "export_problems", "Exports that need attention"


class Notice(models.Model):
    """Something the practice's billing contacts must hear about: shown in the app until
    dismissed, and mailed once. At most one per kind per practice per day."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    day = models.DateField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    mailed_at = models.DateTimeField(null=True, blank=True)
    mail_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "kind", "day"], name="one_notice_per_kind_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practice}: {self.title} ({self.day})"


class NoticePreference(models.Model):
    """Who receives notices (set by a member who manages settings) and who muted them (each
    member for themself). A member without a row receives them if they may export."""

    membership = models.OneToOneField(
        "practice.Membership", on_delete=models.CASCADE, related_name="notice_preference"
    )
    receives = models.BooleanField(default=True)
    muted = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Notices for {self.membership}"


class NoticeDismissal(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="dismissals")
    membership = models.ForeignKey("practice.Membership", on_delete=models.CASCADE)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notice", "membership"], name="dismissed_once")
        ]

    def __str__(self) -> str:
        return f"{self.notice} dismissed by {self.membership}"
