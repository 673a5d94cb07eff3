"""Import of a Toggl Track CSV export of 5,000, 20,000 and 50,000 rows: rows per second and
peak memory, which should stay flat as the file grows.

Run directly (`python bench/import_time.py [--sizes 5000,20000,50000]`) or through `make bench`
(bench/test_import_time.py). The files are generated first (toggl_csv: a detailed report's
columns, 20 people recording eight entries of 15 minutes to 2 hours a working day back from
today, so every row is one the services accept), then each size is read by a process of its
own, so that its peak RSS is that file's alone: once timed, and again in another process under
tracemalloc (which slows Python down several times, hence not the timed pass).

Two steps are measured, each size of each in a process of its own:

- the parser, `billbridge.time.imports.reader.read_rows`: every row read to its end, nothing
  stored (no database);
- the import, `billbridge.time.imports.store.import_file`, which reads the file again, checks
  every row against the entry rules and stores them all, as confirming an import does: on a
  fresh database (a temporary SQLite file, or `--database-url`) holding one practice whose 20
  members (matched by email), 200 clients and four work codes (the file's Project column) are
  the file's, imported by its admin (Process time).

Prints one JSON line: per step and size, rows, seconds, rows_per_second, tracemalloc_peak_mb,
rss_peak_mb (the process's peak) and rss_growth_mb (the peak less the RSS before reading).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import functools
import json
import multiprocessing
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.time_data import (
    ENTRIES_PER_DAY,
    WORK_CODES,
    add_database_option,
    client_name,
    fresh_database,
    make_practice,
    person_email,
    person_name,
)

SIZES = (5_000, 20_000, 50_000)
PEOPLE, CLIENTS = 20, 200
PRACTICE = "Import bench"
TOGGL_HEADER = [
    "User",
    "Email",
    "Client",
    "Project",
    "Task",
    "Description",
    "Billable",
    "Start date",
    "Start time",
    "End date",
    "End time",
    "Duration",
    "Tags",
    "Amount (USD)",
]


def toggl_csv(path: Path, rows: int, today: datetime.date) -> None:
    """A Toggl Track detailed-report export of `rows` time entries, written as it is made."""
    codes = list(WORK_CODES)
    day, n = today, 0
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(TOGGL_HEADER)
        while n < rows:
            if day.weekday() < 5:
                for person in range(PEOPLE):
                    start = datetime.datetime.combine(day, datetime.time(8))
                    for _ in range(min(ENTRIES_PER_DAY, rows - n)):
                        minutes = 15 * (1 + n % ENTRIES_PER_DAY)
                        end = start + datetime.timedelta(minutes=minutes)
                        writer.writerow(
                            [
                                person_name(PRACTICE, person),
                                person_email(PRACTICE, person),
                                client_name(PRACTICE, n % CLIENTS),
                                codes[n % len(codes)],
                                "",
                                f"Work item {n}",
                                "Yes" if n % 10 else "No",
                                f"{day:%Y-%m-%d}",
                                f"{start:%H:%M:%S}",
                                f"{day:%Y-%m-%d}",
                                f"{end:%H:%M:%S}",
                                f"{minutes // 60:02d}:{minutes % 60:02d}:00",
                                "",
                                "",
                            ]
                        )
                        start, n = end, n + 1
            day -= datetime.timedelta(days=1)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _read_all(path: Path) -> int:
    from billbridge.time.imports.reader import read_rows

    with path.open("rb") as stream:
        rows = read_rows(stream, "toggl")
        count = 0
        for row in rows:
            assert not row.errors, (row.line, row.errors)
            count += 1
        return count


def _stored(bench, path: Path) -> int:
    from billbridge.time.imports.store import import_file

    with path.open("rb") as stream:
        result = import_file(bench.admin, stream, "toggl", file_name=path.name)
    assert result.stored == result.preview.rows, result.preview
    return result.stored


def measure(step: str, path: Path, database_url: str | None, traced: bool, out) -> None:
    """Child process: one pass of `step` ("parser" or "store") over the file, timed, or under
    tracemalloc (which slows Python down several times: its time is not kept)."""
    with contextlib.ExitStack() as stack:
        # What the step imports is imported before the peak is first read.
        if step == "store":
            stack.enter_context(fresh_database(database_url))
            from billbridge.time.imports import store  # noqa: F401

            bench = make_practice(PRACTICE, staff=PEOPLE, clients=CLIENTS)
            run = functools.partial(_stored, bench, path)
        else:
            from billbridge.time.imports import reader  # noqa: F401

            run = functools.partial(_read_all, path)
        if traced:
            tracemalloc.start()
            run()
            out.send({"tracemalloc_peak_mb": round(tracemalloc.get_traced_memory()[1] / 2**20, 2)})
            return
        before = _peak_rss_mb()
        started = time.perf_counter()
        rows = run()
        seconds = time.perf_counter() - started
        peak = _peak_rss_mb()
        out.send(
            {
                "rows": rows,
                "seconds": round(seconds, 3),
                "rows_per_second": round(rows / seconds),
                "rss_peak_mb": round(peak, 1),
                "rss_growth_mb": round(peak - before, 1),
            }
        )


def in_child(*args) -> dict:
    spawn = multiprocessing.get_context("spawn")
    receiving, sending = spawn.Pipe(duplex=False)
    child = spawn.Process(target=measure, args=(*args, sending))
    child.start()
    figures = receiving.recv()
    child.join()
    return figures


def report(sizes=SIZES, database_url: str | None = None) -> dict:
    today = datetime.date.today()
    figures: dict = {"format": "toggl", "parser": {}, "store": {}}
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        for size in sizes:
            path = Path(folder) / f"toggl-{size}.csv"
            toggl_csv(path, size, today)
            for step in ("parser", "store"):
                figures[step][str(size)] = {
                    "file_mb": round(path.stat().st_size / 2**20, 1),
                    **in_child(step, path, database_url, False),
                    **in_child(step, path, database_url, True),
                }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="rows of each file, comma-separated (at most 50,000: the import's limit)",
    )
    add_database_option(parser)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(json.dumps(report(sizes, args.database_url)))


if __name__ == "__main__":
    main()
