"""Payments applied to invoices: balances, links, unapply, void, delete (QBO.md §3.4, §6)."""

from decimal import Decimal

import pytest

from qbo_emulator.faults import QboFault
from qbo_emulator.tests._data_helpers import fault_of, line, money


def new_invoice(api, amount="100.00", customer="3") -> dict:
    body = {"CustomerRef": {"value": customer}, "Line": [line("3", amount)]}
    return api.create("Invoice", body)


def payment_body(invoice: dict, applied, total=None) -> dict:
    return {
        "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
        "TotalAmt": total if total is not None else applied,
        "Line": [
            {"Amount": applied, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
        ],
    }


def test_partial_payment_lowers_balance_and_links_both_ways(api, sample):
    invoice = new_invoice(api)
    customer_before = sample.read("Customer", "3")["Balance"]
    payment = api.create("Payment", payment_body(invoice, "40.00"))
    assert money(payment["UnappliedAmt"]) == 0
    assert payment["Line"][0]["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    pairs = {
        nv["value"]["Name"]: nv["value"]["Value"] for nv in payment["Line"][0]["LineEx"]["any"]
    }
    assert pairs == {
        "txnId": invoice["Id"],
        "txnOpenBalance": "60.00",
        "txnReferenceNumber": invoice["DocNumber"],
    }
    assert payment["DepositToAccountRef"]["name"] == "Undeposited Funds"
    after = api.read("Invoice", invoice["Id"])
    assert money(after["Balance"]) == Decimal("60.00")
    assert money(after["TotalAmt"]) == Decimal("100.00")
    assert after["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    assert after["SyncToken"] == "1"  # applying a payment bumps the invoice
    assert sample.read("Customer", "3")["Balance"] == customer_before - Decimal("40.00")


def test_full_payment_closes_the_invoice(api):
    invoice = new_invoice(api, "250.00")
    api.create("Payment", payment_body(invoice, "250.00"))
    after = api.read("Invoice", invoice["Id"])
    assert after["Balance"] == 0 and money(after["TotalAmt"]) == Decimal("250.00")


def test_overpayment_goes_to_unapplied_amount(api):
    invoice = new_invoice(api, "80.00")
    payment = api.create("Payment", payment_body(invoice, "80.00", total="100.00"))
    assert money(payment["UnappliedAmt"]) == Decimal("20.00")
    assert api.read("Invoice", invoice["Id"])["Balance"] == 0


def test_payment_without_lines_is_all_unapplied(api):
    payment = api.create("Payment", {"CustomerRef": {"value": "3"}, "TotalAmt": 55})
    assert money(payment["UnappliedAmt"]) == Decimal("55.00")
    assert "Line" not in payment or payment["Line"] == []


def test_line_above_open_balance_or_total_refused(api):
    invoice = new_invoice(api, "50.00")
    error = fault_of(api.post("payment", payment_body(invoice, "60.00")))
    assert error["code"] == "6000"
    error = fault_of(api.post("payment", payment_body(invoice, "30.00", total="20.00")))
    assert error["code"] == "6000"


def test_payment_for_another_customers_invoice_refused(api):
    invoice = new_invoice(api, customer="4")
    body = {**payment_body(invoice, "10.00"), "CustomerRef": {"value": "3"}}
    assert fault_of(api.post("payment", body))["code"] == "6000"


def test_payment_required_fields(api):
    error = fault_of(api.post("payment", {"CustomerRef": {"value": "3"}}))
    assert (error["code"], error["element"]) == ("2020", "TotalAmt")
    error = fault_of(api.post("payment", {"TotalAmt": 5}))
    assert (error["code"], error["element"]) == ("2020", "CustomerRef")


def test_unapply_by_full_update_without_the_line(api):
    invoice = new_invoice(api, "100.00")
    payment = api.create("Payment", payment_body(invoice, "100.00"))
    updated = api.create(
        "Payment",
        {
            "Id": payment["Id"],
            "SyncToken": payment["SyncToken"],
            "CustomerRef": {"value": "3"},
            "TotalAmt": "100.00",
            "Line": [],
        },
    )
    assert money(updated["UnappliedAmt"]) == Decimal("100.00")
    assert money(updated["TotalAmt"]) == Decimal("100.00")
    reopened = api.read("Invoice", invoice["Id"])
    assert money(reopened["Balance"]) == Decimal("100.00")
    assert reopened.get("LinkedTxn", []) == []
    assert reopened["SyncToken"] == "2"


def test_unapply_part_by_lowering_the_line_amount(api):
    invoice = new_invoice(api, "100.00")
    payment = api.create("Payment", payment_body(invoice, "100.00"))
    lowered = payment_body(invoice, "30.00", total="100.00")
    updated = api.create("Payment", {**lowered, "Id": payment["Id"], "SyncToken": "0"})
    assert money(updated["UnappliedAmt"]) == Decimal("70.00")
    assert money(api.read("Invoice", invoice["Id"])["Balance"]) == Decimal("70.00")


def test_void_payment_reopens_invoice(api):
    invoice = new_invoice(api, "100.00")
    payment = api.create("Payment", payment_body(invoice, "100.00"))
    voided = api.ok(
        api.post(
            "payment",
            {"Id": payment["Id"], "SyncToken": "0", "sparse": True},
            operation="update",
            include="void",
        )
    )["Payment"]
    assert voided["TotalAmt"] == 0
    assert voided["PrivateNote"].startswith("Voided")
    assert money(api.read("Invoice", invoice["Id"])["Balance"]) == Decimal("100.00")
    assert api.read("Payment", payment["Id"])["TotalAmt"] == 0


def test_delete_payment_reopens_invoice(api):
    invoice = new_invoice(api, "100.00")
    payment = api.create("Payment", payment_body(invoice, "60.00"))
    deleted = api.ok(
        api.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete")
    )
    assert deleted["Payment"]["status"] == "Deleted"
    reopened = api.read("Invoice", invoice["Id"])
    assert money(reopened["Balance"]) == Decimal("100.00")
    assert reopened.get("LinkedTxn", []) == []


def test_invoice_total_cannot_drop_below_what_is_paid(api):
    invoice = new_invoice(api, "100.00")
    api.create("Payment", payment_body(invoice, "90.00"))
    current = api.read("Invoice", invoice["Id"])
    smaller = {**current, "sparse": True, "Line": [line("3", "50.00")]}
    assert fault_of(api.post("invoice", smaller))["code"] == "6000"
    larger = {**current, "sparse": True, "Line": [line("3", "150.00")]}
    assert money(api.create("Invoice", larger)["Balance"]) == Decimal("60.00")


def test_user_actions(sample):
    invoice = sample.read("Invoice", "3")
    partial = sample.receive_payment("3", Decimal("20"))
    assert sample.read("Invoice", "3")["Balance"] == invoice["Balance"] - Decimal("20")
    rest = sample.receive_payment("3")
    assert rest["TotalAmt"] == invoice["Balance"] - Decimal("20")
    assert sample.read("Invoice", "3")["Balance"] == 0
    sample.void_payment(rest["Id"])
    sample.delete_payment(partial["Id"])
    assert sample.read("Invoice", "3")["Balance"] == invoice["Balance"]
    edited = sample.edit_invoice("3", {"PrivateNote": "edited in QBO"})
    assert edited["PrivateNote"] == "edited in QBO"
    assert sample.void_invoice("3")["TotalAmt"] == 0
    assert sample.delete_invoice("4")["status"] == "Deleted"


def test_receive_payment_needs_an_open_balance_and_a_positive_amount(sample):
    with pytest.raises(QboFault) as paid:
        sample.receive_payment("1")  # already paid in full
    assert paid.value.errors[0].code == "6000"
    with pytest.raises(QboFault) as negative:
        sample.receive_payment("3", "-5")
    assert negative.value.errors[0].code == "6000"
    with pytest.raises(QboFault) as too_much:
        sample.receive_payment("3", "100000")
    assert too_much.value.errors[0].code == "6000"
    with pytest.raises(QboFault) as missing:
        sample.receive_payment("999")
    assert missing.value.errors[0].code == "610"
