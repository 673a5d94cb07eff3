"""JournalEntry over HTTP: debits equal credits, A/R and A/P lines name their party, bank
balances follow the lines."""

from decimal import Decimal

import pytest

from qbo_emulator.tests._banking import account_id, balance, batch, changed, ref
from qbo_emulator.tests._data_helpers import fault_of, money

SINCE = "2026-11-20T17:00:00+00:00"
DETAIL = "Line.JournalEntryLineDetail"


@pytest.fixture
def accounts(api):
    names = {
        "checking": "Checking",
        "equity": "Opening Balance Equity",
        "receivable": "Accounts Receivable (A/R)",
        "payable": "Accounts Payable (A/P)",
        "income": "Services",
    }
    return {key: account_id(api, name) for key, name in names.items()}


def posting(kind: str, account: str, amount, **detail) -> dict:
    return {
        "Amount": amount,
        "DetailType": "JournalEntryLineDetail",
        "JournalEntryLineDetail": {"PostingType": kind, "AccountRef": ref(account), **detail},
    }


def entry(*lines, **fields) -> dict:
    return {"Line": list(lines), **fields}


def test_a_balanced_entry_totals_its_debits_and_moves_the_bank(api, accounts):
    body = entry(
        {**posting("Debit", accounts["checking"], "500.00"), "Description": "Opening balance"},
        posting("Credit", accounts["equity"], "500.00"),
        {"DetailType": "DescriptionOnly", "Description": "Agreed with the bank statement"},
        DocNumber="JE-1",
        PrivateNote="Start",
    )
    created = api.create("JournalEntry", body)
    assert money(created["TotalAmt"]) == Decimal("500.00")
    assert created["DocNumber"] == "JE-1" and created["Adjustment"] is False
    assert [line["Id"] for line in created["Line"]] == ["1", "2", "3"]
    assert created["Line"][0]["Description"] == "Opening balance"
    detail = created["Line"][0]["JournalEntryLineDetail"]
    assert detail == {
        "PostingType": "Debit",
        "AccountRef": {"value": accounts["checking"], "name": "Checking"},
    }
    assert balance(api, accounts["checking"]) == Decimal("500.00")
    # QBO accepts a journal number used before.
    again = api.create(
        "JournalEntry",
        entry(
            posting("Credit", accounts["checking"], 80),
            posting("Debit", accounts["equity"], 80),
            DocNumber="JE-1",
            Adjustment=True,
        ),
    )
    assert again["Adjustment"] is True
    assert balance(api, accounts["checking"]) == Decimal("420.00")


def test_an_unbalanced_entry_is_refused(api, accounts):
    body = entry(
        posting("Debit", accounts["checking"], 100), posting("Credit", accounts["equity"], 99)
    )
    error = fault_of(api.post("journalentry", body))
    assert (error["code"], error["element"]) == ("6000", "Line")
    assert "100" in error["Detail"] and "99" in error["Detail"]
    assert api.rows("select * from JournalEntry", "JournalEntry") == []
    assert balance(api, accounts["checking"]) == 0


@pytest.mark.parametrize(
    ("detail", "code", "element"),
    [
        ({"PostingType": None}, "2020", f"{DETAIL}.PostingType"),
        ({"PostingType": "Both"}, "2010", f"{DETAIL}.PostingType"),
        ({"AccountRef": None}, "2020", f"{DETAIL}.AccountRef"),
        ({"AccountRef": {"value": "999"}}, "2500", f"{DETAIL}.AccountRef"),
        (
            {"Entity": {"Type": "Partner", "EntityRef": {"value": "1"}}},
            "2010",
            f"{DETAIL}.Entity.Type",
        ),
        (
            {"Entity": {"Type": "Customer", "EntityRef": {"value": "999"}}},
            "2500",
            f"{DETAIL}.Entity.EntityRef",
        ),
    ],
)
def test_a_line_qbo_refuses(api, accounts, detail, code, element):
    line = posting("Debit", accounts["checking"], 10)
    line["JournalEntryLineDetail"].update(detail)
    body = entry(line, posting("Credit", accounts["equity"], 10))
    error = fault_of(api.post("journalentry", body))
    assert (error["code"], error["element"]) == (code, element)


def test_a_negative_line_amount_is_refused(api, accounts):
    body = entry(
        posting("Debit", accounts["checking"], -10), posting("Credit", accounts["equity"], -10)
    )
    assert fault_of(api.post("journalentry", body))["element"] == "Line.Amount"


def test_receivable_and_payable_lines_name_their_customer_and_vendor(api, accounts):
    customer = {"Type": "Customer", "EntityRef": {"value": "1"}}
    no_one = entry(
        posting("Debit", accounts["receivable"], 60), posting("Credit", accounts["income"], 60)
    )
    error = fault_of(api.post("journalentry", no_one))
    assert error["code"] == "6000" and "Accounts Receivable" in error["Detail"]
    created = api.create(
        "JournalEntry",
        entry(
            posting("Debit", accounts["receivable"], 60, Entity=customer),
            posting("Credit", accounts["income"], 60),
        ),
    )
    entity = created["Line"][0]["JournalEntryLineDetail"]["Entity"]
    assert entity == {
        "Type": "Customer",
        "EntityRef": {"value": "1", "name": "Amy's Bird Sanctuary"},
    }
    wrong = entry(
        posting("Credit", accounts["payable"], 15, Entity=customer),
        posting("Debit", accounts["income"], 15),
    )
    assert "select a vendor" in fault_of(api.post("journalentry", wrong))["Detail"]
    vendor = api.rows("select * from Vendor", "Vendor")[0]
    paid = entry(
        posting(
            "Credit",
            accounts["payable"],
            15,
            Entity={"Type": "Vendor", "EntityRef": ref(vendor["Id"])},
        ),
        posting("Debit", accounts["income"], 15),
    )
    assert money(api.create("JournalEntry", paid)["TotalAmt"]) == 15


def test_updating_and_deleting_an_entry_moves_the_bank_back(api, accounts):
    created = api.create(
        "JournalEntry",
        entry(
            posting("Debit", accounts["checking"], 70), posting("Credit", accounts["equity"], 70)
        ),
    )
    changed_body = entry(
        posting("Debit", accounts["checking"], 45),
        posting("Credit", accounts["equity"], 45),
        Id=created["Id"],
        SyncToken="0",
    )
    assert money(api.create("JournalEntry", changed_body)["TotalAmt"]) == 45
    assert balance(api, accounts["checking"]) == 45
    sparse = {"Id": created["Id"], "SyncToken": "1", "sparse": True, "PrivateNote": "corrected"}
    assert api.create("JournalEntry", sparse)["PrivateNote"] == "corrected"
    voided = api.post("journalentry", {"Id": created["Id"], "SyncToken": "2"}, operation="void")
    assert fault_of(voided)["code"] == "500"
    api.ok(api.post("journalentry", {"Id": created["Id"], "SyncToken": "2"}, operation="delete"))
    assert balance(api, accounts["checking"]) == 0


def test_entries_through_batch_query_and_cdc(api, accounts):
    good, bad = batch(
        api,
        {
            "operation": "create",
            "JournalEntry": entry(
                posting("Debit", accounts["checking"], 12),
                posting("Credit", accounts["equity"], 12),
                DocNumber="B-1",
            ),
        },
        {"operation": "create", "JournalEntry": entry(posting("Debit", accounts["checking"], 12))},
    )
    assert money(good["JournalEntry"]["TotalAmt"]) == 12
    assert bad["Fault"]["Error"][0]["code"] == "6000"
    entry_id = good["JournalEntry"]["Id"]
    assert [
        e["Id"]
        for e in api.rows("select * from JournalEntry where DocNumber = 'B-1'", "JournalEntry")
    ] == [entry_id]
    assert [e["Id"] for e in changed(api, "JournalEntry", SINCE)] == [entry_id]
