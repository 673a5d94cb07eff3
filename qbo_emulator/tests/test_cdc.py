"""GET /cdc (QBO.md §2.10)."""

from qbo_emulator.tests._data_helpers import fault_of, line

SINCE = "2026-11-20T09:00:00-08:00"


def test_changes_per_entity_with_tombstones(api, emulator, sample):
    emulator.clock.advance(60)
    invoice = api.create("Invoice", {"CustomerRef": {"value": "3"}, "Line": [line("3", 10)]})
    doomed = api.create("Invoice", {"CustomerRef": {"value": "3"}, "Line": [line("3", 20)]})
    api.post("invoice", {"Id": doomed["Id"], "SyncToken": "0"}, operation="delete")
    customer = api.create("Customer", {"DisplayName": "Changed Co"})
    body = api.ok(api.get("cdc", entities="Invoice,Payment,Customer", changedSince=SINCE))
    responses = body["CDCResponse"][0]["QueryResponse"]
    assert len(responses) == 3
    invoices, payments, customers = responses
    assert [i["Id"] for i in invoices["Invoice"]] == [invoice["Id"], doomed["Id"]]
    tombstone = invoices["Invoice"][1]
    assert tombstone == {
        "domain": "QBO",
        "status": "Deleted",
        "Id": doomed["Id"],
        "MetaData": {"LastUpdatedTime": "2026-11-20T10:01:00-08:00"},
    }
    assert invoices["maxResults"] == 2
    assert payments == {}
    assert [c["Id"] for c in customers["Customer"]] == [customer["Id"]]


def test_only_changes_after_changed_since(api, emulator, sample):
    api.create("Customer", {"DisplayName": "Early"})
    emulator.clock.advance(3600)
    later = api.create("Customer", {"DisplayName": "Late"})
    body = api.ok(api.get("cdc", entities="Customer", changedSince="2026-11-20T10:30:00-08:00"))
    assert [c["Id"] for c in body["CDCResponse"][0]["QueryResponse"][0]["Customer"]] == [
        later["Id"]
    ]


def test_payment_changes_include_the_invoice(api, sample):
    sample.receive_payment("3")
    body = api.ok(api.get("cdc", entities="Invoice,Payment", changedSince=SINCE))
    invoices, payments = body["CDCResponse"][0]["QueryResponse"]
    assert [i["Id"] for i in invoices["Invoice"]] == ["3"]
    assert invoices["Invoice"][0]["Balance"] == 0
    assert len(payments["Payment"]) == 1


def test_thirty_day_window(api):
    error = fault_of(api.get("cdc", entities="Customer", changedSince="2026-10-20T09:00:00-08:00"))
    assert error["element"] == "changedSince"
    assert api.ok(api.get("cdc", entities="Customer", changedSince="2026-10-22"))


def test_at_most_1000_objects(api, sample):
    for number in range(1005):
        sample.create("Customer", {"DisplayName": f"Many {number}"})
    body = api.ok(api.get("cdc", entities="Customer", changedSince=SINCE))
    assert len(body["CDCResponse"][0]["QueryResponse"][0]["Customer"]) == 1000


def test_bad_parameters(api):
    assert fault_of(api.get("cdc", changedSince=SINCE))["code"] == "2020"
    assert fault_of(api.get("cdc", entities="Customer"))["code"] == "2020"
    assert fault_of(api.get("cdc", entities="Customer", changedSince="yesterday"))["code"] == "2010"
    assert fault_of(api.get("cdc", entities="TaxCode", changedSince=SINCE))["code"] == "2010"
    assert fault_of(api.get("cdc", entities="Spaceship", changedSince=SINCE))["code"] == "2010"


def test_after_the_clock_went_back_changes_are_still_told_by_time(api, emulator, sample):
    # The change log is searched by bisection while its times only grow; a jump back ends that.
    api.create("Customer", {"DisplayName": "Before"})  # 10:00
    emulator.clock.advance(3600)
    late = api.create("Customer", {"DisplayName": "Late"})  # 11:00
    emulator.clock.advance(-1800)
    back = api.create("Customer", {"DisplayName": "After the jump back"})  # 10:30

    def changed_since(moment: str) -> list[str]:
        body = api.ok(api.get("cdc", entities="Customer", changedSince=moment))
        return [c["Id"] for c in body["CDCResponse"][0]["QueryResponse"][0]["Customer"]]

    assert changed_since("2026-11-20T10:45:00-08:00") == [late["Id"]]
    assert changed_since("2026-11-20T10:15:00-08:00") == [late["Id"], back["Id"]]
