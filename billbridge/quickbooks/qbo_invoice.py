"""QBO's answer about one invoice, read once into a typed value (pure: no database, no HTTP).

Every part that looks at a QBO Invoice reads it here: the export recording QBO's answer, the
paid-status sync, the reconciliation and the revert. So QBO's JSON quirks are handled once:
amounts come as 686 where we hold 686.00, Balance is left out of some answers (it then equals
the total), a void zeroes TotalAmt and writes "Voided" into PrivateNote (RELIABILITY.md §3.4),
and payments show only as LinkedTxn entries of type Payment.

A credit note's QBO CreditMemo is built like an invoice and read here too: its open amount is
the credit not yet spent, which QBO answers as both Balance and RemainingCredit.
"""

from dataclasses import dataclass
from decimal import Decimal

from billbridge.core.money import to_money


def _money(value) -> Decimal:
    # str(): QBO's JSON may come parsed with floats or ints; money is never a float here.
    return to_money(str(value))


@dataclass(frozen=True)
class QboInvoice:
    id: str
    sync_token: str
    total: Decimal
    balance: Decimal  # what is still open: to pay on an invoice, to spend on a credit memo
    tax: Decimal | None  # TxnTaxDetail.TotalTax; None when QBO shows no tax detail
    doc_number: str
    customer_id: str
    note: str  # PrivateNote, where our marker lives (payloads.marker)
    payment_ids: tuple[str, ...]  # each payment once, in QBO's order
    sales_lines: int  # lines that bill something (not subtotals or discounts)

    @classmethod
    def read(cls, answer: dict) -> "QboInvoice":
        """Any Invoice JSON: QBO's answer, or one of our frozen bodies (missing fields read as
        empty, zero or none)."""
        total = _money(answer.get("TotalAmt", 0))
        tax = (answer.get("TxnTaxDetail") or {}).get("TotalTax")
        payments = (
            str(txn["TxnId"])
            for txn in answer.get("LinkedTxn") or []
            if txn.get("TxnType") == "Payment" and txn.get("TxnId") is not None
        )
        return cls(
            id=str(answer.get("Id", "")),
            sync_token=str(answer.get("SyncToken", "")),
            total=total,
            balance=_money(answer.get("Balance", answer.get("RemainingCredit", total))),
            tax=None if tax is None else _money(tax),
            doc_number=answer.get("DocNumber", ""),
            customer_id=(answer.get("CustomerRef") or {}).get("value", ""),
            note=answer.get("PrivateNote") or "",
            payment_ids=tuple(dict.fromkeys(payments)),
            sales_lines=sum("SalesItemLineDetail" in line for line in answer.get("Line") or []),
        )

    @property
    def voided(self) -> bool:
        """Intuit's void keeps the invoice but zeroes it and notes it: Balance 0 alone would
        make every voided invoice look paid."""
        return self.total == 0 and "Voided" in self.note

    @property
    def paid_in_full(self) -> bool:
        """QBO's side of the paid rule: nothing left to pay on something to pay. A voided
        invoice has a total of 0, so it is never paid."""
        return self.total > 0 and self.balance == 0

    def pays_ours(self, *, expected_total: Decimal, current: bool) -> bool:
        """The paid rule (R6, RELIABILITY.md §3.4, docs/decisions/0014): our invoice is closed
        only when QBO shows it paid in full on the total we expect (what we exported, or what a
        person accepted from QBO), and QBO holds our current version: after a revert (R9) and
        an edit, a payment of the version QBO holds does not pay the edited invoice."""
        return self.paid_in_full and self.total == expected_total and current
