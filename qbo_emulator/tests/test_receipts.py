"""Sales receipts and refund receipts (Intuit's SalesReceipt and RefundReceipt references;
COVERAGE rows of both): sales forms paid at once, Balance 0, money to or from an account."""

from decimal import Decimal

import pytest

from qbo_emulator.store import Emulator
from qbo_emulator.tests._data_helpers import Api, fault_of, line, money


def named(shop: Api, entity: str, name: str) -> dict:
    return shop.rows(f"select * from {entity} where Name = '{name}'", entity)[0]


@pytest.fixture
def services(shop) -> str:
    return named(shop, "Item", "Services")["Id"]


@pytest.fixture
def checking(shop) -> dict:
    return named(shop, "Account", "Checking")


def sale(services: str, amount="40.00", customer: dict | None = None, **fields) -> dict:
    body = {"Line": [line(services, amount)], **fields}
    if customer is not None:
        body["CustomerRef"] = {"value": customer["Id"]}
    return body


def refund(services: str, account: dict, amount="15.00", **fields) -> dict:
    return sale(services, amount, DepositToAccountRef={"value": account["Id"]}, **fields)


def balance_of(shop: Api, customer: dict) -> Decimal:
    return money(shop.read("Customer", customer["Id"])["Balance"])


# -- SalesReceipt ----------------------------------------------------------------------------


def test_a_sales_receipt_is_paid_at_once_into_undeposited_funds(shop, customer, services):
    cash = named(shop, "PaymentMethod", "Cash")
    created = shop.create(
        "SalesReceipt",
        sale(services, "40.00", customer, PaymentMethodRef={"value": cash["Id"]},
             PaymentRefNum="till 7"),
    )  # fmt: skip
    assert created["DocNumber"] == "1001"
    assert money(created["TotalAmt"]) == Decimal("40.00")
    assert money(created["Balance"]) == 0
    undeposited = named(shop, "Account", "Undeposited Funds")
    assert created["DepositToAccountRef"] == {
        "value": undeposited["Id"],
        "name": "Undeposited Funds",
    }
    assert created["PaymentMethodRef"] == {"value": cash["Id"], "name": "Cash"}
    assert created["PaymentRefNum"] == "till 7"
    assert created["BillEmail"] == {"Address": "a@cafe.test"}
    assert balance_of(shop, customer) == 0  # paid at once: the customer owes nothing
    assert shop.read("SalesReceipt", created["Id"]) == created


def test_a_sale_to_no_customer_and_into_a_bank_account(shop, services, checking):
    created = shop.create(
        "SalesReceipt", sale(services, "9.99", DepositToAccountRef={"value": checking["Id"]})
    )
    assert "CustomerRef" not in created and "BillEmail" not in created
    assert created["DepositToAccountRef"] == {"value": checking["Id"], "name": "Checking"}


def test_tax_is_computed_on_a_sales_receipt(api, sample):
    customer = api.create("Customer", {"DisplayName": "Taxed Till Co"})
    item = api.rows("select * from Item where Name = 'Services'", "Item")[0]["Id"]
    taxed = api.create("SalesReceipt", {"CustomerRef": {"value": customer["Id"]},
                                        "Line": [line(item, "100.00", tax="TAX")]})  # fmt: skip
    tax = money(taxed["TxnTaxDetail"]["TotalTax"])
    assert tax > 0 and money(taxed["TotalAmt"]) == Decimal("100.00") + tax
    assert money(taxed["Balance"]) == 0


@pytest.mark.parametrize(
    "fields, code, element",
    [
        ({"Line": []}, "2020", "Line"),
        ({"CustomerRef": {"value": "999"}}, "2500", "CustomerRef"),
        ({"DepositToAccountRef": {"value": "999"}}, "2500", "DepositToAccountRef"),
        ({"PaymentMethodRef": {"value": "999"}}, "2500", "PaymentMethodRef"),
        ({"PaymentRefNum": "R" * 22}, "2050", "PaymentRefNum"),
        ({"DocNumber": "S" * 22}, "2050", "DocNumber"),
    ],
)
def test_bad_sales_receipts_are_refused(shop, services, fields, code, element):
    error = fault_of(shop.post("salesreceipt", {**sale(services), **fields}))
    assert (error["code"], error["element"]) == (code, element)
    assert shop.rows("select * from SalesReceipt", "SalesReceipt") == []


def test_edits_keep_the_sale_paid(shop, customer, services):
    created = shop.create("SalesReceipt", sale(services, "40.00", customer))
    sparse = {"Id": created["Id"], "SyncToken": "0", "sparse": True,
              "Line": [line(services, "55.00")], "Balance": 55}  # fmt: skip
    edited = shop.create("SalesReceipt", sparse)
    assert money(edited["TotalAmt"]) == Decimal("55.00") and money(edited["Balance"]) == 0
    assert edited["DepositToAccountRef"] == created["DepositToAccountRef"]
    assert edited["DocNumber"] == created["DocNumber"]
    assert balance_of(shop, customer) == 0


def test_void_as_python_quickbooks_sends_it_then_delete(shop, services):
    created = shop.create("SalesReceipt", sale(services, "40.00", PrivateNote="cash sale"))
    body = {"Id": created["Id"], "SyncToken": "0", "sparse": True}
    voided = shop.ok(shop.post("salesreceipt", body, operation="update", include="void"))
    voided = voided["SalesReceipt"]
    assert money(voided["TotalAmt"]) == 0 and money(voided["Balance"]) == 0
    assert [money(ln["Amount"]) for ln in voided["Line"]] == [0, 0]
    assert voided["PrivateNote"] == "Voided - cash sale" and voided["SyncToken"] == "1"
    again = shop.post("salesreceipt", {**body, "SyncToken": "1"}, operation="void")
    assert fault_of(again)["code"] == "6000"  # already voided
    deleted = shop.ok(shop.post("salesreceipt", {"Id": created["Id"], "SyncToken": "1"},
                                operation="delete"))["SalesReceipt"]  # fmt: skip
    assert deleted["status"] == "Deleted"
    assert fault_of(shop.get(f"salesreceipt/{created['Id']}"))["code"] == "610"


def test_a_payment_cannot_apply_to_a_sales_receipt(shop, customer, services):
    receipt = shop.create("SalesReceipt", sale(services, "40.00", customer))
    link = [{"TxnId": receipt["Id"], "TxnType": "SalesReceipt"}]
    body = {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 10,
            "Line": [{"Amount": 10, "LinkedTxn": link}]}  # fmt: skip
    assert fault_of(shop.post("payment", body))["code"] == "2010"


# -- RefundReceipt ---------------------------------------------------------------------------


def test_a_refund_is_paid_from_the_account_it_names(shop, customer, services, checking):
    created = shop.create(
        "RefundReceipt",
        refund(services, checking, "15.00", CustomerRef={"value": customer["Id"]},
               PaymentRefNum="chq 100"),
    )  # fmt: skip
    assert created["DocNumber"] == "1001"  # its own sequence
    assert money(created["TotalAmt"]) == Decimal("15.00") and money(created["Balance"]) == 0
    assert created["DepositToAccountRef"] == {"value": checking["Id"], "name": "Checking"}
    assert balance_of(shop, customer) == 0
    assert shop.read("RefundReceipt", created["Id"]) == created


def test_a_refund_must_name_its_account(shop, services):
    error = fault_of(shop.post("refundreceipt", sale(services)))
    assert (error["code"], error["element"]) == ("2020", "DepositToAccountRef")


def test_a_refund_is_deleted_not_voided(shop, services, checking):
    created = shop.create("RefundReceipt", refund(services, checking))
    body = {"Id": created["Id"], "SyncToken": "0"}
    assert fault_of(shop.post("refundreceipt", body, operation="void"))["code"] == "500"
    assert shop.ok(shop.post("refundreceipt", body, operation="delete"))["RefundReceipt"][
        "status"] == "Deleted"  # fmt: skip


def test_receipt_numbers_run_in_their_own_sequences(shop, services, checking):
    assert shop.create("SalesReceipt", sale(services))["DocNumber"] == "1001"
    assert shop.create("SalesReceipt", sale(services))["DocNumber"] == "1002"
    assert shop.create("RefundReceipt", refund(services, checking))["DocNumber"] == "1001"
    duplicate = shop.post("salesreceipt", sale(services, DocNumber="1001"))
    assert fault_of(duplicate)["code"] == "6140"


# -- query, batch, CDC, snapshot --------------------------------------------------------------


def test_query_by_account_and_amount(shop, services, checking):
    banked = shop.create(
        "SalesReceipt", sale(services, "80.00", DepositToAccountRef={"value": checking["Id"]})
    )
    shop.create("SalesReceipt", sale(services, "5.00"))
    by_account = f"select * from SalesReceipt where DepositToAccountRef = '{checking['Id']}'"
    assert [r["Id"] for r in shop.rows(by_account, "SalesReceipt")] == [banked["Id"]]
    large = "select * from SalesReceipt where TotalAmt > '50'"
    assert [r["Id"] for r in shop.rows(large, "SalesReceipt")] == [banked["Id"]]
    refunds = shop.rows("select * from RefundReceipt", "RefundReceipt")
    assert refunds == []


def test_batch_handles_both_receipts(shop, services, checking):
    doomed = shop.create("RefundReceipt", refund(services, checking))
    receipt = shop.create("SalesReceipt", sale(services))
    items = [
        {"bId": "1", "operation": "create", "SalesReceipt": sale(services, "3.00")},
        {"bId": "2", "operation": "create", "RefundReceipt": refund(services, checking, "2.00")},
        {"bId": "3", "operation": "void",
         "SalesReceipt": {"Id": receipt["Id"], "SyncToken": "0"}},
        {"bId": "4", "operation": "delete",
         "RefundReceipt": {"Id": doomed["Id"], "SyncToken": "0"}},
        {"bId": "5", "operation": "create", "RefundReceipt": sale(services)},
    ]  # fmt: skip
    answers = shop.ok(shop.post("batch", {"BatchItemRequest": items}))["BatchItemResponse"]
    by_id = {answer["bId"]: answer for answer in answers}
    assert money(by_id["1"]["SalesReceipt"]["TotalAmt"]) == 3
    assert money(by_id["2"]["RefundReceipt"]["TotalAmt"]) == 2
    assert by_id["3"]["SalesReceipt"]["PrivateNote"] == "Voided"
    assert by_id["4"]["RefundReceipt"]["status"] == "Deleted"
    assert by_id["5"]["Fault"]["Error"][0]["code"] == "2020"


def test_cdc_reports_receipts(emulator, shop, services, checking):
    since = emulator.clock.now().isoformat()
    emulator.clock.advance(60)
    receipt = shop.create("SalesReceipt", sale(services))
    refund_receipt = shop.create("RefundReceipt", refund(services, checking))
    shop.ok(shop.post("refundreceipt", {"Id": refund_receipt["Id"], "SyncToken": "0"},
                      operation="delete"))  # fmt: skip
    body = shop.ok(shop.get("cdc", entities="SalesReceipt,RefundReceipt", changedSince=since))
    sales, refunds = body["CDCResponse"][0]["QueryResponse"]
    assert [r["Id"] for r in sales["SalesReceipt"]] == [receipt["Id"]]
    (tombstone,) = refunds["RefundReceipt"]
    assert (tombstone["Id"], tombstone["status"]) == (refund_receipt["Id"], "Deleted")


def test_snapshot_keeps_receipts_exact(tmp_path, emulator, shop, services, checking):
    receipt = shop.create("SalesReceipt", sale(services, "12.34"))
    emulator.save(tmp_path / "state.json")
    loaded = Emulator.load(tmp_path / "state.json").company(shop.realm_id)
    kept = loaded.read("SalesReceipt", receipt["Id"])
    assert (kept["TotalAmt"], kept["Balance"]) == (Decimal("12.34"), Decimal("0"))
    assert loaded.index_lookup("DocNumber:SalesReceipt", receipt["DocNumber"])
