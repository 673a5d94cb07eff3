"""The throttles of QBO.md §2.12: Intuit's published limits, each an option, on with --throttle.

Limits: https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles (500
requests a minute per company; 10 a second per company and app; 40 batch requests a minute per
company and app, 120 per company) and Intuit's 2016 post
https://developer.intuit.com/hub/blog/2016/08/08/idg-concurrent-api-use-changes-coming-soon (10
requests in flight per company and app). The 429 body: python-quickbooks#43, #83 and
quickbooks-ruby PR #348 (XML, even to a client asking for JSON).
"""

import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from qbo_emulator.config import (
    THROTTLE_LIMITS,
    Config,
    ConfigError,
    Options,
    demo_app,
    options_from_environment,
)
from qbo_emulator.gateway import Throttle
from qbo_emulator.testing import running_emulator
from qbo_emulator.tests._fixtures_edge import edge_client

INTUIT = "{http://schema.intuit.com/finance/v3}"


def throttled(**limits) -> Config:
    config = Config()
    config.options.update({"throttle": True, **limits})
    return config


def read(edge, headers, realm=None):
    realm = realm or edge.realm
    return edge.client.get(f"/v3/company/{realm}/companyinfo/{realm}", headers=headers)


def batch(edge, headers):
    body = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Customer"}]}
    return edge.client.post(f"/v3/company/{edge.realm}/batch", json=body, headers=headers)


def bearer_of_app(edge, client_id: str) -> dict:
    """A token for another registered app connected to the same company."""
    edge.runtime.config.register_app(demo_app(client_id=client_id))
    grant = edge.runtime.tokens.issue_grant(client_id=client_id, realm_id=edge.realm)
    return {"Authorization": "Bearer " + grant["access_token"]}


def test_throttles_are_off_by_default_with_intuits_limits_ready():
    options = Options()
    assert options.throttle is False
    assert (options.requests_per_minute, options.requests_per_second) == (500, 10)
    assert options.concurrent_requests == 10
    assert (options.batch_requests_per_minute, options.company_batch_requests_per_minute) == (
        40,
        120,
    )
    assert options.throttle_body_format == "xml"


def test_over_the_minute_limit_the_answer_is_intuits_xml_429_until_the_minute_passes():
    with edge_client(throttled(requests_per_minute=3)) as edge:
        headers = {**edge.bearer(), "Accept": "application/json"}
        assert [read(edge, headers).status_code for _ in range(3)] == [200, 200, 200]
        refused = read(edge, headers)
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/xml")
        assert refused.headers["intuit_tid"]
        assert "retry-after" not in refused.headers
        fault = ET.fromstring(refused.text).find(f"{INTUIT}Fault")
        assert fault.get("type") == "SERVICE"
        error = fault.find(f"{INTUIT}Error")
        assert error.get("code") == "3001"
        assert error.findtext(f"{INTUIT}Message") == (
            "message=ThrottleExceeded; errorCode=003001; statusCode=429"
        )
        assert error.findtext(f"{INTUIT}Detail") == (
            "The request limit was reached.  Try again later"
        )
        edge.emulator.clock.advance(59)
        assert read(edge, headers).status_code == 429
        edge.emulator.clock.advance(2)
        assert read(edge, headers).status_code == 200


def test_the_429_can_be_json_instead():
    with edge_client(throttled(requests_per_minute=1, throttle_body_format="json")) as edge:
        headers = edge.bearer()
        read(edge, headers)
        fault = read(edge, headers).json()["Fault"]
        assert (fault["type"], fault["Error"][0]["code"]) == ("SERVICE", "3001")
        assert fault["Error"][0]["Detail"] == "The request limit was reached.  Try again later"


def test_each_company_has_its_own_window():
    with edge_client(throttled(requests_per_minute=1)) as edge:
        other = edge.emulator.create_company(name="Other").realm_id
        assert read(edge, edge.bearer()).status_code == 200
        assert read(edge, edge.bearer()).status_code == 429
        assert read(edge, edge.bearer(other), other).status_code == 200


def test_ten_a_second_per_company_and_app_inside_the_companys_minute():
    with edge_client(throttled(requests_per_second=2, requests_per_minute=5)) as edge:
        first, second = edge.bearer(), bearer_of_app(edge, "second-app")
        assert [read(edge, first).status_code for _ in range(3)] == [200, 200, 429]
        assert read(edge, second).status_code == 200  # its own second
        edge.emulator.clock.advance(1)
        assert [read(edge, first).status_code for _ in range(2)] == [200, 200]
        assert read(edge, second).status_code == 429  # the company's 5 a minute are used up


def test_batch_requests_have_lower_limits_per_app_and_per_company():
    limits = {"batch_requests_per_minute": 1, "company_batch_requests_per_minute": 2}
    with edge_client(throttled(**limits)) as edge:
        apps = [edge.bearer(), bearer_of_app(edge, "app-b"), bearer_of_app(edge, "app-c")]
        assert [batch(edge, apps[0]).status_code for _ in range(2)] == [200, 429]
        assert batch(edge, apps[1]).status_code == 200
        assert batch(edge, apps[2]).status_code == 429  # the company's 2 a minute
        assert read(edge, apps[2]).status_code == 200  # plain calls are still under their limit
        edge.emulator.clock.advance(61)
        assert batch(edge, apps[2]).status_code == 200


def test_batch_requests_count_in_the_companys_minute_too():
    with edge_client(throttled(requests_per_minute=2)) as edge:
        headers = edge.bearer()
        assert [batch(edge, headers).status_code for _ in range(2)] == [200, 200]
        assert read(edge, headers).status_code == 429


def test_unauthenticated_calls_do_not_use_up_the_limit():
    with edge_client(throttled(requests_per_minute=1)) as edge:
        assert read(edge, {}).status_code == 401
        assert read(edge, edge.bearer()).status_code == 200


def test_concurrency_slots_are_held_per_company_and_app_while_a_request_runs():
    clock = [datetime(2026, 1, 1, tzinfo=UTC)]
    throttle = Throttle(lambda: clock[0], Options(concurrent_requests=2, requests_per_second=99))
    assert throttle.admit("r", "a", False) and throttle.admit("r", "a", False)
    assert not throttle.admit("r", "a", False)
    assert throttle.admit("r", "b", False)
    assert throttle.admit("other", "a", False)
    throttle.release("r", "a")
    assert throttle.admit("r", "a", False)
    clock[0] += timedelta(minutes=5)
    assert not throttle.admit("r", "a", False)  # slots, not time, limit concurrency


@pytest.mark.parametrize("name", THROTTLE_LIMITS)
@pytest.mark.parametrize("value", [0, -1, "many"])
def test_limits_must_be_positive_numbers(name, value):
    with pytest.raises(ConfigError):
        Options().update({name: value})


def test_every_limit_comes_from_the_environment_too():
    options = options_from_environment(
        {
            "QBO_EMULATOR_REQUESTS_PER_SECOND": "3",
            "QBO_EMULATOR_THROTTLE_BODY_FORMAT": "json",
            "QBO_EMULATOR_COMPANY_BATCH_REQUESTS_PER_MINUTE": "7",
        },
        throttle=True,
    )
    assert (options.requests_per_second, options.company_batch_requests_per_minute) == (3, 7)
    assert (options.throttle, options.throttle_body_format) == (True, "json")
    with pytest.raises(ConfigError):
        Options().update({"throttle_body_format": "yaml"})


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
