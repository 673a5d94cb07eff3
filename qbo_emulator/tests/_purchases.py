"""What the purchase tests share (Bill, BillPayment, Purchase, PurchaseOrder): vendors, accounts
and items of the tests' own, made over HTTP, and expense lines. Only accounts every new QBO
company has (a bank account and Accounts Payable) are looked up."""

from qbo_emulator.tests._data_helpers import Api


class Books:
    """Two vendors, an expense account, a credit card account and an item bought for the
    expense account, in the company behind `api`."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.vendor = api.create("Vendor", {"DisplayName": "Lumber Co"})["Id"]
        self.other_vendor = api.create("Vendor", {"DisplayName": "Paint Co"})["Id"]
        self.expense = api.create("Account", {"Name": "Supplies", "AccountType": "Expense"})["Id"]
        self.card = api.create("Account", {"Name": "Visa Card", "AccountType": "Credit Card"})["Id"]
        self.bank = self.account_of_type("Bank")
        self.payables = self.account_of_type("Accounts Payable")
        income = self.account_of_type("Income")
        self.item = api.create(
            "Item",
            {"Name": "Plank", "Type": "NonInventory", "IncomeAccountRef": {"value": income},
             "ExpenseAccountRef": {"value": self.expense}},
        )["Id"]  # fmt: skip

    def account_of_type(self, account_type: str) -> str:
        rows = self.api.rows(
            f"select * from Account where AccountType = '{account_type}'", "Account"
        )
        return rows[0]["Id"]

    def bill(self, *lines, vendor: str | None = None, **fields) -> dict:
        body = {"VendorRef": {"value": vendor or self.vendor}, "Line": list(lines), **fields}
        return self.api.create("Bill", body)


def expense(account: str, amount, **detail) -> dict:
    """An AccountBasedExpenseLine of `amount` booked to `account`."""
    return {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": amount,
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account}, **detail},
    }


def bought(item: str, amount=None, **detail) -> dict:
    """An ItemBasedExpenseLine for `item`; without an amount QBO works it out from Qty and
    UnitPrice."""
    line = {
        "DetailType": "ItemBasedExpenseLineDetail",
        "ItemBasedExpenseLineDetail": {"ItemRef": {"value": item}, **detail},
    }
    if amount is not None:
        line["Amount"] = amount
    return line
