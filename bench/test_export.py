"""`make bench` wrapper for bench/export.py (figures go to bench/README.md)."""

import pytest

from bench.export import report


@pytest.mark.bench
def test_bulk_export_against_the_throttle_floor_and_the_sequential_baseline():
    summary = report(1000)
    # Structural checks only (bench/README.md): every invoice exported once by each run, and
    # Billbridge's exporter never made QBO refuse a request for the rate.
    for run in ("a", "baseline", "b_small", "b"):
        assert summary[run]["exported"] == summary[run]["count"]
    assert summary["a"]["refused_429"] == 0
    assert summary["a"]["batches"] == summary["b"]["batches"]
