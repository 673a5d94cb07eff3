"""Invoice PDFs: renderings per second for 500 invoices, and the bulk ZIP's peak memory.

Run directly (`python bench/pdf.py [--database-url postgres://…] [--count 500]`) or through
`make bench` (bench/test_pdf.py). One practice on a fresh database (a temporary SQLite file by
default) with the sample template filled in and both taxes on; `count` clients, each with one
finalized invoice of three lines (frozen HTML at finalize, as the product does).

1. Rendering: every invoice's PDF through documents.rendering.frozen_document (WeasyPrint, from
   the frozen HTML, then stored), timed as a whole: PDFs per second and ms per PDF.
2. The ZIP: the Billing list's ZIP (web.views.invoice_pdf.zipped_pdfs, the generator the page
   streams) drained chunk by chunk for the first 50, 200 and all invoices, the PDFs read as
   stored; tracemalloc's peak of Python memory while it runs. Streamed, the peak stays near
   one PDF's size whatever the count; a ZIP built in memory would grow with it.

Prints one JSON line: count, seconds, pdfs_per_second, ms_per_pdf, pdf_bytes_median, and
zip_peak_kib / zip_bytes per count (50, 200, count).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.time_data import add_database_option, fresh_database


def make_invoices(count: int) -> tuple:
    import datetime
    from decimal import Decimal

    from billbridge.core import testing
    from billbridge.documents.models import InvoiceTemplate
    from billbridge.invoicing import services as invoicing
    from billbridge.invoicing.totals import LineInput

    practice = testing.make_practice("PDF bench")
    admin = testing.make_admin(practice, "pdf-bench")
    invoicing.update_tax_settings(
        admin,
        primary_name="Sales tax",
        primary_rate=Decimal("8.875"),
        primary_enabled=True,
        secondary_name="City tax",
        secondary_rate=Decimal("0.5"),
        secondary_enabled=True,
    )
    InvoiceTemplate.objects.create(
        practice=practice,
        display_name="PDF Bench CPAs",
        address="12 High Street\nSpringfield, IL 62701",
        tax_id="12-3456789",
        payment_instructions="Bank transfer to account 12345678.",
        footer="Thank you for your business.",
    )
    lines = [
        LineInput("Monthly bookkeeping", Decimal("1"), Decimal("450.00"), primary_taxable=True),
        LineInput("Payroll runs", Decimal("2.5"), Decimal("80.00"), secondary_taxable=True),
        LineInput("Advisory", Decimal("1.5"), Decimal("210.00")),
    ]
    invoices = []
    for n in range(count):
        client = testing.make_client(
            practice, f"Client {n:04d}", address_line1=f"{n} Main St", city="Chicago"
        )
        testing.assign(admin, client)
        invoices.append(
            testing.make_invoice(
                admin, client, "finalized", lines=lines, issue_date=datetime.date(2026, 11, 2)
            )
        )
    return practice, invoices


def zip_figures(practice, invoices) -> tuple[int, int]:
    """tracemalloc's peak (bytes) while the ZIP of `invoices` is streamed, and its size."""
    from billbridge.web.views.invoice_pdf import _one_by_one, zipped_pdfs

    ids = [invoice.pk for invoice in invoices]
    tracemalloc.start()
    size = 0
    for chunk in zipped_pdfs(_one_by_one(practice, ids)):
        size += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, size


def report(database_url: str | None = None, count: int = 500) -> dict:
    with fresh_database(database_url):
        from django.db import connection

        from billbridge.documents.rendering import frozen_document

        practice, invoices = make_invoices(count)
        started = time.perf_counter()
        sizes = [len(frozen_document(invoice).pdf) for invoice in invoices]
        seconds = time.perf_counter() - started
        figures = {
            "database": connection.vendor,
            "count": count,
            "seconds": round(seconds, 2),
            "pdfs_per_second": round(count / seconds, 1),
            "ms_per_pdf": round(seconds / count * 1000, 1),
            "pdf_bytes_median": int(statistics.median(sizes)),
        }
        for selected in sorted({50, 200, count}):
            peak, size = zip_figures(practice, invoices[:selected])
            figures[f"zip_peak_kib_{selected}"] = round(peak / 1024)
            figures[f"zip_bytes_{selected}"] = size
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--count", type=int, default=500, help="invoices rendered (≥ 200)")
    args = parser.parse_args()
    print(json.dumps(report(args.database_url, args.count)))


if __name__ == "__main__":
    main()
