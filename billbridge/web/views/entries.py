"""Time entries and expenses: the list, an entry with its history, the editor (with the rate and
value it will have, previewed while typing), and the actions on one entry — delete, write off,
restore, start and stop its timer.

Someone else's entries are seen with Process time, as their timesheet is (a member without it
who asks gets 403 and the reason; another practice's entry is not found). The actions are
offered as the services would allow them; the services decide."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput, PermissionRefused, ServiceError, TransitionRefused
from billbridge.practice.models import Membership, Permission
from billbridge.time import services
from billbridge.time.models import Entry, EntryKind, EntryState, WorkCode
from billbridge.time.values import format_duration, value_of_time
from billbridge.web.access import member_required, refused_by
from billbridge.web.forms import show_service_errors
from billbridge.web.time_forms import EntryFilterForm, EntryForm, in_page_words

PAGE_SIZE = 50
LISTED = ("staff__user", "client", "work_code", "invoice_line__invoice")


def who(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.username


@dataclass(frozen=True)
class RunningTimer:
    """A running timer as a page shows it: when it started and how long ago (which time.js
    then keeps ticking)."""

    entry: Entry
    started_at: datetime.datetime
    elapsed_seconds: int

    @classmethod
    def of(cls, entry: Entry) -> "RunningTimer":
        elapsed = timezone.now() - entry.timer_started_at
        return cls(entry, entry.timer_started_at, max(0, int(elapsed.total_seconds())))

    @property
    def elapsed(self) -> str:
        seconds = self.elapsed_seconds
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@dataclass(frozen=True)
class Allowed:
    """What may be done to an entry, as the services would answer: display only."""

    change: bool  # edit, delete, time it
    write_off: bool
    restore: bool
    start_timer: bool
    stop_timer: bool

    @classmethod
    def of(cls, membership: Membership, entry: Entry) -> "Allowed":
        changes = services.may_change(membership, entry.staff_id)
        processes = membership.has(Permission.PROCESS_TIME)
        unbilled = entry.state == EntryState.UNBILLED
        timed = entry.kind == EntryKind.TIME and changes
        running = entry.timer_started_at is not None
        return cls(
            change=changes and unbilled,
            write_off=processes and unbilled,
            restore=processes and entry.state == EntryState.WRITTEN_OFF,
            start_timer=timed and unbilled and not running,
            stop_timer=timed and running,
        )

    @property
    def anything(self) -> bool:
        return any(vars(self).values())


@dataclass(frozen=True)
class ListedEntry:
    entry: Entry
    allowed: Allowed
    timer: RunningTimer | None

    @property
    def duration(self) -> str:
        return format_duration(self.entry.minutes) if self.entry.kind == EntryKind.TIME else ""

    @property
    def person(self) -> str:
        return who(self.entry.staff)


def listed(membership: Membership, entry: Entry) -> ListedEntry:
    timer = RunningTimer.of(entry) if entry.timer_started_at else None
    return ListedEntry(entry, Allowed.of(membership, entry), timer)


def _entry_or_404(membership: Membership, pk: int) -> Entry:
    """The practice's entry with what its page shows (services.get_entry's scope)."""
    try:
        return services.entries_of(membership).select_related(*LISTED).get(pk=pk)
    except Entry.DoesNotExist:
        raise Http404("No such entry.") from None


def _seen_entry(request, pk: int) -> Entry:
    """The practice's entry (404 otherwise), if the member may see it (PermissionRefused)."""
    entry = _entry_or_404(request.membership, pk)
    if not services.may_change(request.membership, entry.staff_id):
        raise PermissionRefused(
            "You need the “Process time” permission to see someone else's entries."
        )
    return entry


def back_to(request, default: str) -> str:
    """Where an action returns: the page of ours it was posted from, else `default`."""
    target = request.POST.get("next", "")
    ours = (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    )
    return target if ours else default


# ---- the list --------------------------------------------------------------------------------


@member_required
@require_safe
def entry_list(request):
    membership = request.membership
    filters = EntryFilterForm(
        membership, request.GET, sees_others=membership.has(Permission.PROCESS_TIME)
    )
    entries = (
        filters.apply(services.entries_of(membership))
        .select_related(*LISTED)
        .order_by("-date", "-pk")
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "rows": [listed(membership, entry) for entry in page.object_list],
        "sees_others": filters.sees_others,
        "here": request.get_full_path(),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "web/time/_entry_table.html" if partial else "web/time/entry_list.html"
    response = render(request, template, context, status=400 if filters.errors else 200)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---- one entry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryItem:
    """A line of an entry's history: a change to the entry, or an event of its invoice."""

    at: datetime.datetime
    who: str
    what: str
    details: tuple[str, ...] = ()
    note: str = ""
    invoice_event: bool = False
    from_status: str = ""
    to_status: str = ""


# How the history's field names read (services.EDITABLE, and the value it keeps with them).
CHANGED_FIELDS = {
    "staff_id": "Person",
    "client_id": "Client",
    "date": "Date",
    "minutes": "Duration",
    "work_code_id": "Work code",
    "description": "Description",
    "billable": "Billable",
    "value": "Value",
}


def _names_in(practice_id: int, changes: list[dict]) -> dict[tuple[str, object], str]:
    """The names of the people, clients and work codes the changes name, a query each."""
    ids: dict[str, set] = {"staff_id": set(), "client_id": set(), "work_code_id": set()}
    for change in changes:
        for name, values in ids.items():
            values.update(v for v in change.get(name, ()) if v is not None)
    names = {}
    if ids["staff_id"]:
        for member in Membership.objects.filter(
            practice_id=practice_id, pk__in=ids["staff_id"]
        ).select_related("user"):
            names["staff_id", member.pk] = who(member)
    for field, model in (("client_id", Client), ("work_code_id", WorkCode)):
        if ids[field]:
            for pk, name in model.objects.filter(
                practice_id=practice_id, pk__in=ids[field]
            ).values_list("pk", "name"):
                names[field, pk] = name
    return names


def _shown(field: str, value, names) -> str:
    if value is None or value == "":
        return "none"
    if field == "minutes":
        return format_duration(int(value))
    if field == "billable":
        return "yes" if value else "no"
    return names.get((field, value), str(value))


def history_of(entry: Entry) -> list[HistoryItem]:
    """The entry's changes and, when it is on an invoice, that invoice's timeline, in order."""
    changes = list(entry.history.select_related("actor"))
    names = _names_in(entry.practice_id, [change.changes for change in changes])
    items = [
        HistoryItem(
            at=change.at,
            who=change.actor.get_username() if change.actor else "system",
            what=change.action,
            details=tuple(
                f"{CHANGED_FIELDS.get(field, field)}: {_shown(field, before, names)} → "
                f"{_shown(field, after, names)}"
                for field, (before, after) in change.changes.items()
            ),
            note=change.note,
        )
        for change in changes
    ]
    if entry.invoice_line_id:
        invoice = entry.invoice_line.invoice
        items += [
            HistoryItem(
                at=event.at,
                who=event.who,
                what=f"Invoice {invoice.number}: {event.action}",
                note=event.reason,
                invoice_event=True,
                from_status=event.from_status,
                to_status=event.to_status,
            )
            for event in invoice.timeline.select_related("actor")
        ]
    return sorted(items, key=lambda item: item.at)


def _render_detail(request, entry: Entry, *, error: str = "", status: int = 200):
    membership = request.membership
    context = {
        "row": listed(membership, entry),
        "entry": entry,
        "history": history_of(entry),
        "error": error,
        "here": request.get_full_path(),
    }
    return render(request, "web/time/entry_detail.html", context, status=status)


def entry_view(view):
    """A view of one entry (`pk`): another practice's is not found; someone else's without
    Process time, or an action the services refuse, answers the refusal in words."""

    @wraps(view)
    def answered(request, pk: int):
        try:
            return view(request, _seen_entry(request, pk))
        except ServiceError as exc:
            return refused_by(
                request, exc, back_url=reverse("web:entry-list"), back_label="Back to entries"
            )

    return answered


@member_required
@require_safe
@entry_view
def entry_detail(request, entry: Entry):
    return _render_detail(request, entry)


def _act(request, entry: Entry, action, done: str, *, deletes: bool = False):
    """Run an action on the entry: back where it came from once done, or the entry's page with
    the refusal when refused (nothing changed). A permission refused is entry_view's to say."""
    try:
        action()
    except ServiceError as exc:
        if isinstance(exc, PermissionRefused):
            raise
        # Read again: the service may have found it changed since.
        again = _entry_or_404(request.membership, entry.pk)
        return _render_detail(request, again, error=exc.message, status=exc.status_code)
    messages.success(request, done)
    own_page = reverse("web:entry-detail", args=[entry.pk])
    back = back_to(request, reverse("web:entry-list") if deletes else own_page)
    if deletes and back.startswith(own_page):
        # Its own pages are gone with it.
        back = reverse("web:entry-list")
    return redirect(back)


@member_required
@require_POST
@entry_view
def entry_write_off(request, entry: Entry):
    reason = request.POST.get("reason", "")
    return _act(
        request,
        entry,
        lambda: services.write_off(request.membership, [entry.pk], reason),
        "The entry is written off: it stays recorded, out of WIP.",
    )


@member_required
@require_POST
@entry_view
def entry_restore(request, entry: Entry):
    return _act(
        request,
        entry,
        lambda: services.restore(request.membership, entry.pk),
        "The entry is back in WIP.",
    )


@member_required
@require_POST
@entry_view
def entry_start_timer(request, entry: Entry):
    return _act(
        request,
        entry,
        lambda: services.start_timer(request.membership, entry.pk),
        "The timer is running.",
    )


@member_required
@require_POST
@entry_view
def entry_stop_timer(request, entry: Entry):
    return _act(
        request,
        entry,
        lambda: services.stop_timer(request.membership, entry.pk),
        "The timer is stopped; its time is added to the entry.",
    )


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
@entry_view
def entry_delete(request, entry: Entry):
    """GET asks to confirm; POST deletes (the services refuse billed and held work)."""
    if request.method != "POST":
        return render(
            request,
            "web/time/entry_delete.html",
            {"row": listed(request.membership, entry), "entry": entry},
        )
    return _act(
        request,
        entry,
        lambda: services.delete(request.membership, entry.pk),
        "The entry is deleted.",
        deletes=True,
    )


# ---- the editor ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """The rate and value an entry being typed would have, or what is missing to say."""

    rate: Decimal | None = None
    value: Decimal | None = None
    duration: str = ""
    missing: str = ""
    expense: bool = False


def preview_of(membership: Membership, form: EntryForm) -> Preview:
    """Read what the form holds so far, valid or not: the rate in force for that person, client,
    work code and date, and the value of the duration at it."""
    form.is_valid()
    data = form.cleaned_data
    if data.get("kind") == EntryKind.EXPENSE:
        amount = data.get("amount")
        if amount is None or amount <= 0:
            return Preview(missing="Type the amount to see the value.", expense=True)
        return Preview(value=amount, expense=True)
    client, day, minutes = data.get("client"), data.get("date"), data.get("duration")
    if client is None or day is None:
        return Preview(missing="Choose a client and a date to see the rate.")
    work_code = data.get("work_code")
    rate = services.rate_for(
        services.rules_of(membership.practice),
        form.staff_id() or membership.pk,
        client.pk,
        work_code.pk if work_code else None,
        day,
    )
    if not minutes or minutes < 0:
        return Preview(rate=rate, missing="Type a duration to see the value.")
    return Preview(rate, value_of_time(minutes, rate), format_duration(minutes))


def _editing_refused(entry: Entry | None) -> ServiceError | None:
    """Why the editor would never save an entry (the person is checked by entry_view), asked
    before showing it; a POST is answered by the service in its own words."""
    if entry is None or entry.state == EntryState.UNBILLED:
        return None
    if entry.state == EntryState.WRITTEN_OFF:
        return TransitionRefused("This entry is written off: restore it before it is changed.")
    invoice = entry.invoice_line.invoice
    return TransitionRefused(
        f"This entry is {entry.state_label.lower()} ({invoice.number}), so it cannot be changed."
    )


def _edit_entry(request, entry: Entry | None):
    membership = request.membership
    records_for_others = membership.has(Permission.PROCESS_TIME)
    back_url = reverse("web:entry-detail", args=[entry.pk]) if entry else reverse("web:entry-list")
    if request.method != "POST" and (refused := _editing_refused(entry)):
        return refused_by(
            request,
            refused,
            back_url=back_url,
            back_label="Back to the entry" if entry else "Back to entries",
        )
    status, preview, hide_errors = 200, None, False
    if request.method == "POST":
        form = EntryForm(
            membership,
            request.POST,
            entry=entry,
            records_for_others=records_for_others,
            initial=EntryForm.initial_of(entry) if entry else None,
        )
        if "preview" in request.POST:
            # Not a save: the rate and value of what is typed so far, errors left for later.
            preview = preview_of(membership, form)
            hide_errors = True
            form.errors.clear()
        elif form.is_valid():
            try:
                if entry is None:
                    saved = services.record(membership, form.entry_input())
                else:
                    saved = services.update(membership, entry.pk, form.entry_input())
            except InvalidInput as exc:
                show_service_errors(form, in_page_words(exc))
                status = 400
            except ServiceError as exc:
                return refused_by(request, exc, back_url=back_url, back_label="Back")
            else:
                messages.success(request, "The entry is saved.")
                return redirect(back_to(request, reverse("web:entry-detail", args=[saved.pk])))
        else:
            status = 400
    else:
        initial = EntryForm.initial_of(entry) if entry else _new_entry_initial(request)
        form = EntryForm(
            membership, entry=entry, records_for_others=records_for_others, initial=initial
        )
    context = {
        "entry": entry,
        "form": form,
        "preview": preview,
        "hide_errors": hide_errors,
        "back_url": back_url,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "web/time/entry_form.html", context, status=status)


def _new_entry_initial(request) -> dict:
    """A new entry starts from today, or from what the link asks (a timesheet cell's client,
    work code and day); values that are not the practice's simply select nothing."""
    asked = {
        name: request.GET[name]
        for name in ("client", "work_code", "date", "kind", "staff")
        if name in request.GET
    }
    return {
        "date": timezone.localdate(),
        "kind": EntryKind.TIME,
        "staff": request.membership.pk,
        **asked,
    }


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def entry_new(request):
    return _edit_entry(request, None)


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
@entry_view
def entry_edit(request, entry: Entry):
    return _edit_entry(request, entry)


@member_required
@require_safe
def entry_preview(request):
    """The rate and value of the editor's current values, for htmx to show while typing."""
    membership = request.membership
    # The entry being edited, whose person the rate is for when the member picks none.
    asked = request.GET.get("entry", "")
    entry = None
    if asked.isascii() and asked.isdigit() and len(asked) <= 18:
        entry = services.entries_of(membership).filter(pk=int(asked)).first()
    form = EntryForm(
        membership,
        request.GET,
        entry=entry,
        records_for_others=membership.has(Permission.PROCESS_TIME),
    )
    return render(
        request, "web/time/_entry_preview.html", {"preview": preview_of(membership, form)}
    )
