"""Company base data: what every new QBO company has ("empty") and a sample company modelled on
Intuit's sandbox sample company ("sample"). Kept as plain Python data."""

from datetime import date, timedelta
from decimal import Decimal

# Per country: home currency, and for non-US companies the tax agency and (code, rate%) pairs.
COUNTRIES = {
    "US": {"currency": ("USD", "United States Dollar")},
    "GB": {"currency": ("GBP", "British Pound Sterling"), "agency": "HM Revenue & Customs",
           "codes": [("20.0% S", "20"), ("5.0% R", "5"), ("0.0% Z", "0"), ("Exempt", "0")]},
    "CA": {"currency": ("CAD", "Canadian Dollar"), "agency": "Canada Revenue Agency",
           "codes": [("GST", "5"), ("HST ON", "13"), ("Exempt", "0")]},
    "AU": {"currency": ("AUD", "Australian Dollar"), "agency": "Australian Taxation Office",
           "codes": [("GST", "10"), ("GST free", "0")]},
}  # fmt: skip

# Chart of accounts of a new company: (Name, AccountType, AccountSubType).
ACCOUNTS = [
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Checking", "Bank", "Checking"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Discounts given", "Income", "DiscountsRefundsGiven"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Sales Tax Payable", "Other Current Liability", "SalesTaxPayable"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Retained Earnings", "Equity", "RetainedEarnings"),
    ("Uncategorized Income", "Income", "ServiceFeeIncome"),
    ("Uncategorized Expense", "Expense", "OtherMiscellaneousServiceCost"),
]
TERMS = [("Due on receipt", 0), ("Net 10", 10), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60)]
PAYMENT_METHODS = [("Cash", "NON_CREDIT_CARD"), ("Check", "NON_CREDIT_CARD"),
                   ("Visa", "CREDIT_CARD"), ("MasterCard", "CREDIT_CARD"),
                   ("American Express", "CREDIT_CARD"), ("Discover", "CREDIT_CARD")]  # fmt: skip
# Where a new company's clock is set when no time zone is given (sandboxes run on Pacific time).
TIME_ZONES = {"US": "America/Los_Angeles", "GB": "Europe/London", "CA": "America/Toronto",
              "AU": "Australia/Sydney"}  # fmt: skip
COMPANY_ADDRESS = {"Line1": "123 Sierra Way", "City": "San Pablo",
                   "CountrySubDivisionCode": "CA", "PostalCode": "87999"}  # fmt: skip

# The sample company, after Intuit's US sandbox company ("Craig's Design and Landscaping").
SAMPLE_ITEMS = [  # (Name, UnitPrice, Taxable, Description)
    ("Hours", "0", False, ""),
    ("Design", "75", False, "Custom Design"),
    ("Installation", "50", False, "Installation of landscape design"),
    ("Gardening", "0", True, "Weekly Gardening Service"),
    ("Pest Control", "35", False, "Pest Control Services"),
    ("Lighting", "0", True, "Garden Lighting"),
    ("Rocks", "0", True, "Garden Rocks"),
    ("Sprinklers", "0", True, "Sprinkler Hardware"),
    ("Trimming", "35", False, "Tree and Shrub Trimming"),
]
SAMPLE_CUSTOMERS = [  # (DisplayName, GivenName, FamilyName, email, state)
    ("Amy's Bird Sanctuary", "Amy", "Lauterbach", "Birds@Intuit.com", "CA"),
    ("Bill's Windsurf Shop", "Bill", "Lucchini", "Surf@Intuit.com", "CA"),
    ("Cool Cars", "Grace", "Pariente", "Cool_Cars@intuit.com", "CA"),
    ("Diego Rodriguez", "Diego", "Rodriguez", "Diego@Rodriguez.com", "CA"),
    ("Dukes Basketball Camp", "Peter", "Dukes", "Dukes_bball@intuit.com", "CA"),
    ("Freeman Sporting Goods", "Kirby", "Freeman", "Sporting_goods@intuit.com", "CA"),
    ("Jeff's Jalopies", "Jeff", "Chin", "Jalopies@intuit.com", "CA"),
    ("Kookies by Kathy", "Kathy", "Kuplis", "qbwebsamplecompany@yahoo.com", "CA"),
    ("Paulsen Medical Supplies", "Kathy", "Paulsen", "Medical@intuit.com", "CA"),
    ("Red Rock Diner", "Stephanie", "Martini", "qbwebsamplecompany@yahoo.com", "CA"),
    ("Sushi by Katsuyuki", "Katsuyuki", "Yasuda", "Sushi@intuit.com", "CA"),
    ("Travis Waldron", "Travis", "Waldron", "Travis@Waldron.com", "CA"),
    ("Weiskopf Consulting", "Nicola", "Weiskopf", "Consulting@intuit.com", "CA"),
]
SAMPLE_VENDORS = ["Bob's Burger Joint", "Books by Bessie", "Brosnahan Insurance Agency",
                  "Cal Telephone", "Computers by Jenni", "Ellis Equipment Rental",
                  "Hall Properties", "Norton Lumber and Building Materials"]  # fmt: skip
SAMPLE_EMPLOYEES = [("Emily", "Platt"), ("John", "Johnson")]
# (customer index, days ago, [(item name, qty, unit price, taxable)], paid: None|"full"|amount)
SAMPLE_INVOICES = [
    (0, 40, [("Design", "3", "75", False), ("Rocks", "5", "15", True)], "full"),
    (1, 25, [("Installation", "4", "50", False)], "80"),
    (2, 12, [("Design", "2", "75", False), ("Lighting", "1", "45", True)], None),
    (6, 5, [("Pest Control", "2", "35", False)], None),
    (12, 2, [("Gardening", "1", "120", True), ("Trimming", "3", "35", False)], None),
]
SAMPLE_US_TAX = {  # agency → rates (name, percent); codes: name → rate names
    "agencies": {"Arizona Dept. of Revenue": [("AZ State tax", "7.1"), ("Tucson City", "2")],
                 "Board of Equalization": [("California", "8")]},
    "codes": {"Tucson": ["AZ State tax", "Tucson City"], "California": ["California"]},
    "default": "California",
}  # fmt: skip


def time_zone(country: str) -> str:
    return TIME_ZONES.get(country, TIME_ZONES["US"])


def _ref(record: dict) -> dict:
    return {"value": record["Id"]}


def _base(company, preferences: dict, *, sample: bool) -> dict:
    """Settings, accounts, the Services item, terms, payment methods and tax codes."""
    country = COUNTRIES.get(company.country)
    if country is None:
        raise ValueError(f"country {company.country!r} not supported; use {sorted(COUNTRIES)}")
    currency, currency_name = country["currency"]
    today = company.today()
    us = company.is_us
    company.insert(
        "CompanyInfo",
        {
            "CompanyName": company._name,
            "LegalName": company._name,
            "CompanyAddr": dict(COMPANY_ADDRESS, Country=company.country),
            "LegalAddr": dict(COMPANY_ADDRESS, Country=company.country),
            "CustomerCommunicationAddr": dict(COMPANY_ADDRESS, Country=company.country),
            "Country": company.country,
            "Email": {"Address": "noreply@quickbooks.example"},
            "PrimaryPhone": {"FreeFormNumber": "(650) 555-1234"},
            "SupportedLanguages": "en",
            "DefaultTimeZone": company.time_zone,
            "FiscalYearStartMonth": "January",
            "CompanyStartDate": today,
            "NameValue": [{"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"}],
        },
        entity_id="1",
    )
    prefs = {
        "AccountingInfoPrefs": {"BookCloseDate": preferences.get("book_close_date"),
                                "CustomerTerminology": "Customers",
                                "TrackDepartments": False, "ClassTrackingPerTxn": False},
        "SalesFormsPrefs": {"CustomTxnNumbers": bool(preferences.get("custom_txn_numbers", False)),
                            "AllowDeposit": True, "AllowDiscount": True, "AllowServiceDate": False,
                            "AutoApplyCredit": True, "AutoApplyPayments": True,
                            "ETransactionPaymentEnabled": bool(preferences.get("payments", False))},
        "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True},
        "TaxPrefs": {"UsingSalesTax": bool(preferences.get("sales_tax", sample or not us))},
        "CurrencyPrefs": {"MultiCurrencyEnabled": bool(preferences.get("multicurrency", False)),
                          "HomeCurrency": {"value": currency, "name": currency_name}},
        "EmailMessagesPrefs": {}, "VendorAndPurchasesPrefs": {}, "TimeTrackingPrefs": {},
        "ReportPrefs": {}, "OtherPrefs": {"NameValue": []},
    }  # fmt: skip
    if preferences.get("automated_sales_tax"):
        prefs["TaxPrefs"].update(UsingSalesTax=True, PartnerTaxEnabled=True)
    if not prefs["AccountingInfoPrefs"]["BookCloseDate"]:
        del prefs["AccountingInfoPrefs"]["BookCloseDate"]
    company.insert("Preferences", prefs, entity_id="1")
    accounts = {
        name: company.create("Account", {"Name": name, "AccountType": kind, "AccountSubType": sub})
        for name, kind, sub in ACCOUNTS
    }
    services = company.create(
        "Item",
        {"Name": "Services", "Type": "Service",
         "IncomeAccountRef": _ref(accounts["Services"])},
    )  # fmt: skip
    terms = {name: company.create("Term", {"Name": name, "DueDays": days}) for name, days in TERMS}
    for name, kind in PAYMENT_METHODS:
        company.create("PaymentMethod", {"Name": name, "Type": kind})
    sales_forms = {"DefaultItem": {"value": services["Id"], "name": "Services"},
                   "DefaultTerms": {"value": terms["Net 30"]["Id"]}}  # fmt: skip
    if us:
        for code in ("TAX", "NON"):
            company.insert(
                "TaxCode",
                {"Name": code, "Description": "Taxable" if code == "TAX" else "Non-Taxable",
                 "Taxable": code == "TAX", "TaxGroup": False},
                entity_id=code,
            )  # fmt: skip
    else:
        agency = company.create("TaxAgency", {"DisplayName": country["agency"]})
        for name, percent in country["codes"]:
            rate = company.insert(
                "TaxRate", {"Name": name, "RateValue": Decimal(percent), "AgencyRef": _ref(agency)}
            )
            company.insert(
                "TaxCode",
                {"Name": name, "SalesTaxRateList": {"TaxRateDetail": [{"TaxRateRef": _ref(rate)}]},
                 "Taxable": percent != "0"},
            )  # fmt: skip
    company.preferences["SalesFormsPrefs"].update(sales_forms)
    return {"accounts": accounts, "services": services, "terms": terms}


def seed_empty(company, preferences: dict) -> None:
    with _seeding(company):
        _base(company, preferences, sample=False)


def seed_sample(company, preferences: dict) -> None:
    with _seeding(company):
        base = _base(company, preferences, sample=True)
        _sample_data(company, base)


def _sample_data(company, base: dict) -> None:
    income = _ref(base["accounts"]["Services"])
    if company.is_us:
        rates = {}
        for agency_name, agency_rates in SAMPLE_US_TAX["agencies"].items():
            agency = company.create("TaxAgency", {"DisplayName": agency_name})
            for name, percent in agency_rates:
                rates[name] = company.insert(
                    "TaxRate",
                    {"Name": name, "RateValue": Decimal(percent), "AgencyRef": _ref(agency)},
                )
        for code_name, rate_names in SAMPLE_US_TAX["codes"].items():
            code = company.insert(
                "TaxCode",
                {"Name": code_name, "SalesTaxRateList": {
                    "TaxRateDetail": [{"TaxRateRef": _ref(rates[n])} for n in rate_names]}},
            )  # fmt: skip
            if code_name == SAMPLE_US_TAX["default"]:
                company.preferences["TaxPrefs"]["TaxGroupCodeRef"] = {"value": code["Id"]}
    items = {
        name: company.create(
            "Item",
            {
                "Name": name,
                "Type": "Service",
                "UnitPrice": Decimal(price),
                "Taxable": taxable,
                "Description": description,
                "IncomeAccountRef": income,
            },
        )  # fmt: skip
        for name, price, taxable, description in SAMPLE_ITEMS
    }
    customers = [
        company.create(
            "Customer",
            {
                "DisplayName": display,
                "GivenName": given,
                "FamilyName": family,
                "CompanyName": display if " " in display and "'" in display else None,
                "PrimaryEmailAddr": {"Address": email},
                "BillAddr": dict(COMPANY_ADDRESS, CountrySubDivisionCode=state),
            },
        )  # fmt: skip
        for display, given, family, email, state in SAMPLE_CUSTOMERS
    ]
    for display in SAMPLE_VENDORS:
        company.create("Vendor", {"DisplayName": display, "CompanyName": display})
    for given, family in SAMPLE_EMPLOYEES:
        company.create("Employee", {"GivenName": given, "FamilyName": family})
    today = date.fromisoformat(company.today())
    us = company.is_us
    default_code = next(iter(company.tables["TaxCode"]))
    for customer_index, days_ago, lines, paid in SAMPLE_INVOICES:
        body = {
            "CustomerRef": _ref(customers[customer_index]),
            "TxnDate": (today - timedelta(days=days_ago)).isoformat(),
            "Line": [
                {"DetailType": "SalesItemLineDetail",
                 "SalesItemLineDetail": {
                     "ItemRef": _ref(items[item]), "Qty": Decimal(qty),
                     "UnitPrice": Decimal(price),
                     "TaxCodeRef": {"value": _line_code(us, taxable, default_code)}}}
                for item, qty, price, taxable in lines
            ],
        }  # fmt: skip
        invoice = company.create("Invoice", body)
        if paid:
            amount = invoice["Balance"] if paid == "full" else Decimal(paid)
            company.receive_payment(invoice["Id"], amount)


def _line_code(us: bool, taxable: bool, default_code: str) -> str:
    if not us:
        return default_code
    return "TAX" if taxable else "NON"


class _seeding:
    """Seed data is base state, not a change: no Change records, no webhooks, internal creates."""

    def __init__(self, company) -> None:
        self.company = company

    def __enter__(self):
        self.company.seeding = True

    def __exit__(self, *exc):
        self.company.seeding = False


SEEDS = {"empty": seed_empty, "sample": seed_sample}
