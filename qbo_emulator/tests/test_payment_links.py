"""A payment line linking a transaction QBO does not have (issue 13).

quickbooks-ruby #277: a payment whose line links an invoice by a number that is not an Invoice
Id is refused with "Object Not Found : Something you're trying to use has been deleted. Check
the fields with accounts, customers, items, vendors or employees." — code 610, the code QBO uses
for references to unknown or deleted objects (QBO.md §2.13), not 2500.
"""

from qbo_emulator.tests._data_helpers import fault_of, line, money

COOL_CARS, DESIGN = "3", "3"  # sample customer, sample item


def payment(amount, *links: tuple[str, str], total=None) -> dict:
    """One line of `amount` per linked (TxnType, TxnId)."""
    return {
        "CustomerRef": {"value": COOL_CARS},
        "TotalAmt": total if total is not None else amount,
        "Line": [
            {"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": kind}]}
            for kind, txn_id in links
        ],
    }


def form(api, entity: str, amount="50.00") -> dict:
    body = {"CustomerRef": {"value": COOL_CARS}, "Line": [line(DESIGN, amount)]}
    return api.create(entity, body)


def payments(api) -> int:
    return len(api.rows("select * from Payment", "Payment"))


def assert_not_found(api, body: dict, kind: str) -> None:
    """Refused with 610 naming the unknown transaction, and no payment stored."""
    before = payments(api)
    error = fault_of(api.post("payment", body))
    assert (error["code"], error["Message"]) == ("610", "Object Not Found")
    assert error["Detail"].startswith("Object Not Found : Something you're trying to use")
    assert f"({kind} Id=999)" in error["Detail"]
    assert payments(api) == before


def test_an_unknown_invoice_is_object_not_found(api):
    assert_not_found(api, payment("10.00", ("Invoice", "999")), "Invoice")


def test_an_unknown_credit_memo_is_object_not_found(api):
    # Credit from a memo QBO does not have, spent on a real invoice (a payment of 0).
    invoice = form(api, "Invoice")
    body = payment("10.00", ("Invoice", invoice["Id"]), ("CreditMemo", "999"), total=0)
    assert_not_found(api, body, "CreditMemo")
    assert money(api.read("Invoice", invoice["Id"])["Balance"]) == money("50.00")


def test_a_deleted_invoice_is_object_not_found(api):
    invoice = form(api, "Invoice")
    api.ok(api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete"))
    assert fault_of(api.post("payment", payment("10.00", ("Invoice", invoice["Id"]))))["code"] == (
        "610"
    )


def test_an_unknown_invoice_on_an_update_leaves_the_payment_as_it_was(api):
    invoice = form(api, "Invoice")
    paid = api.create("Payment", payment("20.00", ("Invoice", invoice["Id"])))
    body = {**payment("20.00", ("Invoice", "999")), "Id": paid["Id"], "SyncToken": "0"}
    assert fault_of(api.post("payment", body))["code"] == "610"
    assert api.read("Payment", paid["Id"])["SyncToken"] == "0"
    assert money(api.read("Invoice", invoice["Id"])["Balance"]) == money("30.00")


def test_an_invoice_made_earlier_in_the_same_batch_is_not_found(api):
    # Batch items cannot see what earlier items created (QBO.md §2.9): the invoice is unknown.
    invoice_id = str(int(form(api, "Invoice")["Id"]) + 1)
    items = [
        {"bId": "1", "operation": "create",
         "Invoice": {"CustomerRef": {"value": COOL_CARS}, "Line": [line(DESIGN, 10)]}},
        {"bId": "2", "operation": "create", "Payment": payment("10.00", ("Invoice", invoice_id))},
    ]  # fmt: skip
    answers = api.ok(api.post("batch", {"BatchItemRequest": items}))["BatchItemResponse"]
    by_id = {answer["bId"]: answer for answer in answers}
    assert by_id["1"]["Invoice"]["Id"] == invoice_id
    assert by_id["2"]["Fault"]["Error"][0]["code"] == "610"


# -- a sparse update's empty Line ----------------------------------------------------------------


def test_a_sparse_update_with_an_empty_line_unapplies_the_payment(api):
    # Intuit's Payment reference: "To remove all lines, send an empty Lines tag" — "for full or
    # sparse update" (copied into python-quickbooks' Payment docstring).
    invoice = form(api, "Invoice")
    paid = api.create("Payment", payment("20.00", ("Invoice", invoice["Id"]), total="25.00"))
    body = {"Id": paid["Id"], "SyncToken": "0", "sparse": True, "Line": [], "PrivateNote": "x"}
    emptied = api.create("Payment", body)
    assert "Line" not in emptied  # the store keeps no empty values
    assert money(emptied["UnappliedAmt"]) == money("25.00")
    assert emptied["PrivateNote"] == "x"
    reopened = api.read("Invoice", invoice["Id"])
    assert money(reopened["Balance"]) == money("50.00")
    assert reopened["LinkedTxn"] == []


def test_a_sparse_update_without_line_keeps_the_lines(api):
    invoice = form(api, "Invoice")
    paid = api.create("Payment", payment("20.00", ("Invoice", invoice["Id"])))
    body = {"Id": paid["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "kept", "Memo": ""}
    kept = api.create("Payment", body)
    assert kept["Line"][0]["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    assert money(api.read("Invoice", invoice["Id"])["Balance"]) == money("30.00")


def test_an_empty_line_in_a_sparse_invoice_update_is_not_sent(api):
    # Only the payment reads an empty Line as "remove them all"; python-quickbooks sends
    # "Line": [] in every sparse invoice update it builds afresh.
    invoice = form(api, "Invoice")
    body = {"Id": invoice["Id"], "SyncToken": "0", "sparse": True, "Line": [], "PrivateNote": "y"}
    updated = api.create("Invoice", body)
    assert money(updated["TotalAmt"]) == money("50.00") and updated["PrivateNote"] == "y"
