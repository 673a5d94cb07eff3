"""The sample company (seed "sample"), modelled on Intuit's US sandbox company "Craig's Design
and Landscaping Services": what it holds, read over the data API, and that its numbers agree
with each other (customer and vendor balances, stock)."""

from collections import defaultdict
from decimal import Decimal

import pytest

from qbo_emulator.tests._data_helpers import fault_of, money


def all_rows(api, entity: str, where: str = "") -> list[dict]:
    return api.rows(f"select * from {entity} {where} maxresults 1000", entity)


def test_it_has_the_sandbox_lists(api):
    customers = {row["DisplayName"]: row for row in all_rows(api, "Customer")}
    assert len(customers) == 29
    assert {"Amy's Bird Sanctuary", "Cool Cars", "Geeta Kalapatapu", "Weiskopf Consulting",
            "Wedding Planning by Whitney"} <= set(customers)  # fmt: skip
    vendors = {row["DisplayName"] for row in all_rows(api, "Vendor")}
    assert {"Bob's Burger Joint", "Brosnahan Insurance Agency", "PG&E"} <= vendors
    assert len(vendors) == 23
    employees = {(row["GivenName"], row["FamilyName"]) for row in all_rows(api, "Employee")}
    assert employees == {("Emily", "Platt"), ("John", "Johnson")}
    terms = [row["Name"] for row in all_rows(api, "Term")]
    assert terms == ["Due on receipt", "Net 10", "Net 15", "Net 30", "Net 60"]
    methods = {row["Name"] for row in all_rows(api, "PaymentMethod")}
    assert {"Cash", "Check", "Visa", "MasterCard", "Diners Club"} <= methods


def test_jobs_belong_to_their_customer(api):
    customers = {row["DisplayName"]: row for row in all_rows(api, "Customer")}
    freeman = customers["Freeman Sporting Goods"]
    for job in ("0969 Ocean View Road", "55 Twin Lane"):
        assert customers[job]["ParentRef"]["value"] == freeman["Id"]
        assert customers[job]["Job"] is True
    assert customers["Barnett Design"]["ParentRef"]["value"] == customers["Shara Barnett"]["Id"]
    assert freeman["Job"] is False


def test_items_of_every_kind_post_to_their_accounts(api):
    accounts = {row["Name"]: row for row in all_rows(api, "Account")}
    assert accounts["Inventory Asset"]["AccountType"] == "Other Current Asset"
    assert accounts["Cost of Goods Sold"]["Classification"] == "Expense"
    assert {"Services", "Sales of Product Income", "Utilities", "Insurance"} <= set(accounts)
    items = {row["Name"]: row for row in all_rows(api, "Item")}
    kinds = defaultdict(set)
    for name, item in items.items():
        kinds[item["Type"]].add(name)
    assert kinds["Inventory"] == {"Pump", "Rock Fountain", "Sprinkler Heads", "Sprinkler Pipes"}
    assert kinds["NonInventory"] == {"Sod", "Soil"}
    assert {"Services", "Hours", "Design", "Gardening", "Trimming"} <= kinds["Service"]
    fountain = items["Rock Fountain"]
    assert (money(fountain["UnitPrice"]), money(fountain["PurchaseCost"])) == (275, 125)
    assert (fountain["TrackQtyOnHand"], money(fountain["QtyOnHand"])) == (True, 2)
    assert fountain["InvStartDate"] == "2026-11-20"
    assert fountain["AssetAccountRef"]["value"] == accounts["Inventory Asset"]["Id"]
    assert fountain["ExpenseAccountRef"]["value"] == accounts["Cost of Goods Sold"]["Id"]
    assert fountain["IncomeAccountRef"]["value"] == accounts["Sales of Product Income"]["Id"]
    stock = {name: money(items[name]["QtyOnHand"]) for name in kinds["Inventory"]}
    assert stock == {"Pump": 25, "Rock Fountain": 2, "Sprinkler Heads": 25, "Sprinkler Pipes": 31}
    assert items["Design"]["IncomeAccountRef"]["value"] == accounts["Services"]["Id"]
    assert "QtyOnHand" not in items["Soil"]


def test_ids_the_clients_rely_on_stay(api):
    """Billbridge's golden payloads name sample rows by Id (the items 1-10, Cool Cars 3)."""
    assert api.read("Item", "2")["Name"] == "Hours"
    assert api.read("Item", "10")["Name"] == "Trimming"
    assert api.read("Customer", "3")["DisplayName"] == "Cool Cars"
    cool_cars = api.read("Customer", "3")
    assert money(cool_cars["Balance"]) == Decimal("198.60")


def test_each_balance_is_what_its_open_documents_leave(api):
    owed = defaultdict(Decimal)
    invoices = all_rows(api, "Invoice")
    for invoice in invoices:
        owed[invoice["CustomerRef"]["value"]] += money(invoice["Balance"])
    customers = all_rows(api, "Customer")
    assert {c["Id"]: money(c["Balance"]) for c in customers} == {
        c["Id"]: owed[c["Id"]] for c in customers
    }
    paid = [i for i in invoices if money(i["Balance"]) == 0]
    partly = [i for i in invoices if 0 < money(i["Balance"]) < money(i["TotalAmt"])]
    assert len(invoices) == 13 and len(paid) == 4 and len(partly) == 2
    payments = all_rows(api, "Payment")
    assert sum(money(p["TotalAmt"]) for p in payments) == sum(
        money(i["TotalAmt"]) - money(i["Balance"]) for i in invoices
    )
    due = defaultdict(Decimal)
    bills = all_rows(api, "Bill")
    for bill in bills:
        assert money(bill["Balance"]) == money(bill["TotalAmt"])  # none paid yet
        due[bill["VendorRef"]["value"]] += money(bill["Balance"])
    vendors = all_rows(api, "Vendor")
    assert {v["Id"]: money(v["Balance"]) for v in vendors} == {
        v["Id"]: due[v["Id"]] for v in vendors
    }
    assert sum(due.values()) == Decimal("1745.93")


def test_estimates_and_bills_are_there(api):
    estimates = all_rows(api, "Estimate")
    statuses = sorted(e["TxnStatus"] for e in estimates)
    assert statuses == ["Accepted", "Pending", "Pending", "Rejected"]
    dylan = next(e for e in estimates if e["CustomerRef"]["name"] == "Dylan Sollfrank")
    assert money(dylan["TotalAmt"]) == Decimal("447.00")  # 275 + 8 % tax + 3 x 50
    bills = {b["VendorRef"]["name"]: b for b in all_rows(api, "Bill")}
    norton = bills["Norton Lumber and Building Materials"]
    assert [line["DetailType"] for line in norton["Line"]] == ["ItemBasedExpenseLineDetail"] * 3
    assert money(norton["TotalAmt"]) == Decimal("166.25")  # 125 + 15 x 0.75 + 3 x 10


def test_classes_and_locations_nest(api):
    classes = {row["Name"]: row for row in all_rows(api, "Class")}
    assert set(classes) == {"Commercial", "Residential", "Landscaping"}
    assert classes["Landscaping"]["FullyQualifiedName"] == "Residential:Landscaping"
    locations = {row["Name"] for row in all_rows(api, "Department")}
    assert locations == {"San Pablo", "Half Moon Bay"}


def test_a_new_company_has_only_the_basics(empty_api):
    assert len(all_rows(empty_api, "Customer")) == 0
    names = {row["Name"] for row in all_rows(empty_api, "Item")}
    assert names == {"Services"}
    assert "Inventory Asset" not in {row["Name"] for row in all_rows(empty_api, "Account")}


def test_every_country_gets_the_sample(emulator):
    for country in ("GB", "CA", "AU"):
        company = emulator.create_company(name=f"Sample {country}", seed="sample", country=country)
        assert len(company.tables["Customer"]) == 29
        assert len(company.tables["Invoice"]) == 13


# -- inventory items, as the sample's are made (entities/lists.py) ---------------------------
def inventory(api, **changes) -> dict:
    accounts = {row["Name"]: row["Id"] for row in all_rows(api, "Account")}
    body = {"Name": "Bird Bath", "Type": "Inventory", "TrackQtyOnHand": True, "QtyOnHand": 4,
            "InvStartDate": "2026-11-01",
            "IncomeAccountRef": {"value": accounts["Sales of Product Income"]},
            "ExpenseAccountRef": {"value": accounts["Cost of Goods Sold"]},
            "AssetAccountRef": {"value": accounts["Inventory Asset"]}}  # fmt: skip
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def test_an_inventory_item_counts_its_stock(api):
    item = api.create("Item", inventory(api, PurchaseCost="12.5"))
    assert (money(item["QtyOnHand"]), item["InvStartDate"]) == (4, "2026-11-01")
    assert money(item["PurchaseCost"]) == Decimal("12.5")
    rows = api.rows("select * from Item where QtyOnHand > 3 and Type = 'Inventory'", "Item")
    assert "Bird Bath" in {row["Name"] for row in rows}


@pytest.mark.parametrize(
    ("changes", "code", "element"),
    [({"TrackQtyOnHand": None}, "6000", "TrackQtyOnHand"),
     ({"AssetAccountRef": None}, "2020", "AssetAccountRef"),
     ({"QtyOnHand": None}, "2020", "QtyOnHand"),
     ({"InvStartDate": None}, "6000", "InvStartDate")],
)  # fmt: skip
def test_an_inventory_item_needs_its_stock_details(api, changes, code, element):
    error = fault_of(api.post("item", inventory(api, **changes)))
    assert (error["code"], error["element"]) == (code, element)
