"""`make bench` wrapper for bench/pdf.py (figures go to bench/README.md)."""

import pytest

from bench.time_data import run_script


@pytest.mark.bench
def test_500_pdfs_render_and_the_zip_streams_in_flat_memory():
    figures = run_script("pdf.py")
    assert figures["count"] == 500
    # Structural only (bench/README.md): each ZIP holds every PDF, and streaming keeps the
    # memory far below the ZIP's size: what grows with the count is the ZIP's directory (an
    # entry per file, written at its end), not the PDFs, which leave one at a time.
    assert figures["zip_bytes_500"] > 9 * figures["zip_bytes_50"]
    assert figures["zip_peak_kib_500"] * 1024 < figures["zip_bytes_500"] / 4
    growth_per_invoice = (figures["zip_peak_kib_500"] - figures["zip_peak_kib_50"]) * 1024 / 450
    assert growth_per_invoice < figures["pdf_bytes_median"] / 4
