"""`make bench` wrapper for bench/emulator_scale.py (figures go to bench/README.md)."""

import pytest

from bench.emulator_scale import CHANGED, SIZES, report


@pytest.mark.bench
def test_emulator_scale_figures():
    figures = report()
    # Structural checks only (bench/README.md): every request answered, each at both sizes,
    # and the answers measured are the ones meant (a full last page, CDC's changed invoices).
    assert all(row["ok"] == row["requests"] > 0 for row in figures["requests"])
    names = {row["request"] for row in figures["requests"]}
    assert set(figures["ratio"]) == names and len(figures["requests"]) == len(names) * len(SIZES)
    for state in figures["sizes"].values():
        assert state["cdc_objects"] == CHANGED and state["last_page_rows"] == 100
        assert state["file_mb"] > 0 and state["load_seconds"] > 0
