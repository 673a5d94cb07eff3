"""Bills (Intuit's Bill reference): expense and item lines, totals, the open balance the vendor's
Balance carries, payables account, terms and due date, DocNumber, update, delete, batch, CDC."""

from decimal import Decimal

import pytest

from qbo_emulator.store import Emulator
from qbo_emulator.tests._data_helpers import fault_of, money
from qbo_emulator.tests._purchases import Books, bought, expense


@pytest.fixture
def books(empty_api) -> Books:
    return Books(empty_api)


def vendor_balance(api, vendor: str) -> Decimal:
    return money(api.read("Vendor", vendor)["Balance"])


# -- create -------------------------------------------------------------------------------------


def test_a_bill_totals_its_lines_and_the_vendor_owes_it(books, empty_api):
    bill = books.bill(
        expense(books.expense, "100.00"),
        expense(books.expense, "23.45", BillableStatus="Billable"),
        TxnDate="2026-11-02",
    )
    assert money(bill["TotalAmt"]) == money(bill["Balance"]) == Decimal("123.45")
    assert bill["VendorRef"] == {"value": books.vendor, "name": "Lumber Co"}
    # Intuit's create sample: no APAccountRef sent, "Accounts Payable (A/P)" answered.
    assert bill["APAccountRef"] == {"value": books.payables, "name": "Accounts Payable (A/P)"}
    assert bill["DueDate"] == "2026-11-02"  # no term: due on the bill's date
    assert bill["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}
    assert "DocNumber" not in bill and "LinkedTxn" not in bill
    first, second = bill["Line"]
    assert (first["Id"], first["LineNum"], second["Id"]) == ("1", 1, "2")
    assert first["AccountBasedExpenseLineDetail"] == {
        "AccountRef": {"value": books.expense, "name": "Supplies"},
        "BillableStatus": "NotBillable",
        "TaxCodeRef": {"value": "NON"},
    }
    assert second["AccountBasedExpenseLineDetail"]["BillableStatus"] == "Billable"
    assert vendor_balance(empty_api, books.vendor) == Decimal("123.45")
    assert vendor_balance(empty_api, books.other_vendor) == 0


def test_an_item_line_costs_qty_times_unit_price_unless_an_amount_is_sent(books):
    bill = books.bill(
        bought(books.item, Qty=3, UnitPrice="2.50"),
        # Intuit's Bill sample keeps Amount 100 with Qty 8 and UnitPrice 10.
        bought(books.item, "100", Qty=8, UnitPrice=10),
        # python-quickbooks sends 0 for an unset Qty and UnitPrice.
        bought(books.item, "5", Qty=0, UnitPrice=0),
    )
    amounts = [money(line["Amount"]) for line in bill["Line"]]
    assert amounts == [Decimal("7.50"), Decimal("100"), Decimal("5")]
    assert money(bill["TotalAmt"]) == Decimal("112.50")
    detail = bill["Line"][0]["ItemBasedExpenseLineDetail"]
    assert detail["ItemRef"] == {"value": books.item, "name": "Plank"}
    assert money(detail["Qty"]) == 3 and money(detail["UnitPrice"]) == Decimal("2.50")
    assert "Qty" not in bill["Line"][2]["ItemBasedExpenseLineDetail"]


def test_an_item_line_needs_an_amount_or_qty_and_price_and_an_item_with_an_expense_account(
    books, empty_api
):
    assert (
        fault_of(empty_api.post("bill", bill_body(books, bought(books.item, Qty=2))))["code"]
        == "2020"
    )
    income = books.account_of_type("Income")
    sold_only = empty_api.create(
        "Item", {"Name": "Consulting", "Type": "Service", "IncomeAccountRef": {"value": income}}
    )
    refused = fault_of(empty_api.post("bill", bill_body(books, bought(sold_only["Id"], 5))))
    assert refused["code"] == "6000"
    assert "You must select an account for this transaction." in refused["Detail"]
    category = empty_api.create("Item", {"Name": "Wood", "Type": "Category"})
    assert (
        fault_of(empty_api.post("bill", bill_body(books, bought(category["Id"], 5))))["code"]
        == "2500"
    )


def bill_body(books: Books, *lines, **fields) -> dict:
    return {"VendorRef": {"value": books.vendor}, "Line": list(lines), **fields}


def _detail_line(detail: dict) -> dict:
    return {"DetailType": "AccountBasedExpenseLineDetail", "Amount": 5,
            "AccountBasedExpenseLineDetail": detail}  # fmt: skip


# Each case: what a bill body has instead of a valid vendor and line, given the test's Books.
REFUSALS = {
    "no vendor": (lambda b: {"VendorRef": None}, "2020", "VendorRef"),
    "unknown vendor": (lambda b: {"VendorRef": {"value": "999"}}, "2500", "VendorRef"),
    "no lines": (lambda b: {"Line": []}, "2020", "Line"),
    "unknown account": (lambda b: {"Line": [expense("999", 5)]}, "2500",
                        "Line.AccountBasedExpenseLineDetail.AccountRef"),
    "no account": (lambda b: {"Line": [_detail_line({})]}, "2020",
                   "Line.AccountBasedExpenseLineDetail.AccountRef"),
    "sales line": (lambda b: {"Line": [{"DetailType": "SalesItemLineDetail", "Amount": 5}]},
                   "2010", "Line.DetailType"),
    "no amount": (lambda b: {"Line": [expense(b.expense, None)]}, "2020", "Line.Amount"),
    "billable status": (lambda b: {"Line": [expense(b.expense, 5, BillableStatus="Maybe")]},
                        "2010", "BillableStatus"),
    "due date": (lambda b: {"DueDate": "soon"}, "2010", "DueDate"),
    "payables of a bank": (lambda b: {"APAccountRef": {"value": b.bank}}, "6000",
                           "APAccountRef"),
}  # fmt: skip


@pytest.mark.parametrize("case", REFUSALS)
def test_what_a_bill_refuses(books, empty_api, case):
    change, code, element = REFUSALS[case]
    body = {**bill_body(books, expense(books.expense, 5)), **change(books)}
    error = fault_of(empty_api.post("bill", body))
    assert (error["code"], error["element"]) == (code, element)
    assert vendor_balance(empty_api, books.vendor) == 0


def test_an_inactive_vendor_is_refused(books, empty_api):
    vendor = empty_api.read("Vendor", books.vendor)
    empty_api.ok(empty_api.post("vendor", {**vendor, "Active": False}))
    assert (
        fault_of(empty_api.post("bill", bill_body(books, expense(books.expense, 5))))["code"]
        == "610"
    )


def test_the_due_date_follows_the_term_or_the_vendors_term(books, empty_api):
    terms = {t["Name"]: t["Id"] for t in empty_api.rows("select * from Term", "Term")}
    line = expense(books.expense, 10)
    net30 = books.bill(line, TxnDate="2026-11-01", SalesTermRef={"value": terms["Net 30"]})
    assert net30["DueDate"] == "2026-12-01"
    assert net30["SalesTermRef"] == {"value": terms["Net 30"], "name": "Net 30"}
    assert books.bill(line, TxnDate="2026-11-01", DueDate="2026-11-05")["DueDate"] == ("2026-11-05")
    vendor = empty_api.read("Vendor", books.vendor)
    empty_api.ok(empty_api.post("vendor", {**vendor, "TermRef": {"value": terms["Net 10"]}}))
    from_vendor = books.bill(line, TxnDate="2026-11-01")
    assert from_vendor["SalesTermRef"]["value"] == terms["Net 10"]
    assert from_vendor["DueDate"] == "2026-11-11"


def test_no_doc_number_is_made_up_and_a_sent_one_is_unique(api):
    """Even with custom transaction numbers off (the sample company), QBO numbers no bill."""
    books = Books(api)
    assert "DocNumber" not in books.bill(expense(books.expense, 1))
    assert books.bill(expense(books.expense, 1), DocNumber="INV-77")["DocNumber"] == "INV-77"
    again = fault_of(
        api.post("bill", bill_body(books, expense(books.expense, 1), DocNumber="INV-77"))
    )
    assert again["code"] == "6140"
    allowed = api.create(
        "Bill", bill_body(books, expense(books.expense, 1), DocNumber="INV-77"),
        include="allowduplicatedocnum",
    )  # fmt: skip
    assert allowed["DocNumber"] == "INV-77"


# -- update, delete, void -------------------------------------------------------------------------


def test_a_full_update_moves_the_balance_and_keeps_what_the_server_owns(books, empty_api):
    bill = books.bill(expense(books.expense, "100.00"))
    bill["Line"][0]["Amount"] = "150.00"
    # A client echoes server-owned fields; they are not taken from it.
    bill.update(Balance=0, TotalAmt=1, LinkedTxn=[{"TxnId": "9", "TxnType": "BillPaymentCheck"}])
    updated = empty_api.ok(empty_api.post("bill", bill))["Bill"]
    assert updated["SyncToken"] == "1"
    assert money(updated["TotalAmt"]) == money(updated["Balance"]) == Decimal("150.00")
    assert "LinkedTxn" not in updated
    assert vendor_balance(empty_api, books.vendor) == Decimal("150.00")

    moved = {**updated, "VendorRef": {"value": books.other_vendor}}
    empty_api.ok(empty_api.post("bill", moved))
    assert vendor_balance(empty_api, books.vendor) == 0
    assert vendor_balance(empty_api, books.other_vendor) == Decimal("150.00")


def test_a_sparse_update_keeps_the_lines(books, empty_api):
    bill = books.bill(expense(books.expense, 40))
    body = {"Id": bill["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "March"}
    updated = empty_api.ok(empty_api.post("bill", body))["Bill"]
    assert updated["PrivateNote"] == "March" and money(updated["Balance"]) == 40
    assert updated["Line"] == bill["Line"]


def test_a_deleted_bill_is_owed_no_more_and_a_bill_cannot_be_voided(books, empty_api):
    bill = books.bill(expense(books.expense, 40))
    voided = fault_of(
        empty_api.post("bill", {"Id": bill["Id"], "SyncToken": "0"}, operation="void")
    )
    assert voided["code"] == "500"
    deleted = empty_api.ok(
        empty_api.post("bill", {"Id": bill["Id"], "SyncToken": "0"}, operation="delete")
    )["Bill"]
    assert deleted == {"domain": "QBO", "status": "Deleted", "Id": bill["Id"]}
    assert vendor_balance(empty_api, books.vendor) == 0
    assert fault_of(empty_api.get(f"bill/{bill['Id']}"))["code"] == "610"


# -- query, batch, CDC --------------------------------------------------------------------------


def test_bills_are_queried_by_vendor_balance_and_due_date(books, empty_api):
    small = books.bill(expense(books.expense, 10), TxnDate="2026-11-01")
    large = books.bill(expense(books.expense, 500), TxnDate="2026-11-10")
    other = books.bill(expense(books.expense, 20), vendor=books.other_vendor)

    def ids(where: str) -> list[str]:
        return sorted(b["Id"] for b in empty_api.rows(f"select * from Bill where {where}", "Bill"))

    assert ids(f"VendorRef = '{books.vendor}'") == sorted([small["Id"], large["Id"]])
    assert ids("Balance > '100'") == [large["Id"]]
    assert ids("DueDate < '2026-11-05'") == [small["Id"]]
    assert ids(f"APAccountRef = '{books.payables}'") == sorted(
        [small["Id"], large["Id"], other["Id"]]
    )


def test_batch_creates_updates_queries_and_deletes_bills(books, empty_api):
    doomed = books.bill(expense(books.expense, 5))
    kept = books.bill(expense(books.expense, 6))
    items = [
        {"bId": "1", "operation": "create", "Bill": bill_body(books, expense(books.expense, 7))},
        {"bId": "2", "operation": "update",
         "Bill": {"Id": kept["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "b"}},
        {"bId": "3", "operation": "delete", "Bill": {"Id": doomed["Id"], "SyncToken": "0"}},
        {"bId": "4", "Query": "select * from Bill"},
    ]  # fmt: skip
    answers = empty_api.ok(empty_api.post("batch", {"BatchItemRequest": items}))
    created, updated, deleted, query = answers["BatchItemResponse"]
    assert money(created["Bill"]["Balance"]) == 7
    assert updated["Bill"]["PrivateNote"] == "b"
    assert deleted["Bill"]["status"] == "Deleted"
    assert sorted(b["Id"] for b in query["QueryResponse"]["Bill"]) == sorted(
        [kept["Id"], created["Bill"]["Id"]]
    )
    assert vendor_balance(empty_api, books.vendor) == 13


def test_cdc_reports_changed_and_deleted_bills(books, empty_api, emulator):
    old = books.bill(expense(books.expense, 5))
    since = emulator.clock.now().isoformat()
    emulator.clock.advance(60)
    new = books.bill(expense(books.expense, 6))
    empty_api.post("bill", {"Id": old["Id"], "SyncToken": "0"}, operation="delete")
    body = empty_api.ok(empty_api.get("cdc", entities="Bill", changedSince=since))
    [changes] = body["CDCResponse"][0]["QueryResponse"]
    by_id = {b["Id"]: b for b in changes["Bill"]}
    assert money(by_id[new["Id"]]["Balance"]) == 6
    assert by_id[old["Id"]]["status"] == "Deleted"


def test_a_snapshot_keeps_a_bills_open_amount_exact(tmp_path, emulator, empty, books, empty_api):
    bill = books.bill(expense(books.expense, "19.99"))
    emulator.save(tmp_path / "state.json")
    loaded = Emulator.load(tmp_path / "state.json").company(empty.realm_id)
    assert loaded.read("Bill", bill["Id"])["Balance"] == Decimal("19.99")
    assert loaded.read("Vendor", books.vendor)["Balance"] == Decimal("19.99")
