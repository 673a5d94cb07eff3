"""Credit memos, and credit spent on invoices through payments (issue 12; COVERAGE.md rows
"CreditMemo" and "Payments")."""

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qbo_emulator.seed import SAMPLE_INVOICES
from qbo_emulator.store import Emulator
from qbo_emulator.tests._data_helpers import Api, fault_of, line, money
from qbo_emulator.tests._fixtures_edge import edge_client, webhook_receiver
from qbo_emulator.tests.test_webhooks import config_for

DESIGN, ROCKS = "3", "8"  # sample items: Design (not taxable), Rocks (taxable)
COOL_CARS, AMYS = "3", "1"  # sample customers


def memo_body(*lines, customer=COOL_CARS, **fields) -> dict:
    return {"CustomerRef": {"value": customer}, "Line": list(lines), **fields}


def zero_payment(invoice: dict, memo: dict, amount, **fields) -> dict:
    """What Billbridge sends: TotalAmt 0, one line on the invoice and one on the credit memo."""
    return {
        "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
        "TotalAmt": 0,
        "Line": [
            {"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
            {"Amount": amount, "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]},
        ],
        **fields,
    }


def balance(company, customer=COOL_CARS) -> Decimal:
    return company.read("Customer", customer)["Balance"]


@pytest.fixture
def invoice(api) -> dict:
    return api.create("Invoice", memo_body(line(DESIGN, "100.00")))


@pytest.fixture
def memo(api) -> dict:
    return api.create("CreditMemo", memo_body(line(DESIGN, "40.00"), PrivateNote="credit 7"))


# -- the credit memo itself ----------------------------------------------------------------------


def test_create_answers_totals_open_credit_and_lowers_the_customer_balance(api, sample):
    before = balance(sample)
    created = api.create(
        "CreditMemo",
        memo_body(
            line(DESIGN, "100.00", tax="NON"),
            line(ROCKS, "50.00", qty=2, price=25, tax="TAX"),
            TxnTaxDetail={"TxnTaxCodeRef": {"value": "2"}},  # California 8%
        ),
    )
    assert created["Id"] == "1" and created["SyncToken"] == "0"
    assert [(ln["Id"], ln["LineNum"]) for ln in created["Line"][:2]] == [("1", 1), ("2", 2)]
    assert created["Line"][2] == {
        "Amount": 150,
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    }
    assert money(created["TxnTaxDetail"]["TotalTax"]) == Decimal("4.00")
    assert money(created["TotalAmt"]) == Decimal("154.00")
    # QBO answers the unspent credit twice, equal (Intuit's CreditMemo samples: 50/50, 0/0).
    assert money(created["Balance"]) == money(created["RemainingCredit"]) == Decimal("154.00")
    assert created["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}
    assert created["CustomerRef"] == {"value": COOL_CARS, "name": "Cool Cars"}
    assert set(created["MetaData"]) == {"CreateTime", "LastUpdatedTime"}
    assert created["BillEmail"] == {"Address": "Cool_Cars@intuit.com"}
    assert "DueDate" not in created and "LinkedTxn" not in created
    assert balance(sample) == before - Decimal("154.00")
    assert api.read("CreditMemo", created["Id"]) == created


def test_doc_numbers_run_in_their_own_sequence(api, invoice):
    first = api.create("CreditMemo", memo_body(line(DESIGN, 1)))
    second = api.create("CreditMemo", memo_body(line(DESIGN, 1)))
    assert (first["DocNumber"], second["DocNumber"]) == ("1001", "1002")
    # The sample's invoices, numbered from 1001, came first.
    assert invoice["DocNumber"] == str(1001 + len(SAMPLE_INVOICES))
    # An invoice's number is free for a credit memo, a credit memo's is not.
    assert api.create("CreditMemo", memo_body(line(DESIGN, 1), DocNumber=invoice["DocNumber"]))
    error = fault_of(api.post("creditmemo", memo_body(line(DESIGN, 1), DocNumber="1001")))
    assert (error["code"], error["element"]) == ("6140", "DocNumber")
    assert "TxnType=CreditMemo" in error["Detail"]
    too_long = memo_body(line(DESIGN, 1), DocNumber="CN-" + "9" * 19)
    assert fault_of(api.post("creditmemo", too_long))["code"] == "2050"


def test_custom_numbers_on_keep_the_number_sent_or_none(empty_api):
    customer = empty_api.create("Customer", {"DisplayName": "Numbered Ltd"})["Id"]
    body = memo_body(line("1", 10), customer=customer)
    assert "DocNumber" not in empty_api.create("CreditMemo", body)
    assert empty_api.create("CreditMemo", {**body, "DocNumber": "CN-0001"})["DocNumber"] == (
        "CN-0001"
    )


@pytest.mark.parametrize(
    "body, code",
    [
        ({"CustomerRef": {"value": COOL_CARS}}, "2020"),  # no Line
        ({"Line": [line(DESIGN, 1)]}, "2020"),  # no CustomerRef
        (memo_body(line(DESIGN, 1), customer="999"), "2500"),
        (memo_body(line("999", 1)), "2500"),
        (memo_body(line(DESIGN, 1), SalesTermRef="999"), "2500"),
        (memo_body(line(DESIGN, 10, qty=2, price=4)), "6070"),
        (memo_body(line(DESIGN, "1e400")), "2010"),
        (memo_body(line(DESIGN, 1), TxnDate="31/12/2026"), "2010"),
    ],
)
def test_bad_input_is_a_fault_and_stores_nothing(api, sample, body, code):
    assert fault_of(api.post("creditmemo", body))["code"] == code
    assert sample.list("CreditMemo") == []


def test_reading_an_unknown_credit_memo_is_610(api):
    assert fault_of(api.get("creditmemo/999"))["code"] == "610"


@pytest.mark.parametrize(
    "setup, expected_tax",
    [
        ("us_manual", Decimal("8.00")),  # TxnTaxCodeRef 2, California 8%
        ("us_ast", Decimal("7.25")),  # AST: the emulator's California rate
        ("us_no_sales_tax", Decimal("0")),
        ("non_us", Decimal("20.00")),  # the line's own TaxCodeRef "20.0% S"
    ],
)
def test_tax_follows_the_invoice_rules(client, emulator, setup, expected_tax):
    api, body = taxed_memo_body(client, emulator, setup)
    memo = api.create("CreditMemo", body)
    twin = api.create("Invoice", body)
    assert money(memo["TxnTaxDetail"]["TotalTax"]) == expected_tax
    assert money(memo["TotalAmt"]) == Decimal("100.00") + expected_tax
    assert memo["TxnTaxDetail"] == twin["TxnTaxDetail"]
    assert (
        memo["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]
        == (twin["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"])
    )


def taxed_memo_body(client, emulator, setup: str) -> tuple[Api, dict]:
    """A company of each tax model and a one-line body of 100 carrying tax where it can."""
    if setup == "non_us":
        company = emulator.create_company(name="UK Ltd", country="GB", seed="empty")
        api = Api(client, company.realm_id)
        codes = {c["Name"]: c["Id"] for c in api.rows("select * from TaxCode", "TaxCode")}
        customer = api.create("Customer", {"DisplayName": "Client Ltd"})["Id"]
        return api, memo_body(line("1", 100, tax=codes["20.0% S"]), customer=customer)
    preferences = {"us_ast": {"automated_sales_tax": True}, "us_manual": {}}.get(setup)
    if preferences is None:
        company = emulator.create_company(name="No Tax Co", seed="empty")
        api = Api(client, company.realm_id)
        customer = api.create("Customer", {"DisplayName": "Client Inc"})["Id"]
        return api, memo_body(line("1", 100, tax="TAX"), customer=customer)
    company = emulator.create_company(name="US Co", seed="sample", **preferences)
    return Api(client, company.realm_id), memo_body(line(ROCKS, 100, tax="TAX"))


def test_non_us_line_without_a_tax_code_is_refused(client, emulator):
    company = emulator.create_company(name="UK Ltd", country="GB", seed="empty")
    api = Api(client, company.realm_id)
    customer = api.create("Customer", {"DisplayName": "Client Ltd"})["Id"]
    error = fault_of(api.post("creditmemo", memo_body(line("1", 10), customer=customer)))
    assert error["code"] == "6000" and "VAT rate" in error["Detail"]


def test_full_and_sparse_update_recompute_and_ignore_echoed_amounts(api, sample, memo):
    before = balance(sample)
    echoed = {**memo, "RemainingCredit": 0, "Balance": 0, "TotalAmt": 1}
    echoed["Line"] = [line(DESIGN, "55.00")]
    full = api.create("CreditMemo", echoed)
    assert full["SyncToken"] == "1" and full["DocNumber"] == memo["DocNumber"]
    assert money(full["TotalAmt"]) == money(full["RemainingCredit"]) == Decimal("55.00")
    assert "PrivateNote" in full  # echoed back, so kept
    sparse = api.create(
        "CreditMemo",
        {"Id": memo["Id"], "SyncToken": "1", "sparse": True, "Line": [line(DESIGN, "30.00")]},
    )
    assert money(sparse["Balance"]) == Decimal("30.00") and sparse["PrivateNote"] == "credit 7"
    assert balance(sample) == before - Decimal("30.00") + Decimal("40.00")
    stale = {**memo, "SyncToken": "0", "sparse": True, "PrivateNote": "late"}
    assert fault_of(api.post("creditmemo", stale))["code"] == "5010"


def test_delete_leaves_a_tombstone_and_gives_the_customer_balance_back(api, sample, memo):
    before = balance(sample)
    deleted = api.ok(
        api.post("creditmemo", {"Id": memo["Id"], "SyncToken": "0"}, operation="delete")
    )
    assert deleted["CreditMemo"] == {"domain": "QBO", "status": "Deleted", "Id": memo["Id"]}
    assert fault_of(api.get(f"creditmemo/{memo['Id']}"))["code"] == "610"
    assert balance(sample) == before + Decimal("40.00")


def test_void_zeroes_the_credit_as_for_an_invoice(api, sample, memo):
    before = balance(sample)
    voided = api.ok(api.post("creditmemo", {"Id": memo["Id"], "SyncToken": "0"}, operation="void"))
    memo_now = voided["CreditMemo"]
    assert memo_now["TotalAmt"] == memo_now["Balance"] == memo_now["RemainingCredit"] == 0
    assert all(ln["Amount"] == 0 for ln in memo_now["Line"])
    assert "UnitPrice" not in memo_now["Line"][0]["SalesItemLineDetail"]
    assert memo_now["TxnTaxDetail"] == {"TotalTax": 0}
    assert memo_now["PrivateNote"] == "Voided - credit 7" and memo_now["SyncToken"] == "1"
    assert balance(sample) == before + Decimal("40.00")


def test_query_by_the_invoice_fields(api, memo):
    other = api.create("CreditMemo", memo_body(line(DESIGN, "5.00"), customer=AMYS))
    rows = api.rows

    def ids(where: str) -> list[str]:
        return [m["Id"] for m in rows(f"select * from CreditMemo where {where}", "CreditMemo")]

    assert ids(f"DocNumber = '{memo['DocNumber']}'") == [memo["Id"]]
    assert ids(f"CustomerRef = '{AMYS}'") == [other["Id"]]
    assert ids("Balance > '10'") == [memo["Id"]]
    assert ids("TotalAmt < '10'") == [other["Id"]]
    assert ids(f"TxnDate = '{memo['TxnDate']}'") == [memo["Id"], other["Id"]]
    count = api.ok(api.query("select count(*) from CreditMemo"))["QueryResponse"]
    assert count["totalCount"] == 2
    error = fault_of(api.query("select * from CreditMemo where RemainingCredit > '1'"))
    assert error["code"] == "4001"


# -- credit spent on an invoice through a payment ------------------------------------------------


def test_a_zero_payment_applies_the_credit_to_the_invoice(api, sample, invoice, memo):
    owed = balance(sample)
    payment = api.create("Payment", zero_payment(invoice, memo, "40.00"))
    assert payment["TotalAmt"] == 0 and payment["UnappliedAmt"] == 0
    assert [ln["LinkedTxn"] for ln in payment["Line"]] == [
        [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
        [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}],
    ]
    memo_line_ex = {
        nv["value"]["Name"]: nv["value"]["Value"] for nv in payment["Line"][1]["LineEx"]["any"]
    }
    assert memo_line_ex == {
        "txnId": memo["Id"],
        "txnOpenBalance": "0.00",
        "txnReferenceNumber": memo["DocNumber"],
    }
    invoice_now = api.read("Invoice", invoice["Id"])
    assert money(invoice_now["Balance"]) == Decimal("60.00")
    assert invoice_now["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    assert invoice_now["SyncToken"] == "1"
    memo_now = api.read("CreditMemo", memo["Id"])
    assert memo_now["Balance"] == memo_now["RemainingCredit"] == 0
    assert money(memo_now["TotalAmt"]) == Decimal("40.00")
    assert memo_now["SyncToken"] == "1" and "LinkedTxn" not in memo_now
    assert balance(sample) == owed  # what the customer owes did not change: 100 - 40 before


def test_a_payment_can_bring_money_and_credit_together(api, sample, invoice, memo):
    owed = balance(sample)
    body = zero_payment(invoice, memo, "40.00", TotalAmt="60.00")
    body["Line"][0]["Amount"] = "100.00"
    payment = api.create("Payment", body)
    assert money(payment["TotalAmt"]) == Decimal("60.00") and payment["UnappliedAmt"] == 0
    assert api.read("Invoice", invoice["Id"])["Balance"] == 0
    assert balance(sample) == owed - Decimal("60.00")


def test_one_memo_spent_on_two_invoices_in_parts(api, invoice, memo):
    second = api.create("Invoice", memo_body(line(DESIGN, "10.00")))
    api.create("Payment", zero_payment(invoice, memo, "25.00"))
    assert money(api.read("CreditMemo", memo["Id"])["RemainingCredit"]) == Decimal("15.00")
    api.create("Payment", zero_payment(second, memo, "10.00"))
    memo_now = api.read("CreditMemo", memo["Id"])
    assert money(memo_now["RemainingCredit"]) == money(memo_now["Balance"]) == Decimal("5.00")
    assert api.read("Invoice", second["Id"])["Balance"] == 0
    error = fault_of(api.post("payment", zero_payment(invoice, memo, "5.01")))
    assert error["code"] == "6000" and "remaining credit (5.00)" in error["Detail"]


def test_one_line_linking_both_documents_is_accepted(api, invoice, memo):
    body = {
        "CustomerRef": {"value": COOL_CARS},
        "TotalAmt": 0,
        "Line": [
            {
                "Amount": "40.00",
                "LinkedTxn": [
                    {"TxnId": memo["Id"], "TxnType": "CreditMemo"},
                    {"TxnId": invoice["Id"], "TxnType": "Invoice", "TxnLineId": 1},
                ],
            }
        ],
    }
    payment = api.create("Payment", body)
    assert payment["UnappliedAmt"] == 0
    assert money(api.read("Invoice", invoice["Id"])["Balance"]) == Decimal("60.00")
    assert api.read("CreditMemo", memo["Id"])["RemainingCredit"] == 0


@pytest.mark.parametrize(
    "change, code, words",
    [
        ("more_than_the_credit", "6000", "remaining credit"),
        ("more_than_the_invoice", "6000", "open balance"),
        ("another_customers_memo", "6000", "another customer"),
        ("unknown_memo", "610", "Object Not Found"),
        ("credit_without_invoice", "6000", "credit can only be spent on invoices"),
        ("sums_disagree", "6000", "more than the payment total"),
        ("two_memos_on_one_line", "2010", "one of each"),
        ("negative_credit", "2010", "negative"),
        ("the_same_credit_twice", "6000", "remaining credit (10.00)"),
    ],
)
def test_refused_applications_change_nothing(api, sample, invoice, memo, change, code, words):
    small = api.create("Invoice", memo_body(line(DESIGN, "30.00")))
    elsewhere = api.create("CreditMemo", memo_body(line(DESIGN, "40.00"), customer=AMYS))
    bodies = {
        "more_than_the_credit": zero_payment(invoice, memo, "40.01"),
        "more_than_the_invoice": zero_payment(small, memo, "35.00"),
        "another_customers_memo": zero_payment(invoice, elsewhere, "10.00"),
        "unknown_memo": zero_payment(invoice, {"Id": "999"}, "10.00"),
        "credit_without_invoice": {
            **zero_payment(invoice, memo, "10.00"),
            "Line": zero_payment(invoice, memo, "10.00")["Line"][1:],
        },
        "sums_disagree": {
            **zero_payment(invoice, memo, "10.00"),
            "TotalAmt": 0,
            "Line": [
                {"Amount": "20.00", "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
                {"Amount": "10.00", "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]},
            ],
        },  # fmt: skip
        "two_memos_on_one_line": {
            **zero_payment(invoice, memo, "10.00"),
            "Line": [
                {
                    "Amount": "10.00",
                    "LinkedTxn": [
                        {"TxnId": memo["Id"], "TxnType": "CreditMemo"},
                        {"TxnId": elsewhere["Id"], "TxnType": "CreditMemo"},
                    ],
                },
            ],
        },  # fmt: skip
        "negative_credit": zero_payment(invoice, memo, "-10.00"),
        "the_same_credit_twice": {  # two lines of 30 on one memo of 40
            **zero_payment(invoice, memo, "30.00"),
            "Line": zero_payment(invoice, memo, "30.00")["Line"] * 2,
        },
    }
    owed = balance(sample)
    payments = len(sample.list("Payment"))
    error = fault_of(api.post("payment", bodies[change]))
    assert error["code"] == code
    assert words in error["Detail"] or words in error["Message"]
    assert len(sample.list("Payment")) == payments
    assert api.read("Invoice", invoice["Id"]) == invoice
    assert api.read("CreditMemo", memo["Id"]) == memo
    assert balance(sample) == owed


def test_a_deleted_memo_is_not_found(api, invoice, memo):
    api.post("creditmemo", {"Id": memo["Id"], "SyncToken": "0"}, operation="delete")
    error = fault_of(api.post("payment", zero_payment(invoice, memo, "10.00")))
    assert error["code"] == "610" and f"CreditMemo Id={memo['Id']}" in error["Detail"]


def test_changing_the_payment_moves_the_credit_back_and_forth(api, sample, invoice, memo):
    owed = balance(sample)
    payment = api.create("Payment", zero_payment(invoice, memo, "40.00"))
    lowered = {**zero_payment(invoice, memo, "15.00"), "Id": payment["Id"], "SyncToken": "0"}
    payment = api.create("Payment", lowered)
    assert money(api.read("Invoice", invoice["Id"])["Balance"]) == Decimal("85.00")
    assert money(api.read("CreditMemo", memo["Id"])["RemainingCredit"]) == Decimal("25.00")
    emptied = {**lowered, "SyncToken": payment["SyncToken"], "Line": []}
    payment = api.create("Payment", emptied)
    invoice_now = api.read("Invoice", invoice["Id"])
    assert money(invoice_now["Balance"]) == Decimal("100.00")
    assert invoice_now.get("LinkedTxn", []) == []
    assert money(api.read("CreditMemo", memo["Id"])["RemainingCredit"]) == Decimal("40.00")
    assert balance(sample) == owed


@pytest.mark.parametrize("how", ["void", "delete"])
def test_voiding_or_deleting_the_payment_gives_the_credit_back(api, sample, invoice, memo, how):
    owed = balance(sample)
    payment = api.create("Payment", zero_payment(invoice, memo, "40.00"))
    target = {"Id": payment["Id"], "SyncToken": "0", "sparse": True}
    params = {"operation": "update", "include": "void"} if how == "void" else {"operation": how}
    api.ok(api.post("payment", target, **params))
    assert money(api.read("Invoice", invoice["Id"])["Balance"]) == Decimal("100.00")
    memo_now = api.read("CreditMemo", memo["Id"])
    assert money(memo_now["RemainingCredit"]) == money(memo_now["Balance"]) == Decimal("40.00")
    assert memo_now["SyncToken"] == "2"  # applied, then given back
    assert balance(sample) == owed


def test_an_applied_memo_is_protected_until_its_payment_goes(api, sample, invoice, memo):
    api.create("Payment", zero_payment(invoice, memo, "30.00"))
    current = api.read("CreditMemo", memo["Id"])
    target = {"Id": memo["Id"], "SyncToken": current["SyncToken"]}
    for operation in ("void", "delete"):
        error = fault_of(api.post("creditmemo", target, operation=operation))
        assert error["code"] == "6000" and "applied to invoices" in error["Detail"]
    below = {**current, "Line": [line(DESIGN, "20.00")]}
    assert "already applied" in fault_of(api.post("creditmemo", below))["Detail"]
    moved = {**current, "CustomerRef": {"value": AMYS}}
    assert fault_of(api.post("creditmemo", moved))["element"] == "CustomerRef"
    raised = api.create("CreditMemo", {**current, "Line": [line(DESIGN, "50.00")]})
    assert money(raised["RemainingCredit"]) == Decimal("20.00")
    assert api.read("CreditMemo", memo["Id"]) == raised


def test_credit_memos_are_not_applied_automatically(api, sample, invoice):
    assert sample.preferences["SalesFormsPrefs"]["AutoApplyCredit"] is True
    memo = api.create("CreditMemo", memo_body(line(DESIGN, "40.00")))
    assert money(api.read("Invoice", invoice["Id"])["Balance"]) == Decimal("100.00")
    assert money(api.read("CreditMemo", memo["Id"])["RemainingCredit"]) == Decimal("40.00")
    assert not [p for p in sample.list("Payment") if p["TotalAmt"] == 0]


# -- closed books ---------------------------------------------------------------------------------


def test_closed_books_refuse_credit_memos_dated_in_the_closed_period(api, sample, memo):
    sample.set_preferences(book_close_date="2026-11-20")
    error = fault_of(api.post("creditmemo", memo_body(line(DESIGN, 1), TxnDate="2026-11-20")))
    assert (error["code"], error["element"]) == ("6210", "TxnDate")
    target = {"Id": memo["Id"], "SyncToken": "0"}  # dated today, 2026-11-20
    assert fault_of(api.post("creditmemo", target, operation="void"))["code"] == "6210"
    assert fault_of(api.post("creditmemo", target, operation="delete"))["code"] == "6210"
    assert api.create("CreditMemo", memo_body(line(DESIGN, 1), TxnDate="2026-11-21"))


def test_credit_dated_in_the_open_period_reaches_an_invoice_of_a_closed_one(api, sample):
    old = api.create("Invoice", memo_body(line(DESIGN, "100.00"), TxnDate="2026-09-30"))
    sample.set_preferences(book_close_date="2026-10-31")
    memo = api.create("CreditMemo", memo_body(line(DESIGN, "40.00"), TxnDate="2026-11-20"))
    payment = api.create("Payment", zero_payment(old, memo, "40.00", TxnDate="2026-11-20"))
    assert money(api.read("Invoice", old["Id"])["Balance"]) == Decimal("60.00")
    # The payment itself is what the closing date protects.
    back_dated = zero_payment(old, memo, "0.00", TxnDate="2026-10-31")
    assert fault_of(api.post("payment", back_dated))["code"] == "6210"
    api.ok(api.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete"))
    assert money(api.read("Invoice", old["Id"])["Balance"]) == Decimal("100.00")


def test_closed_books_enforcement_can_be_switched_off_per_company(client, emulator, tmp_path):
    lax = emulator.create_company(
        name="Lax Co", seed="sample", book_close_date="2026-10-31", closed_books_enforced=False
    )
    strict = emulator.create_company(name="Strict Co", seed="sample", book_close_date="2026-10-31")
    body = memo_body(line(DESIGN, 1), TxnDate="2026-10-01")
    assert Api(client, lax.realm_id).create("CreditMemo", body)
    assert fault_of(Api(client, strict.realm_id).post("creditmemo", body))["code"] == "6210"
    strict.set_preferences(closed_books_enforced=False)
    assert Api(client, strict.realm_id).create("CreditMemo", body)
    assert "closed_books_enforced" not in json.dumps(strict.preferences)  # not a QBO field
    emulator.save(tmp_path / "state.json")
    loaded = Emulator.load(tmp_path / "state.json").company(strict.realm_id)
    assert loaded.preference("closed_books_enforced") is False
    with pytest.raises(ValueError, match="true or false"):
        strict.set_preferences(closed_books_enforced="no")
    with pytest.raises(ValueError, match="true or false"):
        emulator.create_company(name="Bad", closed_books_enforced=1)


def test_a_refused_preference_leaves_the_switch_alone(sample):
    with pytest.raises(ValueError):
        sample.set_preferences(closed_books_enforced=False, sales_tax="maybe")
    assert sample.preference("closed_books_enforced") is True


def test_the_switch_is_in_the_control_api():
    with edge_client(seed="sample") as edge:
        path = f"/_emulator/companies/{edge.realm}/preferences"
        shown = edge.client.get(f"/_emulator/companies/{edge.realm}").json()
        assert shown["preferences"]["closed_books_enforced"] is True
        changed = edge.client.patch(path, json={"closed_books_enforced": False}).json()
        assert changed["preferences"]["closed_books_enforced"] is False
        assert edge.client.patch(path, json={"closed_books_enforced": "off"}).status_code == 400
        created = edge.client.post(
            "/_emulator/companies",
            json={"name": "Lax", "preferences": {"closed_books_enforced": False}},
        )
        assert created.json()["preferences"]["closed_books_enforced"] is False


# -- batch, CDC, snapshot ------------------------------------------------------------------------


def test_batch_creates_updates_voids_and_deletes_credit_memos(api, memo):
    doomed = api.create("CreditMemo", memo_body(line(DESIGN, 5)))
    items = [
        {"bId": "1", "operation": "create", "CreditMemo": memo_body(line(DESIGN, 7))},
        {"bId": "2", "operation": "update",
         "CreditMemo": {"Id": memo["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "b"}},
        {"bId": "3", "operation": "delete", "CreditMemo": {"Id": doomed["Id"], "SyncToken": "0"}},
        {"bId": "4", "operation": "void", "CreditMemo": {"Id": memo["Id"], "SyncToken": "1"}},
        {"bId": "5", "Query": "select * from CreditMemo"},
    ]  # fmt: skip
    answers = api.ok(api.post("batch", {"BatchItemRequest": items}))["BatchItemResponse"]
    created, updated, deleted, voided, query = answers
    assert money(created["CreditMemo"]["RemainingCredit"]) == Decimal("7.00")
    assert updated["CreditMemo"]["PrivateNote"] == "b"
    assert deleted["CreditMemo"]["status"] == "Deleted"
    assert voided["CreditMemo"]["PrivateNote"] == "Voided - b"
    assert sorted(m["Id"] for m in query["QueryResponse"]["CreditMemo"]) == [
        memo["Id"],
        created["CreditMemo"]["Id"],
    ]


def test_cdc_reports_new_applied_and_deleted_credit_memos(api, emulator, invoice, memo):
    since = emulator.clock.now().isoformat()
    emulator.clock.advance(60)
    api.create("Payment", zero_payment(invoice, memo, "10.00"))
    doomed = api.create("CreditMemo", memo_body(line(DESIGN, 5)))
    api.post("creditmemo", {"Id": doomed["Id"], "SyncToken": "0"}, operation="delete")
    body = api.ok(api.get("cdc", entities="CreditMemo,Invoice", changedSince=since))
    memos, invoices = body["CDCResponse"][0]["QueryResponse"]
    applied, tombstone = memos["CreditMemo"]
    assert applied["Id"] == memo["Id"] and money(applied["RemainingCredit"]) == Decimal("30.00")
    assert tombstone["status"] == "Deleted" and tombstone["Id"] == doomed["Id"]
    assert [i["Id"] for i in invoices["Invoice"]] == [invoice["Id"]]


def test_snapshot_keeps_remaining_credit_exact(tmp_path, emulator, sample, api, memo):
    emulator.save(tmp_path / "state.json")
    loaded = Emulator.load(tmp_path / "state.json").company(sample.realm_id)
    assert loaded.read("CreditMemo", memo["Id"])["RemainingCredit"] == Decimal("40.00")
    assert loaded.index_lookup("DocNumber:CreditMemo", memo["DocNumber"])


LINKS = st.lists(
    st.fixed_dictionaries(
        {"TxnId": st.sampled_from(["1", "6", "999", "", "x", 1, None, {}]),
         "TxnType": st.sampled_from(["Invoice", "CreditMemo", "JournalEntry", "", None, {}, []])}
    ),
    max_size=3,
)  # fmt: skip
AMOUNTS = st.one_of(
    st.sampled_from(["0", "10", "40.00", "-5", "1e400", "", "abc"]), st.integers(-5, 500)
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    lines=st.lists(st.fixed_dictionaries({"Amount": AMOUNTS, "LinkedTxn": LINKS}), max_size=3),
    total=AMOUNTS,
)
def test_any_payment_against_credit_memos_is_answered_and_keeps_balances(api, sample, lines, total):
    """Whatever a client sends, the answer is 200 or a 400 fault, and what the customer owes
    stays the sum of its open invoices less its unspent credit."""
    if not sample.find("CreditMemo", "1"):
        api.create("CreditMemo", memo_body(line(DESIGN, "40.00")))
    response = api.post("payment", {"CustomerRef": {"value": COOL_CARS}, "TotalAmt": total,
                                    "Line": lines})  # fmt: skip
    assert response.status_code in (200, 400)
    mine = [d for d in sample.list("Invoice") if d["CustomerRef"]["value"] == COOL_CARS]
    credits = [d for d in sample.list("CreditMemo") if d["CustomerRef"]["value"] == COOL_CARS]
    owed = sum((d["Balance"] for d in mine), Decimal(0)) - sum(
        (d["Balance"] for d in credits), Decimal(0)
    )
    assert balance(sample) == owed
    assert all(0 <= d["RemainingCredit"] == d["Balance"] <= d["TotalAmt"] for d in credits)


# -- the QBO user's side: control API, webhooks, the company page ---------------------------------


def test_webhooks_announce_every_credit_memo_change():
    with (
        webhook_receiver() as receiver,
        edge_client(config_for(receiver, manual=True), seed="sample") as edge,
    ):
        edge.connect()
        company = edge.emulator.company(edge.realm)
        invoice = company.create("Invoice", memo_body(line(DESIGN, "100.00")))
        memo = company.create("CreditMemo", memo_body(line(DESIGN, "40.00")))
        payment = company.create("Payment", zero_payment(invoice, memo, "40.00"))
        edge.client.post(f"/_emulator/companies/{edge.realm}/payments/{payment['Id']}/delete")
        voided = edge.client.post(
            f"/_emulator/companies/{edge.realm}/creditmemos/{memo['Id']}/void"
        )
        assert voided.json()["CreditMemo"]["RemainingCredit"] == "0"
        other = company.create("CreditMemo", memo_body(line(DESIGN, "1.00")))
        edge.client.post(f"/_emulator/companies/{edge.realm}/creditmemos/{other['Id']}/delete")
        edge.client.post("/_emulator/webhooks/deliver")
    events = [e for d in receiver.deliveries for e in json.loads(d["body"])]
    memo_events = [(e["type"], e["intuitentityid"]) for e in events if ".creditmemo." in e["type"]]
    assert memo_events == [
        ("qbo.creditmemo.created.v1", memo["Id"]),
        ("qbo.creditmemo.updated.v1", memo["Id"]),  # credit taken by the payment
        ("qbo.creditmemo.updated.v1", memo["Id"]),  # given back when the payment went
        ("qbo.creditmemo.voided.v1", memo["Id"]),
        ("qbo.creditmemo.created.v1", other["Id"]),
        ("qbo.creditmemo.deleted.v1", other["Id"]),
    ]


def test_the_control_api_refuses_to_void_an_applied_memo():
    with edge_client(seed="sample") as edge:
        company = edge.emulator.company(edge.realm)
        invoice = company.create("Invoice", memo_body(line(DESIGN, "100.00")))
        memo = company.create("CreditMemo", memo_body(line(DESIGN, "40.00")))
        company.create("Payment", zero_payment(invoice, memo, "40.00"))
        response = edge.client.post(
            f"/_emulator/companies/{edge.realm}/creditmemos/{memo['Id']}/void"
        )
        assert response.status_code == 400
        assert response.json()["Fault"]["Error"][0]["code"] == "6000"
        listed = edge.client.get(f"/_emulator/companies/{edge.realm}/creditmemo").json()
        assert [m["RemainingCredit"] for m in listed["objects"]] == ["0.00"]


def test_the_company_page_shows_both_documents():
    with edge_client(seed="sample") as edge:
        company = edge.emulator.company(edge.realm)
        invoice = company.create("Invoice", memo_body(line(DESIGN, "100.00")))
        spent = company.create("CreditMemo", memo_body(line(DESIGN, "40.00"), DocNumber="CN-7"))
        unspent = company.create("CreditMemo", memo_body(line(DESIGN, "12.50"), customer=AMYS))
        payment = company.create("Payment", zero_payment(invoice, spent, "40.00"))
        company.set_preferences(book_close_date="2026-10-31")
        page = edge.client.get(f"/_emulator/ui/{edge.realm}").text
        assert "<h2>Credit memos</h2>" in page
        row = page.split(f"<tr id='creditmemo-{spent['Id']}'>")[1].split("</tr>")[0]
        for cell in ("CN-7", "Cool Cars", "40.00", "0.00", "Applied"):
            assert f">{cell}<" in row
        assert f"invoice {invoice['Id']} by payment {payment['Id']}" in row
        assert "/void" not in row  # QBO refuses to void it while its credit is applied
        invoice_row = page.split(f"<tr id='invoice-{invoice['Id']}'>")[1].split("</tr>")[0]
        assert ">60.00<" in invoice_row and "Partially paid" in invoice_row
        assert f"credit memo {spent['Id']}" in page  # the payment lists what it links
        assert "Books closed through 2026-10-31 (enforced through the API)" in page
        unspent_row = page.split(f"<tr id='creditmemo-{unspent['Id']}'>")[1].split("</tr>")[0]
        assert ">12.50<" in unspent_row and "Unapplied" in unspent_row
        response = edge.client.post(f"/_emulator/ui/{edge.realm}/creditmemos/{unspent['Id']}/void")
        assert "Credit memo" in response.text and "voided" in response.text
        assert company.read("CreditMemo", unspent["Id"])["RemainingCredit"] == 0
        refused = edge.client.post(f"/_emulator/ui/{edge.realm}/creditmemos/{spent['Id']}/void")
        assert "class='error'" in refused.text and "6000" in refused.text
