"""Credit notes and write-offs in the invoicing service (docs/decisions/0027): what they take
back, who may issue them, their numbering, and their invoice's balance. Exported to QBO:
quickbooks/tests/test_credit_export.py."""

import datetime
from decimal import Decimal

import pytest

from billbridge.core import testing
from billbridge.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from billbridge.invoicing import credits, services
from billbridge.invoicing.models import Invoice, InvoiceKind, InvoiceStatus
from billbridge.invoicing.services import CreditInput

TODAY = datetime.date.today()


def credit(member, invoice, **fields):
    return services.create_credit_note(
        member,
        CreditInput(invoice_id=invoice.pk, reason=fields.pop("reason", "Overbilled"), **fields),
    )


def test_a_full_credit_takes_back_every_line_at_the_invoice_rates(admin_member, billed):
    # The practice's rate changed since: the credit still takes back what was billed.
    services.update_tax_settings(admin_member, primary_rate=Decimal("20"))
    note = credit(admin_member, billed)
    assert (note.kind, note.status, note.credited_invoice_id) == (
        InvoiceKind.CREDIT_NOTE, InvoiceStatus.DRAFT, billed.pk,
    )  # fmt: skip
    assert note.number == "CN-1" and note.client_id == billed.client_id
    assert [(line.description, line.amount) for line in note.lines.all()] == [
        (line.description, line.amount) for line in billed.lines.all()
    ]
    assert (note.primary_tax_rate, note.primary_tax, note.total) == (
        Decimal("10.000"), Decimal("45.00"), Decimal("695.00"),
    )  # fmt: skip


def test_chosen_lines_and_an_amount(admin_member, billed):
    payroll = billed.lines.get(service_name="Payroll")
    lines = credit(admin_member, billed, line_ids=[payroll.pk])
    assert [line.amount for line in lines.lines.all()] == [Decimal("200.00")]
    assert lines.total == Decimal("200.00")  # payroll is not taxed
    services.delete_draft(admin_member, lines.pk)
    amount = credit(admin_member, billed, amount=Decimal("100.00"), reason="Goodwill")
    line = amount.lines.get()
    # Lines that disagree on tax: the amount goes untaxed.
    assert (line.amount, line.primary_taxable, amount.total) == (
        Decimal("100.00"), False, Decimal("100.00"),
    )  # fmt: skip
    assert "Goodwill" in line.description and billed.number in line.description


def test_numbers_come_from_their_own_sequence(admin_member, client_a, billed):
    first = credit(admin_member, billed, amount=Decimal("10"))
    after = testing.make_invoice(admin_member, client_a)
    second = credit(admin_member, billed, amount=Decimal("10"), write_off=True)
    assert (first.number, second.number) == ("CN-1", "CN-2")
    assert after.number == "INV-2"


def test_a_credit_larger_than_what_remains_is_refused_and_nothing_kept(admin_member, billed):
    credit(admin_member, billed, amount=Decimal("600.00"))  # a draft reserves its amount
    before = Invoice.objects.count()
    with pytest.raises(InvalidInput, match=r"more than the 95\.00 that remains"):
        credit(admin_member, billed, amount=Decimal("95.01"))
    assert Invoice.objects.count() == before
    assert credit(admin_member, billed, amount=Decimal("95.00")).total == Decimal("95.00")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), Decimal("1.001"), Decimal("NaN")])
def test_an_amount_must_be_positive_cents(admin_member, billed, amount):
    with pytest.raises(InvalidInput, match="positive"):
        credit(admin_member, billed, amount=amount)


def test_drafts_credit_notes_and_other_practices_invoices_cannot_be_credited(
    admin_member, client_a, billed
):
    draft = testing.make_invoice(admin_member, client_a)
    with pytest.raises(TransitionRefused, match="only finalized or closed invoices"):
        credit(admin_member, draft)
    note = credit(admin_member, billed, amount=Decimal("5"))
    with pytest.raises(TransitionRefused, match="only invoices can be credited"):
        credit(admin_member, note)
    other = testing.make_admin(testing.make_practice())
    with pytest.raises(Invoice.DoesNotExist):
        credit(other, billed)
    with pytest.raises(InvalidInput, match="Say why"):
        credit(admin_member, billed, reason="  ")
    with pytest.raises(InvalidInput, match="no line"):
        credit(admin_member, billed, line_ids=[10**9])


def test_crediting_needs_the_owner_role_and_process_time(practice, billed):
    clerk = testing.make_member(practice, can_process_time=True)
    with pytest.raises(PermissionRefused, match="Owner"):
        credit(clerk, billed)
    exporter = testing.make_member(practice, can_export=True)
    testing.assign(exporter, billed.client)
    with pytest.raises(PermissionRefused):
        credit(exporter, billed)
    assert not billed.credit_notes.exists()


def test_finalizing_credits_the_invoice_and_a_full_credit_closes_it(admin_member, billed):
    note = credit(admin_member, billed)
    assert credits.balance_of(billed).due == Decimal("695.00")
    services.finalize(admin_member, note.pk)
    billed.refresh_from_db()
    balance = credits.balance_of(billed)
    assert (balance.credited, balance.due) == (Decimal("695.00"), Decimal("0.00"))
    # Not in any books: Billbridge closes it itself, and says why, on both documents.
    assert billed.status == InvoiceStatus.CLOSED
    actions = list(billed.timeline.values_list("action", "reason"))
    assert ("credit note drafted", f"Credit note {note.number} for 695.00: Overbilled") in actions
    assert actions[-2:] == [
        ("credited", f"Credit note {note.number} for 695.00: Overbilled"),
        ("closed", f"Credited in full ({note.number})."),
    ]
    assert note.timeline.first().reason == f"Credits invoice {billed.number}: Overbilled"


def test_a_partial_credit_leaves_the_invoice_open_with_its_balance(admin_member, billed):
    note = credit(admin_member, billed, amount=Decimal("50.00"))
    services.finalize(admin_member, note.pk)
    billed.refresh_from_db()
    assert billed.status == InvoiceStatus.FINALIZED
    assert credits.balance_of(billed).due == Decimal("645.00")
    assert credits.credited_totals([billed.pk]) == {billed.pk: Decimal("50.00")}


def test_a_draft_credit_note_edited_past_the_balance_is_refused(admin_member, billed):
    note = credit(admin_member, billed, amount=Decimal("50.00"))
    line = note.lines.get()
    data = services.DraftInput(
        client_id=note.client_id,
        issue_date=note.issue_date,
        lines=[
            services.LineInput(line.description, Decimal("1"), Decimal("696.00"), line_id=line.pk)
        ],
    )
    with pytest.raises(InvalidInput, match="more than"):
        services.update_draft(admin_member, note.pk, data)
    note.refresh_from_db()
    assert (note.total, note.lines.get().amount) == (Decimal("50.00"), Decimal("50.00"))
    other = testing.make_client(billed.practice)
    with pytest.raises(InvalidInput, match="its invoice's client"):
        services.update_draft(
            admin_member, note.pk, data.__class__(**{**data.__dict__, "client_id": other.pk})
        )


def test_a_write_off_takes_all_that_remains_untaxed(admin_member, billed):
    services.finalize(admin_member, credit(admin_member, billed, amount=Decimal("95.00")).pk)
    off = credit(admin_member, billed, write_off=True, reason="Client went bust")
    assert off.kind == InvoiceKind.WRITE_OFF
    line = off.lines.get()
    assert (line.amount, line.primary_taxable, off.total) == (
        Decimal("600.00"), False, Decimal("600.00"),
    )  # fmt: skip
    services.finalize(admin_member, off.pk)
    billed.refresh_from_db()
    assert billed.status == InvoiceStatus.CLOSED


def test_a_credited_invoice_no_longer_goes_back_to_draft(admin_member, billed):
    note = credit(admin_member, billed, amount=Decimal("5"))
    with pytest.raises(TransitionRefused, match=f"has credit notes \\({note.number}\\)"):
        services.revert_to_draft(admin_member, billed.pk, "mistake")
    billed.refresh_from_db()
    assert billed.status == InvoiceStatus.FINALIZED


def test_a_credit_note_finalized_after_its_invoice_went_back_to_draft_is_refused(
    admin_member, billed
):
    note = credit(admin_member, billed, amount=Decimal("5"))
    services.delete_draft(admin_member, note.pk)
    services.revert_to_draft(admin_member, billed.pk, "wrong month")
    with pytest.raises(TransitionRefused, match="only finalized or closed"):
        credit(admin_member, billed)


def test_a_corrected_copy_is_a_new_draft_with_the_same_lines(admin_member, billed):
    copy = services.corrected_copy(admin_member, billed.pk)
    assert (copy.kind, copy.status, copy.client_id) == (
        InvoiceKind.INVOICE, InvoiceStatus.DRAFT, billed.client_id,
    )  # fmt: skip
    assert copy.number != billed.number and copy.issue_date == TODAY
    assert copy.due_date - copy.issue_date == billed.due_date - billed.issue_date
    assert [line.amount for line in copy.lines.all()] == [
        line.amount for line in billed.lines.all()
    ]
    assert billed.timeline.last().reason == f"Draft {copy.number} corrects it."
