"""The books' step of a revert, seen from invoicing alone (books.py): it runs after the guards
and before the change, what it answers lands in the timeline, and a refusal by it or a change
of the invoice meanwhile leaves the invoice as it was. Against QBO: quickbooks/tests/
test_revert_steps.py."""

import pytest

from billbridge.core import testing
from billbridge.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from billbridge.invoicing import books, services
from billbridge.invoicing.books import NOTHING, BooksChange
from billbridge.invoicing.models import Invoice, InvoiceStatus


class Books(books._NoBooks):
    """Books that answer `change` (or raise it), noting the invoice as each call found it."""

    def __init__(self, change=NOTHING):
        self.change = change
        self.seen = []

    def remove_before_revert(self, invoice):
        self.seen.append(Invoice.objects.get(pk=invoice.pk).status)
        if isinstance(self.change, Exception):
            raise self.change
        return self.change

    def still_open(self, invoice):
        return ""


@pytest.fixture
def registered(monkeypatch):
    def register(change=NOTHING):
        step = Books(change)
        monkeypatch.setattr(books, "_registered", step)
        return step

    return register


def events(invoice):
    return list(Invoice.objects.get(pk=invoice.pk).timeline.values_list("action", "reason"))


def test_without_books_elsewhere_a_revert_has_nothing_to_do_there(
    monkeypatch, admin_member, client_a
):
    monkeypatch.setattr(books, "_registered", books._NoBooks())
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    services.revert_to_draft(admin_member, invoice.pk, "typo")
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT


def test_the_books_are_asked_after_the_guards_and_their_event_follows_the_revert(
    registered, admin_member, client_a
):
    step = registered(BooksChange(kept="x", event=("payment unapplied in QuickBooks", "P 1")))
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.CLOSED)
    services.revert_to_draft(admin_member, invoice.pk, "wrong hours")
    assert step.seen == [InvoiceStatus.CLOSED]
    assert events(invoice)[-3:] == [
        ("reopened", "wrong hours"),
        ("reverted to draft", "wrong hours"),
        ("payment unapplied in QuickBooks", "P 1"),
    ]


@pytest.mark.parametrize("refusal", ["permission", "status", "reason"])
def test_a_revert_refused_by_its_guards_never_asks_the_books(
    registered, practice, admin_member, client_a, refusal
):
    step = registered()
    member, status, reason = admin_member, InvoiceStatus.FINALIZED, "why"
    if refusal == "permission":
        member = testing.make_member(practice, can_process_time=True)
    elif refusal == "status":
        status = InvoiceStatus.DRAFT
    else:
        reason = "bad\x00"
    invoice = testing.make_invoice(admin_member, client_a, status)
    before = events(invoice)
    with pytest.raises((PermissionRefused, TransitionRefused, InvalidInput)):
        services.revert_to_draft(member, invoice.pk, reason)
    assert step.seen == []
    assert (Invoice.objects.get(pk=invoice.pk).status, events(invoice)) == (status, before)


def test_a_refusal_by_the_books_leaves_the_invoice_as_it_was(registered, admin_member, client_a):
    registered(TransitionRefused("QuickBooks refused."))
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    before = (invoice.version, events(invoice))
    with pytest.raises(TransitionRefused, match="QuickBooks refused."):
        services.revert_to_draft(admin_member, invoice.pk, "why")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.version, events(invoice)) == (InvoiceStatus.FINALIZED, *before)


@pytest.mark.parametrize("kept", ["", "It is no longer in QuickBooks."])
def test_an_invoice_changed_while_the_books_were_asked_is_not_reverted(
    monkeypatch, admin_member, client_a, kept
):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)

    class ClosedMeanwhile(Books):
        def remove_before_revert(self, seen):
            services.close(admin_member, seen.pk, "paid by cheque")
            return BooksChange(kept=kept)

    monkeypatch.setattr(books, "_registered", ClosedMeanwhile())
    with pytest.raises(TransitionRefused) as refused:
        services.revert_to_draft(admin_member, invoice.pk, "why")
    assert (
        refused.value.message
        == (
            f"Invoice {invoice.number} changed while it was being reverted (it is Closed now), so "
            f"it was not reverted. {kept}"
        ).strip()
    )
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.CLOSED
    # Only a change the books keep is worth an entry of its own.
    last = ("revert refused", refused.value.message) if kept else ("closed", "paid by cheque")
    assert events(invoice)[-1] == last
