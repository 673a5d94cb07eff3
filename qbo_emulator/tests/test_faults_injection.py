"""Faults injected through the control API: statuses, QBO faults, commit-then-drop, hangs."""

import time

import httpx
import pytest

from qbo_emulator.testing import running_emulator
from qbo_emulator.tests._fixtures_edge import edge_client


@pytest.fixture
def edge():
    with edge_client() as edge:
        yield edge


def inject(client, **spec):
    response = client.post("/_emulator/faults", json=spec)
    assert response.status_code == 201, response.text
    return response.json()["fault"]


def create_customer(edge, headers, name):
    return edge.client.post(
        f"/v3/company/{edge.realm}/customer", json={"DisplayName": name}, headers=headers
    )


def customer_names(emulator, realm):
    return sorted(c["DisplayName"] for c in emulator.company(realm).list("Customer"))


def test_next_n_matching_calls_answer_429_with_the_throttle_fault(edge):
    headers = edge.bearer()
    inject(edge.client, method="POST", path="/v3/company/*/customer", count=2, status=429)
    read = edge.client.get(f"/v3/company/{edge.realm}/companyinfo/{edge.realm}", headers=headers)
    assert read.status_code == 200  # a GET does not match a POST fault
    for name in ("A", "B"):
        response = create_customer(edge, headers, name)
        assert response.status_code == 429
        error = response.json()["Fault"]["Error"][0]
        assert error["code"] == "3001"
        assert error["Message"] == "message=ThrottleExceeded; errorCode=003001; statusCode=429"
        assert response.json()["Fault"]["type"] == "SERVICE"
        assert response.headers["intuit_tid"]
    assert create_customer(edge, headers, "C").status_code == 200
    assert customer_names(edge.emulator, edge.realm) == ["C"]
    assert edge.client.get("/_emulator/faults").json()["faults"] == []


@pytest.mark.parametrize("status", [500, 503, 504])
def test_server_errors_have_a_system_fault_body(edge, status):
    inject(edge.client, path="/v3/company/*/customer", status=status)
    response = create_customer(edge, edge.bearer(), "A")
    assert response.status_code == status
    assert response.json()["Fault"]["type"] == "SystemFault"
    # `time` in the company's zone, as every data API answer has it (US sample: Pacific).
    assert response.json()["time"].endswith(("-08:00", "-07:00"))
    assert customer_names(edge.emulator, edge.realm) == []


def test_a_429_can_come_as_xml_as_it_historically_did(edge):
    inject(edge.client, path="/v3/company/*/query", status=429, body_format="xml")
    response = edge.client.get(
        f"/v3/company/{edge.realm}/query",
        params={"query": "select * from Customer"},
        headers=edge.bearer(),
    )
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/xml")
    assert '<Error code="3001">' in response.text


def test_any_qbo_fault_can_be_injected(edge):
    inject(
        edge.client,
        kind="fault",
        path="/v3/company/*/customer",
        status=400,
        code=6000,
        message="A business validation error has occurred while processing your request",
        detail="Business Validation Error: injected",
    )
    response = create_customer(edge, edge.bearer(), "A")
    assert response.status_code == 400
    fault = response.json()["Fault"]
    assert fault["type"] == "ValidationFault"
    assert fault["Error"][0]["code"] == "6000"
    assert fault["Error"][0]["Detail"] == "Business Validation Error: injected"
    assert "time" in response.json()


def test_faults_can_target_one_realm_and_oauth_paths(edge):
    other = edge.emulator.create_company(name="Other").realm_id
    inject(edge.client, path="/v3/company/*/customer", status=500, realm=other)
    assert create_customer(edge, edge.bearer(), "Mine").status_code == 200
    inject(edge.client, method="POST", path="/oauth2/v1/tokens/bearer", status=503)
    assert edge.client.post("/oauth2/v1/tokens/bearer", data={}).status_code == 503


def test_commit_then_error_applies_the_change_but_answers_an_error(edge):
    inject(edge.client, kind="drop", path="/v3/company/*/customer", status=500)
    response = create_customer(edge, edge.bearer(), "Applied")
    assert response.status_code == 500
    assert customer_names(edge.emulator, edge.realm) == ["Applied"]


@pytest.mark.parametrize(
    "spec",
    [
        {"path": "/x", "kind": "explode"},
        {"path": "no-slash"},
        {"path": "/x", "count": 0},
        {"path": "/x", "status": 418},
        {"path": "/x", "kind": "fault", "status": 200, "code": "1"},
        {"path": "/x", "kind": "fault", "status": 400},
        {"path": "/x", "kind": "hang", "seconds": "soon"},
        {"path": "/x", "kind": "drop", "status": 302},
        {"path": "/x", "status": 429, "body_format": "yaml"},
        {"path": "/x", "status": 429, "colour": "red"},
        {"path": "/x", "kind": "fault", "status": 400, "code": "1", "fault_type": 5},
    ],
)
def test_bad_fault_specs_are_400(edge, spec):
    response = edge.client.post("/_emulator/faults", json=spec)
    assert response.status_code == 400
    assert response.json()["error"]


def test_faults_are_listed_and_cleared(edge):
    first = inject(edge.client, path="/a", status=500, count=3)
    inject(edge.client, path="/b", status=503)
    listed = edge.client.get("/_emulator/faults").json()["faults"]
    assert [(f["path"], f["remaining"]) for f in listed] == [("/a", 3), ("/b", 1)]
    assert edge.client.delete(f"/_emulator/faults/{first['id']}").json() == {"cleared": 1}
    assert edge.client.delete(f"/_emulator/faults/{first['id']}").status_code == 404
    assert edge.client.delete("/_emulator/faults").json() == {"cleared": 1}
    assert edge.client.get("/_emulator/faults").json()["faults"] == []


# Cutting a connection and hanging need a real server and a real client.


@pytest.fixture(scope="module")
def served():
    with running_emulator() as qbo:
        yield qbo


@pytest.fixture
def live(served):
    served.runtime.reset()
    realm = served.emulator.create_company(name="Live Co").realm_id
    headers = {"Authorization": "Bearer " + served.connect(realm)["access_token"]}
    with httpx.Client(base_url=served.base_url, headers=headers) as client:
        yield served, client, realm


def test_commit_then_drop_applies_the_change_and_cuts_the_connection(live):
    qbo, client, realm = live
    inject(client, kind="drop", method="POST", path="/v3/company/*/customer")
    with pytest.raises(httpx.TransportError):
        client.post(f"/v3/company/{realm}/customer", json={"DisplayName": "Dropped"})
    assert customer_names(qbo.emulator, realm) == ["Dropped"]


def test_hang_before_commit_times_the_client_out_and_applies_nothing(live):
    qbo, client, realm = live
    inject(client, kind="hang", path="/v3/company/*/customer", seconds=1.5)
    with pytest.raises(httpx.ReadTimeout):
        client.post(f"/v3/company/{realm}/customer", json={"DisplayName": "Never"}, timeout=0.3)
    assert customer_names(qbo.emulator, realm) == []


def test_hang_after_commit_applies_then_answers_late(live):
    qbo, client, realm = live
    inject(client, kind="hang", path="/v3/company/*/customer", seconds=1.0, after_commit=True)
    with pytest.raises(httpx.ReadTimeout):
        client.post(f"/v3/company/{realm}/customer", json={"DisplayName": "Late"}, timeout=0.3)
    deadline = time.monotonic() + 3  # applied before the hang, however busy the machine is
    while not customer_names(qbo.emulator, realm) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert customer_names(qbo.emulator, realm) == ["Late"]


def test_a_patient_client_sees_the_hang_end_in_504(live):
    qbo, client, realm = live
    inject(client, kind="hang", path="/v3/company/*/customer", seconds=0.3)
    response = client.post(f"/v3/company/{realm}/customer", json={"DisplayName": "X"})
    assert response.status_code == 504
    assert customer_names(qbo.emulator, realm) == []


def test_requestid_can_be_ignored_so_a_retry_duplicates(live):
    qbo, client, realm = live
    url = f"/v3/company/{realm}/customer"
    params = {"requestid": "retry-1", "minorversion": "75"}
    first = client.post(url, json={"DisplayName": "Once"}, params=params)
    again = client.post(url, json={"DisplayName": "Once"}, params=params)
    assert first.json()["Customer"]["Id"] == again.json()["Customer"]["Id"]

    assert client.patch("/_emulator/options", json={"honour_request_id": False}).status_code == 200
    params = {"requestid": "retry-2", "minorversion": "75"}
    assert client.post(url, json={"DisplayName": "Twice"}, params=params).status_code == 200
    duplicate = client.post(url, json={"DisplayName": "Twice"}, params=params)
    assert duplicate.status_code == 400  # executed again: QBO refuses the duplicate name
    assert duplicate.json()["Fault"]["Error"][0]["code"] == "6240"
    client.patch("/_emulator/options", json={"honour_request_id": True})
