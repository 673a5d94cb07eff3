"""Leases: what a drain has claimed is its own for a short time, renewed while it works.

A drain leases the export rows it claims (and the customer names it creates) for
QBO_LEASE_SECONDS under an owner token, and a heartbeat thread renews them every quarter of
that for as long as the drain runs. A worker that dies (SIGKILL, a lost host) renews nothing,
so its rows are free again within one lease instead of after a fixed five minutes
(docs/decisions/0015-leases-and-follow-ups.md).
"""

import logging
import threading
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db import connection as db
from django.utils import timezone

from billbridge.quickbooks.models import CustomerCreation, InvoiceExport

log = logging.getLogger(__name__)


def lease_length() -> timedelta:
    return timedelta(seconds=settings.QBO_LEASE_SECONDS)


class Heartbeat:
    """`with Heartbeat() as owner:` a new owner token whose leases stay alive inside the block."""

    def __init__(self) -> None:
        self.owner = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{self.owner}", daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        return self.owner

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.QBO_LEASE_SECONDS / 4):
                try:
                    renew(self.owner)
                except DatabaseError as exc:
                    # A missed beat costs nothing while the next one comes within the lease.
                    log.warning("Could not renew the leases of drain %s: %s", self.owner, exc)
        finally:
            db.close()  # the thread's own database connection


def renew(owner: str) -> None:
    until = timezone.now() + lease_length()
    # A row given back or finished has no lease left to renew.
    InvoiceExport.objects.filter(leased_by=owner, lease_until__isnull=False).update(
        lease_until=until
    )
    CustomerCreation.objects.filter(owner=owner).update(lease_until=until)
