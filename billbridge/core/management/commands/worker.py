"""`manage.py worker`: django-tasks-db's `db_worker`, told when a stop is asked for.

The database worker already finishes the task in hand on SIGTERM before it exits; a drain of a
company's exports can hold minutes of work, so the request is passed on (core/stopping.py): the
drain finishes the chunk it sent, claims no more, and wakes another worker for the rest
(quickbooks/export/worker.py). Options are db_worker's.
"""

import os
import time

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from billbridge.core import stopping

# A Ctrl-C in a terminal reaches the worker twice, from the terminal and from honcho passing it
# on; db_worker takes a second signal as "kill the task now". One that close is the same stop.
SAME_STOP_SECONDS = 2.0


class StoppingWorker(db_worker.Worker):
    stop_asked_at: float | None = None

    def shutdown(self, signum, frame) -> None:
        now = time.monotonic()
        if self.stop_asked_at is not None and now - self.stop_asked_at < SAME_STOP_SECONDS:
            return
        self.stop_asked_at = self.stop_asked_at or now
        stopping.request()
        super().shutdown(signum, frame)


class Command(db_worker.Command):
    help = "Run queued tasks (exports, paid sync, sweeps); on SIGTERM, stop at the next safe point."

    def handle(self, *, verbosity, queue_name, exclude_queues, reload, batch, **options):
        self.configure_logging(verbosity)
        queues = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queues:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = StoppingWorker(
            queue_names=queues,
            excluded_queue_names=excluded,
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        if reload and not batch:
            # As db_worker does: the reloader's child process is the one that works.
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
