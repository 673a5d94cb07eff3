"""Contract: banking through python-quickbooks, unchanged, against the emulator over HTTP —
transfers, deposits (direct and of a payment in Undeposited Funds), journal entries, company
currencies and exchange rates, and a recurring invoice, as the library's own sandbox tests use
them (tests/integration/test_transfer.py, test_deposit.py, test_exchangerate.py,
test_recurringtransaction.py)."""

from decimal import Decimal

import pytest
from quickbooks.exceptions import ObjectNotFoundException, QuickbooksException
from quickbooks.objects.account import Account
from quickbooks.objects.base import LinkedTxn
from quickbooks.objects.companycurrency import CompanyCurrency
from quickbooks.objects.deposit import Deposit, DepositLine, DepositLineDetail
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.exchangerate import ExchangeRate
from quickbooks.objects.item import Item
from quickbooks.objects.journalentry import JournalEntry, JournalEntryLine, JournalEntryLineDetail
from quickbooks.objects.recurringtransaction import (
    RecurringInfo,
    RecurringInvoice,
    RecurringTransaction,
    ScheduleInfo,
)
from quickbooks.objects.transfer import Transfer

from tests.contract.builders import amount, new_customer, new_invoice, pay


def account(client, name: str) -> Account:
    return Account.filter(Name=name, qb=client)[0]


def new_bank(client, name: str) -> Account:
    bank = Account()
    bank.Name = name
    bank.AccountType = "Bank"
    bank.AccountSubType = "Savings"
    return bank.save(qb=client)


def current_balance(client, bank: Account) -> Decimal:
    return amount(Account.get(bank.Id, qb=client).CurrentBalance)


def test_a_transfer_is_created_read_updated_and_moves_the_balances(connected):
    client, _ = connected
    checking, savings = account(client, "Checking"), new_bank(client, "Savings")
    transfer = Transfer()
    transfer.Amount = 100
    transfer.FromAccountRef = checking.to_ref()
    transfer.ToAccountRef = savings.to_ref()
    transfer.save(qb=client)

    read = Transfer.get(transfer.Id, qb=client)
    assert amount(read.Amount) == 100
    assert (read.FromAccountRef.value, read.ToAccountRef.value) == (checking.Id, savings.Id)
    assert current_balance(client, checking) == -100 and current_balance(client, savings) == 100

    read.Amount = amount(read.Amount) + 1
    read.save(qb=client)
    assert amount(Transfer.get(transfer.Id, qb=client).Amount) == 101
    assert current_balance(client, savings) == 101
    Transfer.get(transfer.Id, qb=client).delete(qb=client)
    assert current_balance(client, savings) == 0


def test_a_direct_deposit_and_a_deposit_of_a_payment(connected):
    client, _ = connected
    checking, savings = account(client, "Checking"), new_bank(client, "Savings")
    detail = DepositLineDetail()
    detail.AccountRef = savings.to_ref()
    line = DepositLine()
    line.Amount = 20.00
    line.DetailType = "DepositLineDetail"
    line.DepositLineDetail = detail
    deposit = Deposit()
    deposit.DepositToAccountRef = checking.to_ref()
    deposit.Line.append(line)
    deposit.save(qb=client)
    read = Deposit.get(deposit.Id, qb=client)
    assert read.Id == deposit.Id and amount(read.TotalAmt) == 20
    assert current_balance(client, checking) == 20 and current_balance(client, savings) == -20

    customer = new_customer(client, "Depositing Client")
    payment = pay(client, customer, new_invoice(client, customer, "75.00"), "75.00")
    linked = DepositLine()
    linked.Amount = 75
    link = LinkedTxn()
    link.TxnId, link.TxnType = payment.Id, "Payment"
    linked.LinkedTxn = [link]
    of_payment = Deposit()
    of_payment.DepositToAccountRef = checking.to_ref()
    of_payment.Line = [linked]
    saved = of_payment.save(qb=client)
    assert amount(saved.TotalAmt) == 75
    assert saved.Line[0].LinkedTxn[0].TxnId == payment.Id
    assert current_balance(client, checking) == 95

    twice = Deposit()
    twice.DepositToAccountRef = checking.to_ref()
    twice.Line = [linked]
    with pytest.raises(QuickbooksException) as refused:
        twice.save(qb=client)
    assert refused.value.error_code == 6000


def journal_line(posting: str, target: Account, value: str) -> JournalEntryLine:
    line = JournalEntryLine()
    line.Amount = Decimal(value)
    line.JournalEntryLineDetail = JournalEntryLineDetail()
    line.JournalEntryLineDetail.PostingType = posting
    line.JournalEntryLineDetail.AccountRef = target.to_ref()
    return line


def test_a_journal_entry_balances_or_is_refused(connected):
    client, _ = connected
    checking, equity = account(client, "Checking"), account(client, "Opening Balance Equity")
    entry = JournalEntry()
    entry.DocNumber = "JE-100"
    entry.Line = [
        journal_line("Debit", checking, "250.00"),
        journal_line("Credit", equity, "250.00"),
    ]
    saved = entry.save(qb=client)
    assert amount(saved.TotalAmt) == 250 and saved.DocNumber == "JE-100"
    assert [line.JournalEntryLineDetail.PostingType for line in saved.Line] == ["Debit", "Credit"]
    assert current_balance(client, checking) == 250

    unbalanced = JournalEntry()
    unbalanced.Line = [
        journal_line("Debit", checking, "10.00"),
        journal_line("Credit", equity, "9.00"),
    ]
    with pytest.raises(QuickbooksException) as refused:
        unbalanced.save(qb=client)
    assert refused.value.error_code == 6000
    assert [e.Id for e in JournalEntry.all(qb=client)] == [saved.Id]

    saved.delete(qb=client)
    with pytest.raises(ObjectNotFoundException):
        JournalEntry.get(saved.Id, qb=client)
    assert current_balance(client, checking) == 0


def test_company_currencies_and_exchange_rates(qbo, connected):
    client, _ = connected
    currency = CompanyCurrency()
    currency.Code = "CAD"
    with pytest.raises(QuickbooksException) as refused:
        currency.save(qb=client)
    assert refused.value.error_code == 6000  # multicurrency is off
    qbo.emulator.company(client.company_id).set_preferences(multicurrency=True)
    saved = CompanyCurrency()
    saved.Code = "EUR"
    saved = saved.save(qb=client)
    assert saved.Name == "Euro"
    assert CompanyCurrency.get(saved.Id, qb=client).Code == "EUR"
    assert [c.Code for c in CompanyCurrency.all(qb=client)] == ["EUR"]

    first = ExchangeRate()
    first.SourceCurrencyCode = "EUR"
    first.Rate = Decimal("1.25")
    first.AsOfDate = "2026-01-15"
    first.save(qb=client)
    # As the library's sandbox test does: read the rate back, raise it, save it.
    exchange_rate = ExchangeRate.where("SourceCurrencyCode = 'EUR'", qb=client)[0]
    assert exchange_rate.TargetCurrencyCode == "USD"
    new_rate = exchange_rate.Rate + 1
    exchange_rate.Rate = new_rate
    exchange_rate.save(qb=client)
    updated = ExchangeRate.where("SourceCurrencyCode = 'EUR'", qb=client)[0]
    assert amount(updated.Rate) == amount(new_rate) and updated.SyncToken == "1"


def test_a_recurring_invoice_is_made_read_updated_listed_and_deleted(connected):
    client, _ = connected
    customer = new_customer(client, "Subscribing Client")
    line = SalesItemLine()
    line.LineNum = 1
    line.Description = "description"
    line.Amount = 100
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Item.filter(Name="Services", qb=client)[0].to_ref()
    invoice = RecurringInvoice()
    invoice.Line.append(line)
    invoice.CustomerRef = customer.to_ref()
    info = RecurringInfo()
    info.Active = True
    info.RecurType = "Automated"
    info.Name = "Test Recurring Invoice"
    info.ScheduleInfo = ScheduleInfo()
    info.ScheduleInfo.StartDate = "2026-12-01"
    info.ScheduleInfo.MaxOccurrences = 6
    info.ScheduleInfo.IntervalType = "Monthly"
    info.ScheduleInfo.DayOfMonth = 1
    info.ScheduleInfo.NumInterval = 1
    invoice.RecurringInfo = info
    recurring = RecurringTransaction()
    recurring.Invoice = invoice
    saved = recurring.save(qb=client)

    assert saved.Invoice.Line[0].Description == "description"
    assert amount(saved.Invoice.Line[0].Amount) == 100
    schedule = saved.Invoice.RecurringInfo.ScheduleInfo
    assert (schedule.MaxOccurrences, schedule.IntervalType, schedule.DayOfMonth) == (
        6,
        "Monthly",
        1,
    )

    read = RecurringTransaction.get(saved.Invoice.Id, qb=client)
    read.Invoice.RecurringInfo.ScheduleInfo.DayOfMonth = 15
    read.Invoice.Line[0].Amount = 250
    read.save(qb=client)
    changed = RecurringTransaction.get(saved.Invoice.Id, qb=client)
    assert changed.Invoice.RecurringInfo.ScheduleInfo.DayOfMonth == 15
    assert amount(changed.Invoice.Line[0].Amount) == 250
    assert [
        hasattr(r, "Invoice") for r in RecurringTransaction.where("Type = 'Invoice'", qb=client)
    ] == [True]
    assert RecurringTransaction.where("Type = 'Bill'", qb=client) == []

    changed.delete(qb=client)
    assert RecurringTransaction.all(qb=client) == []
