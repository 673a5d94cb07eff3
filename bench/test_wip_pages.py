"""`make bench` wrapper for bench/wip_pages.py (figures go to bench/README.md)."""

import pytest

from bench.time_data import run_script


@pytest.mark.bench
def test_wip_pages_cost_the_same_queries_for_200000_entries_as_for_1000():
    figures = run_script("wip_pages.py")
    # Structural only (bench/README.md): no page's query count grows with the practice.
    for page in ("wip list", "client wip", "timesheet"):
        assert figures[page]["queries_large"] == figures[page]["queries_small"], page
