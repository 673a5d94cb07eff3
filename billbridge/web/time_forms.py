"""Forms of the Time pages: the timesheet's cells and rows, the entries list's filters and the
entry editor. As billbridge/web/forms.py says of its own, they only read and type-check what a
page sends; whether a change may happen is the time services' to say."""

import datetime

from django import forms

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput
from billbridge.practice.models import Membership
from billbridge.time import services
from billbridge.time.models import Entry, EntryKind, EntryState, WorkCode
from billbridge.time.values import format_duration, parse_duration
from billbridge.web.forms import DateInput, FiniteDecimalField

# The services name a duration "minutes"; the pages ask for a duration typed as text.
PAGE_FIELD_OF = {"minutes": "duration", "work_code_id": "work_code"}
# Longer than any duration written out ("23 hours 59 minutes").
LONGEST_DURATION = 30


def minutes_typed(text: str) -> int:
    """Minutes from a duration as typed, blank meaning none. Raises ValueError in words."""
    text = text.strip()
    if not text:
        return 0
    not_a_duration = ValueError(
        f"“{text[:LONGEST_DURATION]}” is not a duration: type hours and minutes (1:30) or "
        "decimal hours (1.5)."
    )
    if len(text) > LONGEST_DURATION:
        raise not_a_duration
    try:
        return parse_duration(text)
    except ArithmeticError:
        # parse_duration lets decimal's own error through for exponents beyond its precision
        # ("1e999"): the same answer as any other text that is not a duration.
        raise not_a_duration from None


def in_page_words(exc: InvalidInput) -> InvalidInput:
    """The service's refusal with its fields named as the page names them."""
    return InvalidInput(
        exc.message,
        {PAGE_FIELD_OF.get(name, name): messages for name, messages in exc.field_errors.items()},
    )


def members_of(practice):
    return (
        Membership.objects.filter(practice=practice)
        .select_related("user")
        .order_by("user__username")
    )


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.get_full_name() or obj.user.username


def _clients_of(practice):
    return Client.objects.for_practice(practice).only("pk", "name")


def _work_codes_of(practice, keep: int | None = None):
    """Work codes in use, and the one an entry has even if it is no longer in use."""
    codes = WorkCode.objects.filter(practice=practice)
    if keep is None:
        return codes.filter(active=True)
    return codes.filter(active=True) | codes.filter(pk=keep)


# ---- the timesheet ---------------------------------------------------------------------------

# The days a timesheet reaches: far back enough for any practice's history, and short of the
# calendar's end so that the week after is still a date.
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)
ANY_ID = {"min_value": 1, "max_value": 2**63 - 1}


class SheetDayField(forms.DateField):
    def validate(self, value):
        super().validate(value)
        if value and not FIRST_DAY <= value <= LAST_DAY:
            raise forms.ValidationError(
                f"A timesheet's days lie between {FIRST_DAY.year} and {LAST_DAY.year}."
            )


class CellForm(forms.Form):
    """One cell of the timesheet: its place (hidden fields the page wrote) and the hours typed.
    The place is only type-checked here: the services look each id up in the practice."""

    staff = forms.IntegerField(**ANY_ID)
    client = forms.IntegerField(**ANY_ID)
    work_code = forms.IntegerField(required=False, **ANY_ID)
    date = SheetDayField()
    # Checked as it is turned into minutes (minutes_typed), so the cell says what is wrong.
    hours = forms.CharField(required=False, strip=True)


class RowForm(forms.Form):
    """A row to keep on a week's sheet: Add row."""

    staff = forms.IntegerField(**ANY_ID)
    week = SheetDayField()
    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose a client")
    work_code = forms.ModelChoiceField(
        queryset=WorkCode.objects.none(), required=False, empty_label="No work code"
    )

    def __init__(self, practice, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = _clients_of(practice)
        self.fields["work_code"].queryset = _work_codes_of(practice)


class WeekForm(forms.Form):
    """Whose sheet and which week a sheet-wide action is for (Copy last week)."""

    staff = forms.IntegerField(**ANY_ID)
    week = SheetDayField()


# ---- the entries list ------------------------------------------------------------------------


class EntryFilterForm(forms.Form):
    """The entries list's filters, in the query string so a filtered list can be shared. The
    list shows the member's own entries unless they choose someone else (or everyone), which
    needs Process time."""

    staff = MemberChoiceField(
        queryset=Membership.objects.none(), required=False, empty_label="Everyone", label="Person"
    )
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(), required=False, empty_label="All clients"
    )
    work_code = forms.ModelChoiceField(
        queryset=WorkCode.objects.none(), required=False, empty_label="All work codes"
    )
    date_from = forms.DateField(required=False, label="From", widget=DateInput())
    date_to = forms.DateField(required=False, label="To", widget=DateInput())
    state = forms.ChoiceField(choices=[("", "Any state"), *EntryState.choices], required=False)
    kind = forms.ChoiceField(
        choices=[("", "Time and expenses"), *EntryKind.choices], required=False
    )

    def __init__(self, membership: Membership, data, *, sees_others: bool):
        # No person asked for: the member's own entries.
        if "staff" not in data:
            data = data.copy()
            data["staff"] = str(membership.pk)
        super().__init__(data)
        practice = membership.practice
        self.membership = membership
        self.sees_others = sees_others
        self.fields["staff"].queryset = members_of(practice)
        self.fields["client"].queryset = _clients_of(practice)
        self.fields["work_code"].queryset = WorkCode.objects.filter(practice=practice)

    def clean_staff(self):
        staff = self.cleaned_data["staff"]
        if not self.sees_others and staff != self.membership:
            raise forms.ValidationError(
                "You need the “Process time” permission to see someone else's entries."
            )
        return staff

    def apply(self, entries):
        """Narrow `entries` by the filters that are valid; an invalid one is shown next to its
        field and left out (an invalid person leaves the member's own entries)."""
        self.is_valid()
        data = self.cleaned_data
        staff = data.get("staff", self.membership)
        if staff is not None:
            entries = entries.filter(staff=staff)
        for name in ("client", "work_code"):
            if data.get(name):
                entries = entries.filter(**{name: data[name]})
        if data.get("date_from"):
            entries = entries.filter(date__gte=data["date_from"])
        if data.get("date_to"):
            entries = entries.filter(date__lte=data["date_to"])
        if data.get("state"):
            entries = entries.in_state(data["state"])
        if data.get("kind"):
            entries = entries.filter(kind=data["kind"])
        return entries


# ---- the entry editor ------------------------------------------------------------------------

BILLABLE_CHOICES = [("", "As the work code says"), ("yes", "Billable"), ("no", "Not billable")]


class EntryForm(forms.Form):
    """A time entry or an expense. The person is asked only of members who may record for
    others (Process time); everyone else records their own. An expense has an amount instead of
    a duration and a work code."""

    kind = forms.ChoiceField(
        choices=EntryKind.choices, initial=EntryKind.TIME, widget=forms.RadioSelect, label="Kind"
    )
    # Left blank: yourself, or the person of the entry being edited.
    staff = MemberChoiceField(
        queryset=Membership.objects.none(), required=False, empty_label="—", label="Person"
    )
    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose a client")
    date = forms.DateField(widget=DateInput())
    duration = forms.CharField(
        required=False, help_text="Hours and minutes (1:30) or decimal hours (1.5)."
    )
    work_code = forms.ModelChoiceField(
        queryset=WorkCode.objects.none(), required=False, empty_label="No work code"
    )
    amount = FiniteDecimalField(required=False, help_text="The expense's amount.")
    description = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    billable = forms.ChoiceField(choices=BILLABLE_CHOICES, required=False)

    def __init__(
        self,
        membership: Membership,
        *args,
        entry: Entry | None = None,
        records_for_others: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        practice = membership.practice
        self.entry = entry
        if records_for_others:
            self.fields["staff"].queryset = members_of(practice)
        else:
            del self.fields["staff"]
        self.fields["client"].queryset = _clients_of(practice)
        self.fields["work_code"].queryset = _work_codes_of(
            practice, entry.work_code_id if entry else None
        )
        if entry is not None:
            # A time entry stays time and an expense an expense (the service's rule).
            self.fields["kind"].disabled = True
        self.fields["duration"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        self.fields["amount"].widget.attrs["inputmode"] = "decimal"

    @classmethod
    def initial_of(cls, entry: Entry) -> dict:
        return {
            "kind": entry.kind,
            "staff": entry.staff_id,
            "client": entry.client_id,
            "date": entry.date,
            "duration": format_duration(entry.minutes) if entry.kind == EntryKind.TIME else "",
            "work_code": entry.work_code_id,
            "amount": entry.value if entry.kind == EntryKind.EXPENSE else None,
            "description": entry.description,
            "billable": "yes" if entry.billable else "no",
        }

    def clean_duration(self):
        if self.cleaned_data.get("kind") == EntryKind.EXPENSE:
            return 0
        try:
            return minutes_typed(self.cleaned_data["duration"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def staff_id(self) -> int | None:
        """The person the entry is for: chosen, or the entry's own, or (None) the member."""
        if "staff" in self.fields and self.cleaned_data.get("staff"):
            return self.cleaned_data["staff"].pk
        return self.entry.staff_id if self.entry else None

    def entry_input(self) -> services.EntryInput:
        data = self.cleaned_data
        expense = data["kind"] == EntryKind.EXPENSE
        work_code = None if expense else data["work_code"]
        return services.EntryInput(
            client_id=data["client"].pk,
            date=data["date"],
            kind=data["kind"],
            minutes=0 if expense else data["duration"],
            work_code_id=work_code.pk if work_code else None,
            description=data["description"],
            billable={"yes": True, "no": False}.get(data["billable"]),
            amount=data["amount"] if expense else None,
            staff_id=self.staff_id(),
        )
