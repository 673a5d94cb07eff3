"""Purchases and purchase orders (Intuit's Purchase and PurchaseOrder references): payment
types and their accounts, the payee, Credit and PrintStatus, POStatus, numbering, no balances,
update, delete, batch, CDC."""

from decimal import Decimal

import pytest

from qbo_emulator.tests._data_helpers import fault_of, money
from qbo_emulator.tests._purchases import Books, bought, expense


@pytest.fixture
def books(empty_api) -> Books:
    return Books(empty_api)


def purchase(books: Books, payment_type: str, *lines, account=None, **fields) -> dict:
    paid_from = account or (books.card if payment_type == "CreditCard" else books.bank)
    return {"PaymentType": payment_type, "AccountRef": {"value": paid_from},
            "Line": list(lines) or [expense(books.expense, "10.00")], **fields}  # fmt: skip


def order(books: Books, *lines, **fields) -> dict:
    lines = list(lines) or [bought(books.item, Qty=4, UnitPrice="2.50")]
    return {"VendorRef": {"value": books.vendor}, "Line": lines, **fields}


# -- Purchase -----------------------------------------------------------------------------------


def test_a_cash_purchase_totals_its_lines_and_owes_nothing(books, empty_api):
    made = empty_api.create(
        "Purchase",
        purchase(books, "Cash", expense(books.expense, "10.00"), bought(books.item, Qty=2,
                 UnitPrice=3), Credit=False, PrintStatus="NeedToPrint"),
    )  # fmt: skip
    assert made["PaymentType"] == "Cash" and money(made["TotalAmt"]) == Decimal("16.00")
    assert made["AccountRef"] == {"value": books.bank, "name": "Checking"}
    # Credit is "Valid only for CreditCard", PrintStatus "applicable only for Check".
    assert "Credit" not in made and "PrintStatus" not in made
    assert "Balance" not in made and "DocNumber" not in made  # custom numbers on: none sent
    assert made["Line"][0]["AccountBasedExpenseLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert money(empty_api.read("Vendor", books.vendor)["Balance"]) == 0


def test_a_check_is_printed_and_paid_from_a_bank_account(books, empty_api):
    check = empty_api.create("Purchase", purchase(books, "Check"))
    assert check["PrintStatus"] == "NeedToPrint"  # the reference's default
    assert (
        empty_api.create("Purchase", purchase(books, "Check", PrintStatus="NotSet"))["PrintStatus"]
        == "NotSet"
    )
    refused = fault_of(empty_api.post("purchase", purchase(books, "Check", account=books.card)))
    assert (refused["code"], refused["element"]) == ("6000", "AccountRef")
    assert "Invalid account type" in refused["Detail"]


def test_a_card_charge_or_refund_is_paid_from_a_credit_card_account(books, empty_api):
    charge = empty_api.create("Purchase", purchase(books, "CreditCard"))
    refund = empty_api.create("Purchase", purchase(books, "CreditCard", Credit=True))
    assert charge["Credit"] is False and refund["Credit"] is True
    assert money(refund["TotalAmt"]) == Decimal("10.00")
    assert (
        fault_of(empty_api.post("purchase", purchase(books, "CreditCard", account=books.bank)))[
            "code"
        ]
        == "6000"
    )
    credit_on_cash = fault_of(empty_api.post("purchase", purchase(books, "Cash", Credit=True)))
    assert (credit_on_cash["code"], credit_on_cash["element"]) == ("2010", "Credit")


def test_the_payee_is_answered_with_its_type(books, empty_api):
    customer = empty_api.create("Customer", {"DisplayName": "Cool Cars"})
    typed = empty_api.create(
        "Purchase", purchase(books, "Cash", EntityRef={"value": books.vendor, "type": "Vendor"})
    )
    assert typed["EntityRef"] == {"value": books.vendor, "name": "Lumber Co", "type": "Vendor"}
    as_customer = empty_api.create(
        "Purchase",
        purchase(books, "Cash", EntityRef={"value": customer["Id"], "type": "Customer"}),
    )
    assert as_customer["EntityRef"]["name"] == "Cool Cars"
    untyped = empty_api.create("Purchase", purchase(books, "Cash", EntityRef={"value": "2"}))
    assert untyped["EntityRef"] == {"value": "2", "name": "Paint Co", "type": "Vendor"}
    for ref, code in (({"value": "99", "type": "Vendor"}, "2500"),
                      ({"value": books.vendor, "type": "Account"}, "2010")):  # fmt: skip
        assert (
            fault_of(empty_api.post("purchase", purchase(books, "Cash", EntityRef=ref)))["code"]
            == code
        )
    vendor = empty_api.read("Vendor", books.other_vendor)
    empty_api.ok(empty_api.post("vendor", {**vendor, "Active": False}))
    inactive = purchase(books, "Cash", EntityRef={"value": books.other_vendor, "type": "Vendor"})
    assert fault_of(empty_api.post("purchase", inactive))["code"] == "610"


@pytest.mark.parametrize(
    ("change", "code", "element"),
    [({"PaymentType": None}, "2020", "PaymentType"),
     ({"PaymentType": "Barter"}, "2010", "PaymentType"),
     ({"AccountRef": None}, "2020", "AccountRef"),
     ({"AccountRef": {"value": "999"}}, "2500", "AccountRef"),
     ({"Line": []}, "2020", "Line")],
)  # fmt: skip
def test_what_a_purchase_refuses(books, empty_api, change, code, element):
    error = fault_of(empty_api.post("purchase", {**purchase(books, "Cash"), **change}))
    assert (error["code"], error["element"]) == (code, element)


def test_purchases_number_themselves_when_custom_numbers_are_off(api):
    books = Books(api)  # the sample company: custom transaction numbers off
    first = api.create("Purchase", purchase(books, "Check"))
    second = api.create("Purchase", purchase(books, "Check"))
    assert int(second["DocNumber"]) == int(first["DocNumber"]) + 1
    assert api.create("Purchase", purchase(books, "Check", DocNumber="CHK-9"))["DocNumber"] == (
        "CHK-9"
    )
    duplicate = fault_of(api.post("purchase", purchase(books, "Check", DocNumber="CHK-9")))
    assert duplicate["code"] == "6140"


def test_the_bank_pays_a_check_and_a_line_booked_to_it_comes_back(books, empty_api):
    """Bank accounts' CurrentBalance moves with what is paid from them (entities/spec.py)."""

    def bank() -> Decimal:
        return money(empty_api.read("Account", books.bank)["CurrentBalance"])

    check = empty_api.create("Purchase", purchase(books, "Check", expense(books.expense, 30)))
    assert bank() == Decimal("-30")
    # A card purchase booked to the bank (paying into it) raises it; its refund undoes that.
    empty_api.create("Purchase", purchase(books, "CreditCard", expense(books.bank, 5)))
    empty_api.create("Purchase", purchase(books, "CreditCard", expense(books.bank, 5), Credit=True))
    assert bank() == Decimal("-30")
    empty_api.create("Purchase", purchase(books, "CreditCard", expense(books.bank, 8)))
    assert bank() == Decimal("-22")
    empty_api.ok(empty_api.post("purchase", {"Id": check["Id"], "SyncToken": "0"},
                                operation="delete"))  # fmt: skip
    assert bank() == Decimal("8")


def test_a_purchase_is_updated_and_deleted_but_not_voided(books, empty_api):
    made = empty_api.create("Purchase", purchase(books, "Cash"))
    made["Line"][0]["Amount"] = "12.50"
    updated = empty_api.ok(empty_api.post("purchase", {**made, "PaymentType": "Check"}))["Purchase"]
    assert money(updated["TotalAmt"]) == Decimal("12.50") and updated["PaymentType"] == "Check"
    assert updated["PrintStatus"] == "NeedToPrint"
    body = {"Id": made["Id"], "SyncToken": "1"}
    assert fault_of(empty_api.post("purchase", body, operation="void"))["code"] == "500"
    deleted = empty_api.ok(empty_api.post("purchase", body, operation="delete"))["Purchase"]
    assert deleted == {"domain": "QBO", "status": "Deleted", "Id": made["Id"]}


def test_purchases_are_queried_by_payment_type_and_total(books, empty_api):
    cash = empty_api.create("Purchase", purchase(books, "Cash", expense(books.expense, 5)))
    check = empty_api.create("Purchase", purchase(books, "Check", expense(books.expense, 500)))

    def ids(where: str) -> list[str]:
        return [
            p["Id"] for p in empty_api.rows(f"select * from Purchase where {where}", "Purchase")
        ]

    assert ids("PaymentType = 'Check'") == [check["Id"]]
    assert ids("TotalAmt < '100.00'") == [cash["Id"]]
    assert ids(f"AccountRef = '{books.bank}'") == [cash["Id"], check["Id"]]


# -- PurchaseOrder ------------------------------------------------------------------------------


def test_a_purchase_order_is_open_and_moves_no_balance(books, empty_api):
    made = empty_api.create(
        "PurchaseOrder", order(books, POEmail={"Address": "orders@lumber.example"}, Memo="Rush")
    )
    assert made["POStatus"] == "Open" and made["EmailStatus"] == "NotSet"
    assert money(made["TotalAmt"]) == 10 and money(made["Line"][0]["Amount"]) == 10
    assert made["APAccountRef"] == {"value": books.payables, "name": "Accounts Payable (A/P)"}
    assert made["POEmail"] == {"Address": "orders@lumber.example"} and made["Memo"] == "Rush"
    assert "Balance" not in made
    assert money(empty_api.read("Vendor", books.vendor)["Balance"]) == 0


@pytest.mark.parametrize(
    ("change", "code", "element"),
    [({"VendorRef": None}, "2020", "VendorRef"),
     ({"POStatus": "Pending"}, "2010", "POStatus"),
     ({"POEmail": "orders@lumber.example"}, "2010", "POEmail"),
     ({"ShipTo": {"value": "999"}}, "2500", "ShipTo")],
)  # fmt: skip
def test_what_a_purchase_order_refuses(books, empty_api, change, code, element):
    error = fault_of(empty_api.post("purchaseorder", {**order(books), **change}))
    assert (error["code"], error["element"]) == (code, element)


def test_a_purchase_order_numbers_itself_closes_and_is_deleted(api):
    books = Books(api)
    first = api.create("PurchaseOrder", order(books))
    second = api.create("PurchaseOrder", order(books))
    assert int(second["DocNumber"]) == int(first["DocNumber"]) + 1
    closed = api.ok(api.post("purchaseorder", {**first, "POStatus": "Closed"}))["PurchaseOrder"]
    assert closed["POStatus"] == "Closed" and closed["DocNumber"] == first["DocNumber"]
    rows = api.rows("select * from PurchaseOrder where POStatus = 'Open'", "PurchaseOrder")
    assert [row["Id"] for row in rows] == [second["Id"]]
    assert fault_of(api.post("purchaseorder", {"Id": first["Id"], "SyncToken": "1"},
                             operation="void"))["code"] == "500"  # fmt: skip
    api.ok(api.post("purchaseorder", {"Id": first["Id"], "SyncToken": "1"}, operation="delete"))
    assert fault_of(api.get(f"purchaseorder/{first['Id']}"))["code"] == "610"


# -- batch, CDC ---------------------------------------------------------------------------------


def test_batch_and_cdc_serve_purchases_and_purchase_orders(books, empty_api, emulator):
    since = emulator.clock.now().isoformat()
    emulator.clock.advance(60)
    items = [
        {"bId": "1", "operation": "create", "Purchase": purchase(books, "CreditCard")},
        {"bId": "2", "operation": "create", "PurchaseOrder": order(books)},
        {"bId": "3", "Query": "select * from Purchase"},
    ]
    created, ordered, query = empty_api.ok(empty_api.post("batch", {"BatchItemRequest": items}))[
        "BatchItemResponse"
    ]
    assert created["Purchase"]["Credit"] is False
    assert ordered["PurchaseOrder"]["POStatus"] == "Open"
    assert [p["Id"] for p in query["QueryResponse"]["Purchase"]] == [created["Purchase"]["Id"]]
    empty_api.post(
        "purchaseorder", {"Id": ordered["PurchaseOrder"]["Id"], "SyncToken": "0"},
        operation="delete",
    )  # fmt: skip
    body = empty_api.ok(empty_api.get("cdc", entities="Purchase,PurchaseOrder", changedSince=since))
    purchases, orders = body["CDCResponse"][0]["QueryResponse"]
    assert [p["Id"] for p in purchases["Purchase"]] == [created["Purchase"]["Id"]]
    assert orders["PurchaseOrder"][0]["status"] == "Deleted"
