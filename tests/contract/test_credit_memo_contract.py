"""Contract: credit memos through python-quickbooks, unchanged, against the emulator over HTTP.

The way Billbridge corrects an exported invoice: a CreditMemo for the same customer, then a
Payment of TotalAmt 0 whose lines link the invoice and the credit memo (Intuit's Payment
reference; QBO.md §3.4). The library has no void call for CreditMemo (its VoidMixin covers
Invoice, Payment, SalesReceipt, BillPayment), so the void goes through the client's own `post`.
"""

import json
from decimal import Decimal

import pytest
from quickbooks.exceptions import ObjectNotFoundException, QuickbooksException
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment, PaymentLine

from tests.contract.builders import amount, new_customer, new_invoice


def new_credit_memo(client, customer: Customer, amount: str, **fields) -> CreditMemo:
    services = Item.filter(Name="Services", qb=client)[0]
    line = SalesItemLine()
    line.Amount = Decimal(amount)
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = services.to_ref()
    memo = CreditMemo()
    memo.CustomerRef = customer.to_ref()
    memo.Line = [line]
    for name, value in fields.items():
        setattr(memo, name, value)
    return memo.save(qb=client)


def apply_credit(client, customer: Customer, invoice: Invoice, memo: CreditMemo, amount: str):
    """A zero payment: `amount` on the invoice and the same amount on the credit memo."""
    lines = []
    for document in (invoice, memo):
        line = PaymentLine()
        line.Amount = Decimal(amount)
        line.LinkedTxn = [document.to_linked_txn()]
        lines.append(line)
    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = 0
    payment.Line = lines
    return payment.save(qb=client)


def test_a_credit_memo_applied_with_a_zero_payment_lowers_the_invoice(connected):
    client, _ = connected
    customer = new_customer(client, "Credited Client")
    invoice = new_invoice(client, customer, "250.00")
    memo = new_credit_memo(client, customer, "100.00", PrivateNote="Credit note CN-0001")
    assert memo.Id and memo.DocNumber
    assert amount(memo.TotalAmt) == amount(memo.RemainingCredit) == amount(memo.Balance) == 100
    assert amount(Customer.get(customer.Id, qb=client).Balance) == Decimal("150.00")

    payment = apply_credit(client, customer, invoice, memo, "100.00")
    assert amount(payment.TotalAmt) == 0 and amount(payment.UnappliedAmt) == 0
    assert [line.LinkedTxn[0].TxnType for line in payment.Line] == ["Invoice", "CreditMemo"]

    credited = Invoice.get(invoice.Id, qb=client)
    assert amount(credited.Balance) == Decimal("150.00")
    assert [(t.TxnId, t.TxnType) for t in credited.LinkedTxn] == [(payment.Id, "Payment")]
    used = CreditMemo.get(memo.Id, qb=client)
    assert amount(used.RemainingCredit) == amount(used.Balance) == 0
    assert amount(Customer.get(customer.Id, qb=client).Balance) == Decimal("150.00")

    # Giving the credit back: the payment goes, both documents reopen.
    payment.delete(qb=client)
    assert amount(Invoice.get(invoice.Id, qb=client).Balance) == Decimal("250.00")
    assert amount(CreditMemo.get(memo.Id, qb=client).RemainingCredit) == Decimal("100.00")


def test_more_credit_than_the_memo_holds_is_a_library_exception(connected):
    client, _ = connected
    customer = new_customer(client, "Overcredited Client")
    invoice = new_invoice(client, customer, "250.00")
    memo = new_credit_memo(client, customer, "40.00")
    with pytest.raises(QuickbooksException) as refused:
        apply_credit(client, customer, invoice, memo, "40.01")
    assert refused.value.error_code == 6000
    assert amount(Invoice.get(invoice.Id, qb=client).Balance) == Decimal("250.00")
    assert Payment.all(qb=client) == []


def test_credit_memos_are_queried_updated_voided_and_deleted(connected):
    client, _ = connected
    customer = new_customer(client, "Queried Client")
    first = new_credit_memo(client, customer, "10.00", DocNumber="CN-0001")
    second = new_credit_memo(client, customer, "20.00", DocNumber="CN-0002")
    assert [m.Id for m in CreditMemo.filter(DocNumber="CN-0002", qb=client)] == [second.Id]
    assert [m.Id for m in CreditMemo.where("Balance > '15'", qb=client)] == [second.Id]
    assert CreditMemo.count(qb=client) == 2

    first.PrivateNote = "Reason: duplicate hours"
    updated = first.save(qb=client)
    assert updated.SyncToken == "1" and amount(updated.RemainingCredit) == Decimal("10.00")

    url = f"{client.api_url}/company/{client.company_id}/creditmemo"
    body = json.dumps({"Id": updated.Id, "SyncToken": updated.SyncToken})
    voided = client.post(url, body, params={"operation": "void"})["CreditMemo"]
    assert amount(voided["TotalAmt"]) == amount(voided["RemainingCredit"]) == 0
    assert voided["PrivateNote"] == "Voided - Reason: duplicate hours"

    second.delete(qb=client)
    with pytest.raises(ObjectNotFoundException):
        CreditMemo.get(second.Id, qb=client)
    assert [m.Id for m in CreditMemo.all(qb=client)] == [first.Id]
    assert amount(Customer.get(customer.Id, qb=client).Balance) == 0
