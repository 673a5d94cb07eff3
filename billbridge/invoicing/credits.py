"""What an invoice owes once its credit notes are counted: the balance shown net of credits,
and the most a new credit may take back (docs/decisions/0027-credit-notes.md).

Draft credit notes count against what remains, so two drafts can never together credit more
than the invoice holds; only finalized ones lower the balance shown to the client.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from billbridge.invoicing import books
from billbridge.invoicing.models import Invoice, InvoiceStatus

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Balance:
    total: Decimal
    credited: Decimal  # by finalized credit notes and write-offs
    pending: Decimal  # by draft credit notes, reserved
    # Money the books show paid (credits applied there are not money); for a closed invoice
    # the books do not know, what its credits leave: it was settled outside them.
    paid: Decimal

    @property
    def due(self) -> Decimal:
        """What the client still owes."""
        return max(self.total - self.credited - self.paid, ZERO)

    @property
    def creditable(self) -> Decimal:
        """The most a new credit note may take back."""
        return max(self.due - self.pending, ZERO)


def balance_of(invoice: Invoice, *, excluding: Invoice | None = None) -> Balance:
    """`invoice`'s balance, leaving out the credit note `excluding` (one being checked)."""
    notes = invoice.credit_notes.all()
    if excluding is not None and excluding.pk:
        notes = notes.exclude(pk=excluding.pk)
    sums = {
        status: total
        for status, total in notes.values("status")
        .annotate(total=Sum("total"))
        .values_list("status", "total")
    }
    finalized = sum(
        (sums.get(s, ZERO) for s in (InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED)), ZERO
    )
    collected = books.external_books().collected([invoice.pk])
    if invoice.pk in collected:
        paid = collected[invoice.pk]
    elif invoice.status == InvoiceStatus.CLOSED:
        # Closed by hand ("paid by cheque") and unknown to the books: settled outside them.
        paid = max(invoice.total - finalized, ZERO)
    else:
        paid = ZERO
    return Balance(
        total=invoice.total,
        credited=finalized,
        pending=sums.get(InvoiceStatus.DRAFT, ZERO),
        paid=paid,
    )


def credited_totals(invoice_ids) -> dict[int, Decimal]:
    """The finalized credits on each of these invoices (those with none left out): for lists
    and reports that show many at once."""
    rows = (
        Invoice.objects.filter(
            credited_invoice_id__in=list(invoice_ids),
            status__in=(InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED),
        )
        .values("credited_invoice_id")
        .annotate(total=Sum("total"))
        .values_list("credited_invoice_id", "total")
    )
    return dict(rows)
