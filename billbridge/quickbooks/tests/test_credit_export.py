"""Credit notes exported to QBO as CreditMemos and applied to their invoice by a payment of 0,
against the emulator over HTTP (docs/decisions/0027): every credit path (all of an invoice, its
lines, an amount, a write-off), US with automated sales tax off and on, and a non-US company;
the QBO invoice's balance and the credit memo's after the application; what is refused, and
closed periods. Faults: test_credit_faults.py."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billbridge.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import Invoice
from billbridge.practice.models import Membership
from billbridge.quickbooks import connection as qbo_connection
from billbridge.quickbooks import services, sweeping
from billbridge.quickbooks.column import cells_for
from billbridge.quickbooks.models import (
    ApplicationState,
    ExportCheck,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboCreditApplication,
    QboInvoiceLink,
)

pytestmark = pytest.mark.django_db


def row_of(document) -> InvoiceExport:
    return InvoiceExport.objects.filter(invoice=document).latest("id")


def link_of(document) -> QboInvoiceLink:
    return QboInvoiceLink.objects.get(invoice=document)


def application_of(note) -> QboCreditApplication:
    return QboCreditApplication.objects.get(credit_note=note)


def qbo_invoice(setup, invoice) -> dict:
    return setup.company.read("Invoice", link_of(invoice).qbo_invoice_id)


def cell_of(document):
    document = Invoice.objects.get(pk=document.pk)
    return cells_for([document])[document.pk]


def sales_lines(body: dict) -> list[dict]:
    return [line for line in body["Line"] if line.get("DetailType") == "SalesItemLineDetail"]


def items_and_codes(body: dict) -> list[tuple[str, str, Decimal]]:
    return [
        (
            line["SalesItemLineDetail"]["ItemRef"]["value"],
            line["SalesItemLineDetail"]["TaxCodeRef"]["value"],
            line["Amount"],
        )
        for line in sales_lines(body)
    ]


@pytest.fixture
def exported(setup):
    """A finalized invoice of 686.00 in QBO: 450.00 of bookkeeping taxed at 8 %, 200.00 of
    payroll untaxed."""
    invoice = setup.invoice()
    setup.export(invoice)
    assert row_of(invoice).state == ExportState.EXPORTED
    return invoice


def exported_and_applied(setup, credits, note) -> dict:
    """Export the credit note, apply it; returns its QBO credit memo as QBO holds it after."""
    setup.export(note)
    row = row_of(note)
    assert row.state == ExportState.EXPORTED, (row.message, row.advice)
    assert credits.apply() == 1
    application = application_of(note)
    assert application.state == ApplicationState.APPLIED, application.error
    [memo] = credits.memos(note)
    return memo


# ---- every credit path ------------------------------------------------------------------------


def test_the_export_task_wakes_the_application_drain(
    setup, credits, exported, django_capture_on_commit_callbacks
):
    note = credits.note(exported)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_export(setup.member, [note.pk])  # drain_exports, then apply_credits
    assert application_of(note).state == ApplicationState.APPLIED
    assert qbo_invoice(setup, exported)["Balance"] == 0


def test_a_full_credit_is_a_credit_memo_like_its_invoice_applied_to_it(setup, credits, exported):
    note = credits.note(exported)
    setup.export(note)

    row = row_of(note)
    assert row.state == ExportState.EXPORTED, row.message
    [memo] = credits.memos(note)
    invoice = qbo_invoice(setup, exported)
    # The same customer, items and tax treatment as the invoice; what only an invoice has, not.
    assert memo["CustomerRef"]["value"] == invoice["CustomerRef"]["value"]
    assert memo["DocNumber"] == note.number
    assert memo["TxnDate"] == note.issue_date.isoformat()
    assert items_and_codes(memo) == items_and_codes(invoice)
    assert memo["TxnTaxDetail"]["TxnTaxCodeRef"] == invoice["TxnTaxDetail"]["TxnTaxCodeRef"]
    assert memo["TotalAmt"] == note.total == exported.total == Decimal("686.00")
    for field in ("DueDate", "BillEmail", "AllowOnlineCreditCardPayment", "AllowOnlineACHPayment"):
        assert field not in row.payload
    assert f"Billbridge credit note {note.number}" in memo["PrivateNote"]
    link = link_of(note)
    assert (link.entity, link.qbo_invoice_id, link.qbo_balance) == (
        QboInvoiceLink.Entity.CREDIT_MEMO, memo["Id"], Decimal("686.00"),
    )  # fmt: skip
    # Its application is queued with it, in the same transaction: not sent yet.
    application = application_of(note)
    assert (application.state, application.amount, application.qbo_credit_memo_id) == (
        ApplicationState.QUEUED, Decimal("686.00"), memo["Id"],
    )  # fmt: skip
    assert application.qbo_invoice_id == link_of(exported).qbo_invoice_id
    assert application.qbo_customer_id == invoice["CustomerRef"]["value"]
    assert cell_of(note).detail == "Exported as credit memo CN-1; applying."

    assert credits.apply() == 1

    application.refresh_from_db()
    assert application.state == ApplicationState.APPLIED
    [payment] = credits.payments(memo["Id"])
    assert application.qbo_payment_id == payment["Id"]
    assert payment["TotalAmt"] == 0
    assert payment["CustomerRef"]["value"] == invoice["CustomerRef"]["value"]
    lines = sorted((line["LinkedTxn"][0]["TxnType"], line["Amount"]) for line in payment["Line"])
    assert lines == [("CreditMemo", Decimal("686.00")), ("Invoice", Decimal("686.00"))]
    assert qbo_invoice(setup, exported)["Balance"] == 0
    memo = setup.company.read("CreditMemo", memo["Id"])
    assert (memo["Balance"], memo["RemainingCredit"]) == (0, 0)
    cell = cell_of(note)
    assert (cell.label, cell.tone, cell.noun, cell.number) == (
        "Exported",
        "ok",
        "credit memo",
        "CN-1",
    )
    assert cell.detail == f"Exported as credit memo CN-1; applied to {exported.number}."
    assert "#creditmemo-" in cell.url
    # Nothing more to do: the drains find nothing, the sweep queues nothing.
    assert credits.apply() == 0
    assert sweeping.sweep()["applications_due"] == []
    assert len(credits.payments(memo["Id"])) == 1


def test_chosen_lines_are_credited_and_the_invoice_keeps_the_rest_open(setup, credits, exported):
    bookkeeping, _ = exported.lines.order_by("position")
    note = credits.note(exported, line_ids=[bookkeeping.pk])
    memo = exported_and_applied(setup, credits, note)

    assert note.total == Decimal("486.00")  # 450.00 and its 8 %
    invoice = qbo_invoice(setup, exported)
    assert items_and_codes(memo) == items_and_codes(invoice)[:1]
    assert memo["TotalAmt"] == Decimal("486.00")
    assert invoice["Balance"] == Decimal("200.00")
    assert setup.company.read("CreditMemo", memo["Id"])["RemainingCredit"] == 0


def test_an_amount_is_one_line_on_the_invoices_first_item(setup, credits, exported):
    # The invoice's lines are taxed differently, so an amount is credited untaxed.
    note = credits.note(exported, amount=Decimal("100.00"), reason="Goodwill")
    memo = exported_and_applied(setup, credits, note)

    [(item, code, amount)] = items_and_codes(memo)
    first_item = items_and_codes(qbo_invoice(setup, exported))[0][0]
    assert (item, code, amount) == (first_item, "NON", Decimal("100.00"))
    assert "TxnTaxDetail" not in row_of(note).payload  # nothing taxed, no tax code sent
    assert qbo_invoice(setup, exported)["Balance"] == Decimal("586.00")


def test_a_write_off_needs_the_practices_write_off_item_and_then_goes_to_it(
    setup, credits, exported
):
    first = credits.note(exported, line_ids=[exported.lines.order_by("position")[1].pk])
    exported_and_applied(setup, credits, first)
    write_off = credits.note(exported, write_off=True, reason="Client insolvent")
    assert write_off.total == Decimal("486.00")  # all that remains

    setup.export(write_off)
    row = row_of(write_off)
    assert row.state == ExportState.FAILED
    assert row.message.startswith("No write-off item is chosen")
    assert row.advice == (
        "Choose a write-off item in Settings ▸ Integrations ▸ QuickBooks Online, then export again."
    )
    assert credits.memos(write_off) == []

    services.set_write_off_item(setup.member, "5")  # Gardening, say
    setup.export(write_off)
    memo = exported_and_applied(setup, credits, write_off)
    assert items_and_codes(memo) == [("5", "NON", Decimal("486.00"))]
    assert sales_lines(memo)[0]["Description"] == "Written off: Client insolvent"
    assert qbo_invoice(setup, exported)["Balance"] == 0


@pytest.mark.qbo_company(automated_sales_tax=True, custom_txn_numbers=True)
def test_with_automated_sales_tax_qbo_taxes_the_credit_memo_and_all_of_it_is_applied(
    setup, credits, exported
):
    note = credits.note(exported)
    setup.export(note)
    row = row_of(note)
    assert row.state == ExportState.EXPORTED, row.message
    assert row.warning.startswith("Automated sales tax is on: QuickBooks calculates the tax")
    assert "TxnTaxDetail" not in row.payload  # QBO's own tax, as on the invoice (R7c)
    [memo] = credits.memos(note)
    invoice = qbo_invoice(setup, exported)
    assert memo["TotalAmt"] == invoice["TotalAmt"]
    assert credits.apply() == 1
    # What QBO's credit memo holds is what is applied: nothing is left open on either side.
    assert application_of(note).amount == memo["TotalAmt"]
    assert qbo_invoice(setup, exported)["Balance"] == 0
    assert setup.company.read("CreditMemo", memo["Id"])["RemainingCredit"] == 0


@pytest.mark.qbo_company(country="GB")
def test_a_uk_credit_memo_carries_the_invoices_vat_codes(setup, credits):
    invoicing.update_tax_settings(
        setup.member, primary_name="VAT", primary_rate=Decimal("20"), primary_enabled=True
    )
    invoice = setup.invoice("Thames Traders")
    setup.export(invoice)
    note = credits.note(invoice)
    memo = exported_and_applied(setup, credits, note)

    assert items_and_codes(memo) == items_and_codes(qbo_invoice(setup, invoice))
    assert [code for _, code, _ in items_and_codes(memo)] == ["1", "3"]  # 20.0% S, 0.0% Z
    assert memo["GlobalTaxCalculation"] == "TaxExcluded"
    assert memo["TotalAmt"] == note.total == Decimal("740.00")
    assert qbo_invoice(setup, invoice)["Balance"] == 0


# ---- a credit note's invoice must be in QuickBooks --------------------------------------------


def test_a_credit_note_whose_invoice_is_not_in_qbo_is_refused_at_once(setup, credits):
    invoice = setup.invoice()
    note = partly(credits, invoice)
    batch = services.request_export(setup.member, [note.pk])
    assert batch.refused == [
        {
            "id": note.pk,
            "number": note.number,
            "message": f"Export invoice {invoice.number} first: a credit note is applied to its "
            "invoice in QuickBooks.",
        }
    ]
    assert not InvoiceExport.objects.filter(invoice=note).exists()


def partly(credits, invoice):
    """A credit note for the invoice's first line: the invoice stays open (a full credit of an
    invoice QBO does not hold closes it here, and then neither goes to QuickBooks)."""
    return credits.note(invoice, line_ids=[invoice.lines.order_by("position")[0].pk])


def test_a_credit_note_sent_with_its_invoice_waits_for_it_then_goes(setup, credits):
    invoice = setup.invoice()
    note = partly(credits, invoice)
    batch = setup.export(note, invoice)  # the credit note first: it waits all the same

    assert batch.refused == []
    assert row_of(invoice).state == ExportState.EXPORTED
    row = row_of(note)
    assert (row.state, row.message, row.attempts) == (
        ExportState.QUEUED, f"Waiting for invoice {invoice.number} to be exported.", 0,
    )  # fmt: skip
    assert credits.memos(note) == []
    credits.settle()
    assert row_of(note).state == ExportState.EXPORTED
    assert application_of(note).state == ApplicationState.APPLIED
    assert qbo_invoice(setup, invoice)["Balance"] == Decimal("200.00")


def test_a_credit_note_whose_invoice_export_failed_says_to_export_it_first(setup, credits):
    invoice = setup.invoice()
    note = partly(credits, invoice)
    services.request_export(setup.member, [invoice.pk, note.pk])
    # QBO refused the invoice (say) before the drain reached the credit note.
    InvoiceExport.objects.filter(invoice=invoice).update(state=ExportState.FAILED)
    credits.settle()

    row = row_of(note)
    assert row.state == ExportState.FAILED
    assert row.message == (
        f"Export invoice {invoice.number} first: a credit note is applied to its invoice in "
        "QuickBooks."
    )
    assert row.advice == f"Export invoice {invoice.number}, then export this credit note again."
    assert credits.memos(note) == [] and not QboCreditApplication.objects.exists()


# ---- the sweep finishes what a crash left ------------------------------------------------------


def test_a_credit_memo_in_qbo_without_its_application_is_applied_by_the_sweep_once(
    setup, credits, exported
):
    note = credits.note(exported)
    setup.export(note)
    QboCreditApplication.objects.all().delete()  # as if the worker died between the two

    report = sweeping.sweep()
    assert report["applications_due"] == [setup.realm]
    assert application_of(note).state == ApplicationState.QUEUED
    credits.apply()
    [memo] = credits.memos(note)
    assert len(credits.payments(memo["Id"])) == 1
    # Applied: the sweep makes no second row, and nothing is sent again.
    assert sweeping.sweep()["applications_due"] == []
    assert credits.apply() == 0
    assert QboCreditApplication.objects.count() == 1
    assert len(credits.payments(memo["Id"])) == 1


# ---- the write-off item -------------------------------------------------------------------------


def test_the_write_off_item_is_one_of_the_companys_items_chosen_by_who_may(setup):
    setup.company.create(
        "Item", {"Name": "Bad debt", "Type": "Service", "IncomeAccountRef": {"value": "1"}}
    )
    qbo_connection.test_connection(setup.member)  # reads the company's items again
    [bad_debt] = [i for i in setup.company.list("Item") if i["Name"] == "Bad debt"]

    connection = services.set_write_off_item(setup.member, bad_debt["Id"])
    assert (connection.write_off_item_id, connection.write_off_item_name) == (
        bad_debt["Id"], "Bad debt",
    )  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        services.set_write_off_item(setup.member, "999")
    assert refused.value.field_errors == {
        "write_off_item_id": ["Not an active item of the company."]
    }
    for lacking in ("can_export", "can_manage_settings"):
        member = Membership.objects.get(pk=setup.member.pk)
        setattr(member, lacking, False)
        with pytest.raises(PermissionRefused):
            services.set_write_off_item(member, "")
    connection.refresh_from_db()
    assert connection.write_off_item_id == bad_debt["Id"]  # refusals changed nothing
    connection = services.set_write_off_item(setup.member, "")
    assert (connection.write_off_item_id, connection.write_off_item_name) == ("", "")


def test_the_settings_page_chooses_the_write_off_item(setup, client):
    client.force_login(setup.member.user)
    page = client.get(reverse("web:quickbooks-settings")).content.decode()
    assert 'name="write_off_item_id"' in page
    form = {"default_item_id": "1", "ast_tax_handling": "accept_qbo", "write_off_item_id": "5"}
    client.post(reverse("web:quickbooks-save-settings"), form)
    connection = QboConnection.objects.get()
    assert (connection.write_off_item_id, connection.write_off_item_name) == ("5", "Gardening")
    # An item QBO does not have: the whole form is refused, nothing saved.
    answer = client.post(
        reverse("web:quickbooks-save-settings"),
        {**form, "default_item_id": "2", "write_off_item_id": "999"},
    )
    assert answer.status_code == 400
    connection.refresh_from_db()
    assert (connection.default_item_id, connection.write_off_item_id) == ("1", "5")
    page = client.get(reverse("web:quickbooks-settings")).content.decode()
    assert '<option value="5" selected>Gardening</option>' in page


# ---- check before export ------------------------------------------------------------------------


def checked(setup, django_capture_on_commit_callbacks, *documents) -> dict[int, list[tuple]]:
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.request_check(setup.member, [d.pk for d in documents])
    return {
        check.invoice_id: [(f["tone"], f["text"]) for f in check.findings]
        for check in ExportCheck.objects.filter(batch=batch)
    }


def test_check_says_what_stops_a_credit_note(setup, credits, django_capture_on_commit_callbacks):
    not_exported = setup.invoice("Quiet Ltd")
    waiting_for = partly(credits, not_exported)
    invoice = setup.invoice()
    setup.export(invoice)
    written_off = credits.note(invoice, write_off=True, reason="Gone")

    findings = checked(setup, django_capture_on_commit_callbacks, waiting_for, written_off)

    assert (
        "error",
        f"Its invoice is not in QuickBooks. Export invoice {not_exported.number} first: a credit "
        "note is applied to its invoice in QuickBooks.",
    ) in findings[waiting_for.pk]
    qbo_number = link_of(invoice).doc_number
    assert (
        "ok",
        f"Applied to QBO invoice {qbo_number} (invoice {invoice.number}) once exported.",
    ) in findings[written_off.pk]
    assert any(
        tone == "error" and text.startswith("No write-off item is chosen")
        for tone, text in findings[written_off.pk]
    )
    assert ("ok", f"Number: the QuickBooks credit memo is numbered {written_off.number}") in (
        findings[written_off.pk]
    )
    assert not ExportCheck.objects.get(invoice=written_off).ok


# ---- closed periods ---------------------------------------------------------------------------


def close_through(setup, day) -> None:
    invoicing.update_lock_date(setup.member, day)


def edited_after_export(setup, invoice):
    """The exported invoice, partly paid in QBO (so that its revert keeps the QBO invoice,
    R9), reverted, edited and finalized again while its period was open."""
    qbo = qbo_invoice(setup, invoice)
    setup.company.create(
        "Payment",
        {
            "CustomerRef": qbo["CustomerRef"],
            "TotalAmt": Decimal("100.00"),
            "Line": [
                {
                    "Amount": Decimal("100.00"),
                    "LinkedTxn": [{"TxnId": qbo["Id"], "TxnType": "Invoice"}],
                }
            ],
        },
    )
    invoicing.revert_to_draft(setup.member, invoice.pk, reason="fix a line")
    setup.edit_lines(invoice, [invoicing.LineInput("Corrected work", Decimal("3"), Decimal("80"))])
    return invoicing.finalize(setup.member, invoice.pk)


def test_re_exporting_an_invoice_dated_in_a_closed_period_is_refused(setup, exported):
    edited = edited_after_export(setup, exported)
    close_through(setup, exported.issue_date)
    sync_token = qbo_invoice(setup, exported)["SyncToken"]

    batch = services.request_export(setup.member, [edited.pk])

    [refusal] = batch.refused
    assert refusal["message"] == (
        f"Invoice {exported.number} is dated 02 Nov 2026, in a closed period (The practice's "
        "lock date closes the books through 02 Nov 2026), so it cannot be exported to "
        "QuickBooks again. Issue a credit note instead, and a corrected copy if one is needed."
    )
    assert not InvoiceExport.objects.filter(invoice=edited, invoice_version=edited.version)
    assert qbo_invoice(setup, exported)["SyncToken"] == sync_token


def test_an_update_planned_after_the_period_closed_is_refused_and_nothing_sent(setup, exported):
    edited = edited_after_export(setup, exported)
    services.request_export(setup.member, [edited.pk])  # queued while the period was open
    close_through(setup, exported.issue_date)
    sync_token = qbo_invoice(setup, exported)["SyncToken"]
    writes_before = len(setup.requests("/v3/company/*/batch"))

    setup.drain_all_due()

    row = row_of(edited)
    assert row.state == ExportState.FAILED
    assert "in a closed period" in row.message and "cannot be exported to QuickBooks again" in (
        row.message
    )
    assert row.payload == ""
    assert len(setup.requests("/v3/company/*/batch")) == writes_before
    assert qbo_invoice(setup, exported)["SyncToken"] == sync_token


def test_confirming_a_replacement_or_sending_ours_again_is_refused_in_a_closed_period(
    setup, exported
):
    link = link_of(exported)
    link.drift = {"kind": "changed", "differences": [], "qbo": {}}
    link.save()
    row = row_of(exported)
    InvoiceExport.objects.filter(pk=row.pk).update(state=ExportState.DELETED_IN_QBO)
    close_through(setup, exported.issue_date)

    with pytest.raises(TransitionRefused, match="in a closed period") as refused:
        services.confirm_replacement(setup.member, exported.pk)
    assert refused.value.credit_possible
    with pytest.raises(TransitionRefused, match="cannot be exported to QuickBooks again"):
        services.resolve_drift(setup.member, exported.pk, keep=False)
    assert InvoiceExport.objects.filter(invoice=exported).count() == 1
    assert row_of(exported).state == ExportState.DELETED_IN_QBO
    assert link_of(exported).drift["kind"] == "changed"
    # Keeping QuickBooks' version changes nothing there: it stays possible.
    assert services.resolve_drift(setup.member, exported.pk, keep=True) is None


def test_a_credit_note_dated_in_a_period_closed_since_is_not_exported(
    setup, credits, exported, django_capture_on_commit_callbacks
):
    note = credits.note(exported)
    close_through(setup, note.issue_date)
    refusal = (
        f"Credit note {note.number} is dated {note.issue_date:%d %b %Y}, in a closed period (The "
        f"practice's lock date closes the books through {note.issue_date:%d %b %Y}), so it "
        "cannot be exported to QuickBooks: Billbridge puts nothing into a closed period there. "
        "Reopen the period to export it."
    )

    findings = checked(setup, django_capture_on_commit_callbacks, note, exported)
    assert ("error", refusal) in findings[note.pk]
    assert any(
        tone == "error" and "cannot be exported to QuickBooks again" in text
        for tone, text in findings[exported.pk]
    )
    batch = services.request_export(setup.member, [note.pk])
    assert batch.refused[0]["message"] == refusal
    assert credits.memos(note) == []
