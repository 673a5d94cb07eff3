"""The per-company request budget, on a fake clock: the sleeps it asks for are the test."""

from datetime import UTC, datetime, timedelta

import pytest

from billbridge.core import testing
from billbridge.quickbooks.limiter import DatabaseLimiter
from billbridge.quickbooks.models import QboConnection, QboRequest

pytestmark = pytest.mark.qbo_budget  # the budget as configured, not lifted for tests


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(db):
    practice = testing.make_practice()
    QboConnection.objects.create(practice=practice, realm_id="123")
    return Clock()


@pytest.fixture
def limiter(clock):
    return DatabaseLimiter(sleep=clock.sleep, now=lambda: clock.now)


def test_ten_a_second_then_the_eleventh_waits_for_the_second_to_pass(limiter, clock):
    for _ in range(10):
        limiter.acquire("123", is_batch=False, is_read=True)
    assert clock.slept == []
    limiter.acquire("123", is_batch=False, is_read=True)
    assert clock.slept == [1.05]


def test_forty_batches_a_minute_then_the_next_waits_for_the_window(limiter, clock, settings):
    settings.QBO_REQUESTS_PER_SECOND = 1000
    for _ in range(40):
        limiter.acquire("123", is_batch=True, is_read=False)
        clock.now += timedelta(seconds=0.5)  # 40 batches over 20 seconds
    limiter.acquire("123", is_batch=True, is_read=False)
    # The first batch leaves the 61-second window 41 seconds from now.
    assert clock.slept == [41.0]
    # Single requests are not held back by the batch window.
    limiter.acquire("123", is_batch=False, is_read=True)
    assert clock.slept == [41.0]


def test_five_hundred_a_minute(limiter, clock, settings):
    settings.QBO_REQUESTS_PER_SECOND = 1000
    for _ in range(500):
        limiter.acquire("123", is_batch=False, is_read=False)
    limiter.acquire("123", is_batch=False, is_read=False)
    assert clock.slept == [61.0]
    assert QboRequest.objects.filter(realm_id="123").count() == 501


def test_a_429_rests_the_company_about_a_minute(limiter, clock):
    limiter.throttled("123")
    limiter.acquire("123", is_batch=False, is_read=True)
    assert len(clock.slept) == 1
    assert 60 <= clock.slept[0] <= 65


def test_companies_have_separate_budgets(limiter, clock):
    QboConnection.objects.create(practice=testing.make_practice(), realm_id="456")
    for _ in range(10):
        limiter.acquire("123", is_batch=False, is_read=True)
    limiter.acquire("456", is_batch=False, is_read=True)
    assert clock.slept == []
