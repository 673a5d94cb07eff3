import datetime
from decimal import Decimal

import pytest

from billbridge.core import testing
from billbridge.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.invoicing.totals import LineInput

ISSUED = datetime.date(2026, 11, 2)


def draft_input(client, **overrides):
    values = {
        "client_id": client.pk,
        "issue_date": ISSUED,
        "due_date": ISSUED + datetime.timedelta(days=14),
        "lines": testing.sample_lines(),
    }
    values.update(overrides)
    return services.DraftInput(**values)


def test_create_draft_numbers_from_the_sequence_and_computes_totals(admin_member, client_a):
    services.update_tax_settings(admin_member, primary_rate=Decimal("8.25"), primary_enabled=True)
    first = services.create_draft(admin_member, draft_input(client_a))
    second = services.create_draft(admin_member, draft_input(client_a))
    assert (first.number, second.number) == ("INV-1", "INV-2")
    assert first.status == InvoiceStatus.DRAFT
    assert (first.subtotal, first.primary_tax, first.secondary_tax, first.total) == (
        Decimal("650.00"),
        Decimal("37.13"),
        Decimal("0.00"),
        Decimal("687.13"),
    )
    assert [line.position for line in first.lines.all()] == [1, 2]
    assert first.timeline.get().action == "created"


def test_a_typed_number_is_kept_and_the_sequence_skips_it(admin_member, client_a):
    services.create_draft(admin_member, draft_input(client_a, number="INV-1"))
    following = services.create_draft(admin_member, draft_input(client_a))
    assert following.number == "INV-2"


def test_a_duplicate_number_is_refused_and_nothing_is_written(admin_member, client_a):
    services.create_draft(admin_member, draft_input(client_a, number="2026-001"))
    with pytest.raises(InvalidInput) as refusal:
        services.create_draft(admin_member, draft_input(client_a, number="2026-001"))
    assert "2026-001" in refusal.value.message
    assert Invoice.objects.count() == 1


def test_numbers_longer_than_quickbooks_allows_are_refused(admin_member, client_a):
    with pytest.raises(InvalidInput) as refusal:
        services.create_draft(admin_member, draft_input(client_a, number="X" * 22))
    assert "21" in refusal.value.message
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ([LineInput("", Decimal("1"), Decimal("10"))], "description"),
        ([LineInput("Work", Decimal("0"), Decimal("10"))], "quantity"),
        ([LineInput("Work", Decimal("1"), Decimal("-10"))], "negative"),
        # Quantities and prices carry two decimals (decision 0001): more would be rounded by
        # the database after the amount was worked out from the unrounded value.
        ([LineInput("Work", Decimal("1.255"), Decimal("10"))], "two decimals"),
        ([LineInput("Work", Decimal("1"), Decimal("10.001"))], "two decimals"),
        ([LineInput("Work", Decimal("1e999999"), Decimal("10"))], "too large"),
        ([LineInput("Work", Decimal("1"), Decimal("10000000000"))], "too large"),
        ([LineInput("Work", Decimal("NaN"), Decimal("10"))], "not a number"),
        ([LineInput("Work", Decimal("1"), Decimal("-Infinity"))], "not a number"),
    ],
)
def test_bad_lines_are_refused_with_a_reason(admin_member, client_a, lines, words):
    with pytest.raises(InvalidInput) as refusal:
        services.create_draft(admin_member, draft_input(client_a, lines=lines))
    assert words in refusal.value.message
    assert not Invoice.objects.exists()


def test_another_practices_client_cannot_be_billed(admin_member):
    stranger = testing.make_client(testing.make_practice())
    with pytest.raises(InvalidInput) as refusal:
        services.create_draft(admin_member, draft_input(stranger))
    assert "client" in refusal.value.field_errors


def test_due_date_before_issue_date_is_refused(admin_member, client_a):
    with pytest.raises(InvalidInput) as refusal:
        services.create_draft(
            admin_member, draft_input(client_a, due_date=ISSUED - datetime.timedelta(days=1))
        )
    assert "due_date" in refusal.value.field_errors


def test_only_drafts_can_be_edited(admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    with pytest.raises(TransitionRefused) as refusal:
        services.update_draft(admin_member, invoice.pk, draft_input(client_a, memo="changed"))
    assert "only drafts can be edited" in refusal.value.message
    invoice.refresh_from_db()
    assert invoice.memo == ""


def test_editing_a_draft_replaces_its_lines_and_bumps_its_version(admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    edited = services.update_draft(
        admin_member,
        invoice.pk,
        draft_input(client_a, lines=[LineInput("Tax return", Decimal("3"), Decimal("95.50"))]),
    )
    assert edited.version == invoice.version + 1
    assert list(edited.lines.values_list("description", "amount")) == [
        ("Tax return", Decimal("286.50"))
    ]
    assert edited.total == Decimal("286.50")
    assert [e.action for e in edited.timeline.all()] == ["created", "edited"]


def test_an_edit_built_on_an_old_version_is_refused(admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    services.update_draft(admin_member, invoice.pk, draft_input(client_a, memo="first"))
    with pytest.raises(TransitionRefused) as refusal:
        services.update_draft(
            admin_member,
            invoice.pk,
            draft_input(client_a, memo="second"),
            expected_version=invoice.version,
        )
    assert "changed by someone else" in refusal.value.message
    assert Invoice.objects.get(pk=invoice.pk).memo == "first"


def test_finalize_needs_a_complete_invoice(admin_member, client_a):
    invoice = services.create_draft(admin_member, draft_input(client_a, due_date=None))
    with pytest.raises(TransitionRefused) as refusal:
        services.finalize(admin_member, invoice.pk)
    assert "no due date" in refusal.value.message
    empty = services.create_draft(admin_member, draft_input(client_a, lines=[]))
    with pytest.raises(TransitionRefused) as refusal:
        services.finalize(admin_member, empty.pk)
    assert "no lines" in refusal.value.message
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.DRAFT}


def test_finalize_freezes_the_tax_rates_then_in_force(admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    services.update_tax_settings(admin_member, primary_rate=Decimal("10"), primary_enabled=True)
    finalized = services.finalize(admin_member, invoice.pk)
    assert (finalized.primary_tax_rate, finalized.primary_tax) == (Decimal("10"), Decimal("45.00"))
    services.update_tax_settings(admin_member, primary_rate=Decimal("20"))
    finalized.refresh_from_db()
    assert finalized.primary_tax == Decimal("45.00")


def test_a_disabled_tax_counts_as_zero(admin_member, client_a):
    services.update_tax_settings(admin_member, primary_rate=Decimal("10"), primary_enabled=False)
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    assert (invoice.primary_tax_rate, invoice.primary_tax) == (Decimal("0"), Decimal("0.00"))


def test_close_needs_a_reason_and_records_it(admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    with pytest.raises(InvalidInput):
        services.close(admin_member, invoice.pk, "  ")
    closed = services.close(admin_member, invoice.pk, "Paid by cheque 1042")
    event = closed.timeline.last()
    assert (event.action, event.reason, event.who) == ("closed", "Paid by cheque 1042", "alice")


def test_the_system_closes_with_its_own_label(admin_member, client_a, practice):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    services.close(
        None, invoice.pk, "Paid in QuickBooks", practice=practice, actor_label="QuickBooks sync"
    )
    event = Invoice.objects.get(pk=invoice.pk).timeline.last()
    assert (event.who, event.to_status) == ("QuickBooks sync", InvoiceStatus.CLOSED)


def test_bulk_reports_each_invoice_and_one_refusal_stops_nothing(admin_member, client_a):
    draft = testing.make_invoice(admin_member, client_a)
    closed = testing.make_invoice(admin_member, client_a, InvoiceStatus.CLOSED)
    another_draft = testing.make_invoice(admin_member, client_a)
    foreign = testing.make_invoice(*_foreign_member_and_client(), status=InvoiceStatus.DRAFT)
    outcomes = services.apply_bulk(
        admin_member, "finalize", [draft.pk, closed.pk, foreign.pk, another_draft.pk, draft.pk]
    )
    assert [(o.number, o.done) for o in outcomes] == [
        (draft.number, True),
        (closed.number, False),
        ("", False),
        (another_draft.number, True),
    ]
    assert "Closed" in outcomes[1].message
    assert outcomes[2].message == "No such invoice."
    assert Invoice.objects.get(pk=foreign.pk).status == InvoiceStatus.DRAFT


def test_bulk_revert_without_the_owner_role_is_refused_per_invoice(
    practice, admin_member, client_a
):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    clerk = testing.make_member(practice, can_process_time=True)
    [outcome] = services.apply_bulk(clerk, "revert_to_draft", [invoice.pk])
    assert not outcome.done
    assert "Owner role" in outcome.message
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.FINALIZED


def test_bulk_ids_beyond_any_key_are_not_found(admin_member, client_a):
    draft = testing.make_invoice(admin_member, client_a)
    outcomes = services.apply_bulk(admin_member, "finalize", [2**70, -1, draft.pk])
    assert [(o.done, o.message) for o in outcomes[:2]] == [(False, "No such invoice.")] * 2
    assert outcomes[2].done


def test_unknown_bulk_action_is_refused(admin_member):
    with pytest.raises(InvalidInput):
        services.apply_bulk(admin_member, "delete", [1])


def test_tax_settings_need_manage_settings_and_sane_rates(practice, admin_member):
    clerk = testing.make_member(practice, can_process_time=True)
    with pytest.raises(PermissionRefused):
        services.update_tax_settings(clerk, primary_rate=Decimal("5"))
    with pytest.raises(InvalidInput):
        services.update_tax_settings(admin_member, primary_rate=Decimal("101"))
    with pytest.raises(InvalidInput):
        services.update_tax_settings(admin_member, primary_rate=Decimal("1.2345"))
    assert services.tax_settings_for(practice).primary_rate == Decimal("0")


def _foreign_member_and_client():
    other = testing.make_practice()
    member = testing.make_admin(other)
    client = testing.make_client(other)
    testing.assign(member, client)
    return member, client
