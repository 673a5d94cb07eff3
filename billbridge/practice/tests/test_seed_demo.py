from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from billbridge.clients.models import Client
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.practice.demo import DEMO_PASSWORD


def test_seed_demo_builds_every_status_and_working_logins(db):
    out = StringIO()
    call_command("seed_demo", "--invoices", "40", stdout=out)
    assert Client.objects.count() == 25
    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert statuses == {InvoiceStatus.DRAFT, InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED}
    assert Invoice.objects.count() == 40
    users = {user.username: user for user in get_user_model().objects.all()}
    assert set(users) == {"manager", "biller", "clerk", "viewer"}
    assert all(user.check_password(DEMO_PASSWORD) for user in users.values())
    assert users["manager"].membership.can_export
    assert not users["viewer"].membership.can_process_time
    assert "manager" in out.getvalue()


def test_seed_demo_twice_is_refused_unless_if_empty(db):
    call_command("seed_demo", "--invoices", "3", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("seed_demo", "--invoices", "3", stdout=StringIO())
    call_command("seed_demo", "--if-empty", stdout=StringIO())
    assert Invoice.objects.count() == 3
