"""Invoice from WIP: a client's 5,000 unbilled entries against another's 50, grouped by work code.

Run directly (`python bench/invoice_from_wip.py [--database-url postgres://…]`) or through
`make bench` (bench/test_invoice_from_wip.py). One practice on a fresh database (a temporary
SQLite file by default), four work codes at their default rates, five staff; one client with
50 entries of WIP and another with 5,000 (time_data.py writes them). Each client's WIP becomes
a draft with `billing.invoice_from_wip` (all WIP, grouped by work code: four lines), which is
then deleted with `invoicing.services.delete_draft`, putting the work back in WIP for the next
round; the time is the median of the rounds, the invoicing alone.

Prints one JSON line: queries_50 and queries_5000 (the first round's, counted with
CaptureQueriesContext: they must be equal), seconds_50, seconds_5000 and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.time_data import add_database_option, fresh_database, make_practice, write_entries

SMALL, LARGE = 50, 5000


def measure(bench, client, rounds: int) -> tuple[int, float]:
    """The queries of the first invoice from `client`'s WIP and the median time of `rounds`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from billbridge.invoicing import services as invoicing
    from billbridge.time import billing

    wip = billing.WipBilling(client_id=client.pk, grouping="work_code")
    timings, queries = [], None
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            invoice = billing.invoice_from_wip(bench.admin, wip)
            timings.append(time.perf_counter() - started)
        if queries is None:
            queries = len(captured)
        lines = invoice.lines.count()
        assert lines == len(bench.codes), f"{lines} lines, one per work code expected"
        invoicing.delete_draft(bench.admin, invoice.pk)
    return queries, statistics.median(timings)


def report(database_url: str | None = None, rounds: int = 5) -> dict:
    with fresh_database(database_url):
        from django.db import connection

        bench = make_practice("Invoice bench", staff=5, clients=2)
        small, large = bench.clients
        write_entries(bench, SMALL, clients=[small])
        write_entries(bench, LARGE, clients=[large])
        queries_50, seconds_50 = measure(bench, small, rounds)
        queries_5000, seconds_5000 = measure(bench, large, rounds)
        return {
            "database": connection.vendor,
            "rounds": rounds,
            "queries_50": queries_50,
            "queries_5000": queries_5000,
            "seconds_50": round(seconds_50, 4),
            "seconds_5000": round(seconds_5000, 4),
            "ratio": round(seconds_5000 / seconds_50, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--rounds", type=int, default=5, help="invoices made per client")
    args = parser.parse_args()
    print(json.dumps(report(args.database_url, args.rounds)))


if __name__ == "__main__":
    main()
