"""`manage.py import_time`: its output, what it stores and its exit status (in-process with
call_command, as a subprocess cannot see the test's transaction), and its --help in a process
of its own."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billbridge.time.models import Entry
from billbridge.time.tests.test_import_store import SAM, toggl

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def csv_file(tmp_path):
    def writing(*rows: dict[str, str]) -> str:
        path = tmp_path / "march.csv"
        path.write_bytes(toggl(*rows))
        return str(path)

    return writing


def run(*args: str) -> tuple[int, str]:
    """The command's exit status and what it printed (stdout, then the error)."""
    out = io.StringIO()
    try:
        call_command("import_time", *args, stdout=out, stderr=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def test_a_clean_file_is_stored_and_said_so(people, csv_file):
    status, output = run(csv_file({}, SAM), "--format", "toggl", "--user", "alice")
    assert status == 0
    assert output.splitlines() == [
        "march.csv (Toggl Track): 2 rows: 2 ready, 0 already imported, 0 skipped, "
        "0 with a name that matches nothing, 0 in error.",
        "Stored 2 entries.",
    ]
    assert Entry.objects.count() == 2
    assert Entry.objects.first().history.get().note.startswith("march.csv, line")


def test_the_same_file_again_adds_nothing(people, csv_file):
    path = csv_file({})
    run(path, "--format", "toggl", "--user", "alice")
    status, output = run(path, "--format", "toggl", "--user", "alice")
    assert (status, Entry.objects.count()) == (0, 1)
    assert "0 ready, 1 already imported" in output


def test_rows_in_error_refuse_the_whole_file_unless_skip_errors(people, csv_file):
    path = csv_file({}, {"Start date": ""}, {"Client": "Globex"})
    status, output = run(path, "--format", "toggl", "--user", "alice")
    assert status == 1
    assert output.splitlines()[1:] == [
        "Names that match nothing (map them with --map-person, --map-client or --map-work-code):",
        '  client "Globex": 1 row (--map-client "globex=…")',
        "line 3: Start date is empty",
        "Nothing was stored: 2 rows in error or with a name that matches nothing. Fix the file "
        "or map the names, or give --skip-errors to store the ready rows only.",
    ]
    assert Entry.objects.count() == 0

    status, output = run(path, "--format", "toggl", "--user", "alice", "--skip-errors")
    assert (status, Entry.objects.count()) == (0, 1)
    assert output.endswith("Stored 1 entry.\n")


def test_names_are_mapped_on_the_command_line(people, client_a, work_codes, csv_file):
    path = csv_file(
        {"User": "S. Okafor", "Email": ""}, {"Client": "ACME Ltd"}, {"Task": "Tax"}, {"Client": "X"}
    )
    status, output = run(
        path,
        "--format=toggl",
        "--user=alice",
        "--map-person",
        "s. okafor=sam",
        "--map-client",
        "Acme Ltd=acme widgets",
        "--map-client",
        "X=",
        "--map-work-code",
        "tax=Tax preparation",
    )
    assert status == 0, output
    assert "3 ready, 0 already imported, 1 skipped" in output
    assert sorted(Entry.objects.values_list("staff__user__username", flat=True)) == [
        "alice",
        "alice",
        "sam",
    ]


def test_a_dry_run_stores_nothing(people, csv_file):
    status, output = run(csv_file({}), "--format", "toggl", "--user", "alice", "--dry-run")
    assert (status, Entry.objects.count()) == (0, 0)
    assert output.endswith("Dry run: 1 entry would be stored.\n")


def test_someone_elses_time_without_process_time_is_an_error(people, csv_file):
    status, output = run(csv_file({}, SAM), "--format", "toggl", "--user", "sam")
    assert status == 1
    assert "line 2: You need the “Process time” permission to import Alice Archer's time." in (
        output
    )


def test_a_file_that_is_not_an_export_is_refused_with_status_1(people, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert run(str(path), "--format", "toggl", "--user", "alice") == (
        1,
        "The file is empty; export the report again and choose that file. Nothing was stored.",
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--user", "nobody"], "No active member named 'nobody'."),
        (["--user", "alice", "--map-person", "Jane"], "--map-person 'Jane': write NAME=VALUE."),
        (
            ["--user", "alice", "--map-client", "Globex=Globex"],
            "--map-client 'Globex=Globex': no client named 'Globex' in Ledger & Co (or more "
            "than one).",
        ),
    ],
)
def test_bad_arguments_exit_with_status_2(people, csv_file, args, message):
    assert run(csv_file({}), "--format", "toggl", *args) == (2, message)
    assert run("/no/such/file.csv", "--format", "toggl", "--user", "alice") == (
        2,
        "No file /no/such/file.csv.",
    )
    assert Entry.objects.count() == 0


def test_help_starts_in_a_fresh_process_and_says_what_is_stored():
    done = subprocess.run(
        [sys.executable, "manage.py", "import_time", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "--skip-errors" in done.stdout
    assert "then nothing is stored" in " ".join(done.stdout.split())
    bad = subprocess.run(
        [sys.executable, "manage.py", "import_time", "x.csv", "--format", "excel"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert "invalid choice: 'excel'" in bad.stderr
