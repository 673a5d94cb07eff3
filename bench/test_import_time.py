"""`make bench` wrapper for bench/import_time.py (figures go to bench/README.md)."""

import pytest

from bench.import_time import SIZES
from bench.time_data import run_script


@pytest.mark.bench
def test_import_reads_and_stores_every_row_of_5000_20000_and_50000():
    figures = run_script("import_time.py")
    # Structural only (bench/README.md): every row read, and every row stored (none refused
    # by the entry rules); times and memory are reported, not asserted.
    for step in ("parser", "store"):
        for size in SIZES:
            assert figures[step][str(size)]["rows"] == size, (step, size)
