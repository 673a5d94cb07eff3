"""Every change of an invoice happens here: drafting, editing and the status transitions.

Each function checks its guard and the actor's permissions before writing anything, runs in one
transaction holding the invoice's row lock, and writes a timeline event. A revert to Draft
changes the practice's books (QBO) first, with no transaction open, between its guards and its
change (books.py). Pages, the API, commands and QuickBooks tasks call these functions; nothing
else assigns a status.
"""

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from billbridge.clients.models import Client
from billbridge.clients.names import display_name_problems
from billbridge.core.errors import InvalidInput, ServiceError, TransitionRefused
from billbridge.core.money import CENT
from billbridge.invoicing import books, credits, held_work, periods, signals
from billbridge.invoicing.books import BooksChange
from billbridge.invoicing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    TaxSettings,
    TimelineEvent,
)
from billbridge.invoicing.numbers import number_problems
from billbridge.invoicing.totals import LineInput, compute_totals
from billbridge.practice.models import Membership, Permission, Practice
from billbridge.practice.permissions import require, require_client_owner

MAX_LINES = 200
MAX_ID = 2**63 - 1  # the largest primary key a BigAutoField holds
MAX_LINE_AMOUNT = Decimal("999999999.99")
MAX_LINE_VALUE = Decimal("9999999999.99")  # a quantity or unit price: 12 digits, 2 decimals


@dataclass(frozen=True)
class DraftInput:
    client_id: int
    issue_date: datetime.date
    lines: Sequence[LineInput]
    due_date: datetime.date | None = None
    memo: str = ""
    number: str | None = None  # None: the practice's next number from its sequence


# ---- reading, scoped to the practice ------------------------------------------------------


def get_invoice(membership: Membership, invoice_id: int) -> Invoice:
    """The invoice if it belongs to the member's practice; otherwise Invoice.DoesNotExist, so
    that another practice's invoice looks exactly like one that does not exist."""
    return Invoice.objects.for_practice(membership.practice).get(pk=invoice_id)


def _locked(membership: Membership, invoice_id: int) -> Invoice:
    """The invoice, row-locked, looked up before any permission check so that another
    practice's invoice is "not found" whatever the member may do."""
    return (
        Invoice.objects.for_practice(membership.practice)
        .select_for_update()
        .select_related("client")
        .get(pk=invoice_id)
    )


def tax_settings_for(practice: Practice) -> TaxSettings:
    return TaxSettings.objects.get_or_create(practice=practice)[0]


# ---- drafts ---------------------------------------------------------------------------------


def _validate_draft(membership: Membership, data: DraftInput) -> Client:
    errors: dict[str, list[str]] = {}
    client = Client.objects.for_practice(membership.practice).filter(pk=data.client_id).first()
    if client is None:
        errors["client"] = ["Choose one of your practice's clients."]
    if data.due_date and data.due_date < data.issue_date:
        errors["due_date"] = ["The due date cannot be before the issue date."]
    if data.number is not None and (problems := number_problems(data.number.strip())):
        errors["number"] = problems
    if len(data.lines) > MAX_LINES:
        errors["lines"] = [f"An invoice can have at most {MAX_LINES} lines."]
    for index, line in enumerate(data.lines, start=1):
        if not line.description.strip():
            errors.setdefault("lines", []).append(f"Line {index} needs a description.")
        unreadable = [
            f"Line {index}: the {what} {problem}."
            for what, value in (("quantity", line.quantity), ("unit price", line.unit_price))
            if (problem := _cents_problem(value))
        ]
        if unreadable:
            # The checks below would fail on such a value, or work from one the database rounds.
            errors.setdefault("lines", []).extend(unreadable)
            continue
        if line.quantity <= 0:
            errors.setdefault("lines", []).append(f"Line {index}: the quantity must be positive.")
        if line.unit_price < 0:
            errors.setdefault("lines", []).append(
                f"Line {index}: the unit price cannot be negative."
            )
        if line.amount > MAX_LINE_AMOUNT:
            errors.setdefault("lines", []).append(f"Line {index}: the amount is too large.")
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, errors)
    return client


def _cents_problem(value: Decimal) -> str | None:
    """What keeps a quantity or unit price from being stored as it is: they carry two
    decimals (docs/decisions/0001-money-and-rounding.md) and fit the database's column."""
    if not value.is_finite():
        return "is not a number"
    if abs(value) > MAX_LINE_VALUE:
        return "is too large"
    if value != value.quantize(CENT):
        return "can have at most two decimals"
    return None


# Each kind's numbering: (prefix field, next-number field) on the practice. Credit notes and
# write-offs share one sequence of their own (decision 0027).
SEQUENCES = {
    InvoiceKind.INVOICE: ("invoice_number_prefix", "next_invoice_number"),
    InvoiceKind.CREDIT_NOTE: ("credit_note_prefix", "next_credit_note_number"),
    InvoiceKind.WRITE_OFF: ("credit_note_prefix", "next_credit_note_number"),
}


def _allocate_number(practice: Practice, kind: str = InvoiceKind.INVOICE) -> str:
    prefix_field, next_field = SEQUENCES[kind]
    practice = Practice.objects.select_for_update().get(pk=practice.pk)
    prefix, number = getattr(practice, prefix_field), getattr(practice, next_field)
    # A typed number may already have taken the next one in the sequence: skip past it.
    while Invoice.objects.for_practice(practice).filter(number=f"{prefix}{number}").exists():
        number += 1
    setattr(practice, next_field, number + 1)
    practice.save(update_fields=[next_field, "updated_at"])
    return f"{prefix}{number}"


def _apply_content(invoice: Invoice, data: DraftInput, client: Client) -> None:
    invoice.client = client
    invoice.issue_date = data.issue_date
    invoice.due_date = data.due_date
    invoice.memo = data.memo
    _refresh_totals(invoice, data.lines)
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError as exc:
        raise InvalidInput(
            f"Another invoice already has the number {invoice.number}.",
            {"number": ["Another invoice of this practice has that number."]},
        ) from exc
    _replace_lines(invoice, data.lines)


def _replace_lines(invoice: Invoice, lines: Sequence[LineInput]) -> None:
    """The draft's lines become `lines`. A line that names one of this invoice's stored lines
    updates it in place, so the work held on it stays held; the others are new, and a stored
    line no longer named is removed, its work returned to WIP first (held_work.py)."""
    stored = {line.pk: line for line in invoice.lines.all()} if invoice.pk else {}
    kept: dict[int, InvoiceLine] = {}
    new: list[InvoiceLine] = []
    for position, line in enumerate(lines, start=1):
        content = asdict(line)
        line_id = content.pop("line_id")
        row = stored.get(line_id) if line_id not in kept else None
        if row is None:
            new.append(
                InvoiceLine(invoice=invoice, position=position, amount=line.amount, **content)
            )
            continue
        for name, value in content.items():
            setattr(row, name, value)
        row.position, row.amount = position, line.amount
        kept[row.pk] = row
    removed = [pk for pk in stored if pk not in kept]
    if removed:
        held_work.registered().release(removed, f"the line was removed from draft {invoice.number}")
        InvoiceLine.objects.filter(pk__in=removed).delete()
    InvoiceLine.objects.bulk_update(
        kept.values(), [*LINE_CONTENT, "position", "amount"], batch_size=200
    )
    InvoiceLine.objects.bulk_create(new)


LINE_CONTENT = [f for f in LineInput.__dataclass_fields__ if f != "line_id"]
FROZEN_RATES = ["primary_tax_name", "primary_tax_rate", "secondary_tax_name", "secondary_tax_rate"]


def _refresh_totals(invoice: Invoice, lines: Iterable[LineInput]) -> None:
    """The totals of `lines` at the rates in force: the practice's for an invoice; for a
    credit note, those its invoice was finalized with, so that it takes back what was billed."""
    if invoice.is_credit:
        for name in FROZEN_RATES:
            setattr(invoice, name, getattr(invoice.credited_invoice, name))
    else:
        tax = tax_settings_for(invoice.practice)
        invoice.primary_tax_name = tax.primary_name
        invoice.primary_tax_rate = tax.effective_primary_rate()
        invoice.secondary_tax_name = tax.secondary_name
        invoice.secondary_tax_rate = tax.effective_secondary_rate()
    totals = compute_totals(lines, invoice.primary_tax_rate, invoice.secondary_tax_rate)
    invoice.subtotal = totals.subtotal
    invoice.primary_tax = totals.primary_tax
    invoice.secondary_tax = totals.secondary_tax
    invoice.total = totals.total


def _line_inputs(invoice: Invoice) -> list[LineInput]:
    return [LineInput.of(line) for line in invoice.lines.all()]


def _record(
    invoice: Invoice,
    membership: Membership | None,
    action: str,
    *,
    from_status: str = "",
    reason: str = "",
    actor_label: str = "",
) -> None:
    TimelineEvent.objects.create(
        invoice=invoice,
        actor=membership.user if membership else None,
        actor_label=actor_label,
        action=action,
        from_status=from_status,
        to_status=invoice.status if from_status else "",
        reason=reason[:500],
    )


def record_note(
    invoice: Invoice,
    membership: Membership | None,
    action: str,
    reason: str,
    *,
    actor_label: str = "",
) -> None:
    """A timeline entry that changes no status: a decision about the invoice made elsewhere
    (a QuickBooks user's change kept as it is, an email sent), so the timeline tells the whole
    story. With no member, `actor_label` says who acted (for example "Mail")."""
    _record(invoice, membership, action, reason=reason, actor_label=actor_label)


@transaction.atomic
def create_draft(membership: Membership, data: DraftInput) -> Invoice:
    require(membership, Permission.PROCESS_TIME)
    client = _validate_draft(membership, data)
    number = data.number.strip() if data.number is not None else None
    invoice = Invoice(
        practice=membership.practice,
        number=number or _allocate_number(membership.practice),
        status=InvoiceStatus.DRAFT,
    )
    _apply_content(invoice, data, client)
    _record(invoice, membership, "created")
    return invoice


@transaction.atomic
def update_draft(
    membership: Membership,
    invoice_id: int,
    data: DraftInput,
    *,
    expected_version: int | None = None,
) -> Invoice:
    """Replace a draft's content. A caller that built `data` from what it read earlier passes
    the version it read, so that a change made in between is refused, not overwritten."""
    invoice = _locked(membership, invoice_id)
    require(membership, Permission.PROCESS_TIME)
    if not invoice.is_draft:
        raise TransitionRefused(
            f"Invoice {invoice.number} is {invoice.get_status_display()}; only drafts can be "
            "edited. Revert it to Draft first."
        )
    if expected_version is not None and expected_version != invoice.version:
        raise TransitionRefused(
            f"Invoice {invoice.number} was changed by someone else since you opened it. "
            "Reload it and make your change again."
        )
    client = _validate_draft(membership, data)
    if invoice.is_credit:
        _require_crediter(membership, invoice)
        _credit_draft_problems(invoice, data)
    if data.number is not None:
        invoice.number = data.number.strip()
    invoice.version += 1
    invoice.content_version += 1
    _apply_content(invoice, data, client)
    if invoice.is_credit:
        _refuse_over_credit(invoice)  # rolled back with the edit when refused
    _record(invoice, membership, "edited")
    return invoice


def _credit_draft_problems(note: Invoice, data: DraftInput) -> None:
    if data.client_id != note.credited_invoice.client_id:
        raise InvalidInput(
            "A credit note is for its invoice's client.",
            {"client": [f"Keep {note.credited_invoice.client.name}."]},
        )
    _refuse_closed_date(note.practice, data.issue_date)


@transaction.atomic
def delete_draft(membership: Membership, invoice_id: int) -> str:
    """Delete a draft that never reached the books; the work held on it returns to WIP.
    Answers the deleted draft's number."""
    invoice = _locked(membership, invoice_id)
    require(membership, Permission.PROCESS_TIME)
    if not invoice.is_draft:
        raise TransitionRefused(
            f"Invoice {invoice.number} is {invoice.get_status_display()}; only drafts can be "
            "deleted."
        )
    if note := books.external_books().keeps_history_of(invoice):
        raise TransitionRefused(f"Invoice {invoice.number} cannot be deleted: {note}")
    number = invoice.number
    line_ids = list(invoice.lines.values_list("pk", flat=True))
    if line_ids:
        held_work.registered().release(line_ids, f"draft {number} was deleted")
    invoice.delete()
    return number


# ---- status transitions -----------------------------------------------------------------


def _completeness_problems(invoice: Invoice) -> list[str]:
    problems = []
    lines = list(invoice.lines.all())
    if not lines:
        problems.append("it has no lines")
    if invoice.due_date is None and not invoice.is_credit:
        problems.append("it has no due date")
    problems.extend(display_name_problems(invoice.client.name))
    return problems


def _transition(
    invoice: Invoice,
    membership: Membership | None,
    to_status: InvoiceStatus,
    action: str,
    *,
    reason: str = "",
    actor_label: str = "",
) -> Invoice:
    _refuse_nul(reason)
    from_status = invoice.status
    invoice.status = to_status
    invoice.version += 1
    invoice.save(update_fields=["status", "version", "updated_at"])
    _record(
        invoice,
        membership,
        action,
        from_status=from_status,
        reason=reason,
        actor_label=actor_label,
    )
    return invoice


def _refuse_nul(reason: str) -> None:
    if "\x00" in reason:
        # Refused rather than stored: PostgreSQL cannot keep a NUL character in text.
        raise InvalidInput(
            "A reason cannot contain NUL characters.", {"reason": ["Remove the NUL characters."]}
        )


def _refuse_unless(invoice: Invoice, expected: InvoiceStatus, doing: str) -> None:
    if invoice.status != expected:
        raise TransitionRefused(
            f"Invoice {invoice.number} is {invoice.get_status_display()}; only "
            f"{expected.label.lower()} invoices can be {doing}."
        )


# What finalize() freezes into the invoice: the tax rates in force, and the totals they give.
FROZEN_AT_FINALIZE = [
    *FROZEN_RATES,
    "subtotal",
    "primary_tax",
    "secondary_tax",
    "total",
]


@transaction.atomic
def finalize(membership: Membership, invoice_id: int) -> Invoice:
    invoice = _locked(membership, invoice_id)
    require(membership, Permission.PROCESS_TIME)
    _refuse_unless(invoice, InvoiceStatus.DRAFT, "finalized")
    problems = _completeness_problems(invoice)
    if problems:
        raise TransitionRefused(
            f"Invoice {invoice.number} cannot be finalized: {'; '.join(problems)}."
        )
    if invoice.is_credit:
        _finalize_credit(membership, invoice)
    # The tax rates in force now are frozen into the finalized invoice. Rates changed since
    # the draft was last edited change what the client is billed: that is new content, for
    # the export (changed since export) and for the document frozen at finalize.
    before = [getattr(invoice, name) for name in FROZEN_AT_FINALIZE]
    _refresh_totals(invoice, _line_inputs(invoice))
    changed = [getattr(invoice, name) for name in FROZEN_AT_FINALIZE] != before
    if changed:
        invoice.content_version += 1  # the row is locked (_locked)
    invoice.save(update_fields=[*FROZEN_AT_FINALIZE, *(["content_version"] if changed else [])])
    invoice = _transition(invoice, membership, InvoiceStatus.FINALIZED, "finalized")
    if invoice.is_credit:
        _after_credit_finalized(membership, invoice)
    signals.invoice_finalized.send(sender=Invoice, invoice=invoice, membership=membership)
    return invoice


def _require_owner_who_processes_time(membership: Membership, invoice: Invoice) -> None:
    require(membership, Permission.PROCESS_TIME)
    require_client_owner(membership, invoice.client_id)


def revert_to_draft(membership: Membership, invoice_id: int, reason: str = "") -> Invoice:
    """Back to Draft to be edited: a finalized invoice, or a closed one by way of Finalized
    (R9), each step in the timeline with the same reason.

    In three steps, so that no lock is held while QBO is asked (a request may take 30 s) and
    what QBO answered (a rotated token, a dead grant) is kept whatever happens next: the
    guards, committed; the books' step (R8, R9) with no transaction open; then the change, if
    the invoice is still as the guards saw it (docs/decisions/0016-external-books-step.md)."""
    seen = _revertible(membership, invoice_id, reason)
    change = books.external_books().remove_before_revert(seen)
    return _revert(membership, seen, reason, change)


@transaction.atomic
def _revertible(membership: Membership, invoice_id: int, reason: str) -> Invoice:
    invoice = _locked(membership, invoice_id)
    _require_owner_who_processes_time(membership, invoice)
    if invoice.status not in (InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED):
        raise TransitionRefused(
            f"Invoice {invoice.number} is {invoice.get_status_display()}; only finalized or "
            "closed invoices can be reverted to Draft."
        )
    # Checked here too: the books must not change for a revert that would then be refused.
    _refuse_nul(reason)
    periods.refuse_if_closed(invoice, "reverted to Draft")
    if invoice.is_credit and books.external_books().holds(invoice):
        raise TransitionRefused(
            f"{invoice.get_kind_display()} {invoice.number} is in QuickBooks, applied to invoice "
            f"{invoice.credited_invoice.number}; Billbridge does not take a credit back. Bill "
            "the amount again on a new invoice instead."
        )
    if numbers := list(invoice.credit_notes.values_list("number", flat=True)):
        raise TransitionRefused(
            f"Invoice {invoice.number} has credit notes ({', '.join(numbers)}), so it cannot go "
            "back to Draft. Issue another credit note, or a corrected copy as a new invoice "
            "(delete a draft credit note first if it is not wanted)."
        )
    return invoice


def _revert(membership: Membership, seen: Invoice, reason: str, change: BooksChange) -> Invoice:
    with transaction.atomic():
        invoice = _locked(membership, seen.pk)
        if invoice.version == seen.version:
            if invoice.status == InvoiceStatus.CLOSED:
                _transition(invoice, membership, InvoiceStatus.FINALIZED, "reopened", reason=reason)
            _transition(
                invoice, membership, InvoiceStatus.DRAFT, "reverted to draft", reason=reason
            )
            if change.event:
                action, told = change.event
                _record(invoice, membership, action, reason=told)
            return invoice
        # Closed by the payment sync, say, or reverted by someone else while QBO was asked.
        refusal = (
            f"Invoice {invoice.number} changed while it was being reverted (it is "
            f"{invoice.get_status_display()} now), so it was not reverted. {change.kept}"
        ).strip()
        if change.kept:
            # The books keep their change: the invoice's history must say so too.
            _record(invoice, membership, "revert refused", reason=refusal)
    raise TransitionRefused(refusal)


@transaction.atomic
def close(
    membership: Membership | None,
    invoice_id: int,
    reason: str,
    *,
    practice: Practice | None = None,
    actor_label: str = "",
) -> Invoice:
    """Close a finalized invoice. A member needs Process time; the QuickBooks payment sync
    closes as the system, passing no member, the practice and an actor label instead."""
    if not reason.strip():
        raise InvalidInput("Say why the invoice is closed.", {"reason": ["A reason is needed."]})
    if membership is None:
        if practice is None or not actor_label:
            raise ValueError("A system close names its practice and its actor.")
        invoice = Invoice.objects.for_practice(practice).select_for_update().get(pk=invoice_id)
    else:
        invoice = _locked(membership, invoice_id)
        require(membership, Permission.PROCESS_TIME)
    _refuse_unless(invoice, InvoiceStatus.FINALIZED, "closed")
    _transition(
        invoice,
        membership,
        InvoiceStatus.CLOSED,
        "closed",
        reason=reason.strip(),
        actor_label=actor_label,
    )
    # Closed by hand ("paid by cheque") while QuickBooks still waits for the money: nothing
    # will bring the two together by itself, so the timeline says so and what to do.
    if membership is not None and (note := books.external_books().still_open(invoice)):
        _record(invoice, membership, "still open in QuickBooks", reason=note)
    return invoice


@transaction.atomic
def reopen(membership: Membership, invoice_id: int, reason: str = "") -> Invoice:
    invoice = _locked(membership, invoice_id)
    _require_owner_who_processes_time(membership, invoice)
    _refuse_unless(invoice, InvoiceStatus.CLOSED, "reopened")
    return _transition(invoice, membership, InvoiceStatus.FINALIZED, "reopened", reason=reason)


@transaction.atomic
def reopen_by_sync(
    practice: Practice, invoice_id: int, reason: str, *, actor_label: str
) -> Invoice:
    """The QuickBooks payment sync reopens an invoice it closed, when the payment is deleted or
    voided in QBO: no member acts, so no member's permissions apply."""
    invoice = Invoice.objects.for_practice(practice).select_for_update().get(pk=invoice_id)
    _refuse_unless(invoice, InvoiceStatus.CLOSED, "reopened")
    return _transition(
        invoice, None, InvoiceStatus.FINALIZED, "reopened", reason=reason, actor_label=actor_label
    )


# ---- credit notes (docs/decisions/0027-credit-notes.md) -------------------------------------


@dataclass(frozen=True)
class CreditInput:
    """A credit note against `invoice_id`: all of it (no lines, no amount), the lines named, or
    an amount; a write-off takes back an amount (by default all that remains) as bad debt."""

    invoice_id: int
    reason: str
    line_ids: Sequence[int] = ()
    amount: Decimal | None = None
    issue_date: datetime.date | None = None  # None: today, or the first open day after it
    write_off: bool = False


def _require_crediter(membership: Membership, invoice: Invoice) -> None:
    # Crediting takes money back from the client, as reverting does (R8): the same people.
    _require_owner_who_processes_time(membership, invoice)


def _creditable(invoice: Invoice) -> None:
    if invoice.is_credit:
        raise TransitionRefused(
            f"{invoice.number} is a {invoice.get_kind_display().lower()}; only invoices can be "
            "credited."
        )
    if invoice.status not in (InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED):
        raise TransitionRefused(
            f"Invoice {invoice.number} is {invoice.get_status_display()}; only finalized or "
            "closed invoices can be credited. Edit the draft instead."
        )


def _credit_lines(invoice: Invoice, data: CreditInput) -> list[LineInput]:
    lines = list(invoice.lines.all())
    if data.write_off or data.amount is not None:
        if data.line_ids:
            raise InvalidInput(
                "Credit chosen lines or an amount, not both.",
                {"line_ids": ["Leave these out to credit an amount or write one off."]},
            )
        amount = data.amount
        if data.write_off and amount is None:
            amount = credits.balance_of(invoice).creditable
        if (
            amount is None
            or not amount.is_finite()
            or amount <= 0
            or amount != amount.quantize(CENT)
        ):
            raise InvalidInput(
                "A credit's amount is a positive sum of money with at most two decimals.",
                {"amount": ["Enter a positive amount, at most two decimals."]},
            )
        if data.write_off:
            # Bad debt: the amount as it stands, tax included, on the practice's chosen item.
            return [LineInput(f"Written off: {data.reason}"[:4000], Decimal("1"), amount)]
        # An amount before tax, taxed as the invoice's lines are when they all agree.
        flags = {(line.primary_taxable, line.secondary_taxable) for line in lines}
        primary, secondary = flags.pop() if len(flags) == 1 else (False, False)
        service = lines[0].service_name if lines else ""
        return [
            LineInput(
                f"Credit against invoice {invoice.number}: {data.reason}"[:4000],
                Decimal("1"),
                amount,
                service_name=service,
                primary_taxable=primary,
                secondary_taxable=secondary,
            )
        ]
    chosen = set(data.line_ids)
    unknown = chosen - {line.pk for line in lines}
    if unknown:
        raise InvalidInput(
            f"Invoice {invoice.number} has no line {min(unknown)}.",
            {"line_ids": ["Choose lines of the invoice being credited."]},
        )
    return [_copy_of(line) for line in lines if not chosen or line.pk in chosen]


def _copy_of(line: InvoiceLine) -> LineInput:
    """A line's content for another document: a new line, holding no work."""
    return replace(LineInput.of(line), line_id=None)


def _refuse_over_credit(note: Invoice) -> None:
    """A credit note may take back at most what remains on its invoice (the other credit
    notes, drafts too, and the payments the books show counted)."""
    balance = credits.balance_of(note.credited_invoice, excluding=note)
    if note.total > balance.creditable:
        raise InvalidInput(
            f"A credit of {note.total} is more than the {balance.creditable} that remains on "
            f"invoice {note.credited_invoice.number} (total {balance.total}, credited "
            f"{balance.credited + balance.pending}, paid {balance.paid}).",
            {"amount": [f"At most {balance.creditable}."]},
        )


def _refuse_closed_date(practice: Practice, day: datetime.date) -> None:
    closed = periods.closed_through(practice)
    if closed and day <= closed.day:
        raise InvalidInput(
            f"{day:%d %b %Y} is in a closed period ({closed}); date the credit note after it.",
            {"issue_date": [f"Choose a date after {closed.day:%d %b %Y}."]},
        )


def default_credit_date(invoice: Invoice) -> datetime.date:
    """The date of a credit of `invoice` left undated: today, never before the invoice, and
    past any closed period."""
    return periods.first_open_day(invoice.practice, max(timezone.localdate(), invoice.issue_date))


@transaction.atomic
def create_credit_note(membership: Membership, data: CreditInput) -> Invoice:
    """A draft credit note (or write-off) against a finalized or closed invoice, for the same
    client, at the tax rates the invoice was billed with, dated in the open period."""
    invoice = _locked(membership, data.invoice_id)
    _require_crediter(membership, invoice)
    _creditable(invoice)
    reason = data.reason.strip()
    _refuse_nul(reason)
    if not reason:
        raise InvalidInput("Say why the invoice is credited.", {"reason": ["A reason is needed."]})
    day = data.issue_date or default_credit_date(invoice)
    _refuse_closed_date(invoice.practice, day)
    if day < invoice.issue_date:
        raise InvalidInput(
            "A credit note cannot be dated before the invoice it credits.",
            {"issue_date": [f"Choose {invoice.issue_date:%d %b %Y} or later."]},
        )
    kind = InvoiceKind.WRITE_OFF if data.write_off else InvoiceKind.CREDIT_NOTE
    lines = _credit_lines(invoice, data)
    note = Invoice(
        practice=invoice.practice,
        client=invoice.client,
        kind=kind,
        credited_invoice=invoice,
        credit_reason=reason[:500],
        number=_allocate_number(invoice.practice, kind),
        status=InvoiceStatus.DRAFT,
        issue_date=day,
        memo=f"Credits invoice {invoice.number}: {reason}"[:1000],
    )
    _refresh_totals(note, lines)
    _refuse_over_credit(note)
    note.save()
    _replace_lines(note, lines)
    _record(note, membership, "created", reason=f"Credits invoice {invoice.number}: {reason}")
    _record(
        invoice,
        membership,
        "credit note drafted",
        reason=f"{note.get_kind_display()} {note.number} for {note.total}: {reason}",
    )
    return note


def _finalize_credit(membership: Membership, note: Invoice) -> None:
    """A credit note's guards at finalize: its invoice still creditable, by this member, for
    no more than remains, dated in the open period."""
    _require_crediter(membership, note)
    invoice = Invoice.objects.select_for_update().get(pk=note.credited_invoice_id)
    _creditable(invoice)
    _refuse_closed_date(note.practice, note.issue_date)
    _refuse_over_credit(note)


def _after_credit_finalized(membership: Membership, note: Invoice) -> None:
    invoice = note.credited_invoice
    _record(
        invoice,
        membership,
        "credited",
        reason=f"{note.get_kind_display()} {note.number} for {note.total}: {note.credit_reason}",
    )
    # An invoice the books hold is closed when they show its balance at zero (the paid sync);
    # one they do not hold is closed here once its credits take it to zero.
    if (
        invoice.status == InvoiceStatus.FINALIZED
        and not books.external_books().holds(invoice)
        and credits.balance_of(invoice).due == 0
    ):
        _transition(
            invoice,
            membership,
            InvoiceStatus.CLOSED,
            "closed",
            reason=f"Credited in full ({note.number}).",
        )


@transaction.atomic
def corrected_copy(membership: Membership, invoice_id: int) -> Invoice:
    """A new draft with the invoice's client and lines, dated in the open period: what the
    client should have been billed, once the original is credited. The work held on the
    original stays there (it was billed, then credited)."""
    invoice = _locked(membership, invoice_id)
    require(membership, Permission.PROCESS_TIME)
    _creditable(invoice)
    day = periods.first_open_day(invoice.practice, timezone.localdate())
    terms = (invoice.due_date - invoice.issue_date) if invoice.due_date else None
    copy = create_draft(
        membership,
        DraftInput(
            client_id=invoice.client_id,
            issue_date=day,
            due_date=day + terms if terms is not None else None,
            memo=invoice.memo,
            lines=[_copy_of(line) for line in invoice.lines.all()],
        ),
    )
    _record(copy, membership, "corrected copy", reason=f"Corrects invoice {invoice.number}.")
    _record(invoice, membership, "corrected copy", reason=f"Draft {copy.number} corrects it.")
    return copy


# ---- bulk actions from the Billing list --------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    invoice_id: int
    number: str
    done: bool
    message: str


BULK_ACTIONS: dict[str, tuple[str, Callable[[Membership, int], Invoice]]] = {
    "finalize": ("Finalized", finalize),
    "revert_to_draft": ("Reverted to Draft", revert_to_draft),
}


def apply_bulk(membership: Membership, action: str, invoice_ids: Iterable[int]) -> list[Outcome]:
    """Run one transition on each selected invoice independently: one refusal never stops or
    undoes the others. Returns what happened to each, in the order given."""
    if action not in BULK_ACTIONS:
        raise InvalidInput(f"Unknown action: {action}.")
    done_message, transition = BULK_ACTIONS[action]

    def act(invoice_id: int) -> str:
        transition(membership, invoice_id)
        return done_message

    return each_invoice(membership, invoice_ids, act)


def each_invoice(
    membership: Membership, invoice_ids: Iterable[int], act: Callable[[int], str]
) -> list[Outcome]:
    """`act` on each of the member's practice's invoices named, on its own: it returns what it
    did, or raises ServiceError to refuse that one; an id of no invoice of the practice is not
    found. The outcomes come in the order given, each id once."""
    invoice_ids = list(dict.fromkeys(invoice_ids))
    # An id no database key can hold is simply not found (asking the database would overflow).
    storable = [i for i in invoice_ids if 0 < i <= MAX_ID]
    numbers = dict(
        Invoice.objects.for_practice(membership.practice)
        .filter(pk__in=storable)
        .values_list("pk", "number")
    )
    outcomes = []
    for invoice_id in invoice_ids:
        if invoice_id not in numbers:
            outcomes.append(Outcome(invoice_id, "", False, "No such invoice."))
            continue
        try:
            done = act(invoice_id)
        except ServiceError as exc:
            outcomes.append(Outcome(invoice_id, numbers[invoice_id], False, exc.message))
        else:
            outcomes.append(Outcome(invoice_id, numbers[invoice_id], True, done))
    return outcomes


# ---- tax settings ----------------------------------------------------------------------------

TAX_FIELDS = (
    "primary_name",
    "primary_rate",
    "primary_enabled",
    "secondary_name",
    "secondary_rate",
    "secondary_enabled",
)


@transaction.atomic
def update_tax_settings(membership: Membership, **fields) -> TaxSettings:
    """Change the practice's taxes. Drafts pick the new rates up when next saved or
    finalized; finalized invoices keep the rates they were finalized with."""
    require(membership, Permission.MANAGE_SETTINGS)
    unknown = set(fields) - set(TAX_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown tax settings: {', '.join(sorted(unknown))}.")
    tax = TaxSettings.objects.select_for_update().get(pk=tax_settings_for(membership.practice).pk)
    for name, value in fields.items():
        setattr(tax, name, value)
    errors = {}
    for prefix in ("primary", "secondary"):
        rate = getattr(tax, f"{prefix}_rate")
        if rate is None or rate < 0 or rate > 100:
            errors[f"{prefix}_rate"] = ["A tax rate is a percentage from 0 to 100."]
        elif rate != rate.quantize(Decimal("0.001")):
            errors[f"{prefix}_rate"] = ["A tax rate has at most three decimal places."]
        if not getattr(tax, f"{prefix}_name").strip():
            errors[f"{prefix}_name"] = ["A tax needs a name."]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors)
    tax.save()
    return tax


# ---- closed periods ---------------------------------------------------------------------------


@transaction.atomic
def update_lock_date(membership: Membership, lock_date: datetime.date | None) -> Practice:
    """The practice's own lock date (None: none). Nothing dated on or before it is reverted or
    re-exported; QuickBooks' closed-books date applies as well (periods.py)."""
    require(membership, Permission.MANAGE_SETTINGS)
    practice = Practice.objects.select_for_update().get(pk=membership.practice_id)
    practice.lock_date = lock_date
    practice.save(update_fields=["lock_date", "updated_at"])
    return practice
