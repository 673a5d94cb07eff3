"""`make bench` wrapper for bench/invoice_from_wip.py (figures go to bench/README.md)."""

import pytest

from bench.time_data import run_script


@pytest.mark.bench
def test_invoice_from_wip_costs_the_same_queries_for_5000_entries_as_for_50():
    figures = run_script("invoice_from_wip.py")
    # Structural only (bench/README.md): the query count does not grow with the entries.
    assert figures["queries_5000"] == figures["queries_50"]
