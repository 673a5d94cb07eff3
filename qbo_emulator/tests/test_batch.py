"""POST /batch (QBO.md §2.9)."""

import json

from quickbooks.batch import BatchManager
from quickbooks.objects.customer import Customer

from qbo_emulator.tests._data_helpers import fault_of, line


def test_mixed_items_answered_by_bid_with_per_item_faults(api):
    invoice = api.create("Invoice", {"CustomerRef": {"value": "3"}, "Line": [line("3", 10)]})
    doomed = api.create("Invoice", {"CustomerRef": {"value": "3"}, "Line": [line("3", 20)]})
    body = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch Co"}},
            {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Cool Cars"}},
            {
                "bId": "3",
                "operation": "update",
                "Invoice": {
                    "Id": invoice["Id"],
                    "SyncToken": "0",
                    "sparse": True,
                    "PrivateNote": "x",
                },
            },
            {"bId": "4", "operation": "delete", "Invoice": {"Id": doomed["Id"], "SyncToken": "0"}},
            {"bId": "5", "Query": "select * from Customer where DisplayName = 'Cool Cars'"},
            {
                "bId": "6",
                "operation": "update",
                "Invoice": {
                    "Id": invoice["Id"],
                    "SyncToken": "0",
                    "sparse": True,
                    "PrivateNote": "y",
                },
            },
        ]
    }
    response = api.post("batch", body)
    assert response.status_code == 200
    results = {item["bId"]: item for item in api.ok(response)["BatchItemResponse"]}
    assert results["1"]["Customer"]["DisplayName"] == "Batch Co"
    assert results["2"]["Fault"]["type"] == "ValidationFault"
    assert results["2"]["Fault"]["Error"][0]["code"] == "6240"
    assert results["3"]["Invoice"]["PrivateNote"] == "x"
    assert results["4"]["Invoice"] == {"domain": "QBO", "status": "Deleted", "Id": doomed["Id"]}
    assert results["5"]["QueryResponse"]["Customer"][0]["Id"] == "3"
    assert results["6"]["Fault"]["Error"][0]["code"] == "5010"  # item 3 moved the SyncToken


def test_more_than_30_items_refused(api):
    items = [{"bId": str(n), "Query": "select * from Term"} for n in range(31)]
    error = fault_of(api.post("batch", {"BatchItemRequest": items}))
    assert error["code"] == "400"
    assert "30" in error["Detail"]
    ok = api.ok(api.post("batch", {"BatchItemRequest": items[:30]}))
    assert len(ok["BatchItemResponse"]) == 30


def test_empty_batch_refused(api):
    error = fault_of(api.post("batch", {"BatchItemRequest": []}))
    assert (error["Message"], error["Detail"]) == ("MalformedRequest", "Batch Request is Empty")


def test_item_without_entity_or_bad_operation(api):
    body = {
        "BatchItemRequest": [
            {"bId": "a", "operation": "create"},
            {"bId": "b", "operation": "explode", "Customer": {"DisplayName": "Q"}},
            {"operation": "create", "Customer": {"DisplayName": "No Bid"}},
        ]
    }
    results = api.ok(api.post("batch", body))["BatchItemResponse"]
    assert [r["Fault"]["Error"][0]["code"] for r in results] == ["400", "500", "2020"]


def test_allowduplicatedocnum_option(api):
    body = {"CustomerRef": {"value": "3"}, "Line": [line("3", 10)], "DocNumber": "B-1"}
    api.create("Invoice", body)
    items = [
        {"bId": "1", "operation": "create", "Invoice": body},
        {"bId": "2", "operation": "create", "optionsData": "allowduplicatedocnum", "Invoice": body},
    ]
    results = api.ok(api.post("batch", {"BatchItemRequest": items}))["BatchItemResponse"]
    assert results[0]["Fault"]["Error"][0]["code"] == "6140"
    assert results[1]["Invoice"]["DocNumber"] == "B-1"


def test_python_quickbooks_batch_request_shape(api):
    customers = []
    for name in ("Lib One", "Lib Two"):
        customer = Customer()
        customer.DisplayName = name
        customers.append(customer)
    request = BatchManager("create").list_to_batch_request(customers)
    results = api.ok(api.post("batch", json.loads(request.to_json())))["BatchItemResponse"]
    assert sorted(r["Customer"]["DisplayName"] for r in results) == ["Lib One", "Lib Two"]
    assert {r["bId"] for r in results} == {item.bId for item in request.BatchItemRequest}


def test_items_cannot_see_what_earlier_items_created(api, sample):
    fresh = str(max(int(customer["Id"]) for customer in sample.list("Customer")) + 1)
    body = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Fresh Co"}},
            {
                "bId": "2",
                "operation": "create",
                "Invoice": {"CustomerRef": {"value": fresh}, "Line": [line("3", 10)]},
            },
            {
                "bId": "3",
                "operation": "update",
                "Customer": {"Id": fresh, "SyncToken": "0", "sparse": True, "Notes": "x"},
            },
        ]
    }
    results = {r["bId"]: r for r in api.ok(api.post("batch", body))["BatchItemResponse"]}
    assert results["1"]["Customer"]["Id"] == fresh
    assert results["2"]["Fault"]["Error"][0]["code"] == "2500"
    assert results["3"]["Fault"]["Error"][0]["code"] == "610"
    # Once the batch is over the new customer is there for everyone.
    assert api.create("Invoice", {"CustomerRef": {"value": fresh}, "Line": [line("3", 10)]})
    assert sample.batch_created is None
