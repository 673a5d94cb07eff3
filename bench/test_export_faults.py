"""`make bench` wrapper for bench/export_faults.py (figures go to bench/README.md)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("export_faults.py")


@pytest.mark.bench
def test_every_fault_run_ends_with_each_invoice_in_qbo_once():
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=1800, check=True
    )
    print(done.stdout)
    runs = json.loads(done.stdout.strip().splitlines()[-1])["runs"]
    # Structural checks only (bench/README.md): nothing lost, nothing doubled, no false error,
    # and a killed worker leaves no storm of wake-ups.
    for run in runs:
        assert run["exported_once"] == run["invoices"], run
        assert (run["duplicated"], run["failed"], run["unfinished"]) == (0, 0, 0), run
        assert run["customers_created_twice"] == 0, run
    [kill] = [run for run in runs if run["run"] == "kill"]
    assert kill["drain_tasks_after_kill"] <= 5, kill
