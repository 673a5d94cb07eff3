"""MAXRESULTS: 100 by default, at most 1000, and over that an error, not a silent cap.

Intuit's query guide as quoted in quickbooks-ruby#263: "The maximum number of entities that can be
returned in a response is 1000. If the result size is not specified, the default number is 100."
The refusal: quickbooks-ruby#24, "Invalid query: QueryValidationError: value 1500 is too large.
Max allowed value is 1000" (its code, 4001 here, is UNCONFIRMED).
"""

import pytest

from qbo_emulator.tests._data_helpers import fault_of


@pytest.fixture
def many(api, sample):
    for number in range(1005 - len(sample.tables["Customer"])):
        sample.create("Customer", {"DisplayName": f"Many {number}"})
    return api


def test_default_page_is_100_and_1000_is_allowed(many):
    assert len(many.rows("select * from Customer", "Customer")) == 100
    body = many.ok(many.query("select * from Customer maxresults 1000"))
    assert body["QueryResponse"]["maxResults"] == 1000
    assert len(body["QueryResponse"]["Customer"]) == 1000


@pytest.mark.parametrize("asked", [1001, 1500, 5000])
def test_more_than_1000_is_refused(api, asked):
    error = fault_of(api.query(f"select * from Customer startposition 1 maxresults {asked}"))
    assert error["code"] == "4001"
    assert error["Message"] == "Invalid query"
    assert error["Detail"] == (
        f"QueryValidationError: value {asked} is too large. Max allowed value is 1000"
    )


def test_a_batch_query_over_1000_faults_its_item_only(api):
    body = {
        "BatchItemRequest": [
            {"bId": "big", "Query": "select * from Customer maxresults 1001"},
            {"bId": "ok", "Query": "select * from Customer maxresults 2"},
        ]
    }
    big, ok = api.ok(api.post("batch", body))["BatchItemResponse"]
    assert big["Fault"]["Error"][0]["Detail"].endswith("Max allowed value is 1000")
    assert len(ok["QueryResponse"]["Customer"]) == 2
