"""Objects the contract suites make through python-quickbooks, as an integration would."""

from decimal import Decimal

from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment, PaymentLine


def amount(value) -> Decimal:
    """A JSON number from QBO (or a library's float) as an exact Decimal, for comparisons."""
    return Decimal(str(value))


def new_customer(client, name: str, **kwargs) -> Customer:
    customer = Customer()
    customer.DisplayName = name
    return customer.save(qb=client, **kwargs)


def new_invoice(client, customer: Customer, amount: str, qty: int = 1) -> Invoice:
    services = Item.filter(Name="Services", qb=client)[0]
    line = SalesItemLine()
    line.Amount = Decimal(amount) * qty
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = services.to_ref()
    line.SalesItemLineDetail.Qty = qty
    line.SalesItemLineDetail.UnitPrice = Decimal(amount)
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [line]
    return invoice.save(qb=client)


def pay(client, customer: Customer, invoice: Invoice, amount: str) -> Payment:
    line = PaymentLine()
    line.Amount = Decimal(amount)
    line.LinkedTxn = [invoice.to_linked_txn()]
    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = Decimal(amount)
    payment.Line = [line]
    return payment.save(qb=client)
