"""Every transition × every permission set × own or other practice, through the services.

A call is allowed exactly when the invoice is the member's practice's and the member holds what
the transition needs; a refused call must leave the invoice, its lines and its timeline as they
were."""

import itertools

import pytest

from billbridge.core import testing
from billbridge.core.errors import PermissionRefused
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice, InvoiceStatus

TRANSITIONS = {
    # name: (status before, status after, call, needs Owner role)
    "finalize": (InvoiceStatus.DRAFT, InvoiceStatus.FINALIZED, services.finalize, False),
    "revert_to_draft": (
        InvoiceStatus.FINALIZED,
        InvoiceStatus.DRAFT,
        services.revert_to_draft,
        True,
    ),
    "close": (
        InvoiceStatus.FINALIZED,
        InvoiceStatus.CLOSED,
        lambda member, invoice_id: services.close(member, invoice_id, "Paid by transfer"),
        False,
    ),
    "reopen": (InvoiceStatus.CLOSED, InvoiceStatus.FINALIZED, services.reopen, True),
}

PERMISSION_SETS = [
    dict(zip(("can_export", "can_process_time", "can_manage_settings"), flags, strict=True))
    for flags in itertools.product([False, True], repeat=3)
]


def case_id(name, perms, owner, own):
    granted = "+".join(key.removeprefix("can_") for key, on in perms.items() if on) or "none"
    return f"{name}-{granted}-{'owner' if owner else 'noowner'}-{'own' if own else 'other'}"


CASES = [
    pytest.param(name, perms, owner, own, id=case_id(name, perms, owner, own))
    for name in TRANSITIONS
    for perms in PERMISSION_SETS
    for owner in (False, True)
    for own in (True, False)
]


def snapshot(invoice_id):
    invoice = Invoice.objects.get(pk=invoice_id)
    return (
        invoice.status,
        invoice.version,
        invoice.total,
        list(invoice.lines.values_list("description", "amount")),
        invoice.timeline.count(),
    )


@pytest.mark.parametrize(("name", "perms", "owner", "own"), CASES)
def test_transition_is_allowed_exactly_when_it_should_be(db, name, perms, owner, own):
    before_status, after_status, call, needs_owner = TRANSITIONS[name]
    home = testing.make_practice()
    author = testing.make_admin(home)
    client = testing.make_client(home)
    testing.assign(author, client)
    invoice = testing.make_invoice(author, client, before_status)

    actor_practice = home if own else testing.make_practice()
    actor = testing.make_member(actor_practice, **perms)
    if owner:
        # An Owner role on a client of the actor's own practice; across practices it can
        # only be a client of the other practice, which must not help.
        owned = client if own else testing.make_client(actor_practice)
        testing.assign(actor, owned)

    allowed = own and perms["can_process_time"] and (owner or not needs_owner)
    before = snapshot(invoice.pk)
    if allowed:
        result = call(actor, invoice.pk)
        assert result.status == after_status
        after = snapshot(invoice.pk)
        assert after[0] == after_status
        assert after[1] == before[1] + 1
        assert after[4] == before[4] + 1
        event = Invoice.objects.get(pk=invoice.pk).timeline.last()
        assert (event.from_status, event.to_status, event.actor) == (
            before_status,
            after_status,
            actor.user,
        )
    else:
        expected = PermissionRefused if own else Invoice.DoesNotExist
        with pytest.raises(expected):
            call(actor, invoice.pk)
        assert snapshot(invoice.pk) == before
