"""The QuickBooks reconciliation with credit notes (docs/decisions/0027): the pure compare of our
credit notes' credit memos and their application with QBO's, and a worker's run against the
emulator shown on the page."""

import re
from dataclasses import replace
from decimal import Decimal

from django.test import Client
from django.urls import reverse

from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import paid_status, reconciliation
from billbridge.quickbooks.models import QboCreditApplication, QboInvoiceLink
from billbridge.quickbooks.reconciliation import (
    AMOUNT,
    CLOSED_OPEN,
    CREDIT_MEMO,
    DUPLICATE,
    MISSING,
    UNAPPLIED,
    Applied,
    compare,
)
from billbridge.quickbooks.tests.test_reconciliation import PRACTICE, ours, qbo

PAYMENT = "900"


def invoice(*, status=InvoiceStatus.CLOSED, **more):
    """INV-1, closed here, its QBO invoice 145 paid by our credit's zero payment."""
    return ours(1, status=status, **more)


def credited(qbo_id="145", *, payments=(PAYMENT,), balance="0", **more) -> dict:
    answer = qbo(qbo_id, balance=balance, **more)
    answer["LinkedTxn"] = [{"TxnId": payment, "TxnType": "Payment"} for payment in payments]
    return answer


def note(invoice_id=2, *, qbo_id="7", total="108.00", applied="108.00", **more):
    """CN-2, whose credit memo 7 took 108.00 off QBO invoice 145 by payment 900."""
    mine = ours(invoice_id, qbo_id=qbo_id, total=total, **more)
    spent = Applied("145", PAYMENT, Decimal(applied)) if applied else None
    return replace(mine, number=f"CN-{invoice_id}", entity=CREDIT_MEMO, applied=spent)


def memo(qbo_id="7", *, total="108.00", remaining="0", **more) -> dict:
    answer = qbo(qbo_id, total=total, balance=remaining, **more)
    answer["RemainingCredit"] = answer["Balance"]
    return answer


def found(*, invoices=(), memos=(), mine=()) -> list[dict]:
    return compare(
        mine or [invoice(), note()],
        invoices or [credited()],
        PRACTICE,
        memos,
    )


def test_a_credit_memo_applied_as_ours_says_finds_nothing():
    assert found(memos=[memo(marker_of=2)]) == []


def test_a_credit_memo_missing_in_qbo():
    assert found(memos=[]) == [
        {
            "kind": MISSING,
            "entity": CREDIT_MEMO,
            "number": "CN-2",
            "invoice_id": 2,
            "qbo_ids": ["7"],
            "qbo_numbers": ["7"],
            "ours": "108.00",
            "qbo": "",
            "note": "QuickBooks has no credit memo 7 any more.",
        }
    ]


def test_a_voided_credit_memo_differs_and_says_so_once():
    """Voided, its credit is unspent too: the void is the finding, not a second one."""
    [row] = found(memos=[memo(total="0", note="Voided")])
    assert (row["kind"], row["entity"], row["qbo"], row["note"]) == (
        AMOUNT,
        CREDIT_MEMO,
        "0.00",
        "Voided in QuickBooks.",
    )


def test_a_credit_memo_changed_in_qbo():
    """150.00 now, 108.00 of it still spent on the invoice: the amount differs, the credit is
    applied as ours says."""
    [row] = found(memos=[memo(total="150.00", remaining="42.00")])
    assert (row["kind"], row["ours"], row["qbo"], row["note"]) == (
        AMOUNT,
        "108.00",
        "150.00",
        "Changed in QuickBooks after the export.",
    )


def test_a_zero_payment_gone_from_the_invoice():
    rows = found(
        invoices=[credited(payments=(), balance="108.00", number="1017")],
        memos=[memo(remaining="108.00", number="CN-2")],
    )
    assert [(row["kind"], row["entity"], row["number"]) for row in rows] == [
        (CLOSED_OPEN, "Invoice", "INV-1"),
        (UNAPPLIED, CREDIT_MEMO, "CN-2"),
    ]
    assert rows[1] == {
        "kind": UNAPPLIED,
        "entity": CREDIT_MEMO,
        "number": "CN-2",
        "invoice_id": 2,
        "qbo_ids": ["7"],
        "qbo_numbers": ["CN-2"],
        "ours": "108.00",
        "qbo": "0.00",
        "note": "QBO invoice 1017 no longer lists payment 900, which applied this credit: it "
        "was deleted or voided in QuickBooks.",
    }
    assert reconciliation.KINDS[UNAPPLIED] == "Credit not applied in QBO"


def test_credit_left_unspent_on_the_credit_memo():
    [row] = found(memos=[memo(remaining="8.00")])
    assert (row["kind"], row["ours"], row["qbo"], row["note"]) == (
        UNAPPLIED,
        "108.00",
        "100.00",
        "The credit memo shows 8.00 of its credit unspent in QuickBooks.",
    )


def test_a_credit_not_applied_yet_is_not_a_finding():
    """Ours says nothing is applied (the application is on its way, or was refused): the
    QuickBooks Export column tells that story."""
    mine = [invoice(status=InvoiceStatus.FINALIZED), note(applied="")]
    assert found(mine=mine, invoices=[qbo()], memos=[memo(remaining="108.00")]) == []


def test_credit_memos_carrying_our_marker():
    rows = found(memos=[memo(marker_of=2), memo("81", marker_of=2), memo("82", marker_of=99)])
    assert [(row["kind"], row["entity"], row["qbo_ids"], row["note"]) for row in rows] == [
        (DUPLICATE, CREDIT_MEMO, ["82"], "Our marker names a credit note this practice does "
         "not have."),
        (DUPLICATE, CREDIT_MEMO, ["7", "81"], "Besides its QBO credit memo 7."),
    ]  # fmt: skip


def test_an_invoice_and_a_credit_memo_sharing_an_id_are_each_their_own():
    """QBO numbers each entity's Ids apart: invoice 7 is not credit memo 7."""
    mine = [invoice(qbo_id="7"), replace(note(), applied=Applied("7", PAYMENT, Decimal("108")))]
    rows = compare(
        mine,
        [credited("7", number="1017", total="108.00", marker_of=1)],
        PRACTICE,
        [memo("7", total="100.00", remaining="0", number="CN-2", marker_of=2)],
    )
    [row] = rows
    assert (row["kind"], row["entity"], row["qbo_ids"], row["qbo_numbers"]) == (
        AMOUNT,
        CREDIT_MEMO,
        ["7"],
        ["CN-2"],
    )


# ---- against the emulator --------------------------------------------------------------------


def test_a_run_reads_credit_memos_and_the_page_shows_them(setup, credit):
    """INV-1 credited in full by CN-1 and closed by the sync, whose zero payment a QBO user
    then deleted (not synced since), with a copy of CN-1's credit memo made in QBO; INV-2
    credited in part by CN-2, unapplied and voided in QBO."""
    first, second = setup.invoice(), setup.invoice("Second Co")
    setup.export(first, second)
    cn1, cn2 = credit(first), credit(second, amount=Decimal("50.00"))
    paid_status.sync_company(setup.realm, force=True)
    first.refresh_from_db()
    assert first.status == InvoiceStatus.CLOSED
    company = setup.company
    memo_1 = QboInvoiceLink.objects.get(invoice=cn1).qbo_invoice_id
    memo_2 = QboInvoiceLink.objects.get(invoice=cn2).qbo_invoice_id
    payment_1 = QboCreditApplication.objects.get(credit_note=cn1).qbo_payment_id
    company.delete_payment(payment_1)
    company.delete_payment(QboCreditApplication.objects.get(credit_note=cn2).qbo_payment_id)
    company.void_credit_memo(memo_2)
    original = company.read("CreditMemo", memo_1)
    fields = ("CustomerRef", "Line", "PrivateNote", "TxnDate")
    copy = company.insert("CreditMemo", {key: original[key] for key in fields})

    report, _ = reconciliation.request_report(setup.member)
    report = reconciliation.run(report.pk)

    assert report.error == ""
    assert (report.our_invoices, report.our_credit_notes) == (2, 2)
    assert report.qbo_credit_memos == len(company.list("CreditMemo")) == 3
    qbo_first = company.read("Invoice", QboInvoiceLink.objects.get(invoice=first).qbo_invoice_id)
    assert [(row["kind"], row["entity"], row["number"], row["qbo_ids"]) for row in report.rows] == [
        (AMOUNT, CREDIT_MEMO, cn2.number, [memo_2]),
        (CLOSED_OPEN, "Invoice", first.number, [qbo_first["Id"]]),
        (DUPLICATE, CREDIT_MEMO, cn1.number, sorted([memo_1, copy["Id"]], key=int)),
        (UNAPPLIED, CREDIT_MEMO, cn1.number, [memo_1]),
    ]  # fmt: skip
    assert report.rows[3]["note"] == (
        f"QBO invoice {qbo_first['DocNumber']} no longer lists payment {payment_1}, which "
        "applied this credit: it was deleted or voided in QuickBooks."
    )

    browser = Client()
    browser.force_login(setup.member.user)
    html = browser.get(reverse("web:qbo-reconciliation")).content.decode()
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert (
        f"2 exported invoices and 2 credit notes compared with {report.qbo_invoices} invoices "
        "and 3 credit memos in QuickBooks: 4 findings."
    ) in words
    assert (
        f"Credit not applied in QBO (1) Invoice QBO invoice Billbridge QBO Note {cn1.number} "
        f"Credit note Credit memo {cn1.number} 686.00 0.00 QBO invoice"
    ) in words
    assert html.count('data-entity="CreditMemo"') == 3
    assert html.count('data-entity="Invoice"') == 1
