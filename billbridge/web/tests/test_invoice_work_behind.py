"""The invoice page and editor with work from WIP on its lines: the editor keeps each line's
time held across edits, a removed line returns its time to WIP, and a draft can be deleted."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billbridge.time import billing, rate_card, services
from billbridge.time.models import Entry, EntryState


@pytest.fixture
def drafted(admin_member, client_a):
    code = rate_card.save_work_code(admin_member, rate_card.WorkCodeInput("Tax preparation"))
    rate_card.set_rate(
        admin_member,
        rate_card.RateInput(datetime.date(2020, 1, 1), Decimal("200.00"), work_code_id=code.pk),
    )
    day = datetime.date.today() - datetime.timedelta(days=3)
    entries = [
        services.record(
            admin_member,
            services.EntryInput(client_id=client_a.pk, date=day, minutes=m, work_code_id=code.pk),
        )
        for m in (60, 30)
    ]
    invoice = billing.invoice_from_wip(
        admin_member,
        billing.WipBilling(
            client_id=client_a.pk,
            line_amounts={f"w{code.pk}": Decimal("250.00")},
            reason="Loyal client",
        ),
    )
    return invoice, entries


def state(entry):
    return Entry.objects.select_related("invoice_line__invoice").get(pk=entry.pk).state


def editor_post(invoice, lines):
    data = {
        "client": invoice.client_id,
        "number": invoice.number,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "memo": "",
        "version": invoice.version,
        "lines-TOTAL_FORMS": len(lines),
        "lines-INITIAL_FORMS": len(lines),
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 220,
    }
    for i, line in enumerate(lines):
        data.update({f"lines-{i}-{k}": v for k, v in line.items()})
    return data


def test_the_page_shows_the_work_behind_a_line(client, admin_member, drafted):
    invoice, _ = drafted
    client.force_login(admin_member.user)
    page = client.get(reverse("web:invoice-detail", args=[invoice.pk])).content.decode()
    assert "2 entries of work, 1.50 h, 300.00 at standard rates" in page
    assert "written down 50.00 (write-down: Loyal client)" in page


def test_editing_in_the_editor_keeps_the_time_on_its_line(client, admin_member, drafted):
    invoice, entries = drafted
    client.force_login(admin_member.user)
    form = client.get(reverse("web:invoice-edit", args=[invoice.pk])).content.decode()
    line = invoice.lines.get()
    assert f'name="lines-0-line_id" value="{line.pk}"' in form
    answer = client.post(
        reverse("web:invoice-edit", args=[invoice.pk]),
        editor_post(
            invoice,
            [
                {
                    "line_id": line.pk,
                    "description": "Tax return 2025",
                    "service_name": "Tax preparation",
                    "quantity": "1",
                    "unit_price": "260.00",
                }
            ],
        ),
    )
    assert answer.status_code == 302
    line.refresh_from_db()
    assert (line.description, line.amount) == ("Tax return 2025", Decimal("260.00"))
    assert [state(e) for e in entries] == [EntryState.ON_DRAFT] * 2


def test_a_line_removed_in_the_editor_returns_its_time(client, admin_member, drafted):
    invoice, entries = drafted
    client.force_login(admin_member.user)
    answer = client.post(
        reverse("web:invoice-edit", args=[invoice.pk]),
        editor_post(
            invoice,
            [{"description": "Advice", "quantity": "1", "unit_price": "10.00"}],
        ),
    )
    assert answer.status_code == 302
    assert [state(e) for e in entries] == [EntryState.UNBILLED] * 2


def test_deleting_a_draft_returns_its_time(client, admin_member, drafted):
    invoice, entries = drafted
    client.force_login(admin_member.user)
    answer = client.post(reverse("web:invoice-delete", args=[invoice.pk]), follow=True)
    assert "the work on it is back in WIP" in answer.content.decode()
    assert not type(invoice).objects.filter(pk=invoice.pk).exists()
    assert [state(e) for e in entries] == [EntryState.UNBILLED] * 2


def test_a_finalized_invoice_is_not_deleted(client, admin_member, drafted):
    from billbridge.invoicing import services as invoicing

    invoice, entries = drafted
    invoicing.finalize(admin_member, invoice.pk)
    client.force_login(admin_member.user)
    answer = client.post(reverse("web:invoice-delete", args=[invoice.pk]))
    assert answer.status_code == 409
    assert "only drafts can be deleted" in answer.content.decode()
    assert [state(e) for e in entries] == [EntryState.BILLED] * 2
