"""Item, Account, Term, PaymentMethod, TaxAgency rules (QBO.md §3.2, §3.5, §3.8)."""

import threading

from qbo_emulator.tests._data_helpers import fault_of, line


def test_item_rules(api):
    income = api.rows("select * from Account where AccountSubType = 'ServiceFeeIncome'", "Account")
    account = {"value": income[0]["Id"]}
    item = api.create(
        "Item",
        {
            "Name": "Consulting",
            "Type": "Service",
            "UnitPrice": "120.50",
            "IncomeAccountRef": account,
        },
    )
    assert item["FullyQualifiedName"] == "Consulting" and item["Active"] is True
    assert item["IncomeAccountRef"]["name"] == "Services"
    assert (
        fault_of(api.post("item", {"Name": "consulting", "IncomeAccountRef": account}))["code"]
        == "6240"
    )
    error = fault_of(api.post("item", {"Name": "No Account", "Type": "Service"}))
    assert (error["code"], error["element"]) == ("2020", "IncomeAccountRef")
    assert fault_of(api.post("item", {"Name": "A:B", "IncomeAccountRef": account}))["code"] == (
        "2040"
    )
    assert fault_of(api.post("item", {"IncomeAccountRef": account}))["code"] == "2020"


def test_category_items_cannot_be_sold(api):
    category = api.create("Item", {"Name": "Garden", "Type": "Category"})
    body = {"CustomerRef": {"value": "3"}, "Line": [line(category["Id"], 10)]}
    error = fault_of(api.post("invoice", body))
    assert error["code"] == "2500"
    assert error["Detail"] == "Categories cannot be used in transactions"


def test_inactive_item_is_610_on_lines(api, sample):
    item = sample.read("Item", "3")
    sample.update("Item", {**item, "Active": False}, sparse=False)
    body = {"CustomerRef": {"value": "3"}, "Line": [line("3", 10)]}
    assert fault_of(api.post("invoice", body))["code"] == "610"


def test_account_rules(api):
    error = fault_of(api.post("account", {"Name": "Consulting Income"}))
    assert (error["code"], error["element"]) == ("2020", "AccountType")
    account = api.create("Account", {"Name": "Consulting Income", "AccountType": "Income"})
    assert account["Classification"] == "Revenue"
    assert fault_of(api.post("account", {"Name": "Checking", "AccountType": "Bank"}))["code"] == (
        "6240"
    )


def test_term_payment_method_and_tax_agency(api):
    term = api.create("Term", {"Name": "Net 45", "DueDays": 45})
    assert term["Type"] == "STANDARD" and term["DueDays"] == 45
    assert fault_of(api.post("term", {"Name": "Bad", "DueDays": "soon"}))["code"] == "2010"
    method = api.create("PaymentMethod", {"Name": "Wire"})
    assert method["Type"] == "NON_CREDIT_CARD"
    assert fault_of(api.post("paymentmethod", {"Name": "Cash"}))["code"] == "6240"
    agency = api.create("TaxAgency", {"DisplayName": "City of Springfield"})
    assert agency["TaxTrackedOnSales"] is True
    update = {**agency, "DisplayName": "Other"}
    assert fault_of(api.post("taxagency", update))["code"] == "500"


def test_concurrent_creates_get_distinct_ids_and_numbers(sample):
    created, errors = [], []

    def work():
        try:
            for _ in range(25):
                body = {"CustomerRef": {"value": "3"}, "Line": [line("3", 1)]}
                created.append(sample.create("Invoice", body))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({i["Id"] for i in created}) == 200
    assert len({i["DocNumber"] for i in created}) == 200
    assert sample.read("Customer", "3")["Balance"] == sum(
        i["Balance"] for i in sample.list("Invoice") if i["CustomerRef"]["value"] == "3"
    )
