"""Reverting an invoice paid in QBO (R9), against the running emulator: its payments are
unapplied, never deleted, the QBO invoice stays and is Outstanding again, and the export after
the edit updates that same QBO invoice. A refusal by QBO changes nothing locally."""

from decimal import Decimal

import httpx
import pytest

from billbridge.core import testing
from billbridge.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.invoicing.totals import LineInput
from billbridge.quickbooks.models import ExportState, QboInvoiceLink
from billbridge.quickbooks.tests.test_export import row_of

TOTAL = Decimal("686.00")  # testing.sample_lines(): 450.00 taxed at 8% plus 200.00


def paid(setup, amount: Decimal | None = None):
    """An exported invoice with a payment of `amount` (None: all of it) applied in QBO."""
    invoice = setup.invoice()
    setup.export(invoice)
    link = QboInvoiceLink.objects.get(invoice=invoice)
    payment = setup.company.receive_payment(link.qbo_invoice_id, amount)
    return invoice, link, payment


def state(invoice):
    """Everything a refused revert must leave as it was, here and in QBO's link."""
    invoice = Invoice.objects.get(pk=invoice.pk)
    link = QboInvoiceLink.objects.get(invoice=invoice)
    return (
        invoice.status,
        invoice.version,
        list(invoice.timeline.values_list("action", "reason")),
        (link.state, link.sync_token, link.qbo_balance, link.payment_ids, link.closed_by_sync),
    )


def payment_posts(setup) -> list[dict]:
    log = httpx.get(
        f"{setup.qbo.control_url}/requests",
        params={"method": "POST", "path": "/v3/company/*/payment"},
    )
    return log.raise_for_status().json()["requests"]


def edit_and_export_again(setup, invoice):
    """Edit the draft (one line less), finalize and export it: returns the QBO invoice."""
    setup.edit_lines(invoice, [LineInput("Payroll run", Decimal("3"), Decimal("80.00"))])
    invoicing.finalize(setup.member, invoice.pk)
    setup.export(Invoice.objects.get(pk=invoice.pk))
    assert row_of(invoice).state == ExportState.EXPORTED, row_of(invoice).message
    [qbo_invoice] = setup.ours_in_qbo(invoice)
    return qbo_invoice


@pytest.mark.parametrize(
    ("amount", "applied"),
    [(None, TOTAL), (Decimal("25.00"), Decimal("25.00"))],
    ids=["full", "partial"],
)
def test_a_paid_invoice_goes_to_draft_its_payment_kept_and_the_same_qbo_invoice_updated(
    setup,
    amount,
    applied,
):
    invoice, link, payment = paid(setup, amount)
    assert setup.company.read("Invoice", link.qbo_invoice_id)["Balance"] == TOTAL - applied

    invoicing.revert_to_draft(setup.member, invoice.pk, "wrong hours")

    qbo_invoice = setup.company.read("Invoice", link.qbo_invoice_id)
    assert (qbo_invoice["Balance"], qbo_invoice["TotalAmt"]) == (TOTAL, TOTAL)
    assert [t for t in qbo_invoice.get("LinkedTxn", []) if t["TxnType"] == "Payment"] == []
    kept = setup.company.read("Payment", payment["Id"])
    assert (kept["TotalAmt"], kept["UnappliedAmt"], kept.get("Line")) == (applied, applied, None)
    # Nothing else of the payment changed: the full update sent back everything it had.
    moved = {"Line", "UnappliedAmt", "SyncToken", "MetaData"}
    assert {k: v for k, v in kept.items() if k not in moved} == {
        k: v for k, v in payment.items() if k not in moved
    }

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT
    assert list(invoice.timeline.values_list("action", "reason"))[-2:] == [
        ("reverted to draft", "wrong hours"),
        (
            "payment unapplied in QuickBooks",
            f"Payment {payment['Id']} ({applied}) unapplied in QuickBooks; it stays there as "
            "the customer's credit.",
        ),
    ]
    link.refresh_from_db()
    assert (link.state, link.sync_token, link.qbo_balance, link.payment_ids) == (
        QboInvoiceLink.State.IN_QBO,
        qbo_invoice["SyncToken"],
        TOTAL,
        "",
    )
    assert link.read_at is not None

    updated = edit_and_export_again(setup, invoice)
    assert updated["Id"] == link.qbo_invoice_id
    assert (updated["TotalAmt"], updated["Balance"]) == (Decimal("240.00"), Decimal("240.00"))
    # The customer's credit is still there for whoever keeps the books to apply again.
    assert setup.company.read("Payment", payment["Id"])["UnappliedAmt"] == applied


def test_a_closed_paid_invoice_goes_to_draft_by_way_of_finalized(setup):
    invoice, link, payment = paid(setup)
    # As the payment sync does when QBO shows the invoice paid.
    invoicing.close(
        None,
        invoice.pk,
        "Paid in QuickBooks",
        practice=setup.practice,
        actor_label="QuickBooks sync",
    )
    QboInvoiceLink.objects.filter(pk=link.pk).update(
        closed_by_sync=True, payment_ids=f",{payment['Id']},", qbo_balance=Decimal("0.00")
    )
    events_before = invoice.timeline.count()

    invoicing.revert_to_draft(setup.member, invoice.pk, "client disputes the hours")

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT
    new_events = list(
        invoice.timeline.values_list("action", "from_status", "to_status", "reason", "actor")
    )[events_before:]
    why = "client disputes the hours"
    user = setup.member.user_id
    assert new_events == [
        ("reopened", "closed", "finalized", why, user),
        ("reverted to draft", "finalized", "draft", why, user),
        (
            "payment unapplied in QuickBooks",
            "",
            "",
            f"Payment {payment['Id']} ({TOTAL}) unapplied in QuickBooks; it stays there as the "
            "customer's credit.",
            user,
        ),
    ]
    link.refresh_from_db()
    assert (link.state, link.qbo_balance, link.payment_ids, link.closed_by_sync) == (
        QboInvoiceLink.State.IN_QBO,
        TOTAL,
        "",
        False,
    )
    assert setup.company.read("Invoice", link.qbo_invoice_id)["Balance"] == TOTAL
    assert setup.company.read("Payment", payment["Id"])["UnappliedAmt"] == TOTAL


def test_a_payment_shared_with_another_invoice_keeps_paying_that_one(setup):
    client = testing.make_client(setup.practice, "Harbor Books")
    first, second = setup.invoice(client), setup.invoice(client)
    setup.export(first, second)
    first_id = QboInvoiceLink.objects.get(invoice=first).qbo_invoice_id
    second_id = QboInvoiceLink.objects.get(invoice=second).qbo_invoice_id
    customer = setup.company.read("Invoice", first_id)["CustomerRef"]
    with setup.qbo.emulator.operation():
        payment = setup.company.create(
            "Payment",
            {
                "CustomerRef": {"value": customer["value"]},
                "TotalAmt": "1000.00",
                "Line": [
                    {"Amount": "600.00", "LinkedTxn": [{"TxnId": first_id, "TxnType": "Invoice"}]},
                    {"Amount": "400.00", "LinkedTxn": [{"TxnId": second_id, "TxnType": "Invoice"}]},
                ],
            },
        )

    invoicing.revert_to_draft(setup.member, first.pk, "split the hours")

    kept = setup.company.read("Payment", payment["Id"])
    assert kept["TotalAmt"] == Decimal("1000.00")
    assert kept["UnappliedAmt"] == Decimal("600.00")
    assert [(line["Amount"], line["LinkedTxn"]) for line in kept["Line"]] == [
        (Decimal("400.00"), [{"TxnId": second_id, "TxnType": "Invoice"}])
    ]
    assert setup.company.read("Invoice", first_id)["Balance"] == TOTAL
    assert setup.company.read("Invoice", second_id)["Balance"] == TOTAL - Decimal("400.00")
    assert Invoice.objects.get(pk=second.pk).status == InvoiceStatus.FINALIZED


def test_qbo_refusing_the_payment_update_refuses_the_revert_and_changes_nothing(setup):
    invoice, link, payment = paid(setup, Decimal("10.00"))
    before = state(invoice)
    setup.fault(
        kind="fault",
        method="POST",
        path="/v3/company/*/payment",
        status=400,
        code="6000",
        message="A business validation error has occurred while processing your request",
        detail="Business Validation Error: the books are closed for that date.",
        fault_type="ValidationFault",
    )
    with pytest.raises(TransitionRefused) as refused:
        invoicing.revert_to_draft(setup.member, invoice.pk, "oops")
    assert refused.value.message == (
        f"QuickBooks refused to change invoice {invoice.number} (A business validation error "
        "has occurred while processing your request: Business Validation Error: the books are "
        "closed for that date.); it was not reverted."
    )
    assert state(invoice) == before
    assert setup.company.read("Invoice", link.qbo_invoice_id)["Balance"] == TOTAL - Decimal("10")
    assert setup.company.read("Payment", payment["Id"])["UnappliedAmt"] == Decimal("0.00")


def test_a_refusal_after_one_payment_was_unapplied_says_it_stays_unapplied(setup):
    invoice, link, first = paid(setup, Decimal("10.00"))
    second = setup.company.receive_payment(link.qbo_invoice_id, Decimal("5.00"))
    before = state(invoice)
    setup.fault(
        kind="fault",
        method="GET",
        path=f"/v3/company/*/payment/{second['Id']}",
        status=400,
        code="6000",
        message="A business validation error has occurred while processing your request",
    )
    with pytest.raises(TransitionRefused) as refused:
        invoicing.revert_to_draft(setup.member, invoice.pk, "oops")
    assert refused.value.message.endswith(
        f"it was not reverted. Payment {first['Id']} (10.00) had already been unapplied in "
        "QuickBooks and stays unapplied there: apply it again in QuickBooks, or revert again."
    )
    assert state(invoice) == before
    assert setup.company.read("Payment", first["Id"])["UnappliedAmt"] == Decimal("10.00")
    assert setup.company.read("Payment", second["Id"])["UnappliedAmt"] == Decimal("0.00")

    # Asked again, the revert finishes the work: the first payment is not touched twice.
    invoicing.revert_to_draft(setup.member, invoice.pk, "oops")
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT
    assert setup.company.read("Invoice", link.qbo_invoice_id)["Balance"] == TOTAL
    assert setup.company.read("Payment", first["Id"])["UnappliedAmt"] == Decimal("10.00")
    assert setup.company.read("Payment", second["Id"])["UnappliedAmt"] == Decimal("5.00")
    assert invoice.timeline.last().reason == (
        f"Payment {second['Id']} (5.00) unapplied in QuickBooks; it stays there as the "
        "customer's credit."
    )


def test_an_unapply_whose_answer_was_lost_keeps_the_qbo_invoice_on_the_next_revert(setup):
    invoice, link, payment = paid(setup)
    # As the payment sync records what it read: the invoice was last seen paid.
    QboInvoiceLink.objects.filter(pk=link.pk).update(payment_ids=f",{payment['Id']},")
    before = state(invoice)
    setup.fault(kind="drop", method="POST", path="/v3/company/*/payment")
    with pytest.raises(TransitionRefused) as refused:
        invoicing.revert_to_draft(setup.member, invoice.pk, "oops")
    assert refused.value.message.endswith(
        f"invoice {invoice.number} was not reverted. Try again. QuickBooks may have made the "
        "last change all the same; reverting again starts from what it shows."
    )
    assert state(invoice) == before
    # QBO did unapply it: only the answer was lost.
    assert setup.company.read("Payment", payment["Id"])["UnappliedAmt"] == TOTAL

    invoicing.revert_to_draft(setup.member, invoice.pk, "oops")
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT
    [qbo_invoice] = setup.ours_in_qbo(invoice)
    assert (qbo_invoice["Id"], qbo_invoice["Balance"]) == (link.qbo_invoice_id, TOTAL)
    link.refresh_from_db()
    assert (link.state, link.sync_token, link.payment_ids) == (
        QboInvoiceLink.State.IN_QBO,
        qbo_invoice["SyncToken"],
        "",
    )


def test_a_clerk_without_the_owner_role_is_refused_before_qbo_is_asked(setup):
    invoice, link, payment = paid(setup)
    clerk = testing.make_member(setup.practice, "clerk", can_process_time=True)
    before = state(invoice)
    posts = len(payment_posts(setup))
    with pytest.raises(PermissionRefused, match="Owner role"):
        invoicing.revert_to_draft(clerk, invoice.pk, "not mine")
    assert state(invoice) == before
    assert len(payment_posts(setup)) == posts
    assert setup.company.read("Invoice", link.qbo_invoice_id)["Balance"] == Decimal("0.00")


def test_a_reason_refused_locally_leaves_qbo_untouched(setup):
    invoice, link, payment = paid(setup)
    before = state(invoice)
    with pytest.raises(InvalidInput, match="NUL"):
        invoicing.revert_to_draft(setup.member, invoice.pk, "bad\x00reason")
    assert state(invoice) == before
    assert setup.company.read("Invoice", link.qbo_invoice_id)["Balance"] == Decimal("0.00")
    assert setup.company.read("Payment", payment["Id"])["UnappliedAmt"] == Decimal("0.00")


def test_an_unpaid_closed_invoice_is_still_removed_from_qbo(setup):
    invoice = setup.invoice()
    setup.export(invoice)
    link = QboInvoiceLink.objects.get(invoice=invoice)
    invoicing.close(setup.member, invoice.pk, "paid by cheque")
    invoicing.revert_to_draft(setup.member, invoice.pk, "cheque was for another invoice")
    assert setup.ours_in_qbo(invoice) == []
    link.refresh_from_db()
    assert link.state == QboInvoiceLink.State.REMOVED
    assert list(invoice.timeline.values_list("action", flat=True))[-2:] == [
        "reopened",
        "reverted to draft",
    ]
