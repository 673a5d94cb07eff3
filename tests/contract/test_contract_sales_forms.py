"""Contract: estimates, sales receipts, refund receipts and time activities through
python-quickbooks, unchanged, against the emulator over HTTP.

The library's own calls are used throughout: `save`, `get`, `filter`, `delete`, and for a sales
receipt `void` (its VoidMixin sends `operation=update&include=void` with a sparse body). An
invoice bills an estimate the way the library builds the link: `estimate.to_linked_txn()`.
"""

from decimal import Decimal

import pytest
from quickbooks.exceptions import ObjectNotFoundException, QuickbooksException
from quickbooks.objects.account import Account
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.employee import Employee
from quickbooks.objects.estimate import Estimate
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.refundreceipt import RefundReceipt
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.timeactivity import TimeActivity

from tests.contract.builders import amount, new_customer


def sales_line(client, amount: str) -> SalesItemLine:
    line = SalesItemLine()
    line.Amount = Decimal(amount)
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Item.filter(Name="Services", qb=client)[0].to_ref()
    return line


def fill(form, client, customer: Customer | None, amount: str, **fields):
    form.Line = [sales_line(client, amount)]
    if customer is not None:
        form.CustomerRef = customer.to_ref()
    for name, value in fields.items():
        setattr(form, name, value)
    return form.save(qb=client)


def test_an_estimate_billed_by_an_invoice_is_closed(connected):
    client, _ = connected
    customer = new_customer(client, "Quoted Client")
    estimate = fill(Estimate(), client, customer, "300.00", ExpirationDate="2026-12-31")
    assert estimate.TxnStatus == "Pending" and amount(estimate.TotalAmt) == 300
    assert amount(Customer.get(customer.Id, qb=client).Balance) == 0

    invoice = fill(Invoice(), client, customer, "300.00", LinkedTxn=[estimate.to_linked_txn()])
    assert [(t.TxnId, t.TxnType) for t in invoice.LinkedTxn] == [(estimate.Id, "Estimate")]
    closed = Estimate.get(estimate.Id, qb=client)
    assert closed.TxnStatus == "Closed"
    assert [(t.TxnId, t.TxnType) for t in closed.LinkedTxn] == [(invoice.Id, "Invoice")]
    assert amount(Customer.get(customer.Id, qb=client).Balance) == 300

    # The library's full update of the invoice resends the link; the estimate stays billed.
    invoice.PrivateNote = "from the quote"
    invoice = invoice.save(qb=client)
    assert invoice.SyncToken == "1"
    assert Estimate.get(estimate.Id, qb=client).TxnStatus == "Closed"

    invoice.delete(qb=client)
    assert Estimate.get(estimate.Id, qb=client).TxnStatus == "Pending"
    assert [e.Id for e in Estimate.filter(CustomerRef=customer.Id, qb=client)] == [estimate.Id]
    Estimate.get(estimate.Id, qb=client).delete(qb=client)
    with pytest.raises(ObjectNotFoundException):
        Estimate.get(estimate.Id, qb=client)


def test_a_sales_receipt_is_paid_voided_and_deleted(connected):
    client, _ = connected
    customer = new_customer(client, "Counter Client")
    receipt = fill(SalesReceipt(), client, customer, "45.00", PrivateNote="till")
    assert amount(receipt.TotalAmt) == 45 and amount(receipt.Balance) == 0
    assert receipt.DepositToAccountRef.name == "Undeposited Funds"
    assert amount(Customer.get(customer.Id, qb=client).Balance) == 0

    voided = receipt.void(qb=client)["SalesReceipt"]
    assert amount(voided["TotalAmt"]) == 0 and voided["PrivateNote"] == "Voided - till"

    cash_sale = fill(SalesReceipt(), client, None, "5.00")
    assert cash_sale.CustomerRef is None
    cash_sale.delete(qb=client)
    assert [r.Id for r in SalesReceipt.all(qb=client)] == [receipt.Id]


def test_a_refund_receipt_names_its_account(connected):
    client, _ = connected
    customer = new_customer(client, "Refunded Client")
    with pytest.raises(QuickbooksException) as refused:
        fill(RefundReceipt(), client, customer, "20.00")
    assert refused.value.error_code == 2020

    checking = Account.filter(Name="Checking", qb=client)[0]
    refund = fill(RefundReceipt(), client, customer, "20.00", DepositToAccountRef=checking.to_ref())
    assert amount(refund.Balance) == 0 and refund.DepositToAccountRef.value == checking.Id
    refund.delete(qb=client)
    assert RefundReceipt.all(qb=client) == []


def test_time_activities_are_recorded_queried_and_deleted(connected):
    client, _ = connected
    worker = Employee()
    worker.GivenName, worker.FamilyName = "Emily", "Platt"
    worker = worker.save(qb=client)
    customer = new_customer(client, "Timed Client")

    activity = TimeActivity()
    activity.NameOf = "Employee"
    activity.EmployeeRef = worker.to_ref()
    activity.CustomerRef = customer.to_ref()
    activity.TxnDate = "2026-11-02"
    activity.Hours, activity.Minutes = 2, 15
    activity.BillableStatus = "Billable"
    activity.HourlyRate = Decimal("90")
    activity.Description = "Bookkeeping"
    activity = activity.save(qb=client)
    assert (activity.Hours, activity.Minutes, activity.BillableStatus) == (2, 15, "Billable")
    assert activity.EmployeeRef.name == "Emily Platt"

    activity.Description = "Bookkeeping, November"
    assert activity.save(qb=client).SyncToken == "1"
    assert [a.Id for a in TimeActivity.filter(TxnDate="2026-11-02", qb=client)] == [activity.Id]

    TimeActivity.get(activity.Id, qb=client).delete(qb=client)
    assert TimeActivity.all(qb=client) == []
