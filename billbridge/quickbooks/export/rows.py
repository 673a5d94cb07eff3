"""What every stage reads off an export row: its frozen body, and its invoice's QBO link."""

import simplejson

from billbridge.quickbooks.models import InvoiceExport, QboInvoiceLink


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
