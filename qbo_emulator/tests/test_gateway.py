"""The gateway: 401/403 shapes (QBO.md §2.13), intuit_tid (§2.14), request log, latency."""

import re
import time
from datetime import UTC, datetime

import pytest

from qbo_emulator.config import Config, Options
from qbo_emulator.gateway import RequestLog
from qbo_emulator.tests._fixtures_edge import edge_client

TID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")


@pytest.fixture
def edge():
    with edge_client() as edge:
        yield edge


def company_info(edge, headers=None, realm=None):
    realm = realm or edge.realm
    return edge.client.get(f"/v3/company/{realm}/companyinfo/{realm}", headers=headers or {})


def assert_gateway_fault(response, status: int, code: str, name: str, fault_type: str):
    assert response.status_code == status
    body = response.json()
    error = body["fault"]["error"][0]
    assert error["code"] == code
    assert error["message"] == f"message={name}; errorCode={int(code):06d}; statusCode={status}"
    assert error["element"] is None
    assert body["fault"]["type"] == fault_type
    assert isinstance(body["time"], int)
    assert body["batchItemResponse"] == [] and body["cdcresponse"] == []
    assert TID.match(response.headers["intuit_tid"])
    return error


def test_a_valid_token_for_the_realm_passes(edge):
    response = company_info(edge, edge.bearer())
    assert response.status_code == 200
    assert response.json()["CompanyInfo"]["CompanyName"] == "Edge Test Co"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer not-a-token"},
    ],
)
def test_missing_or_bad_tokens_get_401_3200(edge, headers):
    assert_gateway_fault(
        company_info(edge, headers), 401, "3200", "AuthenticationFailed", "AUTHENTICATION"
    )


def test_expired_token_gets_401_with_token_expired_detail(edge):
    headers = edge.bearer()
    edge.emulator.clock.advance(3600)
    error = assert_gateway_fault(
        company_info(edge, headers), 401, "3200", "AuthenticationFailed", "AUTHENTICATION"
    )
    assert error["detail"].startswith("Token expired")


def test_a_token_for_another_company_gets_403_3100(edge):
    other = edge.emulator.create_company(name="Other Co").realm_id
    error = assert_gateway_fault(
        company_info(edge, edge.bearer(), realm=other),
        403,
        "3100",
        "ApplicationAuthorizationFailed",
        "SERVICE",
    )
    assert other in error["detail"]


def test_intuit_tid_is_on_every_kind_of_response_and_unique(edge):
    responses = [
        edge.client.get("/.well-known/openid_sandbox_configuration"),
        edge.client.post("/oauth2/v1/tokens/bearer", data={}),
        edge.client.get("/_emulator/companies"),
        edge.client.get("/_emulator/ui/"),
        edge.client.get("/no/such/path"),
        company_info(edge),
        company_info(edge, edge.bearer()),
        edge.client.get(f"/v3/company/{edge.realm}/invoice/999", headers=edge.bearer()),
    ]
    tids = [r.headers.get("intuit_tid") for r in responses]
    assert all(tid and TID.match(tid) for tid in tids), tids
    assert len(set(tids)) == len(tids)


def test_request_log_records_client_calls_with_filter_and_clear(edge):
    headers = edge.bearer()
    company_info(edge, headers)
    company_info(edge)
    edge.client.get("/.well-known/openid_sandbox_configuration")
    log = edge.client.get("/_emulator/requests").json()["requests"]
    assert [(e["method"], e["status"]) for e in log] == [("GET", 200), ("GET", 401), ("GET", 200)]
    first = log[0]
    assert first["path"] == f"/v3/company/{edge.realm}/companyinfo/{edge.realm}"
    assert first["realm"] == edge.realm
    assert first["latency_ms"] >= 0 and first["time"] and TID.match(first["intuit_tid"])
    assert log[2]["realm"] is None

    only_401 = edge.client.get("/_emulator/requests", params={"status": 401}).json()["requests"]
    assert len(only_401) == 1
    by_glob = edge.client.get("/_emulator/requests", params={"path": "/v3/company/*"}).json()
    assert len(by_glob["requests"]) == 2
    by_realm = edge.client.get("/_emulator/requests", params={"realm": edge.realm, "limit": 1})
    assert len(by_realm.json()["requests"]) == 1
    assert edge.client.get("/_emulator/requests", params={"status": "x"}).status_code == 400
    assert edge.client.get("/_emulator/requests", params={"limit": 0}).status_code == 400

    assert edge.client.delete("/_emulator/requests").status_code == 200
    assert edge.client.get("/_emulator/requests").json()["requests"] == []


def test_control_calls_are_not_logged(edge):
    edge.client.get("/_emulator/companies")
    assert edge.client.get("/_emulator/requests").json()["requests"] == []


def test_configured_latency_delays_data_api_calls_only():
    config = Config()
    config.options.update({"latency_ms": 600})
    with edge_client(config) as edge:
        headers = edge.bearer()
        started = time.perf_counter()
        assert company_info(edge, headers).status_code == 200
        assert time.perf_counter() - started >= 0.6
        started = time.perf_counter()
        edge.client.get("/.well-known/openid_sandbox_configuration")
        assert time.perf_counter() - started < 0.5


def test_unexpected_errors_become_qbos_system_fault_with_a_tid():
    from starlette.testclient import TestClient

    from qbo_emulator.app import Runtime
    from qbo_emulator.gateway import Gateway
    from qbo_emulator.store import Emulator

    async def broken(scope, receive, send):
        raise RuntimeError("boom")

    client = TestClient(Gateway(broken, Runtime(Emulator(), Config())))  # no lifespan
    for path in ("/oauth2/v1/tokens/bearer", "/_emulator/companies"):
        response = client.get(path)
        assert response.status_code == 500
        assert response.json()["Fault"]["type"] == "SystemFault"
        assert TID.match(response.headers["intuit_tid"])


def test_concurrent_clients_on_several_companies_get_consistent_ids():
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from qbo_emulator.testing import running_emulator

    with running_emulator() as qbo:
        realms = [qbo.emulator.create_company(name=f"Co {n}").realm_id for n in range(2)]
        tokens = {realm: qbo.connect(realm)["access_token"] for realm in realms}

        def create(n: int):
            realm = realms[n % 2]
            response = httpx.post(
                f"{qbo.api_url}/company/{realm}/customer",
                json={"DisplayName": f"Customer {n}"},
                headers={"Authorization": f"Bearer {tokens[realm]}"},
                timeout=10,
            )
            return realm, response.status_code, response.json()["Customer"]["Id"]

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(create, range(60)))
    assert {status for _, status, _ in results} == {200}
    for realm in realms:
        ids = [customer_id for r, _, customer_id in results if r == realm]
        assert sorted(ids, key=int) == [str(n) for n in range(1, 31)]


def test_payments_over_http_and_by_the_qbo_user_at_once_keep_balances_consistent():
    """Clients paying invoices over HTTP while the QBO user receives payments directly (another
    thread): every invoice's Balance stays TotalAmt minus what is applied to it, and every
    customer's Balance the sum of its invoices'."""
    import contextlib
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from decimal import Decimal

    import httpx

    from qbo_emulator.faults import QboFault
    from qbo_emulator.testing import running_emulator

    with running_emulator() as qbo:
        company = qbo.emulator.create_company(name="Busy Co", seed="sample")
        url = f"{qbo.api_url}/company/{company.realm_id}"
        headers = {"Authorization": f"Bearer {qbo.connect(company.realm_id)['access_token']}"}

        def invoice_and_pay(n: int) -> set[int]:
            customer = {"value": str(n % 13 + 1)}
            line = {"Amount": 10, "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}  # fmt: skip
            with httpx.Client(headers=headers, timeout=10) as client:
                made = client.post(f"{url}/invoice", json={"CustomerRef": customer, "Line": [line]})
                link = {"TxnId": made.json()["Invoice"]["Id"], "TxnType": "Invoice"}
                paid = client.post(
                    f"{url}/payment",
                    json={"CustomerRef": customer, "TotalAmt": 4,
                          "Line": [{"Amount": 4, "LinkedTxn": [link]}]},
                )  # fmt: skip
                return {made.status_code, paid.status_code}

        stop = threading.Event()

        def qbo_user():
            while not stop.is_set():
                for invoice in company.list("Invoice"):
                    # The list is a moment old: a client may have paid the rest meanwhile.
                    with contextlib.suppress(QboFault):
                        company.receive_payment(invoice["Id"], Decimal("1"))

        user = threading.Thread(target=qbo_user)
        user.start()
        try:
            with ThreadPoolExecutor(max_workers=6) as pool:
                statuses = set().union(*pool.map(invoice_and_pay, range(48)))
        finally:
            stop.set()
            user.join()
        applied: dict[str, Decimal] = {}
        for payment in company.list("Payment"):
            for line in payment.get("Line", []):
                for link in line["LinkedTxn"]:
                    applied[link["TxnId"]] = applied.get(link["TxnId"], 0) + line["Amount"]
        owed: dict[str, Decimal] = {}
        for invoice in company.list("Invoice"):
            assert invoice["Balance"] == invoice["TotalAmt"] - applied.get(invoice["Id"], 0)
            customer_id = invoice["CustomerRef"]["value"]
            owed[customer_id] = owed.get(customer_id, 0) + invoice["Balance"]
        for customer in company.list("Customer"):
            assert customer["Balance"] == owed.get(customer["Id"], 0)
    assert 200 in statuses and statuses <= {200, 400}  # 400: the QBO user paid it off first


def test_a_request_that_began_before_the_log_was_cleared_is_not_logged_after_it():
    log = RequestLog(lambda: datetime.now(UTC), Options())
    began = log.generation
    log.clear()  # a test's reset while the request was held
    log.record(generation=began, method="POST", path="/v3/company/1/payment", status=200)
    log.record(generation=log.generation, method="GET", path="/v3/company/1/query", status=200)
    assert [entry["method"] for entry in log.entries()] == ["GET"]
