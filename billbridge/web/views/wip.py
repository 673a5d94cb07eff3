"""Billing ▸ WIP: every client's work in progress, one client's WIP, and the page that turns it
into a draft invoice. Sums come from billbridge.time.wip in a fixed number of queries, so a
page costs the same whatever the number of entries; the drafts are made by
billbridge.time.billing, which checks Process time."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_safe

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput, PermissionRefused, ServiceError
from billbridge.invoicing.services import MAX_ID
from billbridge.practice.models import Membership, Permission
from billbridge.practice.permissions import require
from billbridge.time import billing, wip
from billbridge.time.values import hours
from billbridge.web.access import member_required, refused_by
from billbridge.web.wip_forms import (
    AMOUNT_PREFIX,
    InvoiceFromWipForm,
    WipFilterForm,
    show_billing_errors,
)

BULK_ACTION = "invoice_from_wip"
# More clients than any page holds: a longer selection is a forged request.
MAX_SELECTION = 1000


def _with_hours(rows):
    for row in rows:
        row["hours"] = hours(row["minutes"])
    return rows


def _partial(request) -> bool:
    # A history restore asks for the whole page even though htmx sends it.
    return bool(request.htmx) and not request.htmx.history_restore_request


# ---- the WIP list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientOutcome:
    """What the bulk action did for one selected client."""

    client_id: int
    client_name: str
    done: bool
    message: str
    invoice_id: int | None = None


@dataclass
class BulkReport:
    outcomes: list[ClientOutcome]
    error: str = ""

    @property
    def done_count(self) -> int:
        return sum(outcome.done for outcome in self.outcomes)

    @property
    def refused_count(self) -> int:
        return len(self.outcomes) - self.done_count


def _selected_clients(request) -> list[int]:
    try:
        ids = [int(value) for value in request.POST.getlist("selected")]
    except ValueError as exc:
        raise InvalidInput(
            "The selection was not understood. Reload the page and try again."
        ) from exc
    if len(ids) > MAX_SELECTION:
        raise InvalidInput(f"Select at most {MAX_SELECTION} clients at a time.")
    if not ids:
        raise InvalidInput("Select at least one client first.")
    return list(dict.fromkeys(ids))


def invoice_each(membership: Membership, client_ids: list[int]) -> list[ClientOutcome]:
    """One draft per client from all its WIP, grouped by work code. Each client is invoiced
    on its own (the service's own transaction): one refusal stops or undoes no other."""
    names = dict(
        Client.objects.for_practice(membership.practice)
        .filter(pk__in=[pk for pk in client_ids if 0 < pk <= MAX_ID])
        .values_list("pk", "name")
    )
    outcomes = []
    for client_id in client_ids:
        if client_id not in names:
            outcomes.append(ClientOutcome(client_id, "", False, "No such client."))
            continue
        try:
            invoice = billing.invoice_from_wip(membership, billing.WipBilling(client_id=client_id))
        except ServiceError as exc:
            outcomes.append(ClientOutcome(client_id, names[client_id], False, exc.message))
        else:
            lines = invoice.lines.count()
            outcomes.append(
                ClientOutcome(
                    client_id,
                    names[client_id],
                    True,
                    f"Draft {invoice.number}: {lines} line{'s' if lines != 1 else ''}, "
                    f"{invoice.total:,.2f}",
                    invoice.pk,
                )
            )
    return outcomes


def _run_bulk_action(request) -> BulkReport:
    if request.POST.get("action") != BULK_ACTION:
        return BulkReport([], "Choose an action from the More actions menu.")
    try:
        client_ids = _selected_clients(request)
    except InvalidInput as exc:
        return BulkReport([], exc.message)
    return BulkReport(invoice_each(request.membership, client_ids))


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def wip_list(request):
    """GET shows every client with WIP; POST makes a draft from each selected client's WIP,
    then shows the list (filtered as before) under the per-client results."""
    membership = request.membership
    filters = WipFilterForm(membership.practice, request.GET)
    narrowing = filters.narrowing()
    report = _run_bulk_action(request) if request.method == "POST" else None
    # One row per client: the whole list is one grouped query, and the totals are its sums.
    rows = _with_hours(list(wip.wip_list(membership, **narrowing)))
    totals = wip.wip_totals(rows)
    totals["hours"] = hours(totals["minutes"])
    page = Paginator(rows, settings.BILLING_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "totals": totals,
        "ages": [label for label, *_ in wip.AGES],
        "age_keys": [f"age{index}" for index in range(len(wip.AGES))],
        "report": report,
        "may_process_time": membership.has(Permission.PROCESS_TIME),
    }
    status = 400 if filters.errors or (report and report.error) else 200
    template = "web/wip/_wip_table.html" if _partial(request) else "web/wip/wip_list.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---- one client's WIP -----------------------------------------------------------------------


def _client_wip_or_404(membership: Membership, pk: int) -> wip.ClientWip:
    try:
        return wip.client_wip(membership, pk)
    except Client.DoesNotExist as exc:
        raise Http404("No such client.") from exc


def _person(row: dict) -> str:
    name = " ".join(p for p in (row["staff__user__first_name"], row["staff__user__last_name"]) if p)
    return name or row["staff__user__username"]


@member_required
@require_safe
def client_wip(request, pk: int):
    work = _client_wip_or_404(request.membership, pk)
    by_person = _with_hours(work.by_person)
    for row in by_person:
        row["name"] = _person(row)
    return render(
        request,
        "web/wip/client_wip.html",
        {
            "work": work,
            "client": work.client,
            "hours": hours(work.totals["minutes"]),
            "by_work_code": _with_hours(work.by_work_code),
            "by_person": by_person,
            "may_process_time": request.membership.has(Permission.PROCESS_TIME),
        },
    )


# ---- invoice from WIP -----------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewLine:
    group: billing.Group
    typed: str  # the billed amount as typed, shown again in its input

    @property
    def hours(self) -> Decimal:
        return hours(self.group.minutes)

    @property
    def difference(self) -> Decimal:
        return self.group.billed - self.group.standard


@dataclass
class Preview:
    """The lines the draft would have, as billing.preview makes them, and their sums."""

    lines: list[PreviewLine]

    @property
    def too_many(self) -> bool:
        """More lines than an invoice holds: the draft would be refused, so the lines are not
        listed one by one (nor their amounts asked for)."""
        return len(self.lines) > billing.MAX_LINES

    @property
    def max_lines(self) -> int:
        return billing.MAX_LINES

    @property
    def hours(self) -> Decimal:
        return hours(sum(line.group.minutes for line in self.lines))

    @property
    def standard(self) -> Decimal:
        return sum((line.group.standard for line in self.lines), Decimal("0.00"))

    @property
    def billed(self) -> Decimal:
        return sum((line.group.billed for line in self.lines), Decimal("0.00"))

    @property
    def difference(self) -> Decimal:
        return self.billed - self.standard


def _preview(membership: Membership, choice: billing.WipBilling, typed: dict) -> Preview:
    """The preview of `choice`, leaving out amounts typed for lines the choice no longer has
    (an entry unticked, an earlier date): the person is still choosing, so the lines follow
    the choice. Creating the draft sends the amounts as typed, and the service refuses an
    amount for a line that is not there."""
    plain = billing.preview(
        membership,
        billing.WipBilling(
            client_id=choice.client_id,
            entry_ids=choice.entry_ids,
            through=choice.through,
            grouping=choice.grouping,
        ),
    )
    keys = {group.key for group in plain}
    priced = billing.WipBilling(
        client_id=choice.client_id,
        grouping=choice.grouping,
        line_amounts={key: value for key, value in choice.line_amounts.items() if key in keys},
        total=choice.total,
        fixed_fee=choice.fixed_fee,
    )
    groups = billing.priced(plain, priced)
    return Preview([PreviewLine(group, typed.get(group.key, "")) for group in groups])


def _invoice_form_page(request, work: wip.ClientWip, form, preview, refusal="", status=200):
    data = getattr(form, "cleaned_data", {})
    context = {
        "work": work,
        "client": work.client,
        "form": form,
        "preview": preview,
        "refusal": refusal,
        "grouping": data.get("grouping") or form["grouping"].value() or "work_code",
        "ticked": set(data.get("entry") or ()),
        "amount_prefix": AMOUNT_PREFIX,
        "wip_hours": hours(work.totals["minutes"]),
        # Line amounts are typed while no whole-invoice amount or fixed fee applies.
        "amounts_editable": data.get("total") is None and data.get("fixed_fee") is None,
    }
    partial = "web/wip/_invoice_from_wip_form.html"
    template = partial if _partial(request) else "web/wip/invoice_from_wip.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _refused(request, work: wip.ClientWip, form, preview, exc: ServiceError):
    """A refusal of the billing service: a missing permission on the refusal page, anything
    else on the page itself, with the choice as it was."""
    if isinstance(exc, PermissionRefused):
        return refused_by(
            request,
            exc,
            back_url=reverse("web:client-wip", args=[work.client.pk]),
            back_label=f"Back to the WIP of {work.client.name}",
        )
    if isinstance(exc, InvalidInput):
        show_billing_errors(form, exc)
        return _invoice_form_page(request, work, form, preview, status=exc.status_code)
    return _invoice_form_page(
        request, work, form, preview, refusal=exc.message, status=exc.status_code
    )


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def invoice_from_wip(request, pk: int):
    """GET shows the choice (all WIP, by work code, at standard) and its preview. A POST
    previews again what is chosen (htmx sends one at each change), unless it is "Create
    draft", which makes the draft and goes to it; a refusal is shown on the page and nothing
    is made."""
    membership = request.membership
    work = _client_wip_or_404(membership, pk)
    if request.method == "POST":
        form = InvoiceFromWipForm(request.POST)
    else:
        form = InvoiceFromWipForm(initial={"issue_date": timezone.localdate()})
        # Asked before showing a choice the member could never make, as the invoice editor
        # does; a POST is the service's to refuse.
        try:
            require(membership, Permission.PROCESS_TIME)
        except PermissionRefused as exc:
            return _refused(request, work, form, None, exc)
    if form.is_bound and not form.is_valid():
        return _invoice_form_page(request, work, form, None, status=400)
    regrouped = form.is_bound and form.regrouped()
    choice = (
        form.wip_billing(work.client.pk)
        if form.is_bound
        else billing.WipBilling(client_id=work.client.pk)
    )
    try:
        preview = _preview(membership, choice, form.typed)
    except ServiceError as exc:
        return _refused(request, work, form, None, exc)
    if "create" not in request.POST:
        return _invoice_form_page(request, work, form, preview)
    if regrouped:
        return _invoice_form_page(
            request,
            work,
            form,
            preview,
            refusal="The lines are grouped differently now, so the amounts typed for the old "
            "lines were cleared: check the lines, then create the draft.",
            status=409,
        )
    try:
        invoice = billing.invoice_from_wip(membership, choice)
    except ServiceError as exc:
        return _refused(request, work, form, preview, exc)
    messages.success(request, f"Draft {invoice.number} is made from the WIP of {work.client.name}.")
    return redirect("web:invoice-detail", pk=invoice.pk)
