"""Forms of the credit pages: a credit note or a write-off of an invoice, and Settings ▸ Closed
periods' lock date. As billbridge/web/forms.py says of its own, they only read and type-check
what a page sends; what may be credited, how much and on which date is the invoicing service's
to say (services.create_credit_note), and its refusals are shown next to these fields, which
carry the names it gives them (reason, line_ids, amount, issue_date)."""

from django import forms

from billbridge.core.money import format_money
from billbridge.invoicing.models import Invoice
from billbridge.invoicing.services import CreditInput
from billbridge.web.forms import DateInput, FiniteDecimalField

REASON_LENGTH = Invoice._meta.get_field("credit_reason").max_length


class _CreditForm(forms.Form):
    """What every credit asks: why, and the date it is issued (blank: the first open day)."""

    reason = forms.CharField(
        max_length=REASON_LENGTH,
        help_text="Printed on the credit note and written on both documents' timelines.",
    )
    issue_date = forms.DateField(
        required=False,
        widget=DateInput(),
        label="Date",
        help_text="Left blank: today, or the first day after a closed period.",
    )

    def __init__(self, invoice: Invoice, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice

    def _input(self, **what) -> CreditInput:
        return CreditInput(
            invoice_id=self.invoice.pk,
            reason=self.cleaned_data["reason"],
            issue_date=self.cleaned_data["issue_date"],
            **what,
        )


class CreditNoteForm(_CreditForm):
    """A credit note: all of the invoice, the lines ticked, or an amount before tax."""

    SCOPES = [("all", "All of it"), ("lines", "Chosen lines"), ("amount", "An amount")]

    scope = forms.ChoiceField(
        choices=SCOPES, initial="all", widget=forms.RadioSelect, label="What to credit"
    )
    line_ids = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Lines"
    )
    amount = FiniteDecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text="Before tax: taxed as the invoice's lines are when they all agree.",
    )
    field_order = ["scope", "line_ids", "amount", "reason", "issue_date"]

    def __init__(self, invoice: Invoice, *args, **kwargs):
        super().__init__(invoice, *args, **kwargs)
        self.fields["line_ids"].choices = [
            (line.pk, f"{line.description} — {format_money(line.amount)}")
            for line in invoice.lines.all()
        ]

    def clean(self):
        data = super().clean()
        # Each choice needs its own answer; the service would read a missing one as "all".
        if data.get("scope") == "lines" and not data.get("line_ids"):
            self.add_error("line_ids", "Tick the lines to credit.")
        if data.get("scope") == "amount" and data.get("amount") is None:
            self.add_error("amount", "Enter the amount to credit.")
        return data

    def credit_input(self) -> CreditInput:
        scope = self.cleaned_data["scope"]
        return self._input(
            line_ids=tuple(self.cleaned_data["line_ids"]) if scope == "lines" else (),
            amount=self.cleaned_data["amount"] if scope == "amount" else None,
        )


class WriteOffForm(_CreditForm):
    """A write-off: bad debt, an amount as it stands (tax included), by default all that
    remains."""

    amount = FiniteDecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text="Left blank: all that remains.",
    )
    field_order = ["amount", "reason", "issue_date"]

    def credit_input(self) -> CreditInput:
        return self._input(amount=self.cleaned_data["amount"], write_off=True)


class LockDateForm(forms.Form):
    lock_date = forms.DateField(
        required=False,
        widget=DateInput(),
        help_text="Leave blank for none.",
    )
