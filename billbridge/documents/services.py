"""Settings ▸ Invoice template: reading the practice's template and saving it (Manage settings).

A finalized invoice keeps the document frozen when it was finalized (rendering.py): saving the
template changes drafts and the invoices finalized from now on, never one already sent.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from billbridge.core.errors import InvalidInput
from billbridge.documents.logo import Logo
from billbridge.documents.models import InvoiceTemplate
from billbridge.practice.models import Membership, Permission, Practice
from billbridge.practice.permissions import require

# What the page edits besides the logo, in the order it shows them.
TEMPLATE_FIELDS = [
    "display_name",
    "address",
    "tax_id",
    "contact_email",
    "phone",
    "accent_colour",
    "payment_instructions",
    "footer",
    "email_subject",
    "email_body",
]


ACCENT_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class LogoChange:
    """What happens to the logo when the template is saved: a new one (checked by
    logo.checked_logo), removed, or kept as it is (neither)."""

    new: Logo | None = None
    remove: bool = False


KEEP_LOGO = LogoChange()


def template_for(practice: Practice) -> InvoiceTemplate:
    return InvoiceTemplate.objects.get_or_create(practice=practice)[0]


def template_to_edit(membership: Membership) -> InvoiceTemplate:
    require(membership, Permission.MANAGE_SETTINGS)
    return template_for(membership.practice)


def unsaved_template(
    membership: Membership, fields: dict, logo: LogoChange = KEEP_LOGO
) -> InvoiceTemplate:
    """The template as it would be saved, for the preview: never written."""
    template = template_to_edit(membership)
    _apply(template, fields, logo)
    return template


def _apply(template: InvoiceTemplate, fields: dict, logo: LogoChange) -> None:
    accent = fields.get("accent_colour")
    if accent is not None and not ACCENT_COLOUR.fullmatch(accent):
        message = "The accent colour is a # and six hexadecimal digits, such as #1f4e79."
        raise InvalidInput(message, {"accent_colour": [message]})
    for name in TEMPLATE_FIELDS:
        if name in fields:
            setattr(template, name, fields[name])
    if logo.new is not None:
        template.logo, template.logo_type = logo.new.data, logo.new.content_type
    elif logo.remove:
        template.logo, template.logo_type = None, ""


@transaction.atomic
def save_template(
    membership: Membership, fields: dict, logo: LogoChange = KEEP_LOGO
) -> InvoiceTemplate:
    """Save the practice's invoice template: `fields` (TEMPLATE_FIELDS, already validated by
    the form or the caller) and the logo change."""
    require(membership, Permission.MANAGE_SETTINGS)
    template = InvoiceTemplate.objects.select_for_update().get(
        pk=template_for(membership.practice).pk
    )
    _apply(template, fields, logo)
    try:
        template.full_clean(exclude=["practice", "logo"], validate_unique=False)
    except ValidationError as exc:
        errors = exc.message_dict
        raise InvalidInput(next(iter(errors.values()))[0], errors) from exc
    template.save()
    return template
