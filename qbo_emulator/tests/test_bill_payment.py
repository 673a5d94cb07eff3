"""Bill payments (Intuit's BillPayment reference): paying bills by check or credit card, the
bills' Balance and LinkedTxn, the vendor's Balance, refusals, update, delete, void, batch, CDC."""

from decimal import Decimal

import pytest

from qbo_emulator.tests._data_helpers import fault_of, money
from qbo_emulator.tests._purchases import Books, expense


@pytest.fixture
def books(empty_api) -> Books:
    return Books(empty_api)


@pytest.fixture
def bill(books) -> dict:
    return books.bill(expense(books.expense, "100.00"))


def by_check(books: Books, *paid: tuple[dict, object], total=None, **fields) -> dict:
    """A bill payment by check of `amount` on each (bill, amount); TotalAmt their sum unless
    given."""
    lines = [
        {"Amount": amount, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}
        for bill, amount in paid
    ]
    return {
        "VendorRef": {"value": books.vendor},
        "PayType": "Check",
        "TotalAmt": total if total is not None else str(sum(Decimal(str(a)) for _, a in paid)),
        "CheckPayment": {"BankAccountRef": {"value": books.bank}},
        "Line": lines,
        **fields,
    }


def by_card(books: Books, *paid, **fields) -> dict:
    body = by_check(books, *paid, PayType="CreditCard", **fields)
    del body["CheckPayment"]
    body["CreditCardPayment"] = {"CCAccountRef": {"value": books.card}}
    return body


def state(api, bill: dict, books: Books) -> tuple:
    """The bill's Balance, SyncToken and LinkedTxn, and its vendor's Balance."""
    now = api.read("Bill", bill["Id"])
    vendor = api.read("Vendor", books.vendor)
    return money(now["Balance"]), now["SyncToken"], now.get("LinkedTxn"), money(vendor["Balance"])


# -- paying -------------------------------------------------------------------------------------


def test_a_check_pays_a_bill_and_the_bill_lists_it(books, empty_api, bill):
    payment = empty_api.create("BillPayment", by_check(books, (bill, "60.00"), PrivateNote="n"))
    assert payment["PayType"] == "Check" and money(payment["TotalAmt"]) == Decimal("60.00")
    assert payment["Line"] == [
        {"Amount": 60, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}
    ]
    assert payment["CheckPayment"] == {
        "BankAccountRef": {"value": books.bank, "name": "Checking"},
        "PrintStatus": "NeedToPrint",  # the reference's default
    }
    assert "CreditCardPayment" not in payment and "DocNumber" not in payment
    assert state(empty_api, bill, books) == (
        Decimal("40.00"),
        "1",  # the bill's SyncToken moves when a payment lands on it
        [{"TxnId": payment["Id"], "TxnType": "BillPaymentCheck"}],
        Decimal("40.00"),
    )


def test_a_card_pays_from_a_credit_card_account(books, empty_api, bill):
    payment = empty_api.create("BillPayment", by_card(books, (bill, 100)))
    assert payment["CreditCardPayment"] == {
        "CCAccountRef": {"value": books.card, "name": "Visa Card"}
    }
    balance, _, links, owed = state(empty_api, bill, books)
    assert (balance, owed) == (0, 0)
    assert links == [{"TxnId": payment["Id"], "TxnType": "BillPaymentCreditCard"}]


def test_two_payments_on_one_bill_are_both_listed(books, empty_api, bill):
    first = empty_api.create("BillPayment", by_check(books, (bill, 30)))
    second = empty_api.create("BillPayment", by_card(books, (bill, 70)))
    balance, token, links, _ = state(empty_api, bill, books)
    assert (balance, token) == (0, "2")
    assert links == [
        {"TxnId": first["Id"], "TxnType": "BillPaymentCheck"},
        {"TxnId": second["Id"], "TxnType": "BillPaymentCreditCard"},
    ]


def test_one_payment_pays_several_bills_and_may_pay_more_than_them(books, empty_api, bill):
    other = books.bill(expense(books.expense, "50.00"))
    payment = empty_api.create(
        "BillPayment", by_check(books, (bill, 100), (other, 20), total="200.00")
    )
    # "If TotalAmt is greater than the total on the lines being paid, the overpayment is
    # treated as a credit" (the credit itself is not modelled in the vendor's Balance).
    assert money(payment["TotalAmt"]) == Decimal("200.00")
    assert money(empty_api.read("Bill", other["Id"])["Balance"]) == 30
    assert money(empty_api.read("Vendor", books.vendor)["Balance"]) == 30


REFUSALS = {
    "more than the bill": (lambda b, bill: by_check(b, (bill, "100.01")), "6000", "Line.Amount"),
    "more than the total": (lambda b, bill: by_check(b, (bill, 50), total=40), "6000",
                            "Line.Amount"),
    "negative total": (lambda b, bill: by_check(b, total=-1), "2010", "TotalAmt"),
    "negative line": (lambda b, bill: by_check(b, (bill, -5), total=0), "2010", "Line.Amount"),
    "no pay type": (lambda b, bill: {**by_check(b, (bill, 5)), "PayType": ""}, "2020",
                    "PayType"),
    "unknown pay type": (lambda b, bill: {**by_check(b, (bill, 5)), "PayType": "Cash"}, "2010",
                         "PayType"),
    "no total": (lambda b, bill: {**by_check(b, (bill, 5)), "TotalAmt": None}, "2020",
                 "TotalAmt"),
    "no bank account": (lambda b, bill: {**by_check(b, (bill, 5)), "CheckPayment": {}}, "2020",
                        "CheckPayment.BankAccountRef"),
    "card account for a check": (
        lambda b, bill: {**by_check(b, (bill, 5)),
                         "CheckPayment": {"BankAccountRef": {"value": b.card}}},
        "6000", "CheckPayment.BankAccountRef"),
    "bank account for a card": (
        lambda b, bill: {**by_card(b, (bill, 5)),
                         "CreditCardPayment": {"CCAccountRef": {"value": b.bank}}},
        "6000", "CreditCardPayment.CCAccountRef"),
    "another vendor's bill": (lambda b, bill: {**by_check(b, (bill, 5)),
                                                "VendorRef": {"value": b.other_vendor}},
                              "6000", "Line.LinkedTxn.TxnId"),
    "no link": (lambda b, bill: {**by_check(b), "TotalAmt": 5, "Line": [{"Amount": 5}]},
                "2020", "Line.LinkedTxn"),
    "an invoice": (lambda b, bill: {**by_check(b), "TotalAmt": 5, "Line": [
        {"Amount": 5, "LinkedTxn": [{"TxnId": "1", "TxnType": "Invoice"}]}]},
                   "2010", "Line.LinkedTxn.TxnType"),
}  # fmt: skip


@pytest.mark.parametrize("case", REFUSALS)
def test_what_a_bill_payment_refuses(books, empty_api, bill, case):
    make, code, element = REFUSALS[case]
    error = fault_of(empty_api.post("billpayment", make(books, bill)))
    assert (error["code"], error["element"]) == (code, element)
    assert state(empty_api, bill, books) == (100, "0", None, 100)
    assert empty_api.rows("select * from BillPayment", "BillPayment") == []


def test_an_unknown_bill_is_object_not_found(books, empty_api):
    body = {**by_check(books), "TotalAmt": 5, "Line": [
        {"Amount": 5, "LinkedTxn": [{"TxnId": "999", "TxnType": "Bill"}]}]}  # fmt: skip
    error = fault_of(empty_api.post("billpayment", body))
    assert error["code"] == "610" and "Bill Id=999" in error["Detail"]


def test_a_paid_bill_keeps_its_vendor_and_its_paid_amount(books, empty_api, bill):
    empty_api.create("BillPayment", by_check(books, (bill, 60)))
    current = empty_api.read("Bill", bill["Id"])
    moved = fault_of(
        empty_api.post("bill", {**current, "VendorRef": {"value": books.other_vendor}})
    )
    assert (moved["code"], moved["element"]) == ("6000", "VendorRef")
    current["Line"][0]["Amount"] = 59
    assert fault_of(empty_api.post("bill", current))["code"] == "6000"
    current["Line"][0]["Amount"] = 80
    lowered = empty_api.ok(empty_api.post("bill", current))["Bill"]
    assert money(lowered["Balance"]) == 20 and lowered["LinkedTxn"] == current["LinkedTxn"]
    assert money(empty_api.read("Vendor", books.vendor)["Balance"]) == 20


# -- changing, deleting, voiding ----------------------------------------------------------------


def test_an_update_gives_back_what_the_payment_no_longer_pays(books, empty_api, bill):
    payment = empty_api.create("BillPayment", by_check(books, (bill, 60)))
    lowered = {**payment, "TotalAmt": 25, "Line": [{**payment["Line"][0], "Amount": 25}]}
    lowered = empty_api.ok(empty_api.post("billpayment", lowered))["BillPayment"]
    assert state(empty_api, bill, books)[0::3] == (75, 75)
    # Paying up to the open balance counts what this payment already pays.
    full = {**lowered, "TotalAmt": 100, "Line": [{**lowered["Line"][0], "Amount": 100}]}
    full = empty_api.ok(empty_api.post("billpayment", full))["BillPayment"]
    assert state(empty_api, bill, books)[0::3] == (0, 0)
    # A card now: the same amount, the bill's link follows the pay type.
    card = {**by_card(books, (bill, 100)), "Id": full["Id"], "SyncToken": full["SyncToken"]}
    card = empty_api.ok(empty_api.post("billpayment", card))["BillPayment"]
    assert "CheckPayment" not in card
    assert state(empty_api, bill, books)[2] == [
        {"TxnId": card["Id"], "TxnType": "BillPaymentCreditCard"}
    ]
    emptied = {**card, "Line": [{**card["Line"][0], "Amount": 0}]}
    emptied = empty_api.ok(empty_api.post("billpayment", emptied))["BillPayment"]
    assert "Line" not in emptied
    assert state(empty_api, bill, books)[0::2] == (100, None)


def test_a_memo_change_leaves_the_bill_alone(books, empty_api, bill):
    payment = empty_api.create("BillPayment", by_check(books, (bill, 60)))
    body = {"Id": payment["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "March"}
    assert empty_api.ok(empty_api.post("billpayment", body))["BillPayment"]["PrivateNote"] == (
        "March"
    )
    assert state(empty_api, bill, books)[:2] == (40, "1")


def test_a_bill_with_a_payment_is_deleted_only_once_the_payment_is(books, empty_api, bill):
    payment = empty_api.create("BillPayment", by_check(books, (bill, 60)))
    token = empty_api.read("Bill", bill["Id"])["SyncToken"]
    refused = fault_of(
        empty_api.post("bill", {"Id": bill["Id"], "SyncToken": token}, operation="delete")
    )
    assert refused["code"] == "6000" and "payments are applied" in refused["Detail"]
    deleted = empty_api.ok(
        empty_api.post("billpayment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete")
    )["BillPayment"]
    assert deleted["status"] == "Deleted"
    assert state(empty_api, bill, books) == (100, "2", None, 100)
    empty_api.ok(empty_api.post("bill", {"Id": bill["Id"], "SyncToken": "2"}, operation="delete"))
    assert money(empty_api.read("Vendor", books.vendor)["Balance"]) == 0


def test_a_void_zeroes_the_payment_and_reopens_its_bills(books, empty_api, bill):
    payment = empty_api.create("BillPayment", by_check(books, (bill, 60), PrivateNote="Acct 1"))
    body = {"Id": payment["Id"], "SyncToken": "0", "sparse": True}
    voided = empty_api.ok(empty_api.post("billpayment", body, operation="update", include="void"))[
        "BillPayment"
    ]
    # The reference: "all amounts and quantities are zeroed, all lines are cleared, and the
    # string, Voided, is injected into BillPayment.PrivateNote, prepended to existing text".
    assert money(voided["TotalAmt"]) == 0 and "Line" not in voided
    assert voided["PrivateNote"] == "Voided - Acct 1" and voided["SyncToken"] == "1"
    assert state(empty_api, bill, books)[0::2] == (100, None)
    again = fault_of(
        empty_api.post("billpayment", {**body, "SyncToken": "1"}, operation="update",
                       include="void")
    )  # fmt: skip
    assert again["code"] == "6000"
    assert empty_api.read("BillPayment", payment["Id"])["PrivateNote"] == "Voided - Acct 1"


# -- query, batch, CDC --------------------------------------------------------------------------


def test_bill_payments_are_queried_by_vendor_and_account(books, empty_api, bill):
    check = empty_api.create("BillPayment", by_check(books, (bill, 10)))
    card = empty_api.create("BillPayment", by_card(books, (bill, 20)))

    def ids(where: str) -> list[str]:
        rows = empty_api.rows(f"select * from BillPayment where {where}", "BillPayment")
        return sorted(p["Id"] for p in rows)

    assert ids(f"VendorRef = '{books.vendor}'") == sorted([check["Id"], card["Id"]])
    assert ids(f"CheckPayment.BankAccountRef = '{books.bank}'") == [check["Id"]]
    assert ids("TotalAmt > '15'") == [card["Id"]]


def test_batch_pays_and_voids_as_update_with_void(books, empty_api, bill):
    paid = empty_api.create("BillPayment", by_check(books, (bill, 10)))
    items = [
        {"bId": "1", "operation": "create", "BillPayment": by_card(books, (bill, 20))},
        {"bId": "2", "operation": "update", "optionsData": "void",
         "BillPayment": {"Id": paid["Id"], "SyncToken": "0", "sparse": True}},
    ]  # fmt: skip
    created, voided = empty_api.ok(empty_api.post("batch", {"BatchItemRequest": items}))[
        "BatchItemResponse"
    ]
    assert money(created["BillPayment"]["TotalAmt"]) == 20
    assert voided["BillPayment"]["PrivateNote"] == "Voided"
    balance, _, links, owed = state(empty_api, bill, books)
    assert (balance, owed) == (80, 80)
    assert links == [{"TxnId": created["BillPayment"]["Id"], "TxnType": "BillPaymentCreditCard"}]


def test_cdc_reports_the_payment_and_the_bill_it_paid(books, empty_api, emulator, bill):
    since = emulator.clock.now().isoformat()
    emulator.clock.advance(60)
    payment = empty_api.create("BillPayment", by_check(books, (bill, 10)))
    body = empty_api.ok(empty_api.get("cdc", entities="BillPayment,Bill", changedSince=since))
    payments, bills = body["CDCResponse"][0]["QueryResponse"]
    assert [p["Id"] for p in payments["BillPayment"]] == [payment["Id"]]
    assert [(b["Id"], money(b["Balance"])) for b in bills["Bill"]] == [(bill["Id"], 90)]


def test_a_check_takes_its_total_from_the_bank_until_it_is_voided(books, empty_api, bill):
    """Bank accounts' CurrentBalance moves with what is paid from them (entities/spec.py)."""

    def bank() -> Decimal:
        return money(empty_api.read("Account", books.bank)["CurrentBalance"])

    payment = empty_api.create("BillPayment", by_check(books, (bill, 60), total=75))
    assert bank() == Decimal("-75")
    empty_api.create("BillPayment", by_card(books, (bill, 10)))
    assert bank() == Decimal("-75")  # a card payment leaves the bank alone
    body = {"Id": payment["Id"], "SyncToken": "0", "sparse": True}
    empty_api.ok(empty_api.post("billpayment", body, operation="update", include="void"))
    assert bank() == 0
