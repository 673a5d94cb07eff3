"""The control API under /_emulator/ (README.md documents every call used here)."""

import json
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

from qbo_emulator.app import create_app
from qbo_emulator.faults import QboFault
from qbo_emulator.store import Emulator
from qbo_emulator.tests._fixtures_edge import edge_client


@pytest.fixture
def edge():
    with edge_client(seed="sample") as edge:
        yield edge


def open_invoice(edge) -> dict:
    return next(i for i in edge.emulator.company(edge.realm).list("Invoice") if i["Balance"] > 0)


def test_index_lists_the_calls(edge):
    calls = edge.client.get("/_emulator/").json()["calls"]
    assert "POST /_emulator/faults" in calls and "POST /_emulator/clock" in calls


def test_companies_are_created_listed_shown_and_deleted(edge):
    created = edge.client.post(
        "/_emulator/companies",
        json={
            "name": "Control Co",
            "seed": "empty",
            "realm_id": "4620816365000000001",
            "preferences": {"custom_txn_numbers": True},
        },
    )
    assert created.status_code == 201
    assert created.json()["realm_id"] == "4620816365000000001"
    assert created.json()["preferences"]["custom_txn_numbers"] is True
    listed = edge.client.get("/_emulator/companies").json()["companies"]
    assert [c["name"] for c in listed] == ["Edge Test Co", "Control Co"]
    shown = edge.client.get("/_emulator/companies/4620816365000000001").json()
    assert shown["country"] == "US"
    assert edge.client.delete("/_emulator/companies/4620816365000000001").status_code == 200
    assert edge.client.get("/_emulator/companies/4620816365000000001").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"seed": "galaxy"},
        {"name": 7},
        {"preferences": {"colour": True}},
        {"preferences": "yes"},
    ],
)
def test_bad_company_input_is_400(edge, body):
    response = edge.client.post("/_emulator/companies", json=body)
    assert response.status_code == 400
    assert response.json()["error"]


def test_a_duplicate_realm_id_is_400(edge):
    response = edge.client.post("/_emulator/companies", json={"realm_id": edge.realm})
    assert response.status_code == 400


def test_bad_json_bodies_are_400(edge):
    assert edge.client.post("/_emulator/companies", content=b"{nope").status_code == 400
    assert edge.client.post("/_emulator/companies", content=b"[1]").status_code == 400


def test_preferences_change_and_show_in_the_qbo_preferences(edge):
    response = edge.client.patch(
        f"/_emulator/companies/{edge.realm}/preferences",
        json={"sales_tax": True, "book_close_date": "2026-01-31"},
    )
    assert response.status_code == 200
    assert response.json()["preferences"]["book_close_date"] == "2026-01-31"
    preferences = edge.client.get(
        f"/v3/company/{edge.realm}/preferences", headers=edge.bearer()
    ).json()["Preferences"]
    assert preferences["TaxPrefs"]["UsingSalesTax"] is True
    assert preferences["AccountingInfoPrefs"]["BookCloseDate"] == "2026-01-31"
    for bad in ({"nope": 1}, {"country": "GB"}, {"sales_tax": "yes"}):
        response = edge.client.patch(f"/_emulator/companies/{edge.realm}/preferences", json=bad)
        assert response.status_code == 400


def test_reset_company_reseeds_under_the_same_realm(edge):
    edge.create_customer("Temporary")
    response = edge.client.post(
        f"/_emulator/companies/{edge.realm}/reset", json={"seed": "empty", "country": "CA"}
    )
    assert response.status_code == 200
    assert response.json()["country"] == "CA"
    names = [c["DisplayName"] for c in edge.emulator.company(edge.realm).list("Customer")]
    assert "Temporary" not in names


@pytest.mark.parametrize(
    "body",
    [{"seed": "nope"}, {"preferences": {"nope": True}}, {"preferences": {"sales_tax": "x"}},
     {"preferences": {"time_zone": "Mars/Olympus"}}, {"preferences": {"book_close_date": "x"}}],
)  # fmt: skip
def test_a_refused_reset_keeps_the_company(edge, body):
    edge.create_customer("Survivor")
    response = edge.client.post(f"/_emulator/companies/{edge.realm}/reset", json=body)
    assert response.status_code == 400
    names = [c["DisplayName"] for c in edge.emulator.company(edge.realm).list("Customer")]
    assert "Survivor" in names


def test_state_lists_objects_with_exact_money(edge):
    listed = edge.client.get(f"/_emulator/companies/{edge.realm}/invoice").json()["objects"]
    assert {i["TotalAmt"] for i in listed} >= {"306.00", "198.60"}


def test_receive_full_payment_closes_the_invoice(edge):
    invoice = open_invoice(edge)
    response = edge.client.post(
        f"/_emulator/companies/{edge.realm}/invoices/{invoice['Id']}/receive-payment"
    )
    assert response.status_code == 201
    assert Decimal(response.json()["Payment"]["TotalAmt"]) == invoice["Balance"]
    assert edge.emulator.company(edge.realm).read("Invoice", invoice["Id"])["Balance"] == 0


def test_receive_partial_payment_leaves_the_rest_open(edge):
    invoice = open_invoice(edge)
    url = f"/_emulator/companies/{edge.realm}/invoices/{invoice['Id']}/receive-payment"
    assert edge.client.post(url, json={"amount": "10.50"}).status_code == 201
    after = edge.emulator.company(edge.realm).read("Invoice", invoice["Id"])
    assert after["Balance"] == invoice["Balance"] - Decimal("10.50")
    for bad in ("ten", -5, 0, "NaN", 1e30, "0.001"):
        assert edge.client.post(url, json={"amount": bad}).status_code == 400


def test_void_delete_and_edit_invoices_as_a_qbo_user(edge):
    company = edge.emulator.company(edge.realm)
    base = f"/_emulator/companies/{edge.realm}/invoices"
    open_ids = [i["Id"] for i in company.list("Invoice") if i["Balance"] == i["TotalAmt"]]
    voided = edge.client.post(f"{base}/{open_ids[0]}/void").json()["Invoice"]
    assert Decimal(voided["TotalAmt"]) == 0
    edited = edge.client.post(f"{base}/{open_ids[1]}/edit", json={"PrivateNote": "Edited in QBO"})
    assert edited.status_code == 200
    assert company.read("Invoice", open_ids[1])["PrivateNote"] == "Edited in QBO"
    assert edge.client.post(f"{base}/{open_ids[1]}/delete").status_code == 200
    with pytest.raises(QboFault):
        company.read("Invoice", open_ids[1])
    assert edge.client.post(f"{base}/{open_ids[1]}/edit", json={}).status_code == 400
    assert edge.client.post(f"{base}/{open_ids[0]}/explode").status_code == 404


def test_payments_can_be_voided_and_deleted_reopening_invoices(edge):
    company = edge.emulator.company(edge.realm)
    invoice = open_invoice(edge)
    payment = company.receive_payment(invoice["Id"])
    base = f"/_emulator/companies/{edge.realm}/payments"
    assert edge.client.post(f"{base}/{payment['Id']}/delete").status_code == 200
    assert company.read("Invoice", invoice["Id"])["Balance"] == invoice["Balance"]
    again = company.receive_payment(invoice["Id"])
    assert edge.client.post(f"{base}/{again['Id']}/void").status_code == 200
    assert company.read("Invoice", invoice["Id"])["Balance"] == invoice["Balance"]


def test_qbo_faults_from_user_actions_keep_their_shape(edge):
    response = edge.client.post(f"/_emulator/companies/{edge.realm}/invoices/999/void")
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0]["code"] == "610"
    assert edge.client.post("/_emulator/companies/1/invoices/1/void").status_code == 404


def test_clock_can_be_set_advanced_and_frozen(edge):
    response = edge.client.post("/_emulator/clock", json={"set": "2027-03-01T12:00:00+00:00"})
    assert response.json()["now"].startswith("2027-03-01T12:00:00")
    response = edge.client.post("/_emulator/clock", json={"advance": 90, "freeze": True})
    assert response.json() == {"now": "2027-03-01T12:01:30+00:00", "frozen": True}
    assert edge.client.get("/_emulator/clock").json()["now"] == "2027-03-01T12:01:30+00:00"
    for bad in ({"set": "tomorrow"}, {"advance": "1h"}, {"freeze": "yes"}, {"warp": 1}):
        assert edge.client.post("/_emulator/clock", json=bad).status_code == 400
    for raw in (b'{"advance": 1e400}', b'{"advance": 1e300}', b'{"advance": -1e11}'):
        assert edge.client.post("/_emulator/clock", content=raw).status_code == 400
    for far in ("9999-12-31T23:00:00+00:00", "0001-01-01T00:00:00+00:00"):
        # Years the emulator cannot add token lifetimes to are refused, not served as 500s.
        assert edge.client.post("/_emulator/clock", json={"set": far}).status_code == 400
    assert edge.client.get("/_emulator/clock").json()["now"] == "2027-03-01T12:01:30+00:00"


def test_deeply_nested_control_bodies_are_400(edge):
    deep = b"[" * 100_000 + b"]" * 100_000
    assert edge.client.post("/_emulator/faults", content=deep).status_code == 400
    changes = b'{"changes":{"PrivateNote":' + b'{"a":' * 900 + b"1" + b"}" * 901 + b"}"
    url = f"/_emulator/companies/{edge.realm}/invoices/1/edit"
    assert edge.client.post(url, content=changes).status_code == 400


def test_options_change_and_refuse_bad_values(edge):
    response = edge.client.patch(
        "/_emulator/options", json={"throttle": True, "latency_ms": 5, "honour_request_id": False}
    )
    assert response.status_code == 200
    assert response.json()["throttle"] is True and response.json()["latency_ms"] == 5
    assert edge.emulator.honour_request_id is False
    for bad in ({"latency_ms": -1}, {"warp": 1}, {"throttle": "maybe"}, {"honour_request_id": 1}):
        assert edge.client.patch("/_emulator/options", json=bad).status_code == 400
    for raw in (b'{"latency_ms": 1e400}', b'{"max_hang_seconds": 1e400}'):  # infinite numbers
        assert edge.client.patch("/_emulator/options", content=raw).status_code == 400
    assert edge.client.get("/_emulator/options").json()["latency_ms"] == 5


def test_apps_are_registered_changed_and_removed(edge):
    app = {
        "client_id": "billbridge-test",
        "client_secret": "s3cret",
        "redirect_uris": ["http://127.0.0.1:8001/cb"],
        "webhook_url": "http://127.0.0.1:8001/hooks",
        "webhook_format": "legacy",
    }
    assert edge.client.post("/_emulator/apps", json=app).status_code == 201
    changed = edge.client.patch("/_emulator/apps/billbridge-test", json={"verifier_token": "v2"})
    assert changed.json()["verifier_token"] == "v2"
    assert changed.json()["webhook_format"] == "legacy"
    ids = [a["client_id"] for a in edge.client.get("/_emulator/apps").json()["apps"]]
    assert ids == ["emulator-client", "billbridge-test"]
    assert edge.client.delete("/_emulator/apps/billbridge-test").status_code == 200
    assert edge.client.get("/_emulator/apps/billbridge-test").status_code == 404


@pytest.mark.parametrize(
    "app",
    [
        {"client_id": "x"},
        {"client_id": "x", "client_secret": "y", "redirect_uris": ["not a url"]},
        {"client_id": "x", "client_secret": "y", "webhook_url": "ftp://host/x"},
        {"client_id": "x", "client_secret": "y", "webhook_format": "xml"},
        {"client_id": "x", "client_secret": "y", "shoe_size": 9},
        {"client_id": "x", "client_secret": "y", "redirect_uris": 5},
        {"client_id": "x", "client_secret": "y", "webhook_entities": "Invoice"},
        {"client_id": 5, "client_secret": "y"},
    ],
)
def test_bad_apps_are_400(edge, app):
    response = edge.client.post("/_emulator/apps", json=app)
    assert response.status_code == 400, response.text


def test_tokens_can_be_issued_expired_and_revoked(edge):
    issued = edge.client.post("/_emulator/tokens", json={"realm_id": edge.realm})
    assert issued.status_code == 201
    tokens = issued.json()
    assert tokens["realmId"] == edge.realm
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    url = f"/v3/company/{edge.realm}/companyinfo/{edge.realm}"
    assert edge.client.get(url, headers=headers).status_code == 200

    expired = edge.client.post("/_emulator/tokens/expire", json={"token": tokens["access_token"]})
    assert expired.json() == {"grants": 1}
    assert edge.client.get(url, headers=headers).status_code == 401
    refreshed = edge.refresh(tokens["refresh_token"]).json()
    headers = {"Authorization": f"Bearer {refreshed['access_token']}"}
    assert edge.client.get(url, headers=headers).status_code == 200

    edge.client.post("/_emulator/tokens/expire", json={"realm_id": edge.realm, "which": "refresh"})
    assert edge.refresh(refreshed["refresh_token"]).status_code == 400

    assert edge.client.post("/_emulator/tokens/revoke", json={"realm_id": edge.realm}).json() == {
        "grants": 1
    }
    assert edge.client.get(url, headers=headers).status_code == 401
    grants = edge.client.get("/_emulator/tokens").json()["grants"]
    assert [g["revoked"] for g in grants] == [True]


@pytest.mark.parametrize(
    "path, body",
    [
        ("/_emulator/tokens", {}),
        ("/_emulator/tokens", {"realm_id": "nope"}),
        ("/_emulator/tokens", {"realm_id": "R", "client_id": "nobody"}),
        ("/_emulator/tokens/expire", {}),
        ("/_emulator/tokens/expire", {"realm_id": "R", "which": "all"}),
        ("/_emulator/tokens/revoke", {}),
    ],
)
def test_bad_token_calls_are_4xx(edge, path, body):
    body = {key: (edge.realm if value == "R" else value) for key, value in body.items()}
    assert edge.client.post(path, json=body).status_code in (400, 404)


def test_connecting_needs_a_registered_app(edge):
    edge.client.delete("/_emulator/apps/emulator-client")
    assert edge.client.post("/_emulator/tokens", json={"realm_id": edge.realm}).status_code == 404


def test_reset_forgets_companies_tokens_and_faults(edge):
    edge.connect()
    edge.client.post("/_emulator/faults", json={"path": "/x", "status": 500})
    assert edge.client.post("/_emulator/reset").json() == {"reset": True}
    assert edge.client.get("/_emulator/companies").json()["companies"] == []
    assert edge.client.get("/_emulator/tokens").json()["grants"] == []
    assert edge.client.get("/_emulator/faults").json()["faults"] == []


def test_state_is_saved_and_restored_with_tokens_and_apps(edge, tmp_path):
    tokens = edge.connect()
    edge.client.post("/_emulator/apps", json={"client_id": "kept", "client_secret": "s"})
    target = tmp_path / "state.json"
    assert edge.client.post("/_emulator/state/save", json={"path": str(target)}).status_code == 200
    snapshot = json.loads(target.read_text())
    assert snapshot["format"] == "qbo-emulator-state/1"

    emulator = Emulator()
    emulator.clock.set(edge.emulator.clock.now())
    app = create_app(emulator)
    app.state.runtime.load(target)
    with TestClient(app) as client:
        response = client.get(
            f"/v3/company/{edge.realm}/companyinfo/{edge.realm}",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        assert response.status_code == 200
        assert client.get("/_emulator/apps/kept").status_code == 200
    assert edge.client.post("/_emulator/state/save", json={}).status_code == 400
    missing_dir = {"path": str(tmp_path / "missing" / "state.json")}
    assert edge.client.post("/_emulator/state/save", json=missing_dir).status_code == 400


def test_the_control_api_refuses_callers_that_are_not_on_loopback():
    app = create_app(Emulator())
    with TestClient(app, client=("203.0.113.9", 40000)) as client:
        response = client.get("/_emulator/companies")
    assert response.status_code == 403
