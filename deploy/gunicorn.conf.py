"""Gunicorn's settings for Billbridge in production (docs/decisions/0020-serving.md).

Everything comes from the environment, as the rest of Billbridge's settings do: BILLBRIDGE_BIND
(address:port, loopback by default: a TLS proxy sits in front), WEB_CONCURRENCY (processes;
gunicorn reads it itself) and WEB_THREADS. Threads, because a request mostly waits on the
database; a page that exports waits on nothing (the workers talk to QBO).
"""

import os

bind = os.environ.get("BILLBRIDGE_BIND", "127.0.0.1:8000")
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# A request that takes longer than this is a bug or a stuck database: the worker is replaced.
timeout = 60
# SIGTERM: requests in flight get this long to finish before the worker is stopped.
graceful_timeout = 25
accesslog = "-"
# gunicorn 27's control socket (`gunicornc`) would be written under the home directory of
# whoever runs it; nothing here uses it.
control_socket_disable = True
# Behind a proxy on the same host; set FORWARDED_ALLOW_IPS for one elsewhere.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    # Prometheus' multiprocess mode keeps a file per process; a dead one's live gauges go.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
