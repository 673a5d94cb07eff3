"""What every stage reads off an export row: its frozen body, its invoice's QBO link, the QBO
entity it is exported as, and whether a closed period keeps it out of QBO."""

import simplejson

from billbridge.core.errors import TransitionRefused
from billbridge.invoicing.periods import ClosedThrough, PeriodClosed
from billbridge.quickbooks.models import InvoiceExport, QboInvoiceLink

Entity = QboInvoiceLink.Entity


def entity_of(invoice) -> str:
    """The QBO transaction an invoice of this kind is exported as: a credit note or a write-off
    is a CreditMemo, everything else an Invoice (docs/decisions/0027). Every stage asks here."""
    return Entity.CREDIT_MEMO if invoice.is_credit else Entity.INVOICE


def noun_of(invoice) -> str:
    """The QBO transaction in the words of a message: "invoice" or "credit memo"."""
    return "credit memo" if invoice.is_credit else "invoice"


def a_noun_of(invoice) -> str:
    """ "an invoice" or "a credit memo"."""
    return "a credit memo" if invoice.is_credit else "an invoice"


def frozen_body(row: InvoiceExport) -> dict:
    """The body the row sends, as it was frozen (docs/decisions/0009): every retry sends it."""
    return body_from_text(row.payload)


def body_from_text(payload: str) -> dict:
    # Decimals, not floats: the body holds money, and is sent again byte for byte.
    return simplejson.loads(payload, use_decimal=True)


def is_update(body: dict) -> bool:
    """A body naming a QBO Id updates that invoice (R4); without one it creates an invoice."""
    return "Id" in body


def link_of(invoice) -> QboInvoiceLink | None:
    try:
        return invoice.qbo_link
    except QboInvoiceLink.DoesNotExist:
        return None


def in_qbo(invoice) -> QboInvoiceLink | None:
    """The invoice's QBO link when QuickBooks holds it as ours; None otherwise."""
    link = link_of(invoice)
    return link if link is not None and link.state == QboInvoiceLink.State.IN_QBO else None


def export_first(number: str) -> dict:
    """A credit note whose invoice QBO does not hold and is not on its way there: the words of
    its refusal (its row's message and advice)."""
    return {
        "message": f"Export invoice {number} first: a credit note is applied to its invoice in "
        "QuickBooks.",
        "advice": f"Export invoice {number}, then export this credit note again.",
    }


def closed_period_refusal(
    invoice, closed: ClosedThrough | None, *, updating: bool
) -> TransitionRefused | None:
    """Why `invoice` may not go to QBO now that `closed` (periods.closed_through) closes its
    date, or None. Nothing in a closed period is changed in QBO by Billbridge (T4): not an
    invoice QBO holds (`updating`: its update, or a replacement of one deleted there), and no
    credit memo is made there either. A first export of an invoice is QBO's own closed-books
    date's business (payloads: QBO refuses it)."""
    if closed is None or invoice.issue_date > closed.day:
        return None
    if not invoice.is_credit:
        return PeriodClosed(invoice, closed, "exported to QuickBooks again") if updating else None
    return TransitionRefused(
        f"{invoice.get_kind_display()} {invoice.number} is dated {invoice.issue_date:%d %b %Y}, "
        f"in a closed period ({closed}), so it cannot be exported to QuickBooks: Billbridge "
        "puts nothing into a closed period there. Reopen the period to export it."
    )
