"""Item, Account, Term and PaymentMethod: name lists identified by a unique Name. Term and
PaymentMethod are declared (entities/spec.py); Item and Account keep rules of their own."""

from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.base import (
    EntityType,
    boolean,
    iso_date,
    money,
    reference,
    required_name,
)
from qbo_emulator.entities.names import name_key
from qbo_emulator.entities.spec import NAME_LIST_OPERATIONS, DeclaredType, Spec

ACCOUNT_CLASSIFICATION = {
    "Bank": "Asset", "Other Current Asset": "Asset", "Fixed Asset": "Asset",
    "Other Asset": "Asset", "Accounts Receivable": "Asset", "Equity": "Equity",
    "Expense": "Expense", "Other Expense": "Expense", "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability", "Credit Card": "Liability", "Long Term Liability": "Liability",
    "Other Current Liability": "Liability", "Income": "Revenue", "Other Income": "Revenue",
}  # fmt: skip
ITEM_TYPES = frozenset({"Service", "NonInventory", "Inventory", "Group", "Category", "Bundle"})
# Item types that post sales to an income account and so need one.
SELLABLE = frozenset({"Service", "NonInventory", "Inventory"})


class NamedList(EntityType):
    """A name list whose `Name` is required, has no ':' and is unique within the entity."""

    name_list = True
    holder = ""
    max_name = 100
    refs: dict[str, str] = {}
    queryable = frozenset({"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "Name",
                           "Active", "FullyQualifiedName"})  # fmt: skip

    def build(self, company, body, existing, options):
        record = dict(body)
        name = required_name(body, "Name", self.max_name)
        if ":" in name:
            raise faults.invalid_character("Name", name)
        record["Name"] = name
        record["Active"] = boolean(body, "Active", True)
        for field, entity in self.refs.items():
            resolved = reference(company, body, field, entity)
            if resolved:
                record[field] = resolved
        return record

    def unique_keys(self, record):
        return [(self.name + ".Name", name_key(record["Name"]))]

    def duplicate_fault(self, record, index, key, other):
        return faults.duplicate_name(record["Name"], self.holder)


class ItemType(NamedList):
    name = "Item"
    holder = "product or service"
    refs = {"IncomeAccountRef": "Account", "ExpenseAccountRef": "Account",
            "AssetAccountRef": "Account", "SalesTaxCodeRef": "TaxCode",
            "ParentRef": "Item"}  # fmt: skip
    queryable = NamedList.queryable | {"Type", "Sku", "UnitPrice", "Taxable", "QtyOnHand"}

    def build(self, company, body, existing, options):
        record = super().build(company, body, existing, options)
        item_type = body.get("Type", "Service")
        if not isinstance(item_type, str) or item_type not in ITEM_TYPES:
            raise faults.invalid_value("Type", f"Item Type {item_type!r} is not supported")
        if item_type in SELLABLE and "IncomeAccountRef" not in record:
            raise faults.required("IncomeAccountRef")
        record["Type"] = item_type
        record["FullyQualifiedName"] = record["Name"]
        record["UnitPrice"] = money(body.get("UnitPrice", 0), "UnitPrice")
        record["Taxable"] = boolean(body, "Taxable", False)
        record["TrackQtyOnHand"] = boolean(body, "TrackQtyOnHand", False)
        purchase_cost = body.get("PurchaseCost")
        if purchase_cost not in (None, ""):
            record["PurchaseCost"] = money(purchase_cost, "PurchaseCost")
        if item_type == "Inventory":
            self._stock(record, body)
        return record

    @staticmethod
    def _stock(record: dict, body: dict) -> None:
        """An inventory item counts its stock from an opening quantity on a date, valued in an
        asset account. QBO refuses one that does not track quantity ("When you create an item,
        if Track quantity on hand is turned off, the item cannot be of type Inventory.",
        QuickBooks-V3-DotNET-SDK #10) or has no as-of date ("As of date for initial quantity on
        hand is required", quickbooks-php #104, which also needed AssetAccountRef); Intuit's
        Item reference marks QtyOnHand required for the Inventory type."""
        if not record["TrackQtyOnHand"]:
            raise faults.business(
                "When you create an item, if Track quantity on hand is turned off, the item "
                "cannot be of type Inventory.",
                "TrackQtyOnHand",
            )
        if "AssetAccountRef" not in record:
            raise faults.required("AssetAccountRef")
        if body.get("QtyOnHand") in (None, ""):
            raise faults.required("QtyOnHand")
        record["QtyOnHand"] = money(body["QtyOnHand"], "QtyOnHand")
        started = iso_date(body, "InvStartDate")
        if started is None:
            raise faults.business(
                "As of date for initial quantity on hand is required", "InvStartDate"
            )
        record["InvStartDate"] = started


class AccountType(NamedList):
    name = "Account"
    holder = "account"
    refs = {"ParentRef": "Account"}
    queryable = NamedList.queryable | {"AccountType", "AccountSubType", "Classification",
                                       "CurrentBalance", "AcctNum"}  # fmt: skip
    kept_on_update = ("CurrentBalance",)

    def build(self, company, body, existing, options):
        record = super().build(company, body, existing, options)
        account_type = body.get("AccountType")
        if account_type is None:
            raise faults.required("AccountType")
        if not isinstance(account_type, str) or account_type not in ACCOUNT_CLASSIFICATION:
            raise faults.invalid_value("AccountType", f"Unknown AccountType {account_type!r}")
        record["Classification"] = ACCOUNT_CLASSIFICATION[account_type]
        record["FullyQualifiedName"] = record["Name"]
        record["SubAccount"] = "ParentRef" in record
        record["CurrentBalance"] = (existing or {}).get("CurrentBalance", Decimal("0"))
        return record


def _term_days(company, record: dict, body: dict, existing: dict | None) -> None:
    if record["Type"] != "STANDARD":
        return
    due_days = body.get("DueDays", 0)
    if not isinstance(due_days, int) or isinstance(due_days, bool) or due_days < 0:
        raise faults.invalid_value("DueDays", "DueDays must be a whole number of days")
    record["DueDays"] = due_days


TERM = Spec(name="Term", kind="name_list", operations=NAME_LIST_OPERATIONS, max_name=31,
            holder="term", choices={"Type": ("STANDARD", "DATE_DRIVEN")},
            queryable=frozenset({"DueDays", "Type"}), finish=_term_days)  # fmt: skip
PAYMENT_METHOD = Spec(name="PaymentMethod", kind="name_list", operations=NAME_LIST_OPERATIONS,
                      max_name=31, holder="payment method",
                      choices={"Type": ("NON_CREDIT_CARD", "CREDIT_CARD")},
                      queryable=frozenset({"Type"}))  # fmt: skip


register(ItemType())
register(AccountType())
register(DeclaredType(TERM))
register(DeclaredType(PAYMENT_METHOD))
