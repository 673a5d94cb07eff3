"""Time activities (Intuit's TimeActivity reference and XSD; COVERAGE row "TimeActivity"): time an
employee or vendor worked, with what QBO answers for the fields a client leaves out."""

from decimal import Decimal

import pytest

from qbo_emulator.store import Emulator
from qbo_emulator.tests._data_helpers import Api, fault_of, money


@pytest.fixture
def office(emulator, client) -> Api:
    return Api(client, emulator.create_company(name="Hours Ltd", seed="empty").realm_id)


@pytest.fixture
def employee(office) -> dict:
    return office.create("Employee", {"GivenName": "Emily", "FamilyName": "Platt"})


@pytest.fixture
def vendor(office) -> dict:
    return office.create("Vendor", {"DisplayName": "Contract Carpentry"})


@pytest.fixture
def customer(office) -> dict:
    return office.create("Customer", {"DisplayName": "Harbour Cafe"})


def worked(employee: dict, **fields) -> dict:
    return {"NameOf": "Employee", "EmployeeRef": {"value": employee["Id"]}, **fields}


def test_hours_for_an_employee_with_what_qbo_fills_in(office, employee):
    created = office.create("TimeActivity", worked(employee, Hours=1, Minutes=30))
    assert created["Id"] == "1" and created["SyncToken"] == "0"
    assert created["EmployeeRef"] == {"value": employee["Id"], "name": "Emily Platt"}
    assert (created["Hours"], created["Minutes"]) == (1, 30)
    # The defaults of minimul/qbo_api#16's response, and today's date.
    assert created["BillableStatus"] == "NotBillable" and created["Taxable"] is False
    assert money(created["HourlyRate"]) == 0
    assert created["TxnDate"] == "2026-11-20"
    assert "DocNumber" not in created and "TotalAmt" not in created
    assert office.read("TimeActivity", created["Id"]) == created


def test_start_and_end_are_dated_on_the_activity_day_in_company_time(office, vendor):
    created = office.create(
        "TimeActivity",
        {"NameOf": "Vendor", "VendorRef": {"value": vendor["Id"]}, "TxnDate": "2026-07-15",
         "StartTime": "2015-07-05T08:00:00-08:00", "EndTime": "2013-07-05T17:00:00-08:00"},
    )  # fmt: skip
    # As in qbo_api#16: the times of day kept, on TxnDate, in Pacific (summer) time.
    assert created["StartTime"] == "2026-07-15T09:00:00-07:00"
    assert created["EndTime"] == "2026-07-15T18:00:00-07:00"
    assert "Hours" not in created  # QBO computes no duration from them


def test_a_billable_activity_for_a_customer(office, employee, customer):
    item = office.rows("select * from Item where Name = 'Services'", "Item")[0]
    created = office.create(
        "TimeActivity",
        worked(employee, Hours=3, BillableStatus="Billable", HourlyRate="115.5",
               CustomerRef={"value": customer["Id"]}, ItemRef={"value": item["Id"]},
               Taxable=True, Description="Menu design"),
    )  # fmt: skip
    assert money(created["HourlyRate"]) == Decimal("115.50")
    assert created["CustomerRef"] == {"value": customer["Id"], "name": "Harbour Cafe"}
    assert created["ItemRef"] == {"value": item["Id"], "name": "Services"}
    assert (created["BillableStatus"], created["Taxable"]) == ("Billable", True)


def test_the_company_time_item_stands_for_a_missing_item(emulator, office, employee):
    item = office.rows("select * from Item where Name = 'Services'", "Item")[0]
    company = emulator.company(office.realm_id)
    company.preferences["TimeTrackingPrefs"]["DefaultTimeItem"] = {
        "value": item["Id"], "name": "Services"}  # fmt: skip
    created = office.create("TimeActivity", worked(employee, Hours=2))
    assert created["ItemRef"] == {"value": item["Id"], "name": "Services"}


def test_the_other_worker_reference_is_not_kept(office, employee, vendor):
    created = office.create(
        "TimeActivity", worked(employee, Hours=1, VendorRef={"value": vendor["Id"]})
    )
    assert "VendorRef" not in created


@pytest.mark.parametrize(
    "body, code, element",
    [
        ({"EmployeeRef": {"value": "1"}, "Hours": 1}, "2020", "NameOf"),
        ({"NameOf": "Employee", "Hours": 1}, "2020", "EmployeeRef"),
        ({"NameOf": "Vendor", "EmployeeRef": {"value": "1"}, "Hours": 1}, "2020", "VendorRef"),
        ({"NameOf": "Customer", "EmployeeRef": {"value": "1"}, "Hours": 1}, "2010", "NameOf"),
        ({"NameOf": "Employee", "EmployeeRef": {"value": "99"}, "Hours": 1}, "2500", "EmployeeRef"),
        ({"NameOf": "Employee", "EmployeeRef": {"value": "1"}}, "2020", "Hours"),
        ({"NameOf": "Employee", "EmployeeRef": {"value": "1"}, "StartTime": "2026-11-20T09:00:00"},
         "2020", "Hours"),
        ({"NameOf": "Employee", "EmployeeRef": {"value": "1"}, "Hours": 1, "Minutes": 60},
         "2010", "Minutes"),
        ({"NameOf": "Employee", "EmployeeRef": {"value": "1"}, "Hours": "1.5"}, "2010", "Hours"),
        ({"NameOf": "Employee", "EmployeeRef": {"value": "1"}, "Hours": -1}, "2010", "Hours"),
        ({"NameOf": "Employee", "EmployeeRef": {"value": "1"}, "Hours": 1,
          "BillableStatus": "Billable"}, "2020", "HourlyRate"),
        ({"NameOf": "Employee", "EmployeeRef": {"value": "1"}, "Hours": 1,
          "BillableStatus": "Maybe"}, "2010", "BillableStatus"),
        ({"NameOf": "Employee", "EmployeeRef": {"value": "1"}, "StartTime": "nine",
          "EndTime": "2026-11-20T17:00:00"}, "2010", "StartTime"),
        ({"NameOf": "Employee", "EmployeeRef": {"value": "1"}, "Hours": 1,
          "Description": "x" * 4001}, "2050", "Description"),
        ({"NameOf": "Employee", "EmployeeRef": {"value": "1"}, "Hours": 1,
          "CustomerRef": {"value": "99"}}, "2500", "CustomerRef"),
    ],
)  # fmt: skip
def test_bad_activities_are_refused(office, employee, body, code, element):
    error = fault_of(office.post("timeactivity", body))
    assert (error["code"], error["element"]) == (code, element)
    assert office.rows("select * from TimeActivity", "TimeActivity") == []


def test_an_inactive_employee_is_refused(office, employee):
    office.create("Employee", {**employee, "Active": False})
    assert fault_of(office.post("timeactivity", worked(employee, Hours=1)))["code"] == "610"


def test_update_and_delete_but_no_void(office, employee):
    created = office.create("TimeActivity", worked(employee, Hours=1, Description="first"))
    sparse = {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Minutes": 45}
    edited = office.create("TimeActivity", sparse)
    assert (edited["SyncToken"], edited["Hours"], edited["Minutes"]) == ("1", 1, 45)
    assert edited["Description"] == "first"
    full = office.create("TimeActivity", {**worked(employee, Hours=4), "Id": created["Id"],
                                          "SyncToken": "1"})  # fmt: skip
    assert "Description" not in full and "Minutes" not in full and full["Hours"] == 4
    body = {"Id": created["Id"], "SyncToken": "2"}
    assert fault_of(office.post("timeactivity", body, operation="void"))["code"] == "500"
    deleted = office.ok(office.post("timeactivity", body, operation="delete"))["TimeActivity"]
    assert deleted == {"domain": "QBO", "status": "Deleted", "Id": created["Id"]}
    assert fault_of(office.get(f"timeactivity/{created['Id']}"))["code"] == "610"


def test_books_closed_do_not_hold_time(emulator, office, employee):
    emulator.company(office.realm_id).set_preferences(book_close_date="2026-12-31")
    assert office.create("TimeActivity", worked(employee, Hours=1))["TxnDate"] == "2026-11-20"


def test_query_by_date_only_documented_fields(office, employee):
    early = office.create("TimeActivity", worked(employee, Hours=1, TxnDate="2026-10-01"))
    office.create("TimeActivity", worked(employee, Hours=2))
    rows = office.rows("select * from TimeActivity where TxnDate < '2026-11-01'", "TimeActivity")
    assert [r["Id"] for r in rows] == [early["Id"]]
    error = fault_of(office.query("select * from TimeActivity where NameOf = 'Employee'"))
    assert error["code"] == "4001"


def test_batch_creates_updates_and_deletes_time(office, employee):
    first = office.create("TimeActivity", worked(employee, Hours=1))
    doomed = office.create("TimeActivity", worked(employee, Hours=1))
    items = [
        {"bId": "1", "operation": "create", "TimeActivity": worked(employee, Hours=8)},
        {"bId": "2", "operation": "update",
         "TimeActivity": {"Id": first["Id"], "SyncToken": "0", "sparse": True, "Hours": 6}},
        {"bId": "3", "operation": "delete",
         "TimeActivity": {"Id": doomed["Id"], "SyncToken": "0"}},
        {"bId": "4", "Query": "select * from TimeActivity"},
    ]  # fmt: skip
    answers = office.ok(office.post("batch", {"BatchItemRequest": items}))["BatchItemResponse"]
    created, updated, deleted, query = answers
    assert created["TimeActivity"]["Hours"] == 8 and updated["TimeActivity"]["Hours"] == 6
    assert deleted["TimeActivity"]["status"] == "Deleted"
    assert len(query["QueryResponse"]["TimeActivity"]) == 2


def test_change_data_capture_does_not_cover_time(emulator, office, employee):
    office.create("TimeActivity", worked(employee, Hours=1))
    since = emulator.clock.now().isoformat()
    error = fault_of(office.get("cdc", entities="TimeActivity", changedSince=since))
    assert (error["code"], error["element"]) == ("2010", "entities")


def test_snapshot_keeps_the_rate_a_number(tmp_path, emulator, office, employee):
    created = office.create(
        "TimeActivity", worked(employee, Hours=1, BillableStatus="Billable", HourlyRate=80)
    )
    emulator.save(tmp_path / "state.json")
    loaded = Emulator.load(tmp_path / "state.json").company(office.realm_id)
    assert loaded.read("TimeActivity", created["Id"])["HourlyRate"] == Decimal("80.00")
