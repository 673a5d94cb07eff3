"""`make bench` wrapper for bench/paid_sync.py (figures go to bench/README.md)."""

import pytest

from bench.paid_sync import report, unpaid_count


@pytest.mark.bench
def test_paid_in_quickbooks_closes_with_webhooks_and_by_change_data_capture_alone():
    summary = report(count=500, dropped_count=100, cdc_interval=30)
    # Structural checks only (bench/README.md): every paid invoice closed, no unpaid one did.
    for run, count in (("webhooks", 500), ("dropped", 100)):
        assert summary[run]["paid"] == count
        assert summary[run]["closed_paid"] == count
        assert summary[run]["unpaid"] == unpaid_count(count)
        assert summary[run]["closed_unpaid"] == 0
    # The second run's notifications never reached Billbridge: the poll alone closed them.
    assert summary["webhooks"]["webhook_events_stored"] > 0
    assert summary["dropped"]["webhook_events_stored"] == 0
    assert summary["dropped"]["webhook_drops_left"] > 0
