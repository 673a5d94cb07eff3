"""`make bench` wrapper for bench/emulator_throughput.py (figures go to bench/README.md)."""

import pytest

from bench.emulator_throughput import report


@pytest.mark.bench
def test_emulator_throughput_and_throttle_limits():
    throughput, throttle = report()
    # Structural checks only (bench/README.md): every request answered, and no minute of
    # emulator time admitted more than the configured limits while the throttle was refusing.
    assert all(row["ok"] == row["requests"] for row in throughput)
    assert throttle["refused_429"] > 0
    assert throttle["busiest_minute"] <= throttle["limit_per_minute"]
    assert throttle["busiest_batch_minute"] <= throttle["batch_limit_per_minute"]
