"""The forms of the WIP, invoice-from-WIP, realization and rate-card pages. As in web/forms.py,
a form only reads and type-checks what a page sends; the time services decide, and their
refusals are shown next to the fields they name."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput
from billbridge.invoicing.services import MAX_ID
from billbridge.practice.models import Membership
from billbridge.time import billing, realization
from billbridge.time.models import WorkCode
from billbridge.time.rate_card import RateInput, WorkCodeInput
from billbridge.web.forms import DateInput, FiniteDecimalField

SEARCH_LENGTH = 100
# More entries than the client's WIP page lists (500): a longer list is a forged request.
MAX_TICKED = 1000


def _clients_of(practice):
    return Client.objects.for_practice(practice).only("pk", "name")


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


class MemberChoiceField(forms.ModelChoiceField):
    """A member of the practice, shown by name."""

    def label_from_instance(self, obj: Membership) -> str:
        return person_name(obj.user)


def _members_of(practice):
    return (
        Membership.objects.filter(practice=practice)
        .select_related("user")
        .order_by("user__username")
    )


def _money_field(label: str, **options) -> FiniteDecimalField:
    return FiniteDecimalField(
        label=label,
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        **options,
    )


# ---- the WIP list ---------------------------------------------------------------------------


class WipFilterForm(forms.Form):
    """The WIP list's filters, in the query string like the Billing list's."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(), required=False, empty_label="All clients"
    )
    q = forms.CharField(
        required=False,
        max_length=SEARCH_LENGTH,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Client name"}),
    )

    def __init__(self, practice, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = _clients_of(practice)

    def narrowing(self) -> dict:
        """wip_list's arguments from the valid filters; an invalid one is ignored (and shown
        next to its field)."""
        self.is_valid()
        client = self.cleaned_data.get("client")
        return {
            "client_id": client.pk if client else None,
            "search": self.cleaned_data.get("q", ""),
        }


# ---- invoice from WIP -----------------------------------------------------------------------

SCOPES = {"all": "All unbilled work", "picked": "Only the entries ticked below"}
AMOUNT_PREFIX = "amount-"
# The keys billing.Group gives its lines: a work code, a person, an entry, or the expenses.
GROUP_KEY = re.compile(r"[wpe]\d{1,19}|expenses", re.ASCII)
ID = re.compile(r"\d{1,19}", re.ASCII)


class TickedEntriesField(forms.Field):
    """The ids of the ticked entries. Only their form is checked here: whether each is still
    unbilled work of the client is the billing service's to say, in its own words."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        values = value or []
        if len(values) > MAX_TICKED:
            raise ValidationError(f"Tick at most {MAX_TICKED} entries.")
        if not all(isinstance(v, str) and ID.fullmatch(v) and 0 < int(v) <= MAX_ID for v in values):
            raise ValidationError("The ticked entries were not understood: reload the page.")
        return list(dict.fromkeys(int(v) for v in values))


class InvoiceFromWipForm(forms.Form):
    scope = forms.ChoiceField(
        label="Work to invoice", choices=SCOPES.items(), initial="all", widget=forms.RadioSelect
    )
    through = forms.DateField(
        label="Through",
        required=False,
        widget=DateInput(),
        help_text="Work dated up to and including this day; leave it empty for all of it.",
    )
    entry = TickedEntriesField(required=False)
    grouping = forms.ChoiceField(
        label="Lines",
        choices=billing.GROUPINGS.items(),
        initial="work_code",
        widget=forms.RadioSelect,
    )
    # The grouping the line amounts were typed for: another grouping makes other lines.
    grouped_by = forms.ChoiceField(
        choices=billing.GROUPINGS.items(), required=False, widget=forms.HiddenInput
    )
    total = _money_field(
        "Whole-invoice amount",
        help_text="Bill this much in all, spread over the lines in proportion to their amounts.",
    )
    fixed_fee = _money_field(
        "Fixed fee", help_text="One line of this amount instead of the lines below."
    )
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Reason",
        help_text="Needed when what is billed differs from the standard value.",
    )
    issue_date = forms.DateField(label="Issue date", required=False, widget=DateInput())
    due_date = forms.DateField(
        label="Due date",
        required=False,
        widget=DateInput(),
        help_text=f"Leave it empty for {billing.DEFAULT_TERMS_DAYS} days after the issue date.",
    )
    memo = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What was typed in each line's amount, by line key, shown again as typed.
        self.typed: dict[str, str] = {}
        self.line_amounts: dict[str, Decimal] = {}

    def clean(self):
        data = super().clean()
        if data.get("scope") == "picked" and not data.get("entry"):
            self.add_error("entry", "Tick the entries to invoice, or choose all unbilled work.")
        amount = _money_field("amount")
        names = [name for name in self.data if name.startswith(AMOUNT_PREFIX)]
        keys = [name.removeprefix(AMOUNT_PREFIX) for name in names]
        if len(names) > billing.MAX_LINES or not all(GROUP_KEY.fullmatch(key) for key in keys):
            raise ValidationError("The lines were not understood: reload the page.")
        for name, key in zip(names, keys, strict=True):
            text = self.data.get(name, "").strip()
            if not text:
                continue
            self.typed[key] = text
            try:
                self.line_amounts[key] = amount.clean(text)
            except ValidationError:
                raise ValidationError(
                    f"“{text}” is not an amount: type an amount from 0 with at most two decimals."
                ) from None
        return data

    def regrouped(self) -> bool:
        """Whether the lines were regrouped since their amounts were typed: those amounts were
        for lines that are no longer there, so they are dropped."""
        grouped_by = self.cleaned_data.get("grouped_by")
        changed = bool(grouped_by) and grouped_by != self.cleaned_data["grouping"]
        if changed:
            self.typed, self.line_amounts = {}, {}
        return changed

    def wip_billing(self, client_id: int) -> billing.WipBilling:
        data = self.cleaned_data
        picked = data["scope"] == "picked"
        return billing.WipBilling(
            client_id=client_id,
            entry_ids=tuple(data["entry"]) if picked else (),
            through=None if picked else data["through"],
            grouping=data["grouping"],
            line_amounts=dict(self.line_amounts),
            total=data["total"],
            fixed_fee=data["fixed_fee"],
            reason=data["reason"],
            issue_date=data["issue_date"],
            due_date=data["due_date"],
            memo=data["memo"],
        )


# The billing service names some inputs in words; the form's field for each.
BILLING_FIELDS = {"fixed fee": "fixed_fee", "total": "total", "reason": "reason"}


def show_billing_errors(form: InvoiceFromWipForm, exc: InvalidInput) -> None:
    """The service's sentence at the top of the form, and its words for each field next to
    the field: its field words alone ("Check it.") would say too little."""
    form.add_error(None, exc.message)
    for name, messages in exc.field_errors.items():
        field = BILLING_FIELDS.get(name, name)
        if field in form.fields:
            form.add_error(field, messages)


# ---- realization ----------------------------------------------------------------------------


class RealizationFilterForm(forms.Form):
    group_by = forms.ChoiceField(
        label="Group by", choices=realization.GROUPS.items(), required=False
    )
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(), required=False, empty_label="All clients"
    )
    person = MemberChoiceField(
        queryset=Membership.objects.none(), required=False, empty_label="Everyone"
    )
    work_code = forms.ModelChoiceField(
        label="Work code",
        queryset=WorkCode.objects.none(),
        required=False,
        empty_label="All work codes",
    )

    def __init__(self, practice, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = _clients_of(practice)
        self.fields["person"].queryset = _members_of(practice)
        self.fields["work_code"].queryset = WorkCode.objects.filter(practice=practice)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def scope(self) -> realization.Scope:
        """The report's scope from the valid filters; an invalid one is ignored (and shown
        next to its field)."""
        self.is_valid()
        data = self.cleaned_data

        def pk(name):
            return data[name].pk if data.get(name) else None

        return realization.Scope(
            group_by=data.get("group_by") or "client",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            client_id=pk("client"),
            staff_id=pk("person"),
            work_code_id=pk("work_code"),
        )


# ---- the rate card --------------------------------------------------------------------------


class WorkCodeForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, max_length=500)
    billable = forms.BooleanField(required=False, initial=True, label="Billable by default")
    primary_taxable = forms.BooleanField(required=False)
    secondary_taxable = forms.BooleanField(required=False)
    active = forms.BooleanField(required=False, initial=True, label="In use")

    def __init__(self, *args, tax=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].help_text = (
            "The service name of the invoice lines made from it, and so the name its "
            "QuickBooks item is chosen for."
        )
        for prefix in ("primary", "secondary"):
            name = getattr(tax, f"{prefix}_name", "") or f"{prefix.title()} tax"
            self.fields[f"{prefix}_taxable"].label = f"{name} applies"

    def work_code_input(self) -> WorkCodeInput:
        return WorkCodeInput(**self.cleaned_data)


class RateForm(forms.Form):
    effective_from = forms.DateField(label="From", widget=DateInput())
    hourly_rate = FiniteDecimalField(label="Hourly rate", max_digits=12, decimal_places=2)
    staff = MemberChoiceField(
        label="Staff member",
        queryset=Membership.objects.none(),
        required=False,
        empty_label="Anyone",
    )
    work_code = forms.ModelChoiceField(
        label="Work code",
        queryset=WorkCode.objects.none(),
        required=False,
        empty_label="Any work",
    )
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        empty_label="Every client (not an override)",
    )

    def __init__(self, practice, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = _members_of(practice)
        self.fields["work_code"].queryset = WorkCode.objects.filter(practice=practice)
        self.fields["client"].queryset = _clients_of(practice)

    def rate_input(self) -> RateInput:
        data = self.cleaned_data

        def pk(name):
            return data[name].pk if data[name] else None

        return RateInput(
            effective_from=data["effective_from"],
            hourly_rate=data["hourly_rate"],
            staff_id=pk("staff"),
            client_id=pk("client"),
            work_code_id=pk("work_code"),
        )
