"""What the QuickBooks Export column shows for each invoice.

The Billing list and the invoice page both render web/_qbo_export_cell.html with an ExportCell
from `export_cells`. The QuickBooks export issue replaces the body of `export_cells` with a
lookup of the export rows; it takes a whole page of invoices at once so that the lookup stays
one query however long the page is.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from billbridge.invoicing.models import Invoice


@dataclass(frozen=True)
class ExportCell:
    label: str
    tone: str = "muted"  # muted, ok, warning or error: the CSS class of the cell
    detail: str = ""


NOT_EXPORTED = ExportCell("Not exported")


def export_cells(invoices: Iterable[Invoice]) -> dict[int, ExportCell]:
    # Nothing can be exported yet, so there is nothing to look up.
    return {invoice.pk: NOT_EXPORTED for invoice in invoices}
