"""RecurringTransaction over HTTP: templates wrapped in their transaction type, checked as that
transaction would be, and never posted."""

from decimal import Decimal

import pytest

from qbo_emulator.tests._banking import account_id, balance, bank_account, batch, changed, ref
from qbo_emulator.tests._data_helpers import fault_of, line, money

SINCE = "2026-11-20T17:00:00+00:00"
MONTHLY = {"IntervalType": "Monthly", "NumInterval": 1, "DayOfMonth": 1, "StartDate": "2026-12-01"}


def info(name="Monthly retainer", recur_type="Automated", schedule=MONTHLY, **fields) -> dict:
    result = {"Name": name, "RecurType": recur_type, "Active": True, **fields}
    if schedule is not None:
        result["ScheduleInfo"] = dict(schedule)
    return result


def invoice_template(amount="120.00", **fields) -> dict:
    return {
        "Invoice": {
            "CustomerRef": ref("1"),
            "Line": [line("2", amount)],
            "RecurringInfo": fields.pop("RecurringInfo", info()),
            **fields,
        }
    }


def created(api, body) -> dict:
    return api.ok(api.post("recurringtransaction", body))["RecurringTransaction"]


def test_a_recurring_invoice_is_checked_as_an_invoice_and_not_posted(api):
    customer_balance = money(api.read("Customer", "1")["Balance"])
    invoices = api.ok(api.query("select count(*) from Invoice"))["QueryResponse"]["totalCount"]
    first = api.create("Invoice", {"CustomerRef": ref("1"), "Line": [line("2", 10)]})
    answer = created(api, invoice_template(PrivateNote="Retainer"))
    assert list(answer) == ["Invoice"]
    template = answer["Invoice"]
    assert template["Id"] and template["SyncToken"] == "0" and "MetaData" in template
    assert money(template["TotalAmt"]) == Decimal("120.00")
    assert template["CustomerRef"] == {"value": "1", "name": "Amy's Bird Sanctuary"}
    assert template["Line"][0]["Id"] == "1" and "DocNumber" not in template
    assert template["RecurringInfo"] == {
        "Name": "Monthly retainer",
        "RecurType": "Automated",
        "Active": True,
        "ScheduleInfo": {**MONTHLY, "NextDate": "2026-12-01"},
    }
    # No invoice was made, the customer owes nothing more, and no invoice number was used up.
    second = api.create("Invoice", {"CustomerRef": ref("1"), "Line": [line("2", 10)]})
    assert int(second["DocNumber"]) == int(first["DocNumber"]) + 1
    count = api.ok(api.query("select count(*) from Invoice"))["QueryResponse"]["totalCount"]
    assert count == invoices + 2
    assert money(api.read("Customer", "1")["Balance"]) == customer_balance + 20


def test_a_template_is_read_queried_updated_and_deleted_in_its_wrapper(api):
    template = created(api, invoice_template())["Invoice"]
    read = api.ok(api.get(f"recurringtransaction/{template['Id']}"))["RecurringTransaction"]
    assert read == {"Invoice": template}
    rows = api.rows(
        "select * from RecurringTransaction where Type = 'Invoice'", "RecurringTransaction"
    )
    assert rows == [{"Invoice": template}]
    assert (
        api.rows("select * from RecurringTransaction where Type = 'Bill'", "RecurringTransaction")
        == []
    )

    schedule = {**MONTHLY, "DayOfMonth": 15}
    body = invoice_template("250.00", RecurringInfo=info(schedule=schedule))
    body["Invoice"].update(Id=template["Id"], SyncToken="0")
    updated = created(api, body)["Invoice"]
    assert updated["SyncToken"] == "1" and money(updated["TotalAmt"]) == 250
    assert updated["RecurringInfo"]["ScheduleInfo"]["DayOfMonth"] == 15
    sparse = {
        "Invoice": {"Id": template["Id"], "SyncToken": "1", "sparse": True, "PrivateNote": "x"}
    }
    noted = created(api, sparse)["Invoice"]
    assert noted["PrivateNote"] == "x" and money(noted["TotalAmt"]) == 250

    gone = api.post(
        "recurringtransaction",
        {"Invoice": {"Id": template["Id"], "SyncToken": "2"}},
        operation="delete",
    )
    assert api.ok(gone)["RecurringTransaction"] == {
        "domain": "QBO",
        "status": "Deleted",
        "Id": template["Id"],
    }
    assert fault_of(api.get(f"recurringtransaction/{template['Id']}"))["code"] == "610"


@pytest.mark.parametrize(
    ("body", "code", "element"),
    [
        (
            {"Invoice": {"CustomerRef": {"value": "1"}, "Line": [line("2", 5)]}},
            "2020",
            "RecurringInfo",
        ),
        (invoice_template(RecurringInfo=info(name=" ")), "2020", "RecurringInfo.Name"),
        (
            invoice_template(RecurringInfo=info(recur_type="Often")),
            "2010",
            "RecurringInfo.RecurType",
        ),
        (invoice_template(RecurringInfo=info(schedule=None)), "2020", "RecurringInfo.ScheduleInfo"),
        (
            invoice_template(RecurringInfo=info(schedule={"NumInterval": 1})),
            "2020",
            "RecurringInfo.ScheduleInfo.IntervalType",
        ),
        (
            invoice_template(RecurringInfo=info(schedule={**MONTHLY, "IntervalType": "Hourly"})),
            "2010",
            "RecurringInfo.ScheduleInfo.IntervalType",
        ),
        (
            invoice_template(RecurringInfo=info(schedule={**MONTHLY, "NumInterval": 0})),
            "2010",
            "RecurringInfo.ScheduleInfo.NumInterval",
        ),
        (
            invoice_template(RecurringInfo=info(schedule={**MONTHLY, "EndDate": "2026-11-01"})),
            "2010",
            "RecurringInfo.ScheduleInfo.EndDate",
        ),
        ({"Invoice": {"Line": [line("2", 5)], "RecurringInfo": info()}}, "2020", "CustomerRef"),
        (
            {
                "Invoice": {
                    "CustomerRef": {"value": "999"},
                    "Line": [line("2", 5)],
                    "RecurringInfo": info(),
                }
            },
            "2500",
            "CustomerRef",
        ),
        ({"Widget": {"RecurringInfo": info()}}, "2010", ""),
    ],
)
def test_a_template_qbo_refuses(api, body, code, element):
    error = fault_of(api.post("recurringtransaction", body))
    assert (error["code"], error["element"]) == (code, element)
    assert api.rows("select * from RecurringTransaction", "RecurringTransaction") == []


def test_names_are_unique_and_unscheduled_templates_need_no_schedule(api):
    created(api, invoice_template())
    assert fault_of(api.post("recurringtransaction", invoice_template()))["code"] == "6240"
    kept = created(api, invoice_template(RecurringInfo=info("On request", "UnScheduled", None)))
    assert kept["Invoice"]["RecurringInfo"] == {
        "Name": "On request",
        "RecurType": "UnScheduled",
        "Active": True,
    }


def test_a_recurring_transfer_moves_no_money(api):
    checking, savings = account_id(api, "Checking"), bank_account(api, "Savings")
    body = {
        "Transfer": {
            "FromAccountRef": ref(checking),
            "ToAccountRef": ref(savings),
            "Amount": 75,
            "RecurringInfo": info("Savings sweep"),
        }
    }
    template = created(api, body)["Transfer"]
    assert money(template["Amount"]) == 75
    assert balance(api, checking) == balance(api, savings) == 0
    assert api.rows("select * from Transfer", "Transfer") == []
    same = {
        "Transfer": {
            **body["Transfer"],
            "ToAccountRef": ref(checking),
            "RecurringInfo": info("Other"),
        }
    }
    assert fault_of(api.post("recurringtransaction", same))["code"] == "6000"


def test_templates_through_batch_and_cdc(api):
    good, bad = batch(
        api,
        {"operation": "create", "RecurringTransaction": invoice_template()},
        {
            "operation": "create",
            "RecurringTransaction": invoice_template(RecurringInfo=info("x", "Never")),
        },
    )
    template = good["RecurringTransaction"]["Invoice"]
    assert money(template["TotalAmt"]) == 120
    assert bad["Fault"]["Error"][0]["code"] == "2010"
    deleted = batch(
        api,
        {
            "operation": "delete",
            "RecurringTransaction": {"Invoice": {"Id": template["Id"], "SyncToken": "0"}},
        },
    )
    assert deleted[0]["RecurringTransaction"]["status"] == "Deleted"
    second = created(api, invoice_template(RecurringInfo=info("Second")))["Invoice"]
    assert changed(api, "RecurringTransaction", SINCE) == [
        {
            "domain": "QBO",
            "status": "Deleted",
            "Id": template["Id"],
            "MetaData": {"LastUpdatedTime": "2026-11-20T10:00:00-08:00"},
        },
        {"Invoice": second},
    ]
