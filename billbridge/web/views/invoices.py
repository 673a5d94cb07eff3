"""The invoice page, its status buttons, and the editor for new invoices and drafts. A credit
note or write-off is an invoice of its own kind (docs/decisions/0027-credit-notes.md): it has
the same page and editor, less what makes no sense for it (a due date, closing, paying), and
an invoice's page shows its balance net of them and offers to credit it (credit_notes.py)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import F
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from billbridge.clients.models import ClientRole
from billbridge.core.errors import InvalidInput, ServiceError, TransitionRefused
from billbridge.invoicing import books, credits, periods, services
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.practice.models import Membership, Permission
from billbridge.practice.permissions import is_client_owner, require
from billbridge.quickbooks import services as qbo_services
from billbridge.quickbooks.column import cells_for
from billbridge.quickbooks.connection import connection_for
from billbridge.quickbooks.models import ExportBatch
from billbridge.time.traced import work_behind
from billbridge.web.access import invoice_or_404, member_required, refusal, refused_by
from billbridge.web.forms import (
    LINES_PREFIX,
    MAX_LINE_ROWS,
    InvoiceForm,
    LineFormSet,
    filled_lines,
    show_service_errors,
)
from billbridge.web.sending_forms import sending_panel


@dataclass(frozen=True)
class Transition:
    run: Callable[[Membership, int, str], Invoice]  # (member, invoice id, reason)
    done: str  # the message once it worked, with {kind} and {number}
    # What still needs doing elsewhere once it worked, if anything (a warning on the page).
    warn: Callable[[Invoice], str] = lambda invoice: ""


TRANSITIONS = {
    "finalize": Transition(
        lambda membership, invoice_id, reason: services.finalize(membership, invoice_id),
        "{kind} {number} is finalized.",
    ),
    "revert": Transition(services.revert_to_draft, "{kind} {number} is a draft again."),
    "close": Transition(
        services.close, "Invoice {number} is closed.", warn=qbo_services.still_open_in_qbo
    ),
    "reopen": Transition(services.reopen, "Invoice {number} is reopened (Finalized)."),
}


def allowed_transitions(membership: Membership, invoice: Invoice) -> set[str]:
    """Which buttons to show. This mirrors the services' rules for display only: a forged
    request for a hidden one is still refused by the service."""
    if not membership.has(Permission.PROCESS_TIME):
        return set()
    owner = is_client_owner(membership, invoice.client_id)
    if invoice.is_credit and not invoice.is_draft:
        # Never closed by hand (nothing is paid on it), and once QuickBooks holds it, applied
        # to its invoice there, never taken back.
        held = books.external_books().holds(invoice)
        return (
            {"revert"}
            if owner and not held and invoice.status == InvoiceStatus.FINALIZED
            else set()
        )
    if invoice.is_draft:
        return {"edit", "finalize", "delete"}
    # A credited invoice is corrected by another credit note, never by a revert (the service
    # refuses it): the button is not offered.
    revert = {"revert"} if owner and not invoice.credit_notes.exists() else set()
    if invoice.status == InvoiceStatus.FINALIZED:
        return {"close"} | revert
    return ({"reopen"} | revert) if owner else set()


def _who(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.username


def missing_permissions(membership: Membership, invoice: Invoice) -> list[str]:
    """Why a status button is missing, said where the member looks for it rather than left to
    guess (R8's rule named in full). Display only, like allowed_transitions."""
    processes = membership.has(Permission.PROCESS_TIME)
    reasons = []
    closable = invoice.status == InvoiceStatus.FINALIZED and not invoice.is_credit
    if not processes and (invoice.is_draft or closable):
        doing = "Editing and finalizing need" if invoice.is_draft else "Closing needs"
        reasons.append(f"{doing} the Process time permission, which you do not have.")
    if invoice.is_draft:
        return reasons
    owner = is_client_owner(membership, invoice.client_id)
    if not (owner and processes):
        lacking = [
            what
            for what, held in (
                ("the Owner role on this client", owner),
                ("the Process time permission", processes),
            )
            if not held
        ]
        doing = (
            "Reverting to Draft"
            if invoice.status == InvoiceStatus.FINALIZED
            else "Reverting to Draft or reopening"
        )
        owners = sorted(
            _who(assignment.membership)
            for assignment in invoice.client.assignments.filter(
                role=ClientRole.OWNER
            ).select_related("membership__user")
        )
        reasons.append(
            f"{doing} needs the Owner role on this client and the Process time permission: "
            f"you lack {' and '.join(lacking)}."
            + (f" Owners of {invoice.client.name}: {', '.join(owners)}." if owners else "")
        )
        if not invoice.is_credit:
            reasons.append("Issuing a credit note or a write-off needs the same.")
    return reasons


def credit_actions(membership: Membership, invoice: Invoice, balance: credits.Balance) -> set[str]:
    """Which of the credit buttons to show (credit_notes.py): for display only, mirroring the
    services' rules as allowed_transitions does. A corrected copy is a new draft (Process
    time); crediting takes money back, so it needs what a revert needs, and something left to
    credit."""
    creditable = invoice.status in (InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED)
    if invoice.is_credit or not creditable or not membership.has(Permission.PROCESS_TIME):
        return set()
    if is_client_owner(membership, invoice.client_id) and balance.creditable > 0:
        return {"corrected_copy", "credit", "write_off"}
    return {"corrected_copy"}


def _followed_batch(request) -> ExportBatch | None:
    """The export or check this page was sent to follow (?batch=), if it is the practice's."""
    value = request.GET.get("batch", "")
    # Beyond a database key the lookup itself would fail.
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None
    try:
        return qbo_services.get_batch(request.membership, int(value))
    except ExportBatch.DoesNotExist:
        return None


def _render_invoice(
    request,
    invoice: Invoice,
    *,
    error: str = "",
    status: int = 200,
    send_form=None,
    period_closed: periods.PeriodClosed | None = None,
):
    """The invoice page; with `period_closed`, the refusal of a change in a closed period,
    its way forward beside it (a credit note, a corrected copy)."""
    membership = request.membership
    connection = connection_for(membership.practice)
    batch = _followed_batch(request)
    # An invoice's balance net of its credit notes; a draft owes nothing yet, and a credit
    # note's effect shows on its invoice's balance.
    balance = None if invoice.is_draft or invoice.is_credit else credits.balance_of(invoice)
    context = {
        "invoice": invoice,
        "balance": balance,
        "credit_notes": invoice.credit_notes.order_by("issue_date", "pk"),
        "credit_actions": set()
        if balance is None
        else credit_actions(membership, invoice, balance),
        "period_closed": period_closed,
        "lines": invoice.lines.all(),
        "work": work_behind(invoice),
        "timeline": invoice.timeline.select_related("actor"),
        "export": cells_for([invoice], connection=connection)[invoice.pk],
        "allowed": allowed_transitions(membership, invoice),
        "missing_permissions": missing_permissions(membership, invoice),
        "error": error,
        "connection": connection,
        "may_export": membership.has(Permission.EXPORT),
        "offer_export": invoice.status == InvoiceStatus.FINALIZED
        and membership.has(Permission.EXPORT),
        "may_manage_settings": membership.has(Permission.MANAGE_SETTINGS),
        "batch": batch,
        "progress": qbo_services.batch_progress(batch) if batch else None,
        **sending_panel(membership, invoice, send_form),
    }
    return render(request, "web/invoice_detail.html", context, status=status)


@member_required
@require_safe
def invoice_detail(request, pk: int):
    return _render_invoice(request, invoice_or_404(request.membership, pk))


@member_required
@require_POST
def invoice_transition(request, pk: int, action: str):
    invoice = invoice_or_404(request.membership, pk)
    transition = TRANSITIONS.get(action)
    if transition is None:
        return refusal(
            request,
            f"“{action}” is not something an invoice can do.",
            status=404,
            back_url=reverse("web:invoice-detail", args=[pk]),
            back_label=f"Back to invoice {invoice.number}",
        )
    try:
        transition.run(request.membership, invoice.pk, request.POST.get("reason", ""))
    except ServiceError as exc:
        invoice.refresh_from_db()
        closed = exc if isinstance(exc, periods.PeriodClosed) else None
        return _render_invoice(
            request, invoice, error=exc.message, status=exc.status_code, period_closed=closed
        )
    kind = invoice.get_kind_display()
    messages.success(request, transition.done.format(kind=kind, number=invoice.number))
    if warning := transition.warn(invoice):
        messages.warning(request, warning)
    return redirect("web:invoice-detail", pk=invoice.pk)


@member_required
@require_POST
def invoice_delete(request, pk: int):
    invoice = invoice_or_404(request.membership, pk)
    try:
        number = services.delete_draft(request.membership, invoice.pk)
    except ServiceError as exc:
        invoice.refresh_from_db()
        return _render_invoice(request, invoice, error=exc.message, status=exc.status_code)
    if invoice.is_credit:
        # Its invoice no longer reserves what it would have credited.
        messages.success(
            request, f"Draft {invoice.get_kind_display().lower()} {number} is deleted."
        )
        return redirect("web:invoice-detail", pk=invoice.credited_invoice_id)
    messages.success(request, f"Draft {number} is deleted; the work on it is back in WIP.")
    return redirect("web:billing-list")


def _number_help(membership: Membership, invoice: Invoice | None) -> str:
    if invoice is not None:
        return f"Leave blank to keep {invoice.number}."
    practice = membership.practice
    return (
        "Leave blank to take the next number in the sequence "
        f"({practice.invoice_number_prefix}{practice.next_invoice_number})."
    )


def _why_not_editable(membership: Membership, invoice: Invoice | None) -> ServiceError | None:
    try:
        require(membership, Permission.PROCESS_TIME)
    except ServiceError as exc:
        return exc
    if invoice is not None and not invoice.is_draft:
        return TransitionRefused(
            f"{invoice.get_kind_display()} {invoice.number} is {invoice.get_status_display()}, "
            "so it cannot be edited. Only drafts can be edited: revert it to Draft first."
        )
    return None


def _with_one_more_row(data):
    """The posted editor with one more empty line row: "Add line" without JavaScript."""
    data = data.copy()
    total_key = f"{LINES_PREFIX}-TOTAL_FORMS"
    try:
        total = int(data.get(total_key, ""))
    except ValueError:
        return data
    data[total_key] = str(min(total + 1, MAX_LINE_ROWS))
    return data


def _edit_invoice(request, invoice: Invoice | None):
    """The editor for a new invoice (invoice is None) or a draft."""
    membership = request.membership
    practice = membership.practice
    if invoice is None:
        back_url, back_label = reverse("web:billing-list"), "Back to the Billing list"
    else:
        back_url = reverse("web:invoice-detail", args=[invoice.pk])
        back_label = f"Back to {invoice.get_kind_display().lower()} {invoice.number}"
    if request.method != "POST":
        # Asked before showing a form the member could never save. A POST is not checked
        # here: the service refuses it in its own words.
        refused = _why_not_editable(membership, invoice)
        if refused:
            return refused_by(request, refused, back_url=back_url, back_label=back_label)

    number_help = _number_help(membership, invoice)
    credit_note = invoice if invoice is not None and invoice.is_credit else None
    hide_errors, line_errors, status = False, [], 200
    if request.method == "POST":
        adding_line = "add_line" in request.POST
        data = _with_one_more_row(request.POST) if adding_line else request.POST
        form = InvoiceForm(practice, data, number_help=number_help, credit_note=credit_note)
        formset = LineFormSet(data, prefix=LINES_PREFIX)
        if adding_line:
            # Not a save: the member is still typing, so no errors yet. Cleared, not only
            # hidden, so that no field is announced as invalid with no error to read.
            hide_errors = True
            for part in (form, *formset.forms):
                part.errors.clear()
        elif form.is_valid() and formset.is_valid():
            draft = services.DraftInput(
                client_id=form.cleaned_data["client"].pk,
                number=form.chosen_number(),
                issue_date=form.cleaned_data["issue_date"],
                due_date=form.cleaned_data.get("due_date"),
                memo=form.cleaned_data["memo"],
                lines=filled_lines(formset),
            )
            try:
                if invoice is None:
                    saved = services.create_draft(membership, draft)
                else:
                    saved = services.update_draft(
                        membership,
                        invoice.pk,
                        draft,
                        expected_version=form.cleaned_data["version"],
                    )
            except InvalidInput as exc:
                show_service_errors(form, exc, skip=("lines", "amount"))
                line_errors = exc.field_errors.get("lines", [])
                if "amount" in exc.field_errors:
                    # A credit note's lines take back more than remains on its invoice: the
                    # service's sentence, with the invoice's numbers, above the lines.
                    line_errors = [*line_errors, exc.message]
                status = 400
            except ServiceError as exc:
                return refused_by(request, exc, back_url=back_url, back_label=back_label)
            else:
                messages.success(
                    request, f"{saved.get_kind_display()} {saved.number} is saved as a draft."
                )
                return redirect("web:invoice-detail", pk=saved.pk)
        else:
            status = 400
    elif invoice is None:
        form = InvoiceForm(
            practice,
            initial={"issue_date": timezone.localdate(), "client": request.GET.get("client")},
            number_help=number_help,
        )
        formset = LineFormSet(prefix=LINES_PREFIX)
    else:
        form = InvoiceForm(
            practice,
            initial={
                "client": invoice.client_id,
                "number": invoice.number,
                "issue_date": invoice.issue_date,
                "due_date": invoice.due_date,
                "memo": invoice.memo,
                "version": invoice.version,
            },
            number_help=number_help,
            credit_note=credit_note,
        )
        formset = LineFormSet(
            prefix=LINES_PREFIX,
            initial=list(
                invoice.lines.annotate(line_id=F("pk")).values(
                    "description",
                    "line_id",
                    "service_name",
                    "quantity",
                    "unit_price",
                    "primary_taxable",
                    "secondary_taxable",
                )
            ),
        )
    context = {
        "invoice": invoice,
        "form": form,
        "formset": formset,
        "hide_errors": hide_errors,
        "line_errors": line_errors,
        "back_url": back_url,
        "back_label": back_label,
        "tax": _tax_columns(credit_note) if credit_note else services.tax_settings_for(practice),
    }
    return render(request, "web/invoice_form.html", context, status=status)


@dataclass(frozen=True)
class TaxColumns:
    """The editor's tax columns, named as TaxSettings names them."""

    primary_name: str
    primary_enabled: bool
    secondary_name: str
    secondary_enabled: bool


def _tax_columns(credit_note: Invoice) -> TaxColumns:
    """A credit note is taxed at the rates its invoice was billed with, not the practice's."""
    return TaxColumns(
        credit_note.primary_tax_name,
        credit_note.primary_tax_rate > 0,
        credit_note.secondary_tax_name,
        credit_note.secondary_tax_rate > 0,
    )


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def invoice_new(request):
    return _edit_invoice(request, None)


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def invoice_edit(request, pk: int):
    return _edit_invoice(request, invoice_or_404(request.membership, pk))


@member_required
@require_safe
def invoice_line_row(request):
    """One more empty line row for the editor (htmx's "Add line"), and the formset's new
    total, swapped out of band."""
    try:
        index = int(request.GET.get(f"{LINES_PREFIX}-TOTAL_FORMS", ""))
    except ValueError:
        return HttpResponseBadRequest("The number of lines was not understood.")
    if not 0 <= index < MAX_LINE_ROWS:
        return HttpResponseBadRequest("An invoice cannot have more lines.")
    line = LineFormSet(prefix=LINES_PREFIX).empty_form
    line.prefix = f"{LINES_PREFIX}-{index}"
    return render(
        request,
        "web/_invoice_new_line.html",
        {"line": line, "total": index + 1, "prefix": LINES_PREFIX},
    )
