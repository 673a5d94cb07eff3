"""The one reader of QBO's invoice answer: golden answers (as QBO writes them, parsed the way
the client parses them) read into exact values, and the paid rule on each."""

import json
from decimal import Decimal

import pytest

from billbridge.quickbooks.qbo_invoice import QboInvoice


def answer(text: str) -> dict:
    # As QboClient reads a body: JSON numbers with a fraction become Decimals, others ints.
    return json.loads(text, parse_float=Decimal)


# A create's answer: QBO writes whole amounts without decimals, and a subtotal line of its own.
UNPAID = """{
  "Id": "145", "SyncToken": "0", "DocNumber": "1037", "TxnDate": "2026-11-02",
  "CustomerRef": {"value": "3", "name": "Cool Cars"},
  "PrivateNote": "Billbridge invoice INV-7, version 2 [bb:4:7]",
  "Line": [
    {"Id": "1", "Amount": 60, "DetailType": "SalesItemLineDetail",
     "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "TaxCodeRef": {"value": "TAX"}}},
    {"Id": "2", "Amount": 40, "DetailType": "SalesItemLineDetail",
     "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "TaxCodeRef": {"value": "TAX"}}},
    {"Amount": 100, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
  ],
  "TxnTaxDetail": {"TotalTax": 8},
  "TotalAmt": 108, "Balance": 108
}"""

PARTLY_PAID = """{
  "Id": "145", "SyncToken": "2", "DocNumber": "1037",
  "CustomerRef": {"value": "3"}, "PrivateNote": "[bb:4:7]",
  "LinkedTxn": [{"TxnId": "201", "TxnType": "Payment"}],
  "TxnTaxDetail": {"TotalTax": 8.00},
  "TotalAmt": 108.00, "Balance": 58.50
}"""

# Two payments, one listed twice, and a linked estimate (not a payment).
PAID = """{
  "Id": "145", "SyncToken": "3", "DocNumber": "1037",
  "CustomerRef": {"value": "3"}, "PrivateNote": "[bb:4:7]",
  "LinkedTxn": [
    {"TxnId": "201", "TxnType": "Payment"},
    {"TxnId": "90", "TxnType": "Estimate"},
    {"TxnId": "202", "TxnType": "Payment"},
    {"TxnId": "201", "TxnType": "Payment"}
  ],
  "TotalAmt": 108.00, "Balance": 0
}"""

# Intuit's documented void: amounts and links zeroed, "Voided" written into the note.
VOIDED = """{
  "Id": "145", "SyncToken": "4", "DocNumber": "1037",
  "CustomerRef": {"value": "3"}, "PrivateNote": "Voided",
  "Line": [{"Amount": 0, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}],
  "LinkedTxn": [], "TxnTaxDetail": {"TotalTax": 0},
  "TotalAmt": 0, "Balance": 0
}"""

# A change-data-capture entry for an invoice deleted in QBO: nothing but its Id and status.
DELETED = """{"Id": "145", "status": "Deleted",
  "MetaData": {"LastUpdatedTime": "2026-11-03T10:00:00-08:00"}}"""


def test_an_unpaid_answer_reads_into_exact_values():
    assert QboInvoice.read(answer(UNPAID)) == QboInvoice(
        id="145",
        sync_token="0",
        total=Decimal("108.00"),
        balance=Decimal("108.00"),
        tax=Decimal("8.00"),
        doc_number="1037",
        customer_id="3",
        note="Billbridge invoice INV-7, version 2 [bb:4:7]",
        payment_ids=(),
        sales_lines=2,
    )


def test_amounts_are_decimals_to_the_cent_whatever_qbo_wrote():
    qbo = QboInvoice.read(answer(UNPAID))
    assert (str(qbo.total), str(qbo.balance), str(qbo.tax)) == ("108.00", "108.00", "8.00")
    # A float from another parser still becomes an exact Decimal, never a float.
    floated = QboInvoice.read({"TotalAmt": 686.1, "Balance": 0.1})
    assert (floated.total, floated.balance) == (Decimal("686.10"), Decimal("0.10"))
    assert type(floated.total) is Decimal


def test_a_partly_paid_answer():
    qbo = QboInvoice.read(answer(PARTLY_PAID))
    assert (qbo.total, qbo.balance, qbo.payment_ids, qbo.sync_token) == (
        Decimal("108.00"),
        Decimal("58.50"),
        ("201",),
        "2",
    )
    assert not qbo.voided
    assert not qbo.paid_in_full
    assert not qbo.pays_ours(expected_total=Decimal("108.00"), current=True)


def test_a_paid_answer_lists_each_payment_once_in_qbos_order():
    qbo = QboInvoice.read(answer(PAID))
    assert qbo.payment_ids == ("201", "202")
    assert qbo.balance == Decimal("0.00")
    assert qbo.paid_in_full and not qbo.voided


def test_the_paid_rule_needs_the_expected_total_and_our_current_version():
    qbo = QboInvoice.read(answer(PAID))
    assert qbo.pays_ours(expected_total=Decimal("108.00"), current=True)
    # A total that is not the one we exported (or a person accepted) is not paid for us.
    assert not qbo.pays_ours(expected_total=Decimal("100.00"), current=True)
    # Edited here since the export (after a revert): the payment was for the version QBO holds.
    assert not qbo.pays_ours(expected_total=Decimal("108.00"), current=False)


def test_a_voided_answer_is_voided_and_never_paid_though_its_balance_is_0():
    qbo = QboInvoice.read(answer(VOIDED))
    assert (qbo.total, qbo.balance, qbo.tax, qbo.payment_ids, qbo.sales_lines) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        (),
        0,
    )
    assert qbo.voided
    assert not qbo.paid_in_full
    assert not qbo.pays_ours(expected_total=Decimal("0.00"), current=True)


def test_a_zero_invoice_without_the_void_note_is_neither_voided_nor_paid():
    qbo = QboInvoice.read({"Id": "9", "TotalAmt": 0, "Balance": 0, "PrivateNote": "[bb:4:9]"})
    assert not qbo.voided
    assert not qbo.paid_in_full


def test_missing_fields_read_as_empty_zero_or_none():
    assert QboInvoice.read(answer(DELETED)) == QboInvoice(
        id="145",
        sync_token="",
        total=Decimal("0.00"),
        balance=Decimal("0.00"),
        tax=None,
        doc_number="",
        customer_id="",
        note="",
        payment_ids=(),
        sales_lines=0,
    )


@pytest.mark.parametrize(
    ("fields", "read"),
    [
        # No Balance: QBO leaves it out when nothing was paid; it is the total.
        ({"TotalAmt": 25}, {"balance": Decimal("25.00")}),
        ({"PrivateNote": None, "CustomerRef": None}, {"note": "", "customer_id": ""}),
        ({"TxnTaxDetail": {}}, {"tax": None}),
        ({"TxnTaxDetail": None, "LinkedTxn": None, "Line": None}, {"tax": None, "sales_lines": 0}),
        # A linked payment without its id names nothing to unapply.
        (
            {"LinkedTxn": [{"TxnType": "Payment"}, {"TxnId": 7, "TxnType": "Payment"}]},
            {"payment_ids": ("7",)},
        ),
        ({"Id": 145, "SyncToken": 3}, {"id": "145", "sync_token": "3"}),
    ],
)
def test_fields_qbo_leaves_out_or_nulls(fields, read):
    qbo = QboInvoice.read(fields)
    assert {name: getattr(qbo, name) for name in read} == read


def test_one_of_our_frozen_bodies_reads_too():
    # No Id before the first create, and no answer fields: its lines are what counts.
    body = answer(UNPAID)
    for field in ("Id", "SyncToken", "TotalAmt", "Balance", "TxnTaxDetail"):
        del body[field]
    qbo = QboInvoice.read(body)
    assert (qbo.id, qbo.sales_lines, qbo.total, qbo.balance) == ("", 2, Decimal("0.00"), 0)
