"""Time ▸ Import: upload a Harvest, Toggl Track or Clockify CSV export, see what it would add,
choose who and what its unknown names are, and confirm (time/imports/pending.py). Nothing is
an entry until confirmed; the preview is read again from the stored file at every step."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from billbridge.core.errors import InvalidInput, ServiceError
from billbridge.practice.models import Membership
from billbridge.time.imports import pending
from billbridge.time.imports.formats import FORMATS
from billbridge.time.imports.names import NO_WORK_CODE, SKIP, Choice, Directory, Kind, Mappings
from billbridge.time.imports.reader import MAX_ROWS
from billbridge.time.imports.store import Preview, UnknownName
from billbridge.time.models import TimeImport
from billbridge.web.access import member_required, refused_by
from billbridge.web.forms import show_service_errors


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        allow_empty_file=True,  # for the import's own words on an empty file
        help_text=(
            "A detailed time report exported as CSV, at most "
            f"{pending.MAX_UPLOAD_BYTES // 2**20} MB and {MAX_ROWS:,} rows."
        ),
    )
    format = forms.ChoiceField(
        label="Exported from", choices=[(key, spec.name) for key, spec in FORMATS.items()]
    )


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class NameRow:
    """A name of the file that matches nothing, with its drop-down."""

    index: int
    name: UnknownName
    options: list[Option]


def _options(directory: Directory) -> dict[Kind, list[tuple[str, str]]]:
    def member(membership: Membership) -> str:
        user = membership.user
        return (
            f"{user.get_full_name()} ({user.username})" if user.get_full_name() else user.username
        )

    people = sorted(((str(pk), member(m)) for pk, m in directory.members.items()), key=_by_label)
    clients = sorted(((str(pk), name) for pk, name in directory.clients.items()), key=_by_label)
    codes = sorted(
        ((str(pk), code.name) for pk, code in directory.work_codes.items() if code.active),
        key=_by_label,
    )
    skip = [(SKIP, "Skip these rows")]
    return {
        Kind.PERSON: people + skip,
        Kind.CLIENT: clients + skip,
        Kind.WORK_CODE: [(NO_WORK_CODE, "No work code"), *codes, *skip],
    }


def _by_label(option: tuple[str, str]) -> str:
    return option[1].casefold()


def _name_rows(membership: Membership, preview: Preview) -> list[NameRow]:
    options = _options(Directory(membership.practice))
    return [
        NameRow(
            index,
            name,
            [
                Option(value, label, value == str(name.choice))
                for value, label in options[name.kind]
            ],
        )
        for index, name in enumerate(preview.unknown)
    ]


def _mappings_from(data: QueryDict) -> Mappings:
    """The drop-downs as posted, each named "<kind>:<name as matched>" (one field a name, as
    Django caps the fields of a request); an empty choice is no choice."""
    mappings = Mappings()
    for field, value in data.items():
        kind_name, colon, key = field.partition(":")
        if not colon:
            continue  # the CSRF token
        try:
            kind = Kind(kind_name)
        except ValueError:
            raise InvalidInput(
                "Choose what each name is.", {"mappings": ["Unknown kind."]}
            ) from None
        if value:
            choice: Choice = int(value) if value.isdecimal() and value.isascii() else value
            mappings.of(kind)[key] = choice
    return mappings


def _import_or_404(membership: Membership, pk: int) -> TimeImport:
    try:
        return pending.get_import(membership, pk)
    except TimeImport.DoesNotExist:
        raise Http404("No such import.") from None


def _page_context(membership: Membership, time_import: TimeImport) -> dict:
    preview = pending.preview(membership, time_import)
    return {
        "time_import": time_import,
        "spec": FORMATS[time_import.format],
        "preview": preview,
        "names": _name_rows(membership, preview),
    }


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def time_import(request):
    """The upload form; a file sent is kept and its preview shown."""
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                kept = pending.upload(
                    request.membership, upload.name, form.cleaned_data["format"], upload
                )
            except InvalidInput as exc:
                show_service_errors(form, exc)
            else:
                return redirect("web:time-import-preview", kept.pk)
        status = 400
    else:
        form = UploadForm()
    return render(request, "web/time_import/upload.html", {"form": form}, status=status)


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def time_import_preview(request, pk: int):
    """The preview, or once confirmed what was stored. A POST sends the choices for the
    unknown names; htmx gets the preview back in place, a plain form a redirect to it."""
    membership = request.membership
    time_import = _import_or_404(membership, pk)
    back = {"back_url": reverse("web:time-import"), "back_label": "Back to Import time"}
    refusal, status = None, 200
    if request.method == "POST":
        try:
            time_import = pending.remap(membership, pk, _mappings_from(request.POST))
        except ServiceError as exc:
            if not request.htmx:
                return refused_by(request, exc, **back)
            # In place: the preview as it stands (the choices are unchanged), and why.
            refusal, status = exc.message, exc.status_code
        else:
            if not request.htmx:
                return redirect("web:time-import-preview", pk)
    if time_import.confirmed_at is not None:
        return render(request, "web/time_import/done.html", {"time_import": time_import})
    try:
        context = _page_context(membership, time_import)
    except InvalidInput as exc:  # the file, or a choice, no longer acceptable
        return refused_by(request, exc, **back)
    context["refusal"] = refusal
    template = "web/time_import/_preview.html" if request.htmx else "web/time_import/preview.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@member_required
@require_POST
def time_import_confirm(request, pk: int):
    membership = request.membership
    _import_or_404(membership, pk)
    try:
        result = pending.confirm(membership, pk)
    except ServiceError as exc:
        back = reverse("web:time-import-preview", args=[pk])
        return refused_by(request, exc, back_url=back, back_label="Back to the preview")
    messages.success(
        request, f"Imported {result.stored:,} entr{'y' if result.stored == 1 else 'ies'}."
    )
    return redirect("web:time-import-preview", pk)
