"""R9 in the invoicing service: a Closed invoice reverts to Draft by way of Finalized, in one
transaction, with the permissions of a revert. Paid in QBO: quickbooks/tests/test_paid_revert.py."""

import pytest

from billbridge.core import testing
from billbridge.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice, InvoiceStatus


def test_a_closed_invoice_reverts_through_finalized_with_the_reason_twice(admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.CLOSED)
    version = invoice.version
    result = services.revert_to_draft(admin_member, invoice.pk, "Wrong client")
    assert result.status == InvoiceStatus.DRAFT
    invoice.refresh_from_db()
    assert (invoice.status, invoice.version) == (InvoiceStatus.DRAFT, version + 2)
    assert list(
        invoice.timeline.values_list("action", "from_status", "to_status", "reason", "actor")
    )[-2:] == [
        ("reopened", "closed", "finalized", "Wrong client", admin_member.user_id),
        ("reverted to draft", "finalized", "draft", "Wrong client", admin_member.user_id),
    ]


def test_a_closed_invoice_needs_the_owner_role_to_revert(practice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.CLOSED)
    events = invoice.timeline.count()
    clerk = testing.make_member(practice, can_process_time=True)
    with pytest.raises(PermissionRefused, match="Owner role"):
        services.revert_to_draft(clerk, invoice.pk, "not mine")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.timeline.count()) == (InvoiceStatus.CLOSED, events)


def test_a_draft_cannot_be_reverted(admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    with pytest.raises(TransitionRefused) as refused:
        services.revert_to_draft(admin_member, invoice.pk)
    assert refused.value.message == (
        f"Invoice {invoice.number} is Draft; only finalized or closed invoices can be reverted "
        "to Draft."
    )


def test_a_refused_reason_leaves_a_closed_invoice_closed(admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.CLOSED)
    events = invoice.timeline.count()
    with pytest.raises(InvalidInput, match="NUL"):
        services.revert_to_draft(admin_member, invoice.pk, "bad\x00")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.timeline.count()) == (InvoiceStatus.CLOSED, events)


def test_bulk_revert_takes_closed_invoices_too(admin_member, client_a):
    closed = testing.make_invoice(admin_member, client_a, InvoiceStatus.CLOSED)
    final = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    outcomes = services.apply_bulk(admin_member, "revert_to_draft", [closed.pk, final.pk])
    assert [(o.number, o.done, o.message) for o in outcomes] == [
        (closed.number, True, "Reverted to Draft"),
        (final.number, True, "Reverted to Draft"),
    ]
    assert set(
        Invoice.objects.filter(pk__in=[closed.pk, final.pk]).values_list("status", flat=True)
    ) == {InvoiceStatus.DRAFT}
