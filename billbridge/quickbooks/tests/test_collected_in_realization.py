"""Realization on money collected in QuickBooks: paid in part, collected pro rata; paid in full,
the invoice closes and all of it is collected (issue 10 item 6, against the emulator)."""

import datetime
from decimal import Decimal

from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import paid_status
from billbridge.time import billing, rate_card, services
from billbridge.time.realization import Scope, realization


def test_collected_follows_the_payments_made_in_quickbooks(setup):
    member = setup.member
    client = testing.make_client(setup.practice, "Harbor Books")
    testing.assign(member, client)
    rate_card.set_rate(
        member,
        rate_card.RateInput(datetime.date(2020, 1, 1), Decimal("100.00"), staff_id=member.pk),
    )
    day = datetime.date.today() - datetime.timedelta(days=5)
    for minutes in (120, 180):  # 5 h at 100/h: 500.00 standard
        services.record(member, services.EntryInput(client_id=client.pk, date=day, minutes=minutes))
    invoice = billing.invoice_from_wip(
        member, billing.WipBilling(client_id=client.pk, total=Decimal("400.00"), reason="Discount")
    )
    invoicing.finalize(member, invoice.pk)
    invoice.refresh_from_db()
    assert invoice.total == Decimal("400.00")  # no tax on these lines
    setup.export(invoice)
    qbo = setup.ours_in_qbo(invoice)[0]

    setup.company.receive_payment(qbo["Id"], Decimal("100.00"))
    paid_status.sync_company(setup.realm, force=True)
    figures = realization(member, Scope()).total
    assert (figures.standard, figures.billed, figures.collected) == (
        Decimal("500.00"),
        Decimal("400.00"),
        Decimal("100.00"),
    )
    assert (figures.billed_percent, figures.collected_percent) == (Decimal("80.0"), Decimal("20.0"))

    setup.company.receive_payment(qbo["Id"])
    paid_status.sync_company(setup.realm, force=True)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CLOSED
    assert realization(member, Scope()).total.collected == Decimal("400.00")
