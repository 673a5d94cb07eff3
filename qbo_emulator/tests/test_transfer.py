"""Transfer over HTTP: money between two balance-sheet accounts, bank balances following it."""

from decimal import Decimal

import pytest

from qbo_emulator.tests._banking import account_id, balance, bank_account, batch, changed, ref
from qbo_emulator.tests._data_helpers import fault_of, money

SINCE = "2026-11-20T17:00:00+00:00"  # an hour before the fixtures' frozen clock


@pytest.fixture
def accounts(api):
    return {"checking": account_id(api, "Checking"), "savings": bank_account(api, "Savings")}


def transfer(accounts, amount="100.00", **fields) -> dict:
    return {
        "FromAccountRef": ref(accounts["checking"]),
        "ToAccountRef": ref(accounts["savings"]),
        "Amount": amount,
        **fields,
    }


def test_a_transfer_moves_money_between_the_two_bank_accounts(api, accounts):
    created = api.create("Transfer", transfer(accounts, PrivateNote="To savings"))
    assert created["SyncToken"] == "0"
    assert money(created["Amount"]) == Decimal("100.00")
    assert created["FromAccountRef"] == {"value": accounts["checking"], "name": "Checking"}
    assert created["ToAccountRef"] == {"value": accounts["savings"], "name": "Savings"}
    assert created["TxnDate"] == "2026-11-20"
    assert created["CurrencyRef"]["value"] == "USD"
    assert "DocNumber" not in created and "Line" not in created
    assert balance(api, accounts["checking"]) == Decimal("-100.00")
    assert balance(api, accounts["savings"]) == Decimal("100.00")
    assert api.read("Transfer", created["Id"]) == created


def test_updating_and_deleting_a_transfer_moves_the_balances_again(api, accounts):
    created = api.create("Transfer", transfer(accounts))
    body = transfer(accounts, "150.00", Id=created["Id"], SyncToken="0")
    updated = api.create("Transfer", body)
    assert updated["SyncToken"] == "1" and money(updated["Amount"]) == 150
    assert balance(api, accounts["savings"]) == Decimal("150.00")
    sparse = {"Id": created["Id"], "SyncToken": "1", "sparse": True, "PrivateNote": "moved"}
    noted = api.create("Transfer", sparse)
    assert noted["PrivateNote"] == "moved" and money(noted["Amount"]) == 150
    deleted = api.ok(
        api.post("transfer", {"Id": created["Id"], "SyncToken": "2"}, operation="delete")
    )
    assert deleted["Transfer"] == {"domain": "QBO", "status": "Deleted", "Id": created["Id"]}
    assert balance(api, accounts["checking"]) == balance(api, accounts["savings"]) == 0
    assert fault_of(api.get(f"transfer/{created['Id']}"))["code"] == "610"


@pytest.mark.parametrize(
    ("change", "code", "element"),
    [
        ({"ToAccountRef": None}, "2020", "ToAccountRef"),
        ({"Amount": None}, "2020", "Amount"),
        ({"Amount": "0"}, "2010", "Amount"),
        ({"Amount": "-5"}, "2010", "Amount"),
        ({"ToAccountRef": {"value": "999"}}, "2500", "ToAccountRef"),
        ({"ToAccountRef": "same"}, "6000", "ToAccountRef"),
        ({"ToAccountRef": "income"}, "6000", "ToAccountRef"),
    ],
)
def test_a_transfer_qbo_refuses(api, accounts, change, code, element):
    body = transfer(accounts)
    for key, value in change.items():
        if value == "same":
            value = ref(accounts["checking"])
        elif value == "income":
            value = ref(account_id(api, "Services"))
        body[key] = value
    error = fault_of(api.post("transfer", body))
    assert (error["code"], error["element"]) == (code, element)
    assert api.rows("select * from Transfer", "Transfer") == []
    assert balance(api, accounts["checking"]) == 0


def test_an_inactive_account_is_refused_and_a_transfer_is_not_voided(api, accounts):
    created = api.create("Transfer", transfer(accounts))
    assert (
        fault_of(api.post("transfer", {"Id": created["Id"], "SyncToken": "0"}, operation="void"))[
            "code"
        ]
        == "500"
    )
    api.create(
        "Account", {"Id": accounts["savings"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    assert fault_of(api.post("transfer", transfer(accounts)))["code"] == "610"


def test_transfers_are_queried_by_amount_and_date(api, accounts):
    small = api.create("Transfer", transfer(accounts, "20.00", TxnDate="2026-11-01"))
    large = api.create("Transfer", transfer(accounts, "500.00"))
    assert [
        t["Id"] for t in api.rows("select * from Transfer where Amount > '100'", "Transfer")
    ] == [large["Id"]]
    rows = api.rows("select * from Transfer where TxnDate < '2026-11-10'", "Transfer")
    assert [t["Id"] for t in rows] == [small["Id"]]


def test_transfers_through_batch_and_cdc(api, accounts):
    created, refused = batch(
        api,
        {"operation": "create", "Transfer": transfer(accounts, "30.00")},
        {"operation": "create", "Transfer": transfer(accounts, "0")},
    )
    assert money(created["Transfer"]["Amount"]) == 30
    assert refused["Fault"]["Error"][0]["code"] == "2010"
    assert balance(api, accounts["savings"]) == Decimal("30.00")
    transfer_id = created["Transfer"]["Id"]
    batch(api, {"operation": "delete", "Transfer": {"Id": transfer_id, "SyncToken": "0"}})
    assert changed(api, "Transfer", SINCE) == [
        {
            "domain": "QBO",
            "status": "Deleted",
            "Id": transfer_id,
            "MetaData": {"LastUpdatedTime": "2026-11-20T10:00:00-08:00"},
        }
    ]
