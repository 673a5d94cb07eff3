"""CreditMemo (Intuit's CreditMemo reference): credit a customer can spend on its invoices.

A credit memo is built like an invoice (same lines, items, tax, DocNumber and closed-books rules)
and lowers what its customer owes by its total. Its open amount is the credit not yet spent:
QBO answers it twice, as `Balance` and as `RemainingCredit`, equal in every sample Intuit gives
(50/50 when new, 0/0 once used). Credit is spent by a Payment whose lines link the credit memo
and an invoice (entities/payment.py); the payment, not the credit memo, carries the link.
"""

from qbo_emulator.entities import register
from qbo_emulator.entities.base import reference
from qbo_emulator.entities.invoice import SALES_FORM_QUERYABLE, SalesFormType


class CreditMemoType(SalesFormType):
    name = "CreditMemo"
    queryable = SALES_FORM_QUERYABLE | {"Balance"}
    customer_sign = -1
    # Intuit's sample of a used-up credit memo (Balance 0) has no LinkedTxn (UNCONFIRMED).
    lists_payments = False
    noun = "credit memo"
    customer_locked = (
        "You can't change the customer on a credit memo whose credit has been applied."
    )
    applied_words = "already applied to invoices"
    applied_reason = "its credit is applied to invoices through payments"

    def _terms(self, company, record, body, customer):
        # A credit memo has no due date; a SalesTermRef is kept when it names a real term.
        term = reference(company, body, "SalesTermRef", "Term")
        if term:
            record["SalesTermRef"] = term

    def _set_open(self, record, amount):
        record["Balance"] = record["HomeBalance"] = record["RemainingCredit"] = amount


register(CreditMemoType())
