"""Deposit over HTTP: direct deposits from accounts, payments taken out of Undeposited Funds,
cash back, the bank balances, and the rules QBO keeps (a payment deposited once, whole)."""

from decimal import Decimal

import pytest

from qbo_emulator.tests._banking import account_id, balance, bank_account, batch, changed, ref
from qbo_emulator.tests._data_helpers import fault_of, money

SINCE = "2026-11-20T17:00:00+00:00"


@pytest.fixture
def accounts(api):
    return {
        "checking": account_id(api, "Checking"),
        "services": account_id(api, "Services"),
        "savings": bank_account(api, "Savings"),
    }


@pytest.fixture
def payment(api):
    """The sample company's payment of its first invoice, waiting in Undeposited Funds."""
    paid = api.rows("select * from Payment", "Payment")[0]
    assert paid["DepositToAccountRef"]["name"] == "Undeposited Funds"
    return paid


def direct(account: str, amount, **detail) -> dict:
    return {
        "Amount": amount,
        "DetailType": "DepositLineDetail",
        "DepositLineDetail": {"AccountRef": ref(account), **detail},
    }


def linked(payment: dict, amount=None) -> dict:
    return {
        "Amount": payment["TotalAmt"] if amount is None else amount,
        "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment", "TxnLineId": "0"}],
    }


def deposit(accounts, *lines, **fields) -> dict:
    return {"DepositToAccountRef": ref(accounts["checking"]), "Line": list(lines), **fields}


def test_a_direct_deposit_totals_its_lines_and_names_who_paid(api, accounts):
    check = api.rows("select * from PaymentMethod where Name = 'Check'", "PaymentMethod")[0]
    body = deposit(
        accounts,
        direct(
            accounts["services"],
            "200.00",
            Entity={"value": "1", "type": "CUSTOMER"},
            PaymentMethodRef=ref(check["Id"]),
            CheckNum="1001",
        ),
        direct(accounts["savings"], "50.25"),
        PrivateNote="Counter deposit",
    )
    created = api.create("Deposit", body)
    assert money(created["TotalAmt"]) == Decimal("250.25")
    assert created["DepositToAccountRef"] == {"value": accounts["checking"], "name": "Checking"}
    first, second = created["Line"]
    assert (first["Id"], first["LineNum"], second["Id"]) == ("1", 1, "2")
    detail = first["DepositLineDetail"]
    assert detail["Entity"] == {"value": "1", "name": "Amy's Bird Sanctuary", "type": "Customer"}
    assert detail["PaymentMethodRef"] == {"value": check["Id"], "name": "Check"}
    assert detail["CheckNum"] == "1001"
    assert "DocNumber" not in created
    # The money lands in Checking and leaves Savings; the income account is not tracked.
    assert balance(api, accounts["checking"]) == Decimal("250.25")
    assert balance(api, accounts["savings"]) == Decimal("-50.25")
    assert balance(api, accounts["services"]) == 0


def test_a_payment_in_undeposited_funds_is_deposited_once_and_whole(api, accounts, payment):
    created = api.create("Deposit", deposit(accounts, linked(payment)))
    assert created["Line"] == [
        {
            "Id": "1",
            "LineNum": 1,
            "Amount": payment["TotalAmt"],
            "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment", "TxnLineId": "0"}],
        }
    ]
    assert money(created["TotalAmt"]) == money(payment["TotalAmt"])
    assert balance(api, accounts["checking"]) == money(payment["TotalAmt"])

    again = fault_of(api.post("deposit", deposit(accounts, linked(payment))))
    assert again["code"] == "6000" and f"deposit {created['Id']}" in again["Detail"]
    part = fault_of(api.post("deposit", deposit(accounts, linked(payment, "1.00"))))
    assert (part["code"], part["element"]) == ("6000", "Line.Amount")

    # Once the deposit is gone the payment waits to be deposited again.
    api.ok(api.post("deposit", {"Id": created["Id"], "SyncToken": "0"}, operation="delete"))
    assert balance(api, accounts["checking"]) == 0
    assert (
        api.create("Deposit", deposit(accounts, linked(payment)))["TotalAmt"] == created["TotalAmt"]
    )


def test_a_linked_line_as_python_quickbooks_sends_it(api, accounts, payment):
    # DepositLine's DetailType is "DepositLineDetail" even on a line linking a payment.
    line = {
        **linked(payment),
        "DetailType": "DepositLineDetail",
        "Description": "",
        "LineNum": 0,
        "CustomField": [],
    }
    created = api.create("Deposit", deposit(accounts, line, direct(accounts["services"], 5)))
    assert created["Line"][0]["LinkedTxn"][0]["TxnId"] == payment["Id"]
    assert "DetailType" not in created["Line"][0]
    assert money(created["TotalAmt"]) == money(payment["TotalAmt"]) + 5


def test_a_payment_not_waiting_in_undeposited_funds_is_refused(api, accounts):
    direct_payment = api.create(
        "Payment",
        {"CustomerRef": ref("1"), "TotalAmt": 40, "DepositToAccountRef": ref(accounts["checking"])},
    )
    error = fault_of(api.post("deposit", deposit(accounts, linked(direct_payment))))
    assert (error["code"], error["element"]) == ("6000", "Line.LinkedTxn")
    unknown = linked({"Id": "999", "TotalAmt": 1})
    assert fault_of(api.post("deposit", deposit(accounts, unknown)))["code"] == "2500"
    other = {"Amount": 1, "LinkedTxn": [{"TxnId": "1", "TxnType": "Nonsense"}]}
    assert fault_of(api.post("deposit", deposit(accounts, other)))["code"] == "2010"


def test_cash_back_comes_off_the_total(api, accounts):
    petty = bank_account(api, "Petty Cash")
    body = deposit(
        accounts,
        direct(accounts["services"], "300.00"),
        CashBack={"AccountRef": ref(petty), "Amount": "40.00", "Memo": "Float"},
    )
    created = api.create("Deposit", body)
    assert money(created["TotalAmt"]) == Decimal("260.00")
    assert created["CashBack"]["AccountRef"] == {"value": petty, "name": "Petty Cash"}
    assert balance(api, accounts["checking"]) == Decimal("260.00")
    assert balance(api, petty) == Decimal("40.00")


@pytest.mark.parametrize(
    ("body", "code", "element"),
    [
        (
            {"Line": [{"Amount": 5, "DepositLineDetail": {"AccountRef": {"value": "3"}}}]},
            "2020",
            "DepositToAccountRef",
        ),
        ({"DepositToAccountRef": {"value": "3"}}, "2020", "Line"),
        (
            {
                "DepositToAccountRef": {"value": "3"},
                "Line": [{"Amount": 5, "DepositLineDetail": {}}],
            },
            "2020",
            "Line.DepositLineDetail.AccountRef",
        ),
        (
            {
                "DepositToAccountRef": {"value": "3"},
                "Line": [
                    {
                        "Amount": 5,
                        "DepositLineDetail": {
                            "AccountRef": {"value": "4"},
                            "Entity": {"value": "999"},
                        },
                    }
                ],
            },
            "2500",
            "Line.DepositLineDetail.Entity",
        ),
    ],
)
def test_a_deposit_qbo_refuses(api, body, code, element):
    error = fault_of(api.post("deposit", body))
    assert (error["code"], error["element"]) == (code, element)


def test_a_sparse_update_is_read_as_a_full_one(api, accounts):
    created = api.create("Deposit", deposit(accounts, direct(accounts["services"], 10)))
    sparse = {"Id": created["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "late"}
    assert fault_of(api.post("deposit", sparse))["element"] == "DepositToAccountRef"
    full = {
        **deposit(accounts, direct(accounts["services"], 25)),
        "Id": created["Id"],
        "SyncToken": "0",
    }
    updated = api.create("Deposit", full)
    assert updated["SyncToken"] == "1" and money(updated["TotalAmt"]) == 25
    assert balance(api, accounts["checking"]) == 25
    assert (
        fault_of(api.post("deposit", {"Id": created["Id"], "SyncToken": "1"}, operation="void"))[
            "code"
        ]
        == "500"
    )


def test_deposits_through_batch_query_and_cdc(api, accounts, payment):
    first, second = batch(
        api,
        {"operation": "create", "Deposit": deposit(accounts, linked(payment))},
        {"operation": "create", "Deposit": deposit(accounts, direct(accounts["services"], 7))},
    )
    ids = [first["Deposit"]["Id"], second["Deposit"]["Id"]]
    rows = api.rows(
        f"select * from Deposit where DepositToAccountRef = '{accounts['checking']}'", "Deposit"
    )
    assert [row["Id"] for row in rows] == ids
    assert [
        row["Id"] for row in api.rows("select * from Deposit where TotalAmt < '10'", "Deposit")
    ] == [ids[1]]
    assert [d["Id"] for d in changed(api, "Deposit", SINCE)] == ids
