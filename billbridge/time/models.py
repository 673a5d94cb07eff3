"""Work codes, rates and the entries staff record: the work in progress (WIP) an invoice is
made from. An entry's state is not stored but read from where it is
(docs/decisions/0019-time-and-wip.md): an entry on no invoice line is unbilled, on a draft's
line it is held, on a finalized or closed invoice's line it is billed; written off is a flag.
Removing a line or a draft sets the link to NULL, so work is never lost between states."""

from decimal import Decimal

from django.conf import settings
from django.db import models

from billbridge.core.models import TimeStampedModel
from billbridge.invoicing.models import InvoiceStatus

RATE_DIGITS = {"max_digits": 12, "decimal_places": 2}
MONEY_DIGITS = {"max_digits": 14, "decimal_places": 2}


class WorkCode(TimeStampedModel):
    """A service the practice sells. Its name is the service name of the lines made from it,
    so the QuickBooks item chosen for that name is the work code's item."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.CASCADE, related_name="work_codes"
    )
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    billable = models.BooleanField("Billable by default", default=True)
    primary_taxable = models.BooleanField("Primary tax", default=False)
    secondary_taxable = models.BooleanField("Secondary tax", default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="work_code_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Rate(TimeStampedModel):
    """An hourly charge-out rate from a date. Which of staff member, client and work code it is
    for says what it overrides (time/rates.py holds the one precedence rule):
    staff only — the staff member's rate; work code only — the work code's default rate;
    client with staff, work code or both — the client's override."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.CASCADE, related_name="rates"
    )
    staff = models.ForeignKey(
        "practice.Membership", null=True, blank=True, on_delete=models.CASCADE, related_name="rates"
    )
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="rates"
    )
    work_code = models.ForeignKey(
        WorkCode, null=True, blank=True, on_delete=models.CASCADE, related_name="rates"
    )
    effective_from = models.DateField()
    hourly_rate = models.DecimalField(**RATE_DIGITS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["effective_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "staff", "client", "work_code", "effective_from"],
                name="one_rate_per_scope_and_date",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.hourly_rate}/h from {self.effective_from}"


class EntryKind(models.TextChoices):
    TIME = "time", "Time"
    EXPENSE = "expense", "Expense"


class EntryState(models.TextChoices):
    UNBILLED = "unbilled", "Unbilled (WIP)"
    ON_DRAFT = "on_draft", "On a draft invoice"
    BILLED = "billed", "Billed"
    WRITTEN_OFF = "written_off", "Written off"


class EntryQuerySet(models.QuerySet):
    def for_practice(self, practice):
        return self.filter(practice=practice)

    def in_state(self, state: str):
        if state == EntryState.WRITTEN_OFF:
            return self.filter(written_off=True)
        if state == EntryState.UNBILLED:
            return self.filter(written_off=False, invoice_line__isnull=True)
        if state == EntryState.ON_DRAFT:
            return self.filter(invoice_line__invoice__status=InvoiceStatus.DRAFT)
        if state == EntryState.BILLED:
            return self.filter(invoice_line__isnull=False).exclude(
                invoice_line__invoice__status=InvoiceStatus.DRAFT
            )
        raise ValueError(state)

    def wip(self):
        """Work that can still be billed: unbilled and billable."""
        return self.in_state(EntryState.UNBILLED).filter(billable=True)


class Entry(TimeStampedModel):
    """A time entry or an expense (a disbursement) recorded against a client."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.CASCADE, related_name="entries"
    )
    kind = models.CharField(max_length=10, choices=EntryKind.choices, default=EntryKind.TIME)
    staff = models.ForeignKey(
        "practice.Membership", on_delete=models.PROTECT, related_name="entries"
    )
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="entries")
    date = models.DateField()
    minutes = models.PositiveIntegerField(default=0)
    work_code = models.ForeignKey(
        WorkCode, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    description = models.CharField(max_length=1000, blank=True)
    billable = models.BooleanField(default=True)
    # The rate in force on the entry's date (None: no rate applies), and the standard value:
    # minutes × rate for time, the amount for an expense. Kept current while unbilled.
    rate = models.DecimalField(null=True, blank=True, **RATE_DIGITS)
    value = models.DecimalField(default=Decimal("0.00"), **MONEY_DIGITS)
    invoice_line = models.ForeignKey(
        "invoicing.InvoiceLine",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entries",
    )
    written_off = models.BooleanField(default=False)
    # Where an imported entry came from ("harvest", "toggl", "clockify") and its id there: the
    # same row imported again is recognised and adds nothing.
    source = models.CharField(max_length=20, blank=True)
    source_id = models.CharField(max_length=100, blank=True)
    timer_started_at = models.DateTimeField(null=True, blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "source", "source_id"],
                condition=~models.Q(source=""),
                name="one_entry_per_source_id",
            )
        ]
        indexes = [
            models.Index(fields=["practice", "client", "date"]),
            models.Index(fields=["practice", "staff", "date"]),
            models.Index(
                fields=["practice", "client", "date"],
                condition=models.Q(invoice_line__isnull=True, written_off=False, billable=True),
                name="entry_wip",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date} {self.client_id}"

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.01"))

    @property
    def state(self) -> str:
        """Reads the line's invoice: select_related("invoice_line__invoice") for many."""
        if self.written_off:
            return EntryState.WRITTEN_OFF
        if self.invoice_line_id is None:
            return EntryState.UNBILLED
        if self.invoice_line.invoice.status == InvoiceStatus.DRAFT:
            return EntryState.ON_DRAFT
        return EntryState.BILLED

    @property
    def state_label(self) -> str:
        return EntryState(self.state).label

    @property
    def locked(self) -> bool:
        """Billed and held work is not edited: it is what an invoice says."""
        return self.state in (EntryState.BILLED, EntryState.ON_DRAFT)


class EntryChange(models.Model):
    """One line of an entry's history: who changed what, when."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=40)
    # {"field": [before, after]} for an edit; what happened in words otherwise.
    changes = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.action}"


class LineAdjustment(models.Model):
    """Why a line made from WIP bills more or less than its entries' standard value. The amount
    is not stored: it is the line's amount less its entries' values, whatever the draft's
    editor later makes of the line."""

    class Kind(models.TextChoices):
        WRITE_UP = "write_up", "Write-up"
        WRITE_DOWN = "write_down", "Write-down"
        FIXED_FEE = "fixed_fee", "Fixed fee"

    invoice_line = models.OneToOneField(
        "invoicing.InvoiceLine", on_delete=models.CASCADE, related_name="adjustment"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=500)

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason}"


class TimesheetRow(models.Model):
    """A row of a person's weekly timesheet (a client and a work code) kept even while it has
    no hours yet: added by hand or copied from last week."""

    staff = models.ForeignKey(
        "practice.Membership", on_delete=models.CASCADE, related_name="timesheet_rows"
    )
    week_start = models.DateField()
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    work_code = models.ForeignKey(
        WorkCode, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "week_start", "client", "work_code"],
                name="one_timesheet_row",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.week_start} {self.client_id}/{self.work_code_id}"


class TimeImport(TimeStampedModel):
    """A file of time uploaded from Harvest, Toggl Track or Clockify (time/imports): kept here
    between its preview and its confirmation, which may be served by different web processes.
    Nothing of it is an entry until it is confirmed; unconfirmed ones are deleted after a day
    (imports/pending.py). Once confirmed it keeps only what was stored."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.CASCADE, related_name="time_imports"
    )
    uploaded_by = models.ForeignKey(
        "practice.Membership", on_delete=models.CASCADE, related_name="time_imports"
    )
    file_name = models.CharField(max_length=255)
    format = models.CharField(max_length=20)
    content = models.BinaryField()
    # {"person"|"client"|"work_code": {name as matched: id, "skip" or "none"}} (imports/names.py)
    mappings = models.JSONField(default=dict, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    stored = models.PositiveIntegerField(null=True, blank=True)
    already_imported = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["confirmed_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.format})"

    @property
    def not_stored(self) -> int:
        """Of a confirmed import, the rows in error, skipped or with a name matching nothing."""
        return (self.rows or 0) - (self.stored or 0) - (self.already_imported or 0)
