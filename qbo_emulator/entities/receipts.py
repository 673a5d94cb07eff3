"""SalesReceipt and RefundReceipt (Intuit's references of both): money taken for a sale at once,
and money paid back to a customer. Both are built like an invoice (lines, items, tax, DocNumber)
but nothing stays owed: Balance is 0 (every recorded response of both shows `Balance` 0), no
payment applies to them and their customer's Balance does not move. The money goes to (or comes
from) `DepositToAccountRef`: for a sales receipt the Undeposited Funds account when none is sent
(Intuit's XSD: "If you do not specify this account, QBO uses the Undeposited Funds account"); a
refund receipt must name it. A customer is optional on both; only Line is required for a sales
receipt, Line and DepositToAccountRef for a refund receipt.

A sales receipt is voided as python-quickbooks' VoidMixin does it
(`operation=update&include=void`); Intuit offers no void of a refund receipt, only its delete.
"""

from decimal import Decimal

from qbo_emulator.entities import register
from qbo_emulator.entities.base import reference, text
from qbo_emulator.entities.invoice import SalesFormType
from qbo_emulator.entities.payment import undeposited_funds

ZERO = Decimal("0")
RECEIPT_QUERYABLE = frozenset(
    {"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "DocNumber", "TxnDate",
     "CustomerRef", "Balance", "TotalAmt", "PrivateNote", "PrintStatus", "DepartmentRef",
     "ClassRef", "DepositToAccountRef", "PaymentMethodRef", "PaymentRefNum"}
)  # fmt: skip


class NoReceivableForm(SalesFormType):
    """A sales form that never reaches accounts receivable (Estimate, SalesReceipt,
    RefundReceipt): nothing is owed on it, no payment applies to it, and its customer's Balance
    stays as it is."""

    operations = frozenset({"create", "read", "update", "delete", "query"})

    def build(self, company, body, existing, options):
        # SalesFormType counts what payments took as TotalAmt - Balance; nothing ever has, so
        # it is shown the form as if its whole total were still open.
        untouched = existing and {**existing, "Balance": existing.get("TotalAmt", ZERO)}
        return super().build(company, body, untouched, options)

    def _refuse_if_applied(self, record, verb):
        """Nothing is applied to these forms, so nothing stands in the way of a delete or void."""

    def after_write(self, company, record, previous):
        """No balance moves."""

    def after_delete(self, company, record):
        """No balance moves."""


class ReceiptType(NoReceivableForm):
    """What a sales receipt and a refund receipt share: paid at once, to or from an account."""

    customer_required = False
    queryable = RECEIPT_QUERYABLE
    deposit_required = False

    def build(self, company, body, existing, options):
        record = super().build(company, body, existing, options)
        deposit = reference(
            company, body, "DepositToAccountRef", "Account", required=self.deposit_required
        )
        record["DepositToAccountRef"] = deposit or undeposited_funds(company)
        record["PaymentMethodRef"] = reference(company, body, "PaymentMethodRef", "PaymentMethod")
        text(body, "PaymentRefNum", 21)
        return record

    def _set_open(self, record, amount):
        record["Balance"] = record["HomeBalance"] = ZERO


class SalesReceiptType(ReceiptType):
    name = "SalesReceipt"
    operations = ReceiptType.operations | {"void"}
    noun = "sales receipt"


class RefundReceiptType(ReceiptType):
    name = "RefundReceipt"
    noun = "refund receipt"
    deposit_required = True


register(SalesReceiptType())
register(RefundReceiptType())
