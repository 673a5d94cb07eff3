import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from billbridge.clients.names import MAX_LENGTH, display_name_problems
from billbridge.core.models import TimeStampedModel


def validate_display_name(value: str) -> None:
    problems = display_name_problems(value)
    if problems:
        raise ValidationError(problems)


# Invoices go to at most this many billing addresses at once.
MAX_BILLING_EMAILS = 10


def email_list(value: str) -> list[str]:
    """The addresses of a list typed with commas (or semicolons, as mail programs write them),
    each once, in the order typed."""
    return list(dict.fromkeys(a.strip() for a in re.split(r"[,;]", value) if a.strip()))


def validate_email_list(value: str) -> None:
    addresses = email_list(value)
    if len(addresses) > MAX_BILLING_EMAILS:
        raise ValidationError(f"Give at most {MAX_BILLING_EMAILS} billing emails.")
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(f"“{address[:100]}” is not an email address.") from None


class ClientQuerySet(models.QuerySet):
    def for_practice(self, practice):
        return self.filter(practice=practice)


class Client(TimeStampedModel):
    """A business the practice bills (an "entity" in the Billing list's drop-down)."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.CASCADE, related_name="clients"
    )
    name = models.CharField(max_length=MAX_LENGTH, validators=[validate_display_name])
    email = models.EmailField(blank=True)
    billing_emails = models.CharField(
        "Billing emails",
        # As long as one address may be: no address in the list can be longer than Django's
        # validator takes.
        max_length=254,
        blank=True,
        validators=[validate_email_list],
        help_text="Where invoices are emailed, several separated by commas. The email above "
        "when left blank.",
    )
    phone = models.CharField(max_length=30, blank=True)
    address_line1 = models.CharField("Address line 1", max_length=200, blank=True)
    address_line2 = models.CharField("Address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("State or region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True, max_length=4000)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "name"], name="client_name_unique_in_practice"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def billing_addresses(self) -> list[str]:
        """Where the client's invoices go: its billing emails, or else its email."""
        return email_list(self.billing_emails) or ([self.email] if self.email else [])


class ClientRole(models.TextChoices):
    OWNER = "owner", "Owner"
    STAFF = "staff", "Staff"


class ClientAssignment(TimeStampedModel):
    """The role a member holds on one client of the practice."""

    membership = models.ForeignKey(
        "practice.Membership", on_delete=models.CASCADE, related_name="assignments"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(max_length=10, choices=ClientRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "client"], name="one_role_per_client")
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} is {self.get_role_display()} of {self.client}"
