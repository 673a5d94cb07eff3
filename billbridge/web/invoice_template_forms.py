"""Settings ▸ Invoice template: the form reads the page's fields and the logo upload; the logo
is checked by documents.logo (what it is, not what it is called) and the rest is saved by
documents.services.save_template."""

from django import forms
from django.core.exceptions import ValidationError

from billbridge.core.errors import InvalidInput
from billbridge.documents.logo import checked_logo, size_problem
from billbridge.documents.models import InvoiceTemplate
from billbridge.documents.services import TEMPLATE_FIELDS, LogoChange

# The page's sections, in the order it shows them.
SECTIONS = {
    "practice": ["display_name", "address", "tax_id", "contact_email", "phone"],
    "look": ["accent_colour", "payment_instructions", "footer"],
    "message": ["email_subject", "email_body"],
}


class ColourInput(forms.TextInput):
    input_type = "color"


class InvoiceTemplateForm(forms.Form):
    logo = forms.FileField(
        required=False,
        help_text="A PNG, JPEG, GIF, WebP or SVG file (without scripts), at most 1 MB and "
        "2000 × 2000 pixels.",
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the logo")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(InvoiceTemplate, fields=TEMPLATE_FIELDS))
        self.fields["display_name"].label = "Practice name on invoices"
        self.fields["display_name"].help_text = "Your practice's name when left blank."
        self.fields["accent_colour"].widget = ColourInput()
        self.fields["accent_colour"].help_text = "Headings, the lines' header and the total."
        self.fields[
            "email_subject"
        ].help_text = "{number}, {practice}, {client}, {total} and {due_date} are filled in."
        self.fields["email_body"].widget.attrs["rows"] = 8
        for name in ("address", "payment_instructions", "footer"):
            self.fields[name].widget.attrs["rows"] = 4

    def section(self, name: str) -> list:
        return [self[field] for field in SECTIONS[name]]

    @property
    def practice_section(self) -> list:
        return self.section("practice")

    @property
    def look_section(self) -> list:
        return self.section("look")

    @property
    def message_section(self) -> list:
        return self.section("message")

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        # A larger file is refused by its size, without reading it into memory.
        if problem := size_problem(upload.size):
            raise ValidationError(problem)
        try:
            return checked_logo(upload.read())
        except InvalidInput as exc:
            raise ValidationError(exc.message) from exc

    def logo_change(self) -> LogoChange:
        return LogoChange(
            new=self.cleaned_data.get("logo"), remove=bool(self.cleaned_data.get("remove_logo"))
        )

    def template_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in TEMPLATE_FIELDS}
