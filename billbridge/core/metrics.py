"""The counters Billbridge's code increments where things happen, read by /metrics
(operations/metrics.py). Here in core so that every layer can count.

Each process counts its own; under gunicorn and the task workers, PROMETHEUS_MULTIPROC_DIR (set
by `make serve`) makes prometheus_client keep them in files there, which the endpoint adds up.
Labels stay bounded: a company's realm id (one per connection, never a practice's name) and a
handful of outcomes. What the database already knows (export rows, connections) is not counted
here but read at scrape time.
"""

import functools

from prometheus_client import Counter

QBO_REQUESTS = Counter(
    "billbridge_qbo_requests",
    "HTTP requests sent to QuickBooks Online, by company and what came back.",
    ["realm", "outcome"],
)
QBO_THROTTLED = Counter(
    "billbridge_qbo_throttled",
    "Answers from QuickBooks Online asking for a pause (HTTP 429 or fault 3001), by company.",
    ["realm"],
)
TOKEN_REFRESH_FAILURES = Counter(
    "billbridge_qbo_token_refresh_failures",
    "Access token refreshes that failed: invalid_grant (the user must reconnect) or unavailable.",
    ["realm", "reason"],
)
WEBHOOK_DELIVERIES = Counter(
    "billbridge_webhook_deliveries",
    "Deliveries posted to Intuit's webhook URL, by how they were answered.",
    ["outcome"],
)

# Statuses worth telling apart: an access token refused, a company not allowed, a throttle.
_QBO_STATUSES_BY_CODE = {401, 403, 429}
# The webhook view's answers (quickbooks/views.py): 200 whatever a signed body holds.
_WEBHOOK_OUTCOMES = {200: "accepted", 401: "bad_signature", 413: "too_large"}


def qbo_request(realm_id: str, answer: int | str) -> None:
    """Count one request to a company: `answer` is its HTTP status, or the word for why none
    came ("timeout", "connection_failed"). Statuses are counted by class (2xx, 4xx, 5xx) except
    401, 403 and 429."""
    if isinstance(answer, int):
        answer = str(answer) if answer in _QBO_STATUSES_BY_CODE else f"{answer // 100}xx"
    QBO_REQUESTS.labels(realm=realm_id, outcome=answer).inc()


def counts_webhook_deliveries(view):
    """Wraps the webhook view: each delivery it answers is counted by its outcome."""

    @functools.wraps(view)
    def counted(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        outcome = _WEBHOOK_OUTCOMES.get(response.status_code, "other")
        WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()
        return response

    return counted
