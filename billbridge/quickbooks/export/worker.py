"""The drain: a worker exports every due row of one company, a chunk at a time.

With QBO_EXPORT_THREADS > 1, that many threads drain side by side, each claiming its own chunks:
one prepares and records in the database while another waits for QBO's answer. The shared
limiter keeps them, together, within the company's budget, and one heartbeat keeps every lease
of the drain alive (quickbooks/leases.py).
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection as db

from billbridge.core import stopping
from billbridge.quickbooks.client import QboAuthFailed, QboClient, QboError, QboThrottled
from billbridge.quickbooks.company import Company
from billbridge.quickbooks.connection import client_for, fresh_company
from billbridge.quickbooks.export.chunk import Chunk
from billbridge.quickbooks.export.claim import claim, release
from billbridge.quickbooks.export.outcomes import backoff, pause_for_reconnect
from billbridge.quickbooks.leases import Heartbeat
from billbridge.quickbooks.limiter import DatabaseLimiter
from billbridge.quickbooks.models import ConnectionStatus, QboConnection
from billbridge.quickbooks.tokens import ReconnectRequired

log = logging.getLogger(__name__)


def drain(realm_id: str, *, limiter: DatabaseLimiter | None = None) -> int:
    """Export every due row of the company; returns how many rows were worked on."""
    threads = settings.QBO_EXPORT_THREADS
    company = CompanyOnce()
    with Heartbeat() as owner:
        if threads <= 1:
            return _drain(realm_id, limiter, owner, company)
        with ThreadPoolExecutor(threads) as pool:
            futures = [
                pool.submit(_drain_in_thread, realm_id, limiter, owner, company)
                for _ in range(threads)
            ]
        return sum(future.result() for future in futures)


class CompanyOnce:
    """The company's settings, read fresh once per drain by whichever thread first needs them
    (docs/decisions/0017): the drain's threads share the one read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._company: Company | None = None

    def get(self, connection: QboConnection, client: QboClient) -> Company:
        with self._lock:  # a thread, not a database transaction: the other one waits for it
            if self._company is None:
                self._company = fresh_company(connection, client)
            return self._company


def _drain_in_thread(
    realm_id: str, limiter: DatabaseLimiter | None, owner: str, company: CompanyOnce
) -> int:
    try:
        return _drain(realm_id, limiter, owner, company)
    finally:
        db.close()  # the thread's own database connection


def _drain(realm_id: str, limiter: DatabaseLimiter | None, owner: str, company: CompanyOnce) -> int:
    connection = QboConnection.objects.filter(realm_id=realm_id).first()
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        return 0
    worked = 0
    with client_for(connection, limiter) as client:
        # A worker asked to stop claims no more: the rows left are woken for another worker
        # by the task's follow-up (quickbooks/tasks.py).
        while not stopping.requested() and (
            rows := claim(realm_id, settings.QBO_BATCH_SIZE, owner)
        ):
            worked += len(rows)
            try:
                Chunk(connection, client, company.get(connection, client), rows, owner).run()
            except (ReconnectRequired, QboAuthFailed) as exc:
                pause_for_reconnect(connection, exc)
                release(rows)
                break
            except QboThrottled:
                release(rows, delay=60)
            except QboError as exc:
                # Reading the company failed: nothing was sent, try the rows again later.
                log.warning("QBO %s: could not prepare an export chunk: %s", realm_id, exc)
                release(rows, delay=backoff(1))
                break
    return worked
