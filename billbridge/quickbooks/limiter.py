"""The per-company request budget, shared by every worker and web process through the database.

QBO allows a company 500 requests a minute, 10 a second and 40 batch requests a minute
(QBO.md §2.12). Each request is written down (QboRequest) before it is sent, under the
connection's row lock, and only when the sliding windows have room; a 429 rests the company a
minute (RELIABILITY.md §4.4). The windows are a second longer than Intuit's so that our clock and
theirs never disagree about which minute a request fell in: the throttles set the floor of a bulk
export's time, so the budget is the published limits, not a fraction of them (see
docs/decisions/0010-qbo-request-budget.md).
"""

import random
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from billbridge.quickbooks.models import QboConnection, QboRequest

MINUTE = timedelta(seconds=61)
SECOND = timedelta(seconds=1.05)
THROTTLE_REST = timedelta(seconds=60)
KEEP = timedelta(minutes=3)


class DatabaseLimiter:
    """Implements the client's Limiter protocol. `sleep` and `now` are replaceable for tests."""

    def __init__(self, *, sleep=time.sleep, now=timezone.now):
        self._sleep = sleep
        self._now = now
        self.waited = 0.0  # seconds spent waiting for room, for benchmarks and logs

    def acquire(self, realm_id: str, *, is_batch: bool, is_read: bool) -> None:
        while True:
            wait = self._try_take(realm_id, is_batch=is_batch, is_read=is_read)
            if wait <= 0:
                return
            self.waited += wait
            self._sleep(wait)

    def _try_take(self, realm_id: str, *, is_batch: bool, is_read: bool) -> float:
        """Take a place and return 0, or return how long to wait before asking again."""
        with transaction.atomic():
            # The connection row serializes the realm's takers across processes.
            paused_until = (
                QboConnection.objects.select_for_update()
                .filter(realm_id=realm_id)
                .values_list("paused_until", flat=True)
                .first()
            )
            now = self._now()
            if paused_until and paused_until > now:
                return (paused_until - now).total_seconds()
            recent = QboRequest.objects.filter(realm_id=realm_id, at__gt=now - MINUTE)
            counts = recent.aggregate(
                minute=Count("id"),
                second=Count("id", filter=Q(at__gt=now - SECOND)),
                batch=Count("id", filter=Q(is_batch=True)),
            )
            windows = [
                (counts["second"], settings.QBO_REQUESTS_PER_SECOND, SECOND, recent),
                (counts["minute"], settings.QBO_REQUESTS_PER_MINUTE, MINUTE, recent),
            ]
            if is_batch:
                windows.append(
                    (
                        counts["batch"],
                        settings.QBO_BATCH_REQUESTS_PER_MINUTE,
                        MINUTE,
                        recent.filter(is_batch=True),
                    )
                )
            wait = max(_room(*window, now) for window in windows)
            if wait > 0:
                return wait
            QboRequest.objects.create(realm_id=realm_id, at=now, is_batch=is_batch, is_read=is_read)
            if is_read:
                _count_read(realm_id, now)
            if random.random() < 0.02:  # noqa: S311 - housekeeping, not security
                QboRequest.objects.filter(realm_id=realm_id, at__lt=now - KEEP).delete()
            return 0.0

    def throttled(self, realm_id: str) -> None:
        """QBO answered 429: nobody sends to this company for a minute and a little more."""
        rest = THROTTLE_REST + timedelta(seconds=random.uniform(0, 5))  # noqa: S311
        QboConnection.objects.filter(realm_id=realm_id).update(paused_until=self._now() + rest)


def _room(count: int, limit: int, window: timedelta, requests, now) -> float:
    """Seconds until a window holding `count` requests has room for one more under `limit`."""
    if count < limit:
        return 0.0
    # The request that must leave the window first: the (count - limit + 1)-th oldest in it.
    oldest_blocking = (
        requests.filter(at__gt=now - window).order_by("at").values_list("at", flat=True)
    )[count - limit]
    return max((oldest_blocking + window - now).total_seconds(), 0.001)


def _count_read(realm_id: str, now) -> None:
    """Intuit meters reads by the month (RELIABILITY.md §4.2): the settings page shows the count."""
    month = now.strftime("%Y-%m")
    connections = QboConnection.objects.filter(realm_id=realm_id)
    if not connections.filter(reads_month=month).update(reads_this_month=F("reads_this_month") + 1):
        connections.update(reads_month=month, reads_this_month=1)
