"""Contract: bills, bill payments, purchases and purchase orders through python-quickbooks,
unchanged, against the emulator over HTTP.

What an integration paying its vendors does: a Bill with an expense line, a BillPayment by check
whose line links the bill (`bill.to_linked_txn()`), the payment voided with the library's own
VoidMixin (`operation=update&include=void`), then the bill deleted; a Purchase (an expense paid
at once) naming its payee with `vendor.to_ref()`; a PurchaseOrder with an item line.
"""

from decimal import Decimal

import pytest
from quickbooks.exceptions import ObjectNotFoundException, QuickbooksException
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.billpayment import BillPayment, BillPaymentLine, CheckPayment
from quickbooks.objects.detailline import (
    AccountBasedExpenseLine,
    AccountBasedExpenseLineDetail,
    ItemBasedExpenseLine,
    ItemBasedExpenseLineDetail,
)
from quickbooks.objects.item import Item
from quickbooks.objects.purchase import Purchase
from quickbooks.objects.purchaseorder import PurchaseOrder
from quickbooks.objects.vendor import Vendor

from tests.contract.builders import amount


def new_vendor(client, name: str) -> Vendor:
    vendor = Vendor()
    vendor.DisplayName = name
    return vendor.save(qb=client)


def new_expense_account(client, name: str = "Office Supplies") -> Account:
    account = Account()
    account.Name = name
    account.AccountType = "Expense"
    return account.save(qb=client)


def expense_line(account: Account, value: str) -> AccountBasedExpenseLine:
    line = AccountBasedExpenseLine()
    line.Amount = Decimal(value)
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = account.to_ref()
    return line


def new_bill(client, vendor: Vendor, account: Account, value: str) -> Bill:
    bill = Bill()
    bill.VendorRef = vendor.to_ref()
    bill.Line = [expense_line(account, value)]
    return bill.save(qb=client)


def checking(client) -> Account:
    return Account.filter(AccountType="Bank", qb=client)[0]


def pay_by_check(client, vendor: Vendor, bill: Bill, value: str) -> BillPayment:
    line = BillPaymentLine()
    line.Amount = Decimal(value)
    line.LinkedTxn = [bill.to_linked_txn()]
    payment = BillPayment()
    payment.VendorRef = vendor.to_ref()
    payment.PayType = "Check"
    payment.TotalAmt = Decimal(value)
    payment.CheckPayment = CheckPayment()
    payment.CheckPayment.BankAccountRef = checking(client).to_ref()
    payment.Line = [line]
    return payment.save(qb=client)


def test_a_bill_is_paid_by_check_the_payment_voided_and_the_bill_deleted(connected):
    client, _ = connected
    vendor = new_vendor(client, "Hicks Hardware")
    account = new_expense_account(client)
    bill = new_bill(client, vendor, account, "250.00")
    assert amount(bill.TotalAmt) == amount(bill.Balance) == Decimal("250.00")
    assert bill.APAccountRef.name == "Accounts Payable (A/P)"
    assert bill.Line[0].AccountBasedExpenseLineDetail.BillableStatus == "NotBillable"
    assert amount(Vendor.get(vendor.Id, qb=client).Balance) == Decimal("250.00")

    payment = pay_by_check(client, vendor, bill, "100.00")
    assert payment.PayType == "Check" and amount(payment.TotalAmt) == Decimal("100.00")
    assert payment.CheckPayment.PrintStatus == "NotSet"  # the library sends NotSet
    paid = Bill.get(bill.Id, qb=client)
    assert amount(paid.Balance) == Decimal("150.00")
    assert [(t.TxnId, t.TxnType) for t in paid.LinkedTxn] == [(payment.Id, "BillPaymentCheck")]
    assert amount(Vendor.get(vendor.Id, qb=client).Balance) == Decimal("150.00")

    with pytest.raises(QuickbooksException) as refused:
        paid.delete(qb=client)
    assert refused.value.error_code == 6000

    voided = payment.void(qb=client)["BillPayment"]
    assert amount(voided["TotalAmt"]) == 0 and voided["PrivateNote"] == "Voided"
    reopened = Bill.get(bill.Id, qb=client)
    assert amount(reopened.Balance) == Decimal("250.00") and reopened.LinkedTxn == []
    reopened.delete(qb=client)
    with pytest.raises(ObjectNotFoundException):
        Bill.get(bill.Id, qb=client)
    assert amount(Vendor.get(vendor.Id, qb=client).Balance) == 0


def test_a_bill_read_and_saved_again_keeps_its_payments(connected):
    client, _ = connected
    vendor = new_vendor(client, "Norton Lumber")
    bill = new_bill(client, vendor, new_expense_account(client), "80.00")
    payment = pay_by_check(client, vendor, bill, "30.00")
    read = Bill.get(bill.Id, qb=client)
    read.PrivateNote = "Invoice 4411"
    saved = read.save(qb=client)
    assert saved.PrivateNote == "Invoice 4411" and amount(saved.Balance) == Decimal("50.00")
    assert [t.TxnId for t in saved.LinkedTxn] == [payment.Id]
    assert [b.Id for b in Bill.filter(VendorRef=vendor.Id, qb=client)] == [bill.Id]
    assert [p.Id for p in BillPayment.where(f"VendorRef = '{vendor.Id}'", qb=client)] == [
        payment.Id
    ]


def test_more_than_the_bill_is_a_library_exception(connected):
    client, _ = connected
    vendor = new_vendor(client, "Tania's Nursery")
    bill = new_bill(client, vendor, new_expense_account(client), "40.00")
    with pytest.raises(QuickbooksException) as refused:
        pay_by_check(client, vendor, bill, "40.01")
    assert refused.value.error_code == 6000
    assert BillPayment.all(qb=client) == []


def test_a_check_purchase_names_its_payee_and_is_queried_updated_and_deleted(connected):
    client, _ = connected
    vendor = new_vendor(client, "Chin's Gas and Oil")
    expense = Purchase()
    expense.PaymentType = "Check"
    expense.AccountRef = checking(client).to_ref()
    expense.EntityRef = vendor.to_ref()
    expense.Line = [expense_line(new_expense_account(client, "Fuel"), "185.00")]
    saved = expense.save(qb=client)
    assert amount(saved.TotalAmt) == Decimal("185.00")
    assert (saved.EntityRef.type, saved.EntityRef.value) == ("Vendor", vendor.Id)
    assert saved.PrintStatus == "NeedToPrint"  # the library's default, kept for a check
    assert [p.Id for p in Purchase.filter(PaymentType="Check", qb=client)] == [saved.Id]
    assert Purchase.filter(PaymentType="Cash", qb=client) == []

    saved.PrivateNote = "Fuel for the truck"
    updated = saved.save(qb=client)
    assert updated.SyncToken == "1" and updated.PrivateNote == "Fuel for the truck"
    updated.delete(qb=client)
    assert Purchase.all(qb=client) == []
    assert amount(Vendor.get(vendor.Id, qb=client).Balance) == 0


def test_a_purchase_order_with_an_item_line(connected):
    client, _ = connected
    vendor = new_vendor(client, "Garden Supply Co")
    supplies = new_expense_account(client, "Garden Supplies Cost")
    item = Item()
    item.Name = "Garden Supplies"
    item.Type = "NonInventory"
    item.IncomeAccountRef = Account.filter(AccountType="Income", qb=client)[0].to_ref()
    item.ExpenseAccountRef = supplies.to_ref()
    item = item.save(qb=client)
    line = ItemBasedExpenseLine()
    line.Amount = Decimal("25.00")
    line.ItemBasedExpenseLineDetail = ItemBasedExpenseLineDetail()
    line.ItemBasedExpenseLineDetail.ItemRef = item.to_ref()
    line.ItemBasedExpenseLineDetail.Qty = 1
    line.ItemBasedExpenseLineDetail.UnitPrice = Decimal("25.00")
    order = PurchaseOrder()
    order.VendorRef = vendor.to_ref()
    order.Line = [line]
    saved = order.save(qb=client)
    assert saved.POStatus == "Open" and amount(saved.TotalAmt) == Decimal("25.00")
    assert saved.APAccountRef.name == "Accounts Payable (A/P)"
    assert [o.Id for o in PurchaseOrder.where("POStatus = 'Open'", qb=client)] == [saved.Id]
    assert amount(Vendor.get(vendor.Id, qb=client).Balance) == 0
    saved.delete(qb=client)
    assert PurchaseOrder.all(qb=client) == []
