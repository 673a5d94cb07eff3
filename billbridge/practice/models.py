from django.conf import settings
from django.db import models

from billbridge.core.models import TimeStampedModel


class Practice(TimeStampedModel):
    """The accounting firm using Billbridge: the tenant. Every other row hangs from one."""

    name = models.CharField(max_length=200)
    invoice_number_prefix = models.CharField(max_length=10, default="INV-", blank=True)
    next_invoice_number = models.PositiveIntegerField(default=1)
    # Credit notes and write-offs are numbered in a sequence of their own (decision 0027).
    credit_note_prefix = models.CharField(max_length=10, default="CN-", blank=True)
    next_credit_note_number = models.PositiveIntegerField(default=1)
    # The practice's own lock date: nothing dated on or before it is reverted or re-exported
    # (invoicing/periods.py), whatever QuickBooks' closed-books date says.
    lock_date = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Permission(models.TextChoices):
    EXPORT = "export", "Export to accounting software"
    PROCESS_TIME = "process_time", "Process time"
    MANAGE_SETTINGS = "manage_settings", "Manage settings"


class Membership(TimeStampedModel):
    """A user's place in their practice. A user belongs to exactly one practice (see
    docs/decisions/0002-one-practice-per-user.md); the permissions are practice-wide."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    can_export = models.BooleanField("Export to accounting software", default=False)
    can_process_time = models.BooleanField("Process time", default=False)
    can_manage_settings = models.BooleanField("Manage settings", default=False)

    def __str__(self) -> str:
        return f"{self.user} @ {self.practice}"

    def has(self, permission: Permission) -> bool:
        return {
            Permission.EXPORT: self.can_export,
            Permission.PROCESS_TIME: self.can_process_time,
            Permission.MANAGE_SETTINGS: self.can_manage_settings,
        }[permission]
