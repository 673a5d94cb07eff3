"""Per-company throttles (QBO.md §2.12): requests/minute, batch/minute, concurrent requests."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from qbo_emulator.config import Config, Options
from qbo_emulator.gateway import Throttle
from qbo_emulator.testing import running_emulator
from qbo_emulator.tests._fixtures_edge import edge_client


def throttled(**limits) -> Config:
    config = Config()
    config.options.update({"throttle": True, **limits})
    return config


def read(edge, headers, realm=None):
    realm = realm or edge.realm
    return edge.client.get(f"/v3/company/{realm}/companyinfo/{realm}", headers=headers)


def test_throttles_are_off_by_default_with_qbo_limits_ready():
    options = Options()
    assert options.throttle is False
    assert (options.requests_per_minute, options.concurrent_requests) == (500, 10)
    assert options.batch_requests_per_minute == 40


def test_requests_over_the_minute_limit_get_429_3001_until_the_minute_passes():
    with edge_client(throttled(requests_per_minute=3)) as edge:
        headers = edge.bearer()
        assert [read(edge, headers).status_code for _ in range(3)] == [200, 200, 200]
        refused = read(edge, headers)
        assert refused.status_code == 429
        fault = refused.json()["Fault"]
        assert fault["Error"][0]["code"] == "3001"
        assert fault["Error"][0]["Detail"] == "The request limit was reached.  Try again later"
        assert refused.headers["intuit_tid"]
        edge.emulator.clock.advance(59)
        assert read(edge, headers).status_code == 429
        edge.emulator.clock.advance(2)
        assert read(edge, headers).status_code == 200


def test_each_company_has_its_own_window():
    with edge_client(throttled(requests_per_minute=1)) as edge:
        other = edge.emulator.create_company(name="Other").realm_id
        assert read(edge, edge.bearer()).status_code == 200
        assert read(edge, edge.bearer()).status_code == 429
        assert read(edge, edge.bearer(other), other).status_code == 200


def test_batch_requests_have_their_own_lower_limit():
    with edge_client(throttled(requests_per_minute=100, batch_requests_per_minute=2)) as edge:
        headers = edge.bearer()
        url = f"/v3/company/{edge.realm}/batch"
        body = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Customer"}]}
        statuses = [edge.client.post(url, json=body, headers=headers).status_code for _ in range(3)]
        assert statuses[:2] == [200, 200] and statuses[2] == 429
        assert read(edge, headers).status_code == 200  # plain calls are still under their limit


def test_unauthenticated_calls_do_not_use_up_the_limit():
    with edge_client(throttled(requests_per_minute=1)) as edge:
        assert read(edge, {}).status_code == 401
        assert read(edge, edge.bearer()).status_code == 200


def test_concurrency_slots_are_held_while_a_request_runs():
    clock = [datetime(2026, 1, 1, tzinfo=UTC)]
    throttle = Throttle(lambda: clock[0], Options(concurrent_requests=2))
    assert throttle.admit("r", False) and throttle.admit("r", False)
    assert not throttle.admit("r", False)
    assert throttle.admit("other", False)
    throttle.release("r")
    assert throttle.admit("r", False)
    clock[0] += timedelta(minutes=5)
    assert not throttle.admit("r", False)  # slots, not time, limit concurrency


@pytest.mark.parametrize("value", [0, -1, "many"])
def test_limits_must_be_positive_numbers(value):
    with pytest.raises(ValueError):
        Options().update({"requests_per_minute": value})


def test_more_than_the_concurrent_limit_in_flight_get_429_over_http():
    config = throttled(concurrent_requests=2)
    with running_emulator(config=config) as qbo:
        realm = qbo.emulator.create_company(name="Busy").realm_id
        token = qbo.connect(realm)["access_token"]
        # Each call holds its slot for 2 s after doing its work, so all three overlap.
        httpx.post(
            f"{qbo.control_url}/faults",
            json={
                "kind": "hang",
                "after_commit": True,
                "seconds": 2,
                "count": 3,
                "path": "/v3/company/*/companyinfo/*",
            },
        ).raise_for_status()
        url = f"{qbo.api_url}/company/{realm}/companyinfo/{realm}"

        def call(_):
            return httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)

        with ThreadPoolExecutor(max_workers=3) as pool:
            statuses = sorted(r.status_code for r in pool.map(call, range(3)))
        assert statuses == [200, 200, 429]
