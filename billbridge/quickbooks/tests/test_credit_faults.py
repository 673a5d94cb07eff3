"""Fault tests for credit notes, as for invoices (test_export_faults.py): whatever goes wrong
while a credit memo is exported or applied, when the dust settles QBO holds each credit memo
once and one payment of 0 applying it, counted in the emulator: none duplicated, none lost. A
refusal of the application is reported in plain words and retried, never doubled."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest
from django.utils import timezone

from billbridge.invoicing.models import Invoice
from billbridge.quickbooks import credit_application, sweeping
from billbridge.quickbooks.column import cells_for
from billbridge.quickbooks.export.outcomes import Outcomes
from billbridge.quickbooks.models import (
    ApplicationState,
    ExportState,
    InvoiceExport,
    QboConnection,
    QboCreditApplication,
    QboInvoiceLink,
)

pytestmark = pytest.mark.django_db

PAYMENT = "/v3/company/*/payment"
BATCH = "/v3/company/*/batch"


@pytest.fixture
def exported(setup):
    """A finalized invoice of 686.00 in QBO."""
    invoice = setup.invoice()
    setup.export(invoice)
    return invoice


@pytest.fixture
def note(credits, exported):
    """A credit note of 486.00 on the invoice's first line, finalized, not exported yet."""
    return credits.note(exported, line_ids=[exported.lines.order_by("position")[0].pk])


def application_of(note) -> QboCreditApplication:
    return QboCreditApplication.objects.get(credit_note=note)


def options(setup, **changes) -> None:
    httpx.patch(f"{setup.qbo.control_url}/options", json=changes).raise_for_status()


def assert_once(setup, credits, note, exported) -> None:
    """One credit memo for the credit note, exported; one payment of 0 applying it, recorded;
    the QBO invoice's balance down by the credit, once."""
    row = InvoiceExport.objects.filter(invoice=note).latest("id")
    assert row.state == ExportState.EXPORTED, (row.state, row.message)
    [memo] = credits.memos(note)
    [payment] = credits.payments(memo["Id"])
    application = application_of(note)
    assert (application.state, application.qbo_payment_id) == (
        ApplicationState.APPLIED, payment["Id"],
    )  # fmt: skip
    assert payment["TotalAmt"] == 0
    invoice_id = QboInvoiceLink.objects.get(invoice=exported).qbo_invoice_id
    assert setup.company.read("Invoice", invoice_id)["Balance"] == Decimal("200.00")
    assert setup.company.read("CreditMemo", memo["Id"])["RemainingCredit"] == 0


def set_active(setup, customer_id: str, active: bool) -> None:
    """A QBO user makes the customer inactive (or active again)."""
    company = setup.company
    with company.emulator.operation():
        current = company.read("Customer", customer_id)
        company.update(
            "Customer",
            {
                "Id": customer_id,
                "SyncToken": current["SyncToken"],
                "Active": active,
                "sparse": True,
            },
            sparse=True,
        )


# ---- exporting the credit memo ------------------------------------------------------------------


def test_a_lost_answer_to_the_credit_memo_is_looked_up_not_sent_again(
    setup, credits, exported, note
):
    setup.fault(kind="drop", path=BATCH, count=1)
    setup.export(note)
    assert InvoiceExport.objects.get(invoice=note).state == ExportState.UNKNOWN
    credits.settle()
    assert_once(setup, credits, note, exported)


def test_a_lost_answer_with_request_id_ignored_and_no_numbers_is_found_by_its_marker(
    setup, credits, exported, note
):
    # The hardest case: no DocNumber to look it up by or to make QBO refuse a twin, and QBO
    # would create a second credit memo for the same requestid: the marker look-up stands
    # between.
    setup.company.set_preferences(custom_txn_numbers=False)
    QboConnection.objects.update(company_read_at=None)
    options(setup, honour_request_id=False)
    setup.fault(kind="drop", path=BATCH, count=1)
    setup.export(note)
    credits.settle()
    assert_once(setup, credits, note, exported)


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_answered_to_the_credit_memo(setup, credits, exported, note, status):
    setup.fault(method="POST", path=BATCH, status=status)
    setup.export(note)
    credits.settle()
    assert_once(setup, credits, note, exported)


def test_a_429_storm_over_export_and_application(setup, credits, exported, note):
    setup.fault(path="/v3/company/*/*", status=429, count=6)
    setup.export(note)
    credits.settle()
    assert_once(setup, credits, note, exported)


def test_a_worker_killed_after_qbo_made_the_credit_memo_but_before_recording(
    setup, credits, exported, note, monkeypatch
):
    def killed(self):
        raise SystemExit("worker killed")

    monkeypatch.setattr(Outcomes, "save_exported", killed)
    with pytest.raises(SystemExit):
        setup.export(note)
    monkeypatch.undo()
    # Left SENDING under the dead worker's lease, nothing recorded, nothing to apply yet.
    assert InvoiceExport.objects.get(invoice=note).state == ExportState.SENDING
    assert not QboCreditApplication.objects.exists()
    InvoiceExport.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert sweeping.sweep()["realms_due"] == [setup.realm]
    credits.settle()
    assert_once(setup, credits, note, exported)


# ---- applying it ------------------------------------------------------------------------------


@pytest.mark.parametrize("honour_request_id", [True, False])
def test_a_lost_answer_to_the_payment_is_found_by_the_look_up(
    setup, credits, exported, note, honour_request_id
):
    options(setup, honour_request_id=honour_request_id)
    setup.export(note)
    setup.fault(kind="drop", method="POST", path=PAYMENT, count=1)
    credits.apply()
    application = application_of(note)
    assert (application.state, application.attempts) == (ApplicationState.UNKNOWN, 1)
    assert "did not answer clearly" in application.error
    assert cells_for([note])[note.pk].detail == "Exported as credit memo CN-1; applying."
    credits.settle()
    assert_once(setup, credits, note, exported)
    assert len(setup.requests(PAYMENT)) == 1  # found, not sent again


@pytest.mark.parametrize("status", [500, 503])
def test_a_payment_answered_with_a_server_error_is_looked_for_then_sent_again(
    setup, credits, exported, note, status
):
    setup.export(note)
    setup.fault(method="POST", path=PAYMENT, status=status, count=1)
    credits.apply()
    assert application_of(note).state == ApplicationState.UNKNOWN
    credits.settle()
    assert_once(setup, credits, note, exported)
    sent = setup.requests(PAYMENT)
    assert len(sent) == 2
    # The same request again, under the same requestid.
    assert len({parse_qs(entry["query"])["requestid"][0] for entry in sent}) == 1


def test_a_payment_that_times_out_after_qbo_applied_it(setup, credits, exported, note, settings):
    settings.QBO_TIMEOUT_SECONDS = 1
    setup.export(note)
    setup.fault(kind="hang", method="POST", path=PAYMENT, seconds=3, after_commit=True)
    credits.apply()
    assert application_of(note).state == ApplicationState.UNKNOWN
    credits.settle()
    assert_once(setup, credits, note, exported)


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "count": 1},
        # Refused even after a token refresh: QBO did nothing (the export drain pauses).
        {
            "kind": "fault",
            "status": 401,
            "code": "3200",
            "message": "AuthenticationFailed",
            "count": 2,
        },
    ],
)
def test_a_throttled_or_refused_payment_is_not_a_try(setup, credits, exported, note, fault):
    setup.export(note)
    setup.fault(method="POST", path=PAYMENT, **fault)
    credits.apply()
    application = application_of(note)
    assert (application.state, application.attempts) == (ApplicationState.QUEUED, 0)
    assert application.next_attempt_at > timezone.now() + timedelta(seconds=50)
    credits.settle()
    assert_once(setup, credits, note, exported)


def test_a_worker_killed_after_the_payment_left(setup, credits, exported, note, monkeypatch):
    setup.export(note)

    def killed(self, payment_id):
        raise SystemExit("worker killed")

    monkeypatch.setattr(credit_application.Applying, "_applied", killed)
    with pytest.raises(SystemExit):
        credits.apply()
    monkeypatch.undo()
    application = application_of(note)
    assert application.state == ApplicationState.SENDING
    # Its lease holds it until it runs out; then the sweep finds it and the look-up settles it.
    assert credits.apply() == 0
    QboCreditApplication.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert sweeping.sweep()["applications_due"] == [setup.realm]
    credit_application.drain(setup.realm)
    assert_once(setup, credits, note, exported)
    assert len(setup.requests(PAYMENT)) == 1


def test_qbo_refusing_the_application_is_shown_and_retried_once_fixed(
    setup, credits, exported, note
):
    setup.export(note)
    customer_id = application_of(note).qbo_customer_id
    set_active(setup, customer_id, False)  # a QBO user made the customer inactive
    credits.apply()

    application = application_of(note)
    assert application.state == ApplicationState.FAILED
    assert application.error.startswith("Object Not Found")
    assert "made inactive" in application.error
    cell = cells_for([Invoice.objects.get(pk=note.pk)])[note.pk]
    assert (cell.label, cell.tone) == ("Warning", "warning")
    assert cell.detail.startswith("Exported as credit memo CN-1; not applied: Object Not Found")
    assert cell.detail.endswith("; retried automatically.")
    assert credits.payments(credits.memos(note)[0]["Id"]) == []
    # Not before its back-off; then, once the customer is active again, applied once.
    assert credit_application.drain(setup.realm) == 0
    set_active(setup, customer_id, True)
    QboCreditApplication.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert sweeping.sweep()["applications_due"] == [setup.realm]
    credit_application.drain(setup.realm)
    assert_once(setup, credits, note, exported)
    # Refused for sure, the second try was a new request: QBO must not replay the refusal.
    sent = setup.requests(PAYMENT)
    ids = [parse_qs(entry["query"])["requestid"][0] for entry in sent]
    assert len(set(ids)) == len(ids) == 2, ids
    assert [entry["status"] for entry in sent].count(200) == 1, sent


def test_an_application_undone_in_qbo_is_made_again_as_a_new_request(
    setup, credits, exported, note
):
    setup.export(note)
    credits.apply()
    first = application_of(note).qbo_payment_id
    setup.company.delete_payment(first)  # a QBO user deleted the payment of 0
    # The paid sync marks it so (paid_status.py); here, as it would leave it, due again.
    QboCreditApplication.objects.update(
        state=ApplicationState.FAILED,
        error="The credit's application was removed in QuickBooks.",
        next_attempt_at=timezone.now(),
    )
    credits.apply()
    application = application_of(note)
    assert application.state == ApplicationState.APPLIED
    assert application.qbo_payment_id != first  # not QBO's replay of the deleted one
    assert_once(setup, credits, note, exported)


def test_a_credit_more_than_the_qbo_invoice_still_owes_is_refused_and_nothing_doubled(
    setup, credits, exported, note
):
    setup.export(note)
    # The client paid all but 100.00 in QBO before the credit could be applied.
    invoice_id = QboInvoiceLink.objects.get(invoice=exported).qbo_invoice_id
    qbo = setup.company.read("Invoice", invoice_id)
    setup.company.create(
        "Payment",
        {
            "CustomerRef": qbo["CustomerRef"],
            "TotalAmt": Decimal("586.00"),
            "Line": [
                {
                    "Amount": Decimal("586.00"),
                    "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}],
                }
            ],
        },
    )
    credits.apply()
    credits.apply()  # tried again: refused again, looked up first, still one memo, no payment

    application = application_of(note)
    assert application.state == ApplicationState.FAILED
    assert "is more than its open balance (100.00)" in application.error
    [memo] = credits.memos(note)
    assert credits.payments(memo["Id"]) == []
    assert setup.company.read("Invoice", invoice_id)["Balance"] == Decimal("100.00")
    assert setup.company.read("CreditMemo", memo["Id"])["RemainingCredit"] == Decimal("486.00")
