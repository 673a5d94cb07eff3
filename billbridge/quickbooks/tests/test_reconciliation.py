"""The QuickBooks reconciliation: the pure compare of our exported invoices with QBO's, and a
worker's run against the emulator (reads only, page by page)."""

from decimal import Decimal

import httpx
import pytest

from billbridge.core import testing
from billbridge.core.errors import PermissionRefused, TransitionRefused
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import export, reconciliation, services
from billbridge.quickbooks.models import QboInvoiceLink, ReconciliationReport
from billbridge.quickbooks.reconciliation import (
    AMOUNT,
    CLOSED_OPEN,
    DUPLICATE,
    MISSING,
    PAID_OPEN,
    Ours,
    compare,
)
from billbridge.quickbooks.testing import connect_practice

PRACTICE = 7


def ours(invoice_id=1, *, qbo_id="145", total="108.00", status=InvoiceStatus.FINALIZED, **more):
    values = {"exported_total": Decimal(total), "exported_qbo_total": Decimal(total)}
    values.update(more)
    return Ours(
        invoice_id=invoice_id,
        number=f"INV-{invoice_id}",
        status=status,
        total=Decimal(total),
        qbo_invoice_id=qbo_id,
        **(values if qbo_id else {}),
    )


def qbo(qbo_id="145", *, total="108.00", balance=None, marker_of=None, note=None, number=None):
    invoice = {"Id": qbo_id, "TotalAmt": Decimal(total), "Balance": Decimal(balance or total)}
    if number is not None:
        invoice["DocNumber"] = number
    if marker_of is not None:
        invoice["PrivateNote"] = f"Billbridge invoice INV-{marker_of} [bb:{PRACTICE}:{marker_of}]"
    if note is not None:
        invoice["PrivateNote"] = note
    return invoice


def test_everything_matching_finds_nothing():
    assert compare([ours()], [qbo(marker_of=1), qbo("146", total="5.00")], PRACTICE) == []


def test_an_invoice_missing_in_qbo():
    assert compare([ours()], [qbo("146")], PRACTICE) == [
        {
            "kind": MISSING,
            "entity": "Invoice",
            "number": "INV-1",
            "invoice_id": 1,
            "qbo_ids": ["145"],
            "qbo_numbers": ["145"],
            "ours": "108.00",
            "qbo": "",
            "note": "QuickBooks has no invoice 145 any more.",
        }
    ]


def test_an_amount_changed_in_qbo():
    [row] = compare([ours()], [qbo(total="120.00")], PRACTICE)
    assert (row["kind"], row["ours"], row["qbo"], row["note"]) == (
        AMOUNT,
        "108.00",
        "120.00",
        "Changed in QuickBooks after the export.",
    )


def test_an_amount_changed_here_since_the_export():
    mine = ours(total="130.00", exported_total=Decimal("108.00"), changed_since_export=True)
    [row] = compare([mine], [qbo(total="108.00")], PRACTICE)
    assert (row["ours"], row["qbo"], row["note"]) == (
        "130.00",
        "108.00",
        "Changed in Billbridge since its export: export it again.",
    )


def test_qbos_own_tax_at_export_is_named():
    """Automated sales tax: QBO answered its own total at export, and still has it."""
    mine = ours(exported_qbo_total=Decimal("109.25"))
    [row] = compare([mine], [qbo(total="109.25")], PRACTICE)
    assert row["note"] == "QuickBooks calculated its own tax at export (automated sales tax)."


def test_a_voided_invoice_differs_and_says_so():
    [row] = compare([ours()], [qbo(total="0", note="Voided")], PRACTICE)
    assert (row["kind"], row["qbo"], row["note"]) == (AMOUNT, "0.00", "Voided in QuickBooks.")


def test_paid_in_qbo_but_open_here():
    [row] = compare([ours()], [qbo(balance="0")], PRACTICE)
    assert row == {
        "kind": PAID_OPEN,
        "entity": "Invoice",
        "number": "INV-1",
        "invoice_id": 1,
        "qbo_ids": ["145"],
        "qbo_numbers": ["145"],
        "ours": "108.00",
        "qbo": "108.00",
        "note": "Paid in full in QuickBooks; finalized here.",
    }


def test_paid_and_closed_is_no_finding_nor_is_a_partial_payment():
    closed = ours(1, status=InvoiceStatus.CLOSED)
    partly = ours(2, qbo_id="146")
    assert compare([closed, partly], [qbo(balance="0"), qbo("146", balance="8.00")], PRACTICE) == []


def test_closed_here_but_open_in_qbo():
    """Closed by hand ("paid by cheque") while nobody recorded the payment in QuickBooks."""
    closed = ours(status=InvoiceStatus.CLOSED)
    [row] = compare([closed], [qbo(balance="58.00")], PRACTICE)
    assert (row["kind"], row["ours"], row["qbo"], row["note"]) == (
        CLOSED_OPEN,
        "108.00",
        "108.00",
        "Closed here, but QuickBooks shows a balance of 58.00: record the payment in "
        "QuickBooks (or reopen the invoice here if it was not paid).",
    )
    assert reconciliation.KINDS[CLOSED_OPEN] == "Closed here, open in QBO"


def test_qbo_invoices_are_named_by_their_number_not_their_id():
    """QBO's internal Id ("15") is not what its users see ("1017"); a QBO invoice gone from
    QBO keeps the number we last knew."""
    paid = ours(1, qbo_id="15")
    gone = ours(2, qbo_id="16", qbo_number="1018")
    twin = qbo("15", balance="0", number="1017", marker_of=1)
    copy = qbo("40", number="1017-copy", marker_of=1)
    found = {row["kind"]: row for row in compare([paid, gone], [twin, copy], PRACTICE)}
    assert found[PAID_OPEN]["qbo_numbers"] == ["1017"]
    assert found[MISSING]["qbo_numbers"] == ["1018"]
    assert found[DUPLICATE]["qbo_ids"] == ["15", "40"]
    assert found[DUPLICATE]["qbo_numbers"] == ["1017", "1017-copy"]


def test_duplicates_carrying_our_marker():
    found = compare([ours()], [qbo(marker_of=1), qbo("1402", marker_of=1)], PRACTICE)
    assert found == [
        {
            "kind": DUPLICATE,
            "entity": "Invoice",
            "number": "INV-1",
            "invoice_id": 1,
            "qbo_ids": ["145", "1402"],
            "qbo_numbers": ["145", "1402"],
            "ours": "108.00",
            "qbo": "108.00, 108.00",
            "note": "Besides its QBO invoice 145.",
        }
    ]


def test_a_marked_invoice_that_is_not_the_twin():
    """A lost create's invoice, after the invoice was removed from QBO and linked no more."""
    unlinked = ours(3, qbo_id="")
    [row] = compare([unlinked], [qbo("150", total="40.00", marker_of=3)], PRACTICE)
    assert (row["kind"], row["qbo_ids"], row["note"]) == (
        DUPLICATE,
        ["150"],
        "None of them is the invoice's QBO twin.",
    )


def test_another_practices_marker_is_not_ours():
    foreign = qbo("150", note=f"Billbridge invoice X [bb:{PRACTICE + 1}:1]")
    also_foreign = qbo("151", note=f"[bb:{PRACTICE}1:1]")  # practice 71, not 7
    assert compare([ours()], [qbo(), foreign, also_foreign], PRACTICE) == []


def test_a_marker_naming_no_invoice_of_ours():
    [row] = compare([], [qbo("150", marker_of=99)], PRACTICE)
    assert (row["number"], row["invoice_id"], row["note"]) == (
        "",
        None,
        "Our marker names an invoice this practice does not have.",
    )


def test_rows_are_grouped_by_kind_then_number():
    mine = [ours(2, qbo_id="2"), ours(1, qbo_id="1"), ours(3, qbo_id="3")]
    invoices = [qbo("1", balance="0"), qbo("3", total="1.00"), qbo("9", marker_of=1)]
    found = compare(mine, invoices, PRACTICE)
    assert [(row["kind"], row["number"]) for row in found] == [
        (MISSING, "INV-2"),
        (AMOUNT, "INV-3"),
        (PAID_OPEN, "INV-1"),
        (DUPLICATE, "INV-1"),
    ]


# ---- against the emulator --------------------------------------------------------------------


@pytest.fixture
def books(db, qbo_settings, emulator, qbo_company):
    practice = testing.make_practice("Reconciled Co")
    member = testing.make_admin(practice)
    invoicing.update_tax_settings(
        member, primary_name="Sales tax", primary_rate=Decimal("8"), primary_enabled=True
    )
    connect_practice(practice, emulator, qbo_company)
    client = testing.make_client(practice, "Payer Co")
    testing.assign(member, client)
    invoices = [testing.make_invoice(member, client, InvoiceStatus.FINALIZED) for _ in range(3)]
    services.request_export(member, [invoice.pk for invoice in invoices])
    export.drain(qbo_company)
    links = [QboInvoiceLink.objects.get(invoice=invoice) for invoice in invoices]
    return member, emulator.emulator.company(qbo_company), invoices, links


def queries(emulator) -> list[str]:
    answer = httpx.get(f"{emulator.control_url}/requests", params={"path": "/v3/company/*/query"})
    return [entry["query"] for entry in answer.json()["requests"]]


def test_a_run_reads_every_page_and_reports_what_differs(books, emulator, monkeypatch):
    member, company, invoices, links = books
    paid_there, deleted_there, twinned = links
    company.receive_payment(paid_there.qbo_invoice_id)
    company.delete_invoice(deleted_there.qbo_invoice_id)
    twin = company.read("Invoice", twinned.qbo_invoice_id)
    copy = company.insert(
        "Invoice",
        {key: twin[key] for key in ("CustomerRef", "Line", "PrivateNote", "TxnDate")},
    )
    total = len(company.list("Invoice"))
    monkeypatch.setattr(reconciliation, "PAGE_SIZE", 3)
    httpx.delete(f"{emulator.control_url}/requests")

    report, is_new = reconciliation.request_report(member)
    assert is_new
    report = reconciliation.run(report.pk)

    assert report.error == ""
    assert report.finished_at is not None
    assert (report.qbo_invoices, report.our_invoices) == (total, 3)
    assert total % 3 != 0  # else one more (empty) page is asked for: the next test
    assert len(queries(emulator)) == -(-total // 3) + 1  # and one page of credit memos (none)
    assert [(row["kind"], row["invoice_id"], row["qbo_ids"]) for row in report.rows] == [
        (MISSING, invoices[1].pk, [deleted_there.qbo_invoice_id]),
        (PAID_OPEN, invoices[0].pk, [paid_there.qbo_invoice_id]),
        (DUPLICATE, invoices[2].pk, sorted([twinned.qbo_invoice_id, copy["Id"]], key=int)),
    ]
    assert report.rows[1]["ours"] == report.rows[1]["qbo"] == f"{invoices[0].total:.2f}"


def test_an_invoice_closed_by_hand_is_found_open_in_qbo_by_its_number(books):
    member, company, invoices, links = books
    invoicing.close(member, invoices[0].pk, "Paid by cheque")
    report, _ = reconciliation.request_report(member)
    [row] = reconciliation.run(report.pk).rows
    number = company.read("Invoice", links[0].qbo_invoice_id)["DocNumber"]
    assert number != links[0].qbo_invoice_id  # QBO numbered it: its Id is another thing
    assert (row["kind"], row["invoice_id"], row["qbo_numbers"]) == (
        CLOSED_OPEN,
        invoices[0].pk,
        [number],
    )


def test_a_full_last_page_asks_once_more_to_know_it_was_the_last(books, emulator, monkeypatch):
    total = len(books[1].list("Invoice"))
    monkeypatch.setattr(reconciliation, "PAGE_SIZE", total)
    httpx.delete(f"{emulator.control_url}/requests")
    report, _ = reconciliation.request_report(books[0])
    report = reconciliation.run(report.pk)
    # Two pages of invoices, one of credit memos (none).
    assert (report.qbo_invoices, len(queries(emulator)), report.rows) == (total, 3, [])


def test_a_second_request_while_one_runs_is_the_same_report(books):
    member = books[0]
    first, _ = reconciliation.request_report(member)
    again, is_new = reconciliation.request_report(member)
    assert (again.pk, is_new) == (first.pk, False)
    reconciliation.run(first.pk)
    third, is_new = reconciliation.request_report(member)
    assert is_new and third.pk != first.pk


def test_qbo_not_answering_is_recorded(books, emulator):
    httpx.post(
        f"{emulator.control_url}/faults",
        json={"path": "/v3/company/*/query", "status": 503, "count": 20},
    ).raise_for_status()
    report, _ = reconciliation.request_report(books[0])
    report = reconciliation.run(report.pk)
    assert report.finished_at is not None and report.rows == []
    assert report.error.startswith("QuickBooks did not answer (")
    assert report.error.endswith("). Run the reconciliation again.")


def test_it_needs_the_export_permission_and_a_connection(db):
    practice = testing.make_practice("Unconnected")
    viewer = testing.make_member(practice, "viewer")
    with pytest.raises(PermissionRefused):
        reconciliation.request_report(viewer)
    with pytest.raises(PermissionRefused):
        reconciliation.latest(viewer)
    with pytest.raises(TransitionRefused):
        reconciliation.request_report(testing.make_admin(practice))
    assert not ReconciliationReport.objects.exists()
