"""Class and Department, declared through entities/spec.py: nesting, names, no delete, batch, CDC.

Intuit's Class and Department references: Name required, ParentRef + SubClass/SubDepartment for a
child, FullyQualifiedName "Parent:Child" computed by QBO, Active=false instead of delete.
"""

import pytest

from qbo_emulator.tests._data_helpers import fault_of


@pytest.mark.parametrize(
    ("entity", "flag"), [("Class", "SubClass"), ("Department", "SubDepartment")]
)
def test_a_child_is_named_under_its_parent(api, entity, flag):
    east = api.create(entity, {"Name": "East"})
    boston = api.create(entity, {"Name": "Boston", "ParentRef": {"value": east["Id"]}})
    assert east[flag] is False and east["FullyQualifiedName"] == "East"
    assert boston[flag] is True
    assert boston["FullyQualifiedName"] == "East:Boston"
    assert boston["ParentRef"] == {"value": east["Id"], "name": "East"}
    rows = api.rows(f"select * from {entity} where Name = 'Boston'", entity)
    assert [row["Id"] for row in rows] == [boston["Id"]]


def test_names_are_unique_and_checked(api):
    api.create("Class", {"Name": "Audit"})
    duplicate = fault_of(api.post("class", {"Name": " audit "}))
    assert duplicate["code"] == "6240"
    assert fault_of(api.post("class", {"Name": "A:B"}))["code"] == "2040"
    assert fault_of(api.post("class", {"Name": "  "}))["code"] == "2020"
    assert fault_of(api.post("class", {"Name": "X", "ParentRef": {"value": "999"}}))["code"] == (
        "2500"
    )


def test_an_object_cannot_become_its_own_ancestor(api):
    east = api.create("Department", {"Name": "East"})
    boston = api.create("Department", {"Name": "Boston", "ParentRef": {"value": east["Id"]}})
    body = {**east, "ParentRef": {"value": boston["Id"]}}
    assert fault_of(api.post("department", body))["code"] == "2010"
    assert api.read("Department", east["Id"])["SyncToken"] == "0"


def test_deactivated_not_deleted(api):
    audit = api.create("Class", {"Name": "Audit"})
    refused = api.post("class", {"Id": audit["Id"], "SyncToken": "0"}, operation="delete")
    assert fault_of(refused)["code"] == "500"
    inactive = api.create("Class", {**audit, "Active": False})
    assert inactive["Active"] is False and inactive["SyncToken"] == "1"
    assert audit["Id"] not in [row["Id"] for row in api.rows("select * from Class", "Class")]
    hidden = api.rows("select * from Class where Active = false", "Class")
    assert [row["Id"] for row in hidden] == [audit["Id"]]


def test_batch_and_cdc_serve_them(api):
    answer = api.ok(
        api.post(
            "batch",
            {"BatchItemRequest": [
                {"bId": "1", "operation": "create", "Class": {"Name": "Tax"}},
                {"bId": "2", "operation": "create", "Department": {"Name": "North"}},
            ]},
        )
    )  # fmt: skip
    created = {item["bId"]: item for item in answer["BatchItemResponse"]}
    assert created["1"]["Class"]["Name"] == "Tax"
    assert created["2"]["Department"]["Name"] == "North"
    cdc = api.ok(api.get("cdc", entities="Class,Department", changedSince="2026-11-20"))
    responses = cdc["CDCResponse"][0]["QueryResponse"]
    assert [r["Class"][0]["Name"] for r in responses[:1]] == ["Tax"]
    assert responses[1]["Department"][0]["Name"] == "North"
