"""Settings ▸ Time ▸ Work codes & rates: the practice's rate card (billbridge.time.rate_card).

Every member may look; changing it needs Manage settings, which the services check — the page
only leaves the forms out. A work code's name is the service name of the lines made from it,
so its QuickBooks item is chosen here too, through the same quickbooks service as the
QuickBooks settings page (which keeps the mappings of other service names).
"""

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from billbridge.core.errors import InvalidInput, PermissionRefused, ServiceError
from billbridge.invoicing import services as invoicing
from billbridge.practice.models import Membership, Permission
from billbridge.quickbooks import connection as qbo_connection
from billbridge.quickbooks.models import ItemMapping
from billbridge.time import rate_card as rates
from billbridge.time.models import Rate, WorkCode
from billbridge.web.access import member_required, refused_by
from billbridge.web.forms import show_service_errors
from billbridge.web.wip_forms import RateForm, WorkCodeForm, person_name

BACK = "Back to work codes & rates"
# The three kinds of rate a practice sets, in the order the rate card shows them.
KINDS = {
    "work_code": "Work codes' default rates",
    "staff": "Staff members' rates",
    "override": "Client overrides",
}


def _kind(rate: Rate) -> str:
    if rate.client_id is not None:
        return "override"
    return "work_code" if rate.work_code_id is not None else "staff"


def _scope_label(rate: Rate) -> str:
    parts = []
    if rate.client_id is not None:
        parts.append(rate.client.name)
    if rate.staff_id is not None:
        parts.append(person_name(rate.staff.user))
    if rate.work_code_id is not None:
        parts.append(rate.work_code.name)
    if rate.client_id is not None and len(parts) == 2:
        parts.append("anyone" if rate.staff_id is None else "any work")
    return " — ".join(parts)


@dataclass
class RateHistory:
    """Every rate of one scope, newest first. The one in force today is the newest that has
    started; a later one is scheduled, an earlier one replaced."""

    label: str
    today: datetime.date
    rates: list[Rate] = field(default_factory=list)

    @property
    def current(self) -> Rate | None:
        return next((r for r in self.rates if r.effective_from <= self.today), None)

    @property
    def rows(self) -> list[tuple[Rate, str]]:
        current = self.current
        return [
            (
                rate,
                "In force"
                if rate is current
                else "Scheduled"
                if rate.effective_from > self.today
                else "Replaced",
            )
            for rate in self.rates
        ]


def histories(practice, today: datetime.date) -> dict[str, list[RateHistory]]:
    """The practice's rates by kind, then by scope (in the order of their labels)."""
    by_scope: dict[tuple, RateHistory] = {}
    found = (
        Rate.objects.filter(practice=practice)
        .select_related("staff__user", "client", "work_code", "created_by")
        .order_by("-effective_from", "-id")
    )
    for rate in found:
        scope = (rate.staff_id, rate.client_id, rate.work_code_id)
        by_scope.setdefault(scope, RateHistory(_scope_label(rate), today)).rates.append(rate)
    kinds: dict[str, list[RateHistory]] = {kind: [] for kind in KINDS}
    for history in sorted(by_scope.values(), key=lambda h: h.label.casefold()):
        kinds[_kind(history.rates[0])].append(history)
    return kinds


def _qbo_items(membership: Membership) -> tuple[object, list]:
    """The QuickBooks connection and the company's active items, as last read."""
    connection = qbo_connection.connection_for(membership.practice)
    if connection is None or not connection.company:
        return connection, []
    company = qbo_connection.company_of(connection)
    return connection, [item for item in company.items if item.active]


def _page(request, *, work_code_form=None, rate_form=None, refusal="", status=200):
    membership = request.membership
    practice = membership.practice
    today = timezone.localdate()
    may_manage = membership.has(Permission.MANAGE_SETTINGS)
    tax = invoicing.tax_settings_for(practice)
    codes = list(WorkCode.objects.filter(practice=practice))
    by_kind = histories(practice, today)
    defaults = {h.rates[0].work_code_id: h.current for h in by_kind["work_code"]}
    mappings = {
        m.service_name: m
        for m in ItemMapping.objects.filter(
            practice=practice, service_name__in=[code.name for code in codes]
        )
    }
    connection, items = _qbo_items(membership)
    rate_initial = {"effective_from": today, "work_code": request.GET.get("work_code")}
    context = {
        "codes": [(code, defaults.get(code.pk), mappings.get(code.name)) for code in codes],
        "tax": tax,
        "histories": [(KINDS[kind], found) for kind, found in by_kind.items()],
        "today": today,
        "may_manage": may_manage,
        "connection": connection,
        "items": items,
        # The item service asks for Manage settings, as on the QuickBooks settings page.
        "may_choose_item": may_manage and bool(items),
        "work_code_form": work_code_form or WorkCodeForm(tax=tax),
        "rate_form": rate_form or RateForm(practice, initial=rate_initial),
        "refusal": refusal,
    }
    return render(request, "web/wip/rate_card.html", context, status=status)


@member_required
@require_http_methods(["GET", "HEAD"])
def rate_card(request):
    return _page(request)


def _refused(request, exc: ServiceError):
    return refused_by(request, exc, back_url=reverse("web:rate-card"), back_label=BACK)


@member_required
@require_POST
def rate_card_work_code_new(request):
    # Read even from a member who may not manage settings: the service is the one to refuse.
    form = WorkCodeForm(request.POST, tax=invoicing.tax_settings_for(request.membership.practice))
    if form.is_valid():
        try:
            code = rates.save_work_code(request.membership, form.work_code_input())
        except InvalidInput as exc:
            show_service_errors(form, exc)
        except ServiceError as exc:
            return _refused(request, exc)
        else:
            messages.success(request, f"The work code {code.name} is added.")
            return redirect("web:rate-card")
    return _page(request, work_code_form=form, status=400)


def _carry_item(request, old_name: str, code: WorkCode) -> None:
    """A renamed work code keeps its QuickBooks item: its new name is mapped to the item its
    old name had, unless the new name has an item of its own already. The old name's mapping
    stays, for the lines already made under it."""
    mappings = {
        m.service_name: m
        for m in ItemMapping.objects.filter(
            practice=request.membership.practice, service_name__in=[old_name, code.name]
        )
    }
    mapping = mappings.get(old_name)
    if mapping is None or code.name in mappings:
        return
    try:
        qbo_connection.set_item_mapping(request.membership, code.name, mapping.qbo_item_id)
    except ServiceError as exc:
        messages.warning(
            request,
            f"{code.name} is not yet exported as “{mapping.qbo_item_name}” as {old_name} was: "
            f"{exc.message} Choose its QuickBooks item below.",
        )


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def rate_card_work_code(request, pk: int):
    membership = request.membership
    code = get_object_or_404(WorkCode.objects.filter(practice=membership.practice), pk=pk)
    tax = invoicing.tax_settings_for(membership.practice)
    may_manage = membership.has(Permission.MANAGE_SETTINGS)
    status = 200
    if request.method == "POST":
        form = WorkCodeForm(request.POST, tax=tax)
        if form.is_valid():
            old_name = code.name
            try:
                code = rates.save_work_code(membership, form.work_code_input(), code.pk)
            except InvalidInput as exc:
                show_service_errors(form, exc)
            except ServiceError as exc:
                return _refused(request, exc)
            else:
                _carry_item(request, old_name, code)
                messages.success(request, f"The work code {code.name} is saved.")
                return redirect("web:rate-card")
        status = 400
    else:
        form = WorkCodeForm(
            initial={name: getattr(code, name) for name in WorkCodeForm.base_fields}, tax=tax
        )
        if not may_manage:
            for read_only in form.fields.values():
                read_only.disabled = True
    return render(
        request,
        "web/wip/rate_card_work_code.html",
        {"code": code, "form": form, "may_manage": may_manage},
        status=status,
    )


@member_required
@require_POST
def rate_card_rate_new(request):
    form = RateForm(request.membership.practice, request.POST)
    if not form.is_valid():
        return _page(request, rate_form=form, status=400)
    try:
        rate, revalued = rates.set_rate(request.membership, form.rate_input())
    except PermissionRefused as exc:
        return _refused(request, exc)
    except InvalidInput as exc:
        show_service_errors(form, exc)
        return _page(request, rate_form=form, status=400)
    except ServiceError as exc:
        # Billed or held work would fall under the rate: said on the page, the form kept.
        return _page(request, rate_form=form, refusal=exc.message, status=exc.status_code)
    messages.success(
        request,
        f"The rate of {rate.hourly_rate:,.2f} an hour from {rate.effective_from:%Y-%m-%d} is "
        f"added; {revalued} unbilled entr{'y was' if revalued == 1 else 'ies were'} revalued.",
    )
    return redirect("web:rate-card")


@member_required
@require_POST
def rate_card_qbo_item(request, pk: int):
    """Choose the QuickBooks item a work code's lines are exported as, or go back to the
    default item."""
    membership = request.membership
    code = get_object_or_404(WorkCode.objects.filter(practice=membership.practice), pk=pk)
    try:
        if request.POST.get("use_default"):
            qbo_connection.remove_item_mapping(membership, code.name)
            done = f"Lines of {code.name} are exported with the default item."
        else:
            mapping = qbo_connection.set_item_mapping(
                membership, code.name, request.POST.get("qbo_item_id", "")
            )
            done = f"Lines of {code.name} are exported as “{mapping.qbo_item_name}”."
    except ServiceError as exc:
        return _refused(request, exc)
    messages.success(request, done)
    return redirect("web:rate-card")
