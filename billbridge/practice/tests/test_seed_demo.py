from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from billbridge.clients.models import Client
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.practice.demo import DEMO_PASSWORD
from billbridge.practice.models import Membership
from billbridge.time.models import Entry, EntryKind, EntryState, LineAdjustment
from billbridge.time.realization import Scope, realization
from billbridge.time.wip import AGES, wip_list, wip_totals


def typed_invoices():
    """The demo's hand-typed invoices: those with no recorded work on any line."""
    return Invoice.objects.exclude(lines__entries__isnull=False)


def test_seed_demo_builds_every_status_and_working_logins(db):
    out = StringIO()
    call_command("seed_demo", "--invoices", "40", stdout=out)
    assert Client.objects.count() == 25
    statuses = set(typed_invoices().values_list("status", flat=True))
    assert statuses == {InvoiceStatus.DRAFT, InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED}
    assert typed_invoices().count() == 40
    users = {user.username: user for user in get_user_model().objects.all()}
    assert set(users) == {"manager", "biller", "clerk", "viewer"}
    assert all(user.check_password(DEMO_PASSWORD) for user in users.values())
    assert users["manager"].membership.can_export
    assert not users["viewer"].membership.can_process_time
    assert "manager" in out.getvalue()


def test_seed_demo_twice_is_refused_unless_if_empty(db):
    call_command("seed_demo", "--invoices", "3", stdout=StringIO())
    entries = Entry.objects.count()
    with pytest.raises(CommandError):
        call_command("seed_demo", "--invoices", "3", stdout=StringIO())
    call_command("seed_demo", "--if-empty", stdout=StringIO())
    assert typed_invoices().count() == 3
    assert Entry.objects.count() == entries


def test_seed_demo_records_time_that_ages_is_billed_and_is_realized(db):
    call_command("seed_demo", "--invoices", "0", stdout=StringIO())
    manager = Membership.objects.get(user__username="manager")
    entries = Entry.objects.all()
    assert set(entries.values_list("staff__user__username", flat=True)) == {
        "manager",
        "biller",
        "clerk",
        "viewer",
    }
    assert entries.filter(kind=EntryKind.EXPENSE).exists()

    # The WIP list is full and has money in every age column.
    rows = list(wip_list(manager))
    assert len(rows) >= 20
    totals = wip_totals(rows)
    assert all(totals[f"age{index}"] > 0 for index in range(len(AGES)))

    # Some work billed on finalized invoices, some held on drafts, two entries written off.
    assert entries.in_state(EntryState.BILLED).exists()
    assert entries.in_state(EntryState.ON_DRAFT).exists()
    assert entries.in_state(EntryState.WRITTEN_OFF).count() == 2
    made_from_wip = Invoice.objects.filter(lines__entries__isnull=False).distinct()
    assert {invoice.status for invoice in made_from_wip} == {
        InvoiceStatus.DRAFT,
        InvoiceStatus.FINALIZED,
        InvoiceStatus.CLOSED,
    }
    assert set(LineAdjustment.objects.values_list("kind", flat=True)) == {
        LineAdjustment.Kind.WRITE_DOWN,
        LineAdjustment.Kind.FIXED_FEE,
    }

    # Realization: less billed than the standard value (a write-down, a fixed fee, the
    # write-off), and part of it collected (the paid invoices).
    total = realization(manager, Scope()).total
    assert 0 < total.collected < total.billed < total.standard
