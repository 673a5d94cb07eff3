"""The state file: its encoding, a write that a crash cannot tear, periodic saves, a kill."""

import json
import os
import stat
import time
from decimal import Decimal

import httpx
import pytest

from qbo_emulator import state_file
from qbo_emulator.app import create_app
from qbo_emulator.tests.test_main import free_port, start


def test_decimals_are_tagged_and_other_numbers_stay_plain():
    value = {"a": Decimal("2"), "b": 2, "c": 0.5, "d": Decimal("1E+2"), "e": Decimal("-0.00")}
    text = state_file.encode(value)
    assert json.loads(text)["a"] == {"$decimal": "2"} and json.loads(text)["b"] == 2
    decoded = state_file.decode(text)
    assert [(type(v), str(v)) for v in decoded.values()] == [
        (Decimal, "2"), (int, "2"), (float, "0.5"), (Decimal, "1E+2"), (Decimal, "-0.00")
    ]  # fmt: skip
    # An object that only looks like a tag stays what it was.
    assert state_file.decode('{"$decimal": 5}') == {"$decimal": 5}
    assert state_file.decode('{"$decimal": "many"}') == {"$decimal": "many"}


def test_a_write_reaches_the_disk_file_and_directory(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(handle):
        synced.append(stat.S_ISDIR(os.fstat(handle).st_mode))
        real_fsync(handle)

    monkeypatch.setattr(os, "fsync", fsync)
    target = state_file.write(tmp_path / "state.json", ['{"a":', "1}"])
    assert json.loads(target.read_text()) == {"a": 1}
    assert synced == [False, True]  # the file, then the directory holding its new name


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    target.write_text('{"old": true}')

    def fail(handle):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError):
        state_file.write(target, ['{"new": true}'])
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_the_periodic_save_writes_only_when_something_changed(tmp_path, emulator):
    target = tmp_path / "state.json"
    runtime = create_app(emulator, state_path=target, save_interval=1).state.runtime
    company = emulator.create_company(name="Periodic Co")
    runtime.save_if_changed()
    written = target.stat().st_ino  # every save writes a new file and renames it over the old
    runtime.save_if_changed()
    assert target.stat().st_ino == written
    company.create("Customer", {"DisplayName": "New"})
    runtime.save_if_changed()
    assert target.stat().st_ino != written
    written = target.stat().st_ino
    runtime.tokens.issue_grant(client_id=runtime.config.apps()[0].client_id,
                               realm_id=company.realm_id)  # fmt: skip
    runtime.save_if_changed()  # a new connection is state too
    assert target.stat().st_ino != written


def test_a_killed_server_keeps_what_the_periodic_save_wrote(tmp_path):
    state = tmp_path / "qbo-state.json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    flags = ("--state", str(state), "--save-interval", "0.2", "--seed", "empty")
    process = start(port, *flags)
    try:
        (company,) = httpx.get(f"{base}/_emulator/companies").json()["companies"]
        realm = company["realm_id"]
        token = httpx.post(f"{base}/_emulator/tokens", json={"realm_id": realm})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        api = f"{base}/v3/company/{realm}"
        customer = httpx.post(f"{api}/customer", json={"DisplayName": "Kept Co"}, headers=headers)
        body = {
            "CustomerRef": {"value": customer.json()["Customer"]["Id"]},
            "Line": [{"Amount": 12.3, "DetailType": "SalesItemLineDetail",
                      "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}],
        }  # fmt: skip
        invoice = httpx.post(f"{api}/invoice", json=body, headers=headers).json()["Invoice"]
        _wait_for_saved_invoice(state, invoice["Id"])
    finally:
        process.kill()  # SIGKILL: no shutdown save
        process.communicate(timeout=20)
    assert [p.name for p in tmp_path.iterdir()] == [state.name]  # no temporary left behind

    process = start(port, *flags)
    try:
        again = httpx.get(f"{api}/invoice/{invoice['Id']}", headers=headers)
        assert again.status_code == 200  # the connection was saved too
        assert again.json()["Invoice"]["TotalAmt"] == 12.3
        assert again.json()["Invoice"]["CustomerRef"]["name"] == "Kept Co"
    finally:
        process.kill()
        process.communicate(timeout=20)


def _wait_for_saved_invoice(state, invoice_id: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if state.exists():
            (company,) = state_file.read(state)["emulator"]["companies"]
            if invoice_id in company["tables"].get("Invoice", {}):
                return
        time.sleep(0.05)
    pytest.fail("the periodic save did not write the invoice")
