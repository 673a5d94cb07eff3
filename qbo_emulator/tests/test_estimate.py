"""Estimates (Intuit's Estimate reference; COVERAGE row "Estimate"): a quote built like an
invoice that moves no balance, and the invoices that bill it (LinkedTxn, status Closed)."""

from decimal import Decimal

import pytest

from qbo_emulator.store import Emulator
from qbo_emulator.tests._data_helpers import Api, fault_of, line, money


@pytest.fixture
def services(shop) -> str:
    return shop.rows("select * from Item where Name = 'Services'", "Item")[0]["Id"]


def quote(customer: dict, *lines, **fields) -> dict:
    return {"CustomerRef": {"value": customer["Id"]}, "Line": list(lines), **fields}


def balance_of(api: Api, customer: dict) -> Decimal:
    return money(api.read("Customer", customer["Id"])["Balance"])


@pytest.fixture
def estimate(shop, customer, services) -> dict:
    return shop.create("Estimate", quote(customer, line(services, "120.00")))


def bill(shop, customer, services, estimate_id, amount="120.00", **fields) -> dict:
    links = [{"TxnId": estimate_id, "TxnType": "Estimate"}]
    return shop.create(
        "Invoice", quote(customer, line(services, amount), LinkedTxn=links, **fields)
    )


# -- the estimate itself ----------------------------------------------------------------------


def test_create_totals_the_lines_and_moves_no_balance(shop, customer, services):
    created = shop.create(
        "Estimate",
        quote(customer, line(services, "100.00"), line(services, "30.00", qty=2, price=15)),
    )
    assert created["Id"] == "1" and created["SyncToken"] == "0"
    assert created["DocNumber"] == "1001"  # its own sequence, numbered by QBO
    assert money(created["TotalAmt"]) == Decimal("130.00")
    assert created["Line"][2]["DetailType"] == "SubTotalLineDetail"
    assert created["TxnStatus"] == "Pending"
    assert created["CustomerRef"] == {"value": customer["Id"], "name": "Harbour Cafe"}
    assert created["BillEmail"] == {"Address": "a@cafe.test"}
    # A quote posts nothing: no open amount, and what the customer owes is unchanged.
    assert "Balance" not in created and "HomeBalance" not in created
    assert balance_of(shop, customer) == 0
    assert shop.read("Estimate", created["Id"]) == created


def test_a_balance_sent_by_the_client_is_not_kept(shop, customer, services):
    created = shop.create("Estimate", quote(customer, line(services, 5), Balance=5))
    assert "Balance" not in created


def test_tax_is_computed_as_on_an_invoice(api, sample):
    code = sample.preferences["TaxPrefs"]["TaxGroupCodeRef"]["value"]  # the sample's default
    rate = sample.read("TaxRate", sample.read("TaxCode", code)["SalesTaxRateList"][
        "TaxRateDetail"][0]["TaxRateRef"]["value"])["RateValue"]  # fmt: skip
    customer = api.create("Customer", {"DisplayName": "Taxed Quote Co"})
    item = api.rows("select * from Item where Name = 'Services'", "Item")[0]["Id"]
    created = api.create(
        "Estimate", quote(customer, line(item, "200.00", tax="TAX"), line(item, "50.00", tax="NON"))
    )
    tax = (Decimal("200.00") * rate / 100).quantize(Decimal("0.01"))
    assert money(created["TxnTaxDetail"]["TotalTax"]) == tax
    assert money(created["TotalAmt"]) == Decimal("250.00") + tax


def test_status_dates_and_acceptance_are_kept(shop, customer, services):
    created = shop.create(
        "Estimate",
        quote(customer, line(services, 10), TxnStatus="Accepted", AcceptedBy="Ann Lee",
              AcceptedDate="2026-11-21", ExpirationDate="2026-12-31T00:00:00",
              DueDate="2026-12-15"),
    )  # fmt: skip
    assert (created["TxnStatus"], created["AcceptedBy"]) == ("Accepted", "Ann Lee")
    assert (created["AcceptedDate"], created["ExpirationDate"]) == ("2026-11-21", "2026-12-31")
    assert created["DueDate"] == "2026-12-15"


@pytest.mark.parametrize(
    "fields, code, element",
    [
        ({"CustomerRef": None}, "2020", "CustomerRef"),
        ({"Line": []}, "2020", "Line"),
        ({"CustomerRef": {"value": "999"}}, "2500", "CustomerRef"),
        ({"TxnStatus": "Won"}, "2010", "TxnStatus"),
        ({"ExpirationDate": "31/12/2026"}, "2010", "ExpirationDate"),
        ({"SalesTermRef": {"value": "999"}}, "2500", "SalesTermRef"),
    ],
)
def test_bad_input_is_a_fault_and_stores_nothing(shop, customer, services, fields, code, element):
    body = {**quote(customer, line(services, 10)), **fields}
    error = fault_of(shop.post("estimate", body))
    assert (error["code"], error["element"]) == (code, element)
    assert shop.rows("select * from Estimate", "Estimate") == []


def test_an_inactive_customer_is_refused(shop, customer, services):
    shop.create("Customer", {**customer, "Active": False})
    assert fault_of(shop.post("estimate", quote(customer, line(services, 1))))["code"] == "610"


def test_updates_keep_the_number_and_delete_removes_it(shop, estimate):
    sparse = {"Id": estimate["Id"], "SyncToken": "0", "sparse": True, "TxnStatus": "Rejected"}
    updated = shop.create("Estimate", sparse)
    assert (updated["SyncToken"], updated["TxnStatus"]) == ("1", "Rejected")
    assert updated["DocNumber"] == estimate["DocNumber"]
    gone = shop.ok(shop.post("estimate", {"Id": estimate["Id"], "SyncToken": "1"},
                             operation="delete"))["Estimate"]  # fmt: skip
    assert gone == {"domain": "QBO", "status": "Deleted", "Id": estimate["Id"]}
    assert fault_of(shop.get(f"estimate/{estimate['Id']}"))["code"] == "610"


def test_an_estimate_cannot_be_voided(shop, estimate):
    body = {"Id": estimate["Id"], "SyncToken": "0"}
    assert fault_of(shop.post("estimate", body, operation="void"))["code"] == "500"
    assert shop.read("Estimate", estimate["Id"])["TotalAmt"] == estimate["TotalAmt"]


def test_books_closed_after_its_date_do_not_hold_an_estimate(emulator, shop, estimate):
    emulator.company(shop.realm_id).set_preferences(book_close_date="2026-12-31")
    sparse = {"Id": estimate["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "late"}
    assert shop.create("Estimate", sparse)["PrivateNote"] == "late"


# -- invoices that bill an estimate -----------------------------------------------------------


def test_an_invoice_that_links_the_estimate_closes_it(shop, customer, services, estimate):
    invoice = bill(shop, customer, services, estimate["Id"])
    assert invoice["LinkedTxn"] == [{"TxnId": estimate["Id"], "TxnType": "Estimate"}]
    closed = shop.read("Estimate", estimate["Id"])
    assert closed["TxnStatus"] == "Closed"
    assert closed["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    assert closed["SyncToken"] == "1"
    # Only the invoice is owed.
    assert balance_of(shop, customer) == Decimal("120.00")


def test_payments_and_the_estimate_share_the_invoice_links(shop, customer, services, estimate):
    invoice = bill(shop, customer, services, estimate["Id"])
    payment = shop.create(
        "Payment",
        {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 20,
         "Line": [{"Amount": 20, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]},
    )  # fmt: skip
    paid = shop.read("Invoice", invoice["Id"])
    assert paid["LinkedTxn"] == [
        {"TxnId": estimate["Id"], "TxnType": "Estimate"},
        {"TxnId": payment["Id"], "TxnType": "Payment"},
    ]
    # A sparse edit of the invoice keeps both links; the estimate stays billed once.
    edited = shop.create(
        "Invoice",
        {"Id": invoice["Id"], "SyncToken": paid["SyncToken"], "sparse": True, "PrivateNote": "x"},
    )
    assert edited["LinkedTxn"] == paid["LinkedTxn"]
    assert shop.read("Estimate", estimate["Id"])["LinkedTxn"] == [
        {"TxnId": invoice["Id"], "TxnType": "Invoice"}
    ]


def test_deleting_the_invoice_reopens_the_estimate(shop, customer, services, estimate):
    invoice = bill(shop, customer, services, estimate["Id"])
    shop.ok(shop.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete"))
    reopened = shop.read("Estimate", estimate["Id"])
    assert reopened["TxnStatus"] == "Pending" and "LinkedTxn" not in reopened
    assert reopened["SyncToken"] == "2"


def test_a_full_update_without_the_link_unlinks_it(shop, customer, services, estimate):
    invoice = bill(shop, customer, services, estimate["Id"])
    full = {key: value for key, value in invoice.items() if key != "LinkedTxn"}
    assert "LinkedTxn" not in shop.create("Invoice", full)
    assert shop.read("Estimate", estimate["Id"])["TxnStatus"] == "Pending"


def test_a_billed_estimate_stays_closed_whatever_an_edit_sends(shop, customer, services, estimate):
    bill(shop, customer, services, estimate["Id"])
    current = shop.read("Estimate", estimate["Id"])
    edited = shop.create("Estimate", {**current, "TxnStatus": "Accepted", "LinkedTxn": []})
    assert edited["TxnStatus"] == "Closed" and edited["LinkedTxn"] == current["LinkedTxn"]


def test_deleting_a_billed_estimate_unlinks_its_invoice(shop, customer, services, estimate):
    invoice = bill(shop, customer, services, estimate["Id"])
    shop.ok(shop.post("estimate", {"Id": estimate["Id"], "SyncToken": "1"}, operation="delete"))
    unlinked = shop.read("Invoice", invoice["Id"])
    assert "LinkedTxn" not in unlinked and unlinked["SyncToken"] == "1"
    assert money(unlinked["Balance"]) == Decimal("120.00")


def test_links_an_invoice_may_not_make(shop, customer, services, estimate):
    other = shop.create("Customer", {"DisplayName": "Someone Else"})
    theirs = shop.create("Estimate", quote(other, line(services, 5)))
    second = shop.create("Estimate", quote(customer, line(services, 5)))
    body = quote(customer, line(services, 5))
    unknown = fault_of(shop.post("invoice", {**body, "LinkedTxn": [
        {"TxnId": "999", "TxnType": "Estimate"}]}))  # fmt: skip
    assert unknown["code"] == "610"
    foreign = fault_of(shop.post("invoice", {**body, "LinkedTxn": [
        {"TxnId": theirs["Id"], "TxnType": "Estimate"}]}))  # fmt: skip
    assert (foreign["code"], foreign["element"]) == ("6000", "LinkedTxn.TxnId")
    both = [{"TxnId": estimate["Id"], "TxnType": "Estimate"},
            {"TxnId": second["Id"], "TxnType": "Estimate"}]  # fmt: skip
    assert fault_of(shop.post("invoice", {**body, "LinkedTxn": both}))["code"] == "6000"
    assert shop.rows("select * from Invoice", "Invoice") == []
    assert shop.read("Estimate", estimate["Id"])["TxnStatus"] == "Pending"


# -- query, batch, CDC, snapshot --------------------------------------------------------------


def test_query_filters_on_documented_fields(shop, customer, services, estimate):
    other = shop.create("Customer", {"DisplayName": "Another Cafe"})
    theirs = shop.create("Estimate", quote(other, line(services, 7), TxnDate="2026-10-01"))
    by_customer = f"select * from Estimate where CustomerRef = '{other['Id']}'"
    assert [e["Id"] for e in shop.rows(by_customer, "Estimate")] == [theirs["Id"]]
    older = "select * from Estimate where TxnDate < '2026-11-01'"
    assert [e["Id"] for e in shop.rows(older, "Estimate")] == [theirs["Id"]]
    error = fault_of(shop.query("select * from Estimate where TxnStatus = 'Pending'"))
    assert error["code"] == "4001"


def test_batch_creates_updates_and_deletes_estimates(shop, customer, services, estimate):
    doomed = shop.create("Estimate", quote(customer, line(services, 3)))
    items = [
        {"bId": "1", "operation": "create", "Estimate": quote(customer, line(services, 9))},
        {"bId": "2", "operation": "update",
         "Estimate": {"Id": estimate["Id"], "SyncToken": "0", "sparse": True,
                      "TxnStatus": "Accepted"}},
        {"bId": "3", "operation": "delete", "Estimate": {"Id": doomed["Id"], "SyncToken": "0"}},
        {"bId": "4", "Query": "select * from Estimate"},
    ]  # fmt: skip
    answers = shop.ok(shop.post("batch", {"BatchItemRequest": items}))["BatchItemResponse"]
    created, updated, deleted, query = answers
    assert money(created["Estimate"]["TotalAmt"]) == 9
    assert updated["Estimate"]["TxnStatus"] == "Accepted"
    assert deleted["Estimate"]["status"] == "Deleted"
    assert sorted(e["Id"] for e in query["QueryResponse"]["Estimate"]) == sorted(
        [estimate["Id"], created["Estimate"]["Id"]]
    )


def test_cdc_reports_the_estimate_an_invoice_closed_and_a_deleted_one(
    emulator, shop, customer, services, estimate
):
    since = emulator.clock.now().isoformat()
    emulator.clock.advance(60)
    bill(shop, customer, services, estimate["Id"])
    doomed = shop.create("Estimate", quote(customer, line(services, 1)))
    shop.ok(shop.post("estimate", {"Id": doomed["Id"], "SyncToken": "0"}, operation="delete"))
    body = shop.ok(shop.get("cdc", entities="Estimate", changedSince=since))
    closed, tombstone = body["CDCResponse"][0]["QueryResponse"][0]["Estimate"]
    assert (closed["Id"], closed["TxnStatus"]) == (estimate["Id"], "Closed")
    assert (tombstone["Id"], tombstone["status"]) == (doomed["Id"], "Deleted")


def test_snapshot_keeps_links_status_and_numbers(tmp_path, emulator, shop, customer, services,
                                                 estimate):  # fmt: skip
    invoice = bill(shop, customer, services, estimate["Id"])
    emulator.save(tmp_path / "state.json")
    loaded = Emulator.load(tmp_path / "state.json").company(shop.realm_id)
    kept = loaded.read("Estimate", estimate["Id"])
    assert kept["TxnStatus"] == "Closed" and kept["TotalAmt"] == Decimal("120.00")
    assert kept["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    assert loaded.index_lookup("DocNumber:Estimate", estimate["DocNumber"])
