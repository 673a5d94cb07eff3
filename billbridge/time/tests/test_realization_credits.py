"""Realization with credit notes (docs/decisions/0027): a credit is not money collected, so a
closed invoice counts its total less its credits as collected, and one closed by credits alone
collected nothing. (Credits applied in QuickBooks: quickbooks/tests/test_credit_sync.py.)"""

from decimal import Decimal

import pytest

from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.time import billing
from billbridge.time.realization import Scope, realization


@pytest.fixture
def billed(admin_member, client_a, record, tax):
    """Five hours of tax preparation at 200/h (1,000.00 standard) billed for 400.00, untaxed,
    and finalized."""
    record(admin_member, 120, tax)
    record(admin_member, 180, tax)
    invoice = billing.invoice_from_wip(
        admin_member,
        billing.WipBilling(client_id=client_a.pk, total=Decimal("400.00"), reason="Discount"),
    )
    return invoicing.finalize(admin_member, invoice.pk)


def credit(member, invoice, **choice):
    note = invoicing.create_credit_note(
        member, invoicing.CreditInput(invoice.pk, "Goodwill", **choice)
    )
    return invoicing.finalize(member, note.pk)


def figures(member):
    total = realization(member, Scope()).total
    return total.standard, total.billed, total.collected


def test_a_closed_invoice_collected_its_total_less_its_credits(admin_member, billed):
    credit(admin_member, billed, amount=Decimal("100.00"))
    invoicing.close(admin_member, billed.pk, "Paid by cheque")
    assert figures(admin_member) == (Decimal("1000.00"), Decimal("400.00"), Decimal("300.00"))
    assert realization(admin_member, Scope()).total.collected_percent == Decimal("30.0")


def test_an_invoice_closed_by_credits_alone_collected_nothing(admin_member, billed):
    note = credit(admin_member, billed)
    billed.refresh_from_db()
    assert billed.status == InvoiceStatus.CLOSED
    assert billed.timeline.last().reason == f"Credited in full ({note.number})."
    assert figures(admin_member) == (Decimal("1000.00"), Decimal("400.00"), Decimal("0.00"))


def test_a_write_off_is_not_collected_either(admin_member, billed):
    """Paid 150.00 by cheque, so to speak, and the rest written off: closed, 150.00 collected."""
    credit(admin_member, billed, amount=Decimal("250.00"), write_off=True)
    billed.refresh_from_db()
    assert billed.status == InvoiceStatus.FINALIZED  # 150.00 still due
    invoicing.close(admin_member, billed.pk, "Paid by cheque")
    assert figures(admin_member)[2] == Decimal("150.00")
