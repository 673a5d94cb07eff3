"""Every management command and every bench script starts in a fresh process (DESIGN.md §4.0).

A test run imports modules in its own order, so an import cycle can pass every other test and
still crash `manage.py export_invoices` for a user. Here each one starts as a user starts it, in
a process of its own; they run side by side to keep this to a few seconds.
"""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

COMMANDS = sorted(
    path.stem
    for path in ROOT.glob("billbridge/*/management/commands/*.py")
    if not path.stem.startswith("_")
)
SCRIPTS = sorted(
    path for path in (ROOT / "bench").glob("*.py") if '__name__ == "__main__"' in path.read_text()
)


def _script_argv(script: Path) -> list[str]:
    if "argparse" in script.read_text():
        return [sys.executable, str(script), "--help"]
    # Nothing to ask it: load it without running its main, which checks what it imports.
    return [sys.executable, "-c", f"import runpy; runpy.run_path({str(script)!r})"]


STARTS = {
    **{f"manage.py {name}": [sys.executable, "manage.py", name, "--help"] for name in COMMANDS},
    **{f"bench/{script.name}": _script_argv(script) for script in SCRIPTS},
}


def _start(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def started() -> dict[str, subprocess.CompletedProcess]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(STARTS, pool.map(_start, STARTS.values()), strict=True))


def test_the_commands_and_scripts_are_found():
    assert {"export_invoices", "seed_demo", "create_api_token"} <= set(COMMANDS)
    assert ROOT / "bench" / "export.py" in SCRIPTS


@pytest.mark.parametrize("name", list(STARTS))
def test_starts_in_a_fresh_process(started, name):
    done = started[name]
    assert done.returncode == 0, done.stderr[-3000:]
    if "--help" in STARTS[name]:
        assert "usage:" in done.stdout
