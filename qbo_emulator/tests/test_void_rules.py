"""Void rules (issue 13): a void zeroes HomeBalance on every path, a voided transaction is
refused a second void, and what the emulator takes as "voided" is what a client can see.

Intuit's blog "Voiding Invoice Objects" (2016-04-06): on a void "The Invoice Amounts and
Quantities are zeroed" and "PrivateNote is marked as 'Voided'"; Intuit's Payment reference
(quoted in Wish-Org/QuickBooksSharp #8): "all amounts and quantities are zeroed and the string,
Voided, is injected into Payment.PrivateNote, prepended to existing text if present". What QBO
answers to a second void was not found (UNCONFIRMED): the emulator refuses it with a 6000.
"""

import pytest

from qbo_emulator.faults import QboFault
from qbo_emulator.tests._data_helpers import Api, fault_of, line, money

DESIGN = "3"  # sample item "Design", not taxable
COOL_CARS = "3"  # sample customer


def sales_form(api, entity: str, amount="120.00", **fields) -> dict:
    body = {"CustomerRef": {"value": COOL_CARS}, "Line": [line(DESIGN, amount)], **fields}
    return api.create(entity, body)


def void(api, entity: str, record: dict):
    """The void request python-quickbooks sends: operation=void for sales forms, a sparse
    update with include=void for payments (QBO.md §2.8)."""
    body = {"Id": record["Id"], "SyncToken": record["SyncToken"]}
    if entity == "Payment":
        return api.post("payment", {**body, "sparse": True}, operation="update", include="void")
    return api.post(entity.lower(), body, operation="void")


def open_amounts(record: dict) -> list:
    return [money(record[key]) for key in ("TotalAmt", "HomeTotalAmt", "Balance", "HomeBalance")]


# -- HomeBalance ---------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ["Invoice", "CreditMemo"])
def test_a_void_zeroes_the_home_amounts_with_the_others(api, entity):
    record = sales_form(api, entity)
    assert open_amounts(record) == [money("120.00")] * 4
    voided = api.ok(void(api, entity, record))[entity]
    assert open_amounts(voided) == [0, 0, 0, 0]
    assert open_amounts(api.read(entity, record["Id"])) == [0, 0, 0, 0]


def test_a_void_in_a_batch_and_a_users_void_zero_the_home_balance(api, sample):
    in_batch, by_user = sales_form(api, "Invoice"), sales_form(api, "Invoice")
    item = {"bId": "1", "operation": "void", "Invoice": {"Id": in_batch["Id"], "SyncToken": "0"}}
    answer = api.ok(api.post("batch", {"BatchItemRequest": [item]}))["BatchItemResponse"][0]
    assert money(answer["Invoice"]["HomeBalance"]) == 0
    # The control API and the HTML view void through the same user action.
    assert sample.void_invoice(by_user["Id"])["HomeBalance"] == 0


def test_a_void_in_a_multicurrency_company_zeroes_the_home_balance(client, emulator):
    company = emulator.create_company(name="Multi Co", seed="sample", multicurrency=True)
    api = Api(client, company.realm_id)
    owed = company.read("Customer", COOL_CARS)["Balance"]
    invoice = sales_form(api, "Invoice", "80.00")
    voided = api.ok(void(api, "Invoice", invoice))["Invoice"]
    assert open_amounts(voided) == [0, 0, 0, 0]
    assert company.read("Customer", COOL_CARS)["Balance"] == owed


# -- a second void -------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ["Invoice", "CreditMemo", "Payment"])
def test_a_second_void_is_refused_and_changes_nothing(api, entity):
    if entity == "Payment":
        record = api.create(
            "Payment", {"CustomerRef": {"value": COOL_CARS}, "TotalAmt": 30, "PrivateNote": "cash"}
        )
    else:
        record = sales_form(api, entity, PrivateNote="cash")
    voided = api.ok(void(api, entity, record))[entity]
    assert voided["PrivateNote"] == "Voided - cash"
    error = fault_of(void(api, entity, voided))
    assert error["code"] == "6000"
    noun = {"Invoice": "invoice", "CreditMemo": "credit memo", "Payment": "payment"}[entity]
    assert error["Detail"] == f"Business Validation Error: This {noun} has already been voided."
    after = api.read(entity, record["Id"])
    assert (after["SyncToken"], after["PrivateNote"]) == (voided["SyncToken"], "Voided - cash")


def test_a_stale_second_void_is_a_stale_object_first(api):
    invoice = sales_form(api, "Invoice")
    api.ok(void(api, "Invoice", invoice))
    assert fault_of(void(api, "Invoice", invoice))["code"] == "5010"  # SyncToken "0" is old


def test_a_second_void_in_a_batch_is_that_items_fault(api):
    invoice = sales_form(api, "Invoice")
    voided = api.ok(void(api, "Invoice", invoice))["Invoice"]
    items = [
        {"bId": "again", "operation": "void",
         "Invoice": {"Id": voided["Id"], "SyncToken": voided["SyncToken"]}},
        {"bId": "other", "operation": "create",
         "Invoice": {"CustomerRef": {"value": COOL_CARS}, "Line": [line(DESIGN, 5)]}},
    ]  # fmt: skip
    answers = api.ok(api.post("batch", {"BatchItemRequest": items}))["BatchItemResponse"]
    by_id = {answer["bId"]: answer for answer in answers}
    assert by_id["again"]["Fault"]["Error"][0]["code"] == "6000"
    assert money(by_id["other"]["Invoice"]["TotalAmt"]) == 5


def test_a_retried_void_with_its_requestid_answers_the_first_void(api):
    # A client that lost the answer retries with the same requestid (QBO.md §2.11): QBO
    # replays the first answer instead of running the void again.
    invoice = sales_form(api, "Invoice")
    body = {"Id": invoice["Id"], "SyncToken": "0"}
    first = api.ok(api.post("invoice", body, operation="void", requestid="void-7"))
    again = api.ok(api.post("invoice", body, operation="void", requestid="void-7"))
    assert again["Invoice"] == first["Invoice"]
    assert api.read("Invoice", invoice["Id"])["PrivateNote"] == "Voided"


def test_a_users_second_void_is_refused_too(sample, api):
    invoice = sales_form(api, "Invoice")
    sample.void_invoice(invoice["Id"])
    with pytest.raises(QboFault) as refused:
        sample.void_invoice(invoice["Id"])
    assert refused.value.errors[0].code == "6000"


# -- what counts as voided ---------------------------------------------------------------------


def test_a_voided_invoice_filled_again_by_a_full_update_is_live_and_can_be_voided(api):
    # Billbridge's "Export ours again" sends its invoice over one voided in QuickBooks.
    invoice = sales_form(api, "Invoice", PrivateNote="ours")
    voided = api.ok(void(api, "Invoice", invoice))["Invoice"]
    again = api.create(
        "Invoice",
        {"Id": voided["Id"], "SyncToken": voided["SyncToken"], "PrivateNote": "ours",
         "CustomerRef": {"value": COOL_CARS}, "Line": [line(DESIGN, "120.00")]},
    )  # fmt: skip
    assert open_amounts(again) == [money("120.00")] * 4
    assert api.ok(void(api, "Invoice", again))["Invoice"]["PrivateNote"] == "Voided - ours"


def test_a_zero_invoice_not_yet_voided_can_be_voided(api):
    zero = sales_form(api, "Invoice", "0.00", PrivateNote="no charge")
    assert api.ok(void(api, "Invoice", zero))["Invoice"]["PrivateNote"] == "Voided - no charge"


def test_a_memo_edit_that_keeps_the_mark_keeps_the_invoice_voided(api):
    invoice = sales_form(api, "Invoice")
    voided = api.ok(void(api, "Invoice", invoice))["Invoice"]
    edited = api.create(
        "Invoice",
        {"Id": voided["Id"], "SyncToken": voided["SyncToken"], "sparse": True,
         "PrivateNote": "Voided - entered twice"},
    )  # fmt: skip
    assert money(edited["TotalAmt"]) == 0
    assert fault_of(void(api, "Invoice", edited))["code"] == "6000"
