from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from billbridge.core.models import TimeStampedModel

MAX_NUMBER_LENGTH = 21  # QuickBooks Online's DocNumber limit


class TaxSettings(TimeStampedModel):
    """Settings ▸ Time ▸ Tax: the practice's primary and secondary tax."""

    practice = models.OneToOneField(
        "practice.Practice", on_delete=models.CASCADE, related_name="tax_settings"
    )
    primary_name = models.CharField(max_length=50, default="Sales tax")
    primary_rate = models.DecimalField(
        max_digits=6, decimal_places=3, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    primary_enabled = models.BooleanField(default=False)
    secondary_name = models.CharField(max_length=50, default="Secondary tax")
    secondary_rate = models.DecimalField(
        max_digits=6, decimal_places=3, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    secondary_enabled = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Tax settings of {self.practice}"

    def effective_primary_rate(self) -> Decimal:
        return self.primary_rate if self.primary_enabled else Decimal("0")

    def effective_secondary_rate(self) -> Decimal:
        return self.secondary_rate if self.secondary_enabled else Decimal("0")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    FINALIZED = "finalized", "Finalized"
    CLOSED = "closed", "Closed"


class InvoiceKind(models.TextChoices):
    """What a sales document is. A credit note takes back part or all of an invoice; a
    write-off is a credit note for money that will not be collected (bad debt), exported to
    the practice's chosen QBO item (docs/decisions/0027-credit-notes.md)."""

    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"
    WRITE_OFF = "write_off", "Write-off"


CREDIT_KINDS = (InvoiceKind.CREDIT_NOTE, InvoiceKind.WRITE_OFF)


class InvoiceQuerySet(models.QuerySet):
    def for_practice(self, practice):
        return self.filter(practice=practice)

    def narrowed(
        self,
        *,
        client_id: int | None = None,
        status: str = "",
        include_closed: bool = False,
        search: str = "",
        kind: str = "",
    ):
        """The Billing list's filters, the same for pages and API. Closed invoices are done
        with: they stay out of the way unless asked for, by the flag or by their status."""
        invoices = self
        if client_id is not None:
            invoices = invoices.filter(client_id=client_id)
        if kind == "credit":  # credit notes and write-offs together
            invoices = invoices.filter(kind__in=CREDIT_KINDS)
        elif kind:
            invoices = invoices.filter(kind=kind)
        if status:
            invoices = invoices.filter(status=status)
        elif not include_closed:
            invoices = invoices.exclude(status=InvoiceStatus.CLOSED)
        search = search.strip()
        if search:
            invoices = invoices.filter(
                models.Q(number__icontains=search) | models.Q(client__name__icontains=search)
            )
        return invoices


class Invoice(TimeStampedModel):
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.CASCADE, related_name="invoices"
    )
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=MAX_NUMBER_LENGTH)
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    # A credit note's invoice, and why it is credited; empty for an invoice.
    credited_invoice = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    credit_reason = models.CharField(max_length=500, blank=True)
    issue_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    memo = models.TextField(blank=True, max_length=1000)
    # The rates in force when the totals were last computed: frozen once the invoice is
    # finalized, so the export sends what the client was billed.
    primary_tax_name = models.CharField(max_length=50, blank=True)
    primary_tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("0"))
    secondary_tax_name = models.CharField(max_length=50, blank=True)
    secondary_tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("0"))
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    primary_tax = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    secondary_tax = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    # Bumped by every change of content or status, so an export can tell which version it sent.
    version = models.PositiveIntegerField(default=1)
    # Bumped only when a draft's content is edited: an exported invoice whose content version
    # moved on is "Changed since export" (status changes alone change nothing in QBO).
    content_version = models.PositiveIntegerField(default=1)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "number"],
                name="invoice_number_unique_in_practice",
                violation_error_message="Another invoice of this practice has that number.",
            )
        ]
        indexes = [
            models.Index(fields=["practice", "status", "-issue_date", "-id"]),
            models.Index(fields=["practice", "client", "-issue_date", "-id"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_credit(self) -> bool:
        """A credit note or a write-off: it takes money back from `credited_invoice`."""
        return self.kind in CREDIT_KINDS


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    description = models.CharField(max_length=4000)
    service_name = models.CharField(max_length=100, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    primary_taxable = models.BooleanField(default=False)
    secondary_taxable = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.invoice.number} line {self.position}"


class TimelineEvent(models.Model):
    """One entry in an invoice's timeline: who did what, when and why."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Who acted when no user did (for example "QuickBooks sync").
    actor_label = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.invoice.number}: {self.action}"

    @property
    def who(self) -> str:
        return self.actor_label or (self.actor.get_username() if self.actor else "system")
