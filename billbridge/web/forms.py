"""Forms read and type-check what a page sends. The product's rules are the services' to
enforce: a form never decides whether an invoice may change, it only hands the service clean
values and shows the errors the service gives back (`show_service_errors`)."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from billbridge.clients.models import Client
from billbridge.clients.services import EDITABLE_FIELDS as CLIENT_FIELDS
from billbridge.core.errors import InvalidInput
from billbridge.invoicing.models import MAX_NUMBER_LENGTH, InvoiceStatus, TaxSettings
from billbridge.invoicing.services import MAX_LINES, TAX_FIELDS
from billbridge.invoicing.totals import LineInput


def _clients_of(practice):
    return Client.objects.for_practice(practice).only("pk", "name")


def show_service_errors(form: forms.Form, exc: InvalidInput, skip: tuple[str, ...] = ()) -> None:
    """Put an InvalidInput's field errors next to the form's fields. Errors about fields the
    form does not have go to the top of the form; those named in `skip` are left for the
    caller to show elsewhere."""
    if not exc.field_errors:
        form.add_error(None, exc.message)
    for field, messages in exc.field_errors.items():
        if field in skip:
            continue
        form.add_error(field if field in form.fields else None, messages)


class BillingFilterForm(forms.Form):
    """The Billing list's filters. They travel in the query string, so a filtered list is a
    link that can be shared."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(), required=False, empty_label="All clients"
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *InvoiceStatus.choices], required=False)
    # Invoice.objects.narrowed's kinds: credit notes and write-offs are looked at together.
    kind = forms.ChoiceField(
        choices=[("", "All"), ("invoice", "Invoices"), ("credit", "Credit notes & write-offs")],
        required=False,
    )
    show_closed = forms.BooleanField(required=False, label="Show closed invoices")
    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Number or client"}),
    )

    def __init__(self, practice, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = _clients_of(practice)

    def apply(self, invoices):
        """Narrow `invoices` by the filters that are valid; an invalid one is ignored (and
        shown as an error next to its field)."""
        self.is_valid()
        data = self.cleaned_data
        client = data.get("client")
        return invoices.narrowed(
            client_id=client.pk if client else None,
            status=data.get("status", ""),
            include_closed=bool(data.get("show_closed")),
            search=data.get("q", ""),
            kind=data.get("kind", ""),
        )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class InvoiceForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose a client")
    number = forms.CharField(required=False, max_length=MAX_NUMBER_LENGTH)
    issue_date = forms.DateField(widget=DateInput())
    due_date = forms.DateField(required=False, widget=DateInput())
    memo = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    # The draft's version when the editor was opened: saving over a newer one is refused.
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, practice, *args, number_help: str = "", credit_note=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = _clients_of(practice)
        self.fields["number"].help_text = number_help
        if credit_note is not None:
            # A credit note stays with its invoice's client, and is due nothing.
            client = self.fields["client"]
            client.queryset = client.queryset.filter(pk=credit_note.client_id)
            client.initial, client.disabled = credit_note.client_id, True
            client.help_text = "A credit note is for the client of the invoice it credits."
            del self.fields["due_date"]

    def chosen_number(self) -> str | None:
        # Blank means "let the service choose": the next number, or the one the draft has.
        return self.cleaned_data["number"].strip() or None


class FiniteDecimalField(forms.DecimalField):
    """Django's DecimalField parses "NaN", "Infinity" and "sNaN" and refuses them only when the
    value is validated. A formset first compares each row with its initial values, and
    comparing a signalling NaN raises InvalidOperation: so they are refused while parsing,
    before anything can compare them."""

    def to_python(self, value):
        number = super().to_python(value)
        if number is not None and not number.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class LineForm(forms.Form):
    description = forms.CharField(max_length=4000)
    service_name = forms.CharField(required=False, max_length=100, label="Service")
    quantity = FiniteDecimalField(max_digits=12, decimal_places=2, initial=Decimal("1"))
    unit_price = FiniteDecimalField(max_digits=12, decimal_places=2, label="Unit price")
    primary_taxable = forms.BooleanField(required=False, label="Primary tax")
    secondary_taxable = forms.BooleanField(required=False, label="Secondary tax")
    # The stored line this row edits: kept, so the time held on it stays held (a row without
    # it is a new line; a stored line with no row is removed and its time returns to WIP).
    line_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def line_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            line_id=data.get("line_id"),
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            service_name=data["service_name"],
            primary_taxable=data["primary_taxable"],
            secondary_taxable=data["secondary_taxable"],
        )


LINES_PREFIX = "lines"
# A few spare rows beyond the service's limit, so that the limit's own message is what shows.
MAX_LINE_ROWS = MAX_LINES + 20

LineFormSet = forms.formset_factory(
    LineForm, extra=2, can_delete=True, max_num=MAX_LINE_ROWS, absolute_max=MAX_LINE_ROWS
)


def filled_lines(formset) -> list[LineInput]:
    """The lines to save: rows left blank or ticked Remove are not lines."""
    return [
        form.line_input()
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class ClientForm(forms.Form):
    """The client's details. The QuickBooks name rules are checked by the service, so that the
    page and the API refuse the same names with the same words."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(Client, fields=CLIENT_FIELDS))
        self.fields["notes"].widget.attrs["rows"] = 4


class TaxSettingsForm(forms.Form):
    def __init__(self, *args, read_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(TaxSettings, fields=TAX_FIELDS))
        for prefix in ("primary", "secondary"):
            self.fields[f"{prefix}_name"].label = "Name"
            self.fields[f"{prefix}_rate"].label = "Rate (%)"
            self.fields[f"{prefix}_enabled"].label = "Enabled"
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def _group(self, prefix: str) -> list:
        return [self[f"{prefix}_{name}"] for name in ("name", "rate", "enabled")]

    @property
    def group_primary(self) -> list:
        return self._group("primary")

    @property
    def group_secondary(self) -> list:
        return self._group("secondary")
