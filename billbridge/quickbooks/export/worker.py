"""The drain: a worker exports every due row of one company, a chunk at a time.

With QBO_EXPORT_THREADS > 1, that many threads drain side by side, each claiming its own chunks:
one prepares and records in the database while another waits for QBO's answer. The shared
limiter keeps them, together, within the company's budget, and one heartbeat keeps every lease
of the drain alive (quickbooks/leases.py).
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection as db

from billbridge.quickbooks.client import QboAuthFailed, QboError, QboThrottled
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
    with Heartbeat() as owner:
        if threads <= 1:
            return _drain(realm_id, limiter, owner)
        with ThreadPoolExecutor(threads) as pool:
            futures = [
                pool.submit(_drain_in_thread, realm_id, limiter, owner) for _ in range(threads)
            ]
        return sum(future.result() for future in futures)


def _drain_in_thread(realm_id: str, limiter: DatabaseLimiter | None, owner: str) -> int:
    try:
        return _drain(realm_id, limiter, owner)
    finally:
        db.close()  # the thread's own database connection


def _drain(realm_id: str, limiter: DatabaseLimiter | None, owner: str) -> int:
    connection = QboConnection.objects.filter(realm_id=realm_id).first()
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        return 0
    worked = 0
    with client_for(connection, limiter) as client:
        company = None
        while rows := claim(realm_id, settings.QBO_BATCH_SIZE, owner):
            worked += len(rows)
            try:
                company = company or fresh_company(connection, client)
                Chunk(connection, client, company, rows, owner).run()
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
