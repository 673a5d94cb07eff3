"""The WIP list, a client's WIP and the timesheet for a practice of 200,000 entries against one
of 1,000: queries per page (equal) and server time (a ratio).

Run directly (`python bench/wip_pages.py [--database-url postgres://…]`) or through `make
bench` (bench/test_wip_pages.py). Both practices are in the same fresh database (a temporary
SQLite file by default), so the small one's pages are served from tables that hold the large
one's rows too, as a shared server's would be. time_data.py writes the entries: eight a day for
each staff member, back from today.

Both have 50 staff and 400 clients, as the Billing list benchmark gives both its practices the
same clients: only the number of entries differs, so the pages' drop-downs (clients, staff) and
the WIP list's page of 50 clients are the same size in both, and the ratio is what the entries
cost.

- Large: 200,000 entries (two years); work before the last 90 days is billed, on a finalized
  invoice per client and month, so its WIP is the last three months (about 25,000 entries).
- Small: 1,000 entries (the last three working days), all of it WIP.

Pages, as the admin (every permission) sees them, through Django's test client in this process
(no network): the WIP list's first page, the WIP of the client with the most WIP, and another
staff member's timesheet for this week (`?week=…&staff=…`; eight entries a working day up to
today in the large practice, three days of them in the small one). The first request of each
is counted (CaptureQueriesContext), then the median of REPEATS is timed, the two practices'
requests taken in turn.

Prints one JSON line: per page, queries, milliseconds and kilobytes for each practice, and the
ratio of the times. `--analyze` measures with the planner's statistics gathered first (SQLite
has none until ANALYZE runs, and without them can choose a poor index).
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.time_data import add_database_option, fresh_database, make_practice, write_entries

LARGE, SMALL = 200_000, 1_000
WIP_DAYS = 90
STAFF, CLIENTS = 50, 400
REPEATS = 15


def build(name: str, entries: int):
    from django.db.models import Count
    from django.test import Client as HttpClient
    from django.utils import timezone

    from billbridge.time.models import Entry

    bench = make_practice(name, staff=STAFF, clients=CLIENTS)
    write_entries(
        bench, entries, billed_before=timezone.localdate() - datetime.timedelta(days=WIP_DAYS)
    )
    busiest = (
        Entry.objects.filter(practice=bench.practice)
        .wip()
        .values("client_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "client_id")[0]["client_id"]
    )
    http = HttpClient()
    http.force_login(bench.admin.user)
    return http, busiest, bench.staff[1]


def pages(client_id: int, staff) -> dict[str, tuple[str, dict]]:
    from django.urls import reverse
    from django.utils import timezone

    week = {"week": timezone.localdate().isoformat(), "staff": staff.pk}
    return {
        "wip list": (reverse("web:wip-list"), {}),
        "client wip": (reverse("web:client-wip", args=[client_id]), {}),
        "timesheet": (reverse("web:timesheet"), week),
    }


def queries_and_size(http, url: str, params: dict) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = http.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    # Read now: the next request's request_started signal empties the query log it slices.
    return len(queries), len(response.content)


def median_times(*requests: tuple) -> list[float]:
    """The median time of each (http, url, params), the requests taken in turn so that a
    burst of load on the shared machine slows them alike."""
    timings: list[list[float]] = [[] for _ in requests]
    for _ in range(REPEATS):
        for (http, url, params), times in zip(requests, timings, strict=True):
            started = time.perf_counter()
            http.get(url, params)
            times.append(time.perf_counter() - started)
    return [statistics.median(times) for times in timings]


def report(database_url: str | None = None, *, analyze: bool = False) -> dict:
    with fresh_database(database_url):
        from django.db import connection
        from django.test.utils import setup_test_environment

        setup_test_environment()  # the test client's host, "testserver", is allowed
        started = time.perf_counter()
        small, large = build("Small", SMALL), build("Large", LARGE)
        if analyze:
            connection.cursor().execute("ANALYZE")
        figures = {
            "database": connection.vendor,
            "same_database": True,
            "analyzed": analyze,
            "entries": {"large": LARGE, "small": SMALL},
            "setup_seconds": round(time.perf_counter() - started, 1),
        }
        small_pages, large_pages = pages(*small[1:]), pages(*large[1:])
        for name in large_pages:
            small_request = (small[0], *small_pages[name])
            large_request = (large[0], *large_pages[name])
            small_queries, small_size = queries_and_size(*small_request)
            large_queries, large_size = queries_and_size(*large_request)
            small_time, large_time = median_times(small_request, large_request)
            figures[name] = {
                "queries_large": large_queries,
                "queries_small": small_queries,
                "ms_large": round(large_time * 1000, 1),
                "ms_small": round(small_time * 1000, 1),
                "ratio": round(large_time / small_time, 2),
                "kb_large": round(large_size / 1024),
                "kb_small": round(small_size / 1024),
            }
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="gather the planner's statistics (ANALYZE) before measuring, as a deployment "
        "that runs it would have them",
    )
    args = parser.parse_args()
    print(json.dumps(report(args.database_url, analyze=args.analyze)))


if __name__ == "__main__":
    main()
