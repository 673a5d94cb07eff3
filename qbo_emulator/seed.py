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

# What Intuit's sample company shows in its Preferences (the Preferences reference's sample).
CUSTOMER_MESSAGE = "Thank you for your business and have a great day!"
EMAIL_MESSAGES = [  # (form, the message's text before the signature)
    ("Invoice", "Your invoice is attached.  Please remit payment at your earliest convenience.\n"
                "Thank you for your business - we appreciate it very much."),
    ("Estimate", "Please review the estimate below.  Feel free to contact us if you have any "
                 "questions.\nWe look forward to working with you."),
    ("Sales Receipt", "Your sales receipt is attached.\nThank you for your business - we "
                      "appreciate it very much."),
    ("Statement", "Your statement is attached.  Please remit payment at your earliest "
                  "convenience.\nThank you for your business - we appreciate it very much."),
]  # fmt: skip
OTHER_PREFS = {
    "SalesFormsPrefs.DefaultCustomerMessage": CUSTOMER_MESSAGE,
    "DTXCopyMemo": "false",
    "SFCEnabled": "true",
    "DataPartner": "false",
    "Vendor1099Enabled": "true",
    "TimeTrackingFeatureEnabled": "true",
    "FDPEnabled": "false",
    "ProjectsEnabled": "false",
    "WarnDuplicateCheckNumber": "true",
    "WarnDuplicateBillNumber": "false",
    "SignoutInactiveMinutes": "60",
    "AccountingInfoPrefs.ShowAccountNumbers": "false",
}
US_FORMATS = {
    "DateFormat": "Month Date Year separated by a slash",
    "DateFormatMnemonic": "MMDDYYYY_SEP_SLASH",
    "NumberFormat": "US Number Format",
    "NumberFormatMnemonic": "US_NB",
}
# Outside the US the day comes first (the mnemonic's form is Intuit's; UNCONFIRMED value).
WORLD_FORMATS = {**US_FORMATS, "DateFormat": "Date Month Year separated by a slash",
                 "DateFormatMnemonic": "DDMMYYYY_SEP_SLASH"}  # fmt: skip

# The sample company, after Intuit's US sandbox company ("Craig's Design and Landscaping"). The
# rows keep the order the emulator has always made them in (so their Ids stay); what came later
# follows. Names, descriptions, prices and stock are the sandbox's own.
SAMPLE_ACCOUNTS = [  # (Name, AccountType, AccountSubType), after ACCOUNTS
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Landscaping Services", "Income", "ServiceFeeIncome"),
    ("Advertising", "Expense", "AdvertisingPromotional"),
    ("Automobile", "Expense", "Auto"),
    ("Bank Charges", "Expense", "BankCharges"),
    ("Insurance", "Expense", "Insurance"),
    ("Legal & Professional Fees", "Expense", "LegalProfessionalFees"),
    ("Meals and Entertainment", "Expense", "EntertainmentMeals"),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
    ("Rent or Lease", "Expense", "RentOrLeaseOfBuildings"),
    ("Utilities", "Expense", "Utilities"),
]
SAMPLE_ITEMS = [  # (Name, UnitPrice, Taxable, Description): services, after "Services"
    ("Hours", "0", False, ""),
    ("Design", "75", False, "Custom Design"),
    ("Installation", "50", False, "Installation of landscape design"),
    ("Gardening", "0", True, "Weekly Gardening Service"),
    ("Pest Control", "35", False, "Pest Control Services"),
    ("Lighting", "0", True, "Garden Lighting"),
    ("Rocks", "0", True, "Garden Rocks"),
    ("Sprinklers", "0", True, "Sprinkler Hardware"),
    ("Trimming", "35", False, "Tree and Shrub Trimming"),
    ("Concrete", "0", True, "Concrete for fountain installation"),
    ("Maintenance & Repair", "0", False, "Maintenance & Repair"),
]
# Goods bought in and sold without counting stock.
SAMPLE_NON_INVENTORY = [("Sod", "0", True, "Sod"), ("Soil", "10", True, "2 cubic ft. bag")]
# Goods in stock: (Name, UnitPrice, PurchaseCost, QtyOnHand, Description).
SAMPLE_INVENTORY = [
    ("Pump", "15", "10", "25", "Fountain Pump"),
    ("Rock Fountain", "275", "125", "2", "Rock Fountain"),
    ("Sprinkler Heads", "2", "0.75", "25", "Sprinkler Heads"),
    ("Sprinkler Pipes", "4", "2.5", "31", "Sprinkler Pipes"),
]
SAMPLE_CUSTOMERS = [  # (DisplayName, GivenName, FamilyName, email, parent DisplayName)
    ("Amy's Bird Sanctuary", "Amy", "Lauterbach", "Birds@Intuit.com", None),
    ("Bill's Windsurf Shop", "Bill", "Lucchini", "Surf@Intuit.com", None),
    ("Cool Cars", "Grace", "Pariente", "Cool_Cars@intuit.com", None),
    ("Diego Rodriguez", "Diego", "Rodriguez", "Diego@Rodriguez.com", None),
    ("Dukes Basketball Camp", "Peter", "Dukes", "Dukes_bball@intuit.com", None),
    ("Freeman Sporting Goods", "Kirby", "Freeman", "Sporting_goods@intuit.com", None),
    ("Jeff's Jalopies", "Jeff", "Chin", "Jalopies@intuit.com", None),
    ("Kookies by Kathy", "Kathy", "Kuplis", "qbwebsamplecompany@yahoo.com", None),
    ("Paulsen Medical Supplies", "Kathy", "Paulsen", "Medical@intuit.com", None),
    ("Red Rock Diner", "Stephanie", "Martini", "qbwebsamplecompany@yahoo.com", None),
    ("Sushi by Katsuyuki", "Katsuyuki", "Yasuda", "Sushi@intuit.com", None),
    ("Travis Waldron", "Travis", "Waldron", "Travis@Waldron.com", None),
    ("Weiskopf Consulting", "Nicola", "Weiskopf", "Consulting@intuit.com", None),
    ("Dylan Sollfrank", "Dylan", "Sollfrank", None, None),
    ("0969 Ocean View Road", "Kirby", "Freeman", "Sporting_goods@intuit.com",
     "Freeman Sporting Goods"),
    ("55 Twin Lane", "Kirby", "Freeman", "Sporting_goods@intuit.com", "Freeman Sporting Goods"),
    ("Geeta Kalapatapu", "Geeta", "Kalapatapu", "Geeta@Kalapatapu.com", None),
    ("Gevelber Photography", "Lisa", "Gevelber", "Photography@intuit.com", None),
    ("John Melton", "John", "Melton", "John@Melton.com", None),
    ("Kate Whelan", "Kate", "Whelan", "Kate@Whelan.com", None),
    ("Mark Cho", "Mark", "Cho", "Mark@Cho.com", None),
    ("Pye's Cakes", "Karen", "Pye", "pyescakes@intuit.com", None),
    ("Rago Travel Agency", None, None, "Rago_Travel@intuit.com", None),
    ("Rondonuwu Fruit and Vegi", "Tony", "Rondonuwu", "Tony@Rondonuwu.com", None),
    ("Shara Barnett", "Shara", "Barnett", "Shara@Barnett.com", None),
    ("Barnett Design", "Shara", "Barnett", "Design@intuit.com", "Shara Barnett"),
    ("Sonnenschein Family Store", "Russ", "Sonnenschein", "Familiystore@intuit.com", None),
    ("Video Games by Dan", None, None, "Videogames@intuit.com", None),
    ("Wedding Planning by Whitney", None, None, "Dream_Wedding@intuit.com", None),
]  # fmt: skip
# The sandbox's vendors but three the contract tests make themselves (Hicks Hardware, Tania's
# Nursery, Chin's Gas and Oil).
SAMPLE_VENDORS = ["Bob's Burger Joint", "Books by Bessie", "Brosnahan Insurance Agency",
                  "Cal Telephone", "Computers by Jenni", "Ellis Equipment Rental",
                  "Hall Properties", "Norton Lumber and Building Materials",
                  "Cigna Health Care", "Diego's Road Warrior Bodyshop", "EDD", "Fidelity",
                  "Lee Advertising", "Mahoney Mugs", "Met Life Dental", "National Eye Care",
                  "PG&E", "Pam Seitz", "Robertson & Associates", "Squeaky Kleen Car Wash",
                  "Tim Philip Masonry", "Tony Rondonuwu", "United States Treasury"]  # fmt: skip
SAMPLE_EMPLOYEES = [("Emily", "Platt"), ("John", "Johnson")]
SAMPLE_PAYMENT_METHODS = [("Diners Club", "CREDIT_CARD")]  # after PAYMENT_METHODS
SAMPLE_CLASSES = [("Commercial", None), ("Residential", None), ("Landscaping", "Residential")]
SAMPLE_DEPARTMENTS = [("San Pablo", None), ("Half Moon Bay", None)]
# (customer, days ago, [(item name, qty, unit price, taxable)], paid: None|"full"|amount)
SAMPLE_INVOICES = [
    ("Amy's Bird Sanctuary", 40, [("Design", "3", "75", False), ("Rocks", "5", "15", True)],
     "full"),
    ("Bill's Windsurf Shop", 25, [("Installation", "4", "50", False)], "80"),
    ("Cool Cars", 12, [("Design", "2", "75", False), ("Lighting", "1", "45", True)], None),
    ("Jeff's Jalopies", 5, [("Pest Control", "2", "35", False)], None),
    ("Weiskopf Consulting", 2, [("Gardening", "1", "120", True), ("Trimming", "3", "35", False)],
     None),
    ("Geeta Kalapatapu", 30, [("Design", "4", "75", False), ("Installation", "2", "50", False)],
     "full"),
    ("John Melton", 20, [("Rock Fountain", "1", "275", True), ("Pump", "1", "15", True)], None),
    ("Kate Whelan", 15, [("Gardening", "2", "60", True)], "50"),
    ("Mark Cho", 8, [("Soil", "5", "10", True), ("Sod", "10", "4", True)], None),
    ("Rago Travel Agency", 45, [("Maintenance & Repair", "3", "40", False)], "full"),
    ("Pye's Cakes", 60, [("Pest Control", "1", "35", False)], None),
    ("Rondonuwu Fruit and Vegi", 18, [("Trimming", "2", "35", False),
                                      ("Lighting", "1", "40", True)], "full"),
    ("Sonnenschein Family Store", 3, [("Concrete", "2", "15", True),
                                      ("Sprinkler Heads", "10", "2", True)], None),
]  # fmt: skip
# (customer, days ago, lines as for invoices, TxnStatus)
SAMPLE_ESTIMATES = [
    ("Dylan Sollfrank", 10, [("Rock Fountain", "1", "275", True),
                             ("Installation", "3", "50", False)], "Pending"),
    ("Video Games by Dan", 6, [("Design", "2", "75", False)], "Accepted"),
    ("Wedding Planning by Whitney", 25, [("Lighting", "4", "45", True),
                                         ("Gardening", "1", "90", True)], "Rejected"),
    ("Gevelber Photography", 2, [("Sprinkler Pipes", "10", "4", True),
                                 ("Sprinkler Heads", "10", "2", True)], "Pending"),
]  # fmt: skip
# (vendor, days ago, [(account name, amount)] or [(item name, qty, unit cost)])
SAMPLE_BILLS = [
    ("Brosnahan Insurance Agency", 40, [("Insurance", "241.23")]),
    ("Cal Telephone", 20, [("Utilities", "74.36")]),
    ("Norton Lumber and Building Materials", 12,
     [("Rock Fountain", "1", "125"), ("Sprinkler Heads", "15", "0.75"), ("Pump", "3", "10")]),
    ("Hall Properties", 5, [("Rent or Lease", "900")]),
    ("PG&E", 28, [("Utilities", "114.09")]),
    ("Lee Advertising", 9, [("Advertising", "250")]),
]  # fmt: skip
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


def _preferences(company, preferences: dict, *, sample: bool, currency: tuple) -> dict:
    """Every section QBO answers in Preferences, with the values of Intuit's sample (the
    Preferences reference's read response of Craig's Design and Landscaping Services); the
    control API's short settings (store.SETTING_NAMES) decide the ones the emulator's rules
    read. The sample company tracks classes and locations, as Intuit's does."""
    us = company.is_us
    name = company._name
    code, currency_name = currency
    prefs = {
        "AccountingInfoPrefs": {
            "FirstMonthOfFiscalYear": "January", "TaxYearMonth": "January",
            "UseAccountNumbers": False, "TrackDepartments": sample,
            "DepartmentTerminology": "Location", "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": sample, "CustomerTerminology": "Customers",
            "BookCloseDate": preferences.get("book_close_date")},
        "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True,
                                    "QuantityWithPriceAndRate": True, "QuantityOnHand": True},
        "SalesFormsPrefs": {
            "CustomTxnNumbers": bool(preferences.get("custom_txn_numbers", False)),
            "AllowDeposit": True, "AllowDiscount": True, "AllowEstimates": True,
            "AllowServiceDate": False, "AllowShipping": False, "AutoApplyCredit": True,
            "AutoApplyPayments": True, "EmailCopyToCompany": False,
            "DefaultCustomerMessage": CUSTOMER_MESSAGE, "ETransactionAttachPDF": False,
            "ETransactionEnabledStatus": "NotApplicable",
            "ETransactionPaymentEnabled": bool(preferences.get("payments", False)),
            "IPNSupportEnabled": False, "UsingPriceLevels": False,
            "UsingProgressInvoicing": False},
        "EmailMessagesPrefs": {
            f"{form.replace(' ', '')}Message": {"Subject": f"{form} from {name}",
                                               "Message": f"{text}\n\nSincerely,\n{name}"}
            for form, text in EMAIL_MESSAGES},
        "VendorAndPurchasesPrefs": {"BillableExpenseTracking": True,
                                    "TrackingByCustomer": True},
        "TimeTrackingPrefs": {"UseServices": True, "BillCustomers": True,
                              "ShowBillRateToAll": False, "WorkWeekStartDate": "Monday",
                              "MarkTimeEntriesBillable": True},
        "TaxPrefs": {"UsingSalesTax": bool(preferences.get("sales_tax", sample or not us))},
        "CurrencyPrefs": {"MultiCurrencyEnabled": bool(preferences.get("multicurrency", False)),
                          "HomeCurrency": {"value": code, "name": currency_name}},
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {"NameValue": [
            {"Name": key, "Value": value}
            for key, value in {**OTHER_PREFS, **(US_FORMATS if us else WORLD_FORMATS)}.items()]},
    }  # fmt: skip
    if preferences.get("automated_sales_tax"):
        prefs["TaxPrefs"].update(UsingSalesTax=True, PartnerTaxEnabled=True)
    if not prefs["AccountingInfoPrefs"]["BookCloseDate"]:
        del prefs["AccountingInfoPrefs"]["BookCloseDate"]
    return prefs


def _set_other_prefs(company, values: dict) -> None:
    """Add name-value pairs naming objects made after the Preferences (their Ids)."""
    pairs = company.preferences["OtherPrefs"]["NameValue"]
    pairs.extend({"Name": key, "Value": value} for key, value in values.items())


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
    prefs = _preferences(company, preferences, sample=sample, currency=country["currency"])
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
    _set_other_prefs(
        company,
        {"SalesFormsPrefs.DefaultItem": services["Id"],
         "UncategorizedIncomeAccountId": accounts["Uncategorized Income"]["Id"],
         "UncategorizedExpenseAccountId": accounts["Uncategorized Expense"]["Id"]},
    )  # fmt: skip
    return {"accounts": accounts, "services": services, "terms": terms}


def seed_empty(company, preferences: dict) -> None:
    with _seeding(company):
        _base(company, preferences, sample=False)


def seed_sample(company, preferences: dict) -> None:
    with _seeding(company):
        base = _base(company, preferences, sample=True)
        _sample_data(company, base)


def _sample_data(company, base: dict) -> None:
    if company.is_us:
        _sample_us_tax(company)
    accounts = dict(base["accounts"])
    for name, kind, sub in SAMPLE_ACCOUNTS:
        accounts[name] = company.create(
            "Account", {"Name": name, "AccountType": kind, "AccountSubType": sub}
        )
    for name, kind in SAMPLE_PAYMENT_METHODS:
        company.create("PaymentMethod", {"Name": name, "Type": kind})
    items = _sample_items(company, accounts)
    customers = {}
    for display, given, family, email, parent in SAMPLE_CUSTOMERS:
        body = {
            "DisplayName": display,
            "GivenName": given,
            "FamilyName": family,
            "CompanyName": display if " " in display and "'" in display else None,
            "PrimaryEmailAddr": {"Address": email} if email else None,
            "BillAddr": dict(COMPANY_ADDRESS),
        }
        if parent:  # a job (sub-customer) of another customer
            body.update(ParentRef=_ref(customers[parent]), Job=True)
        customers[display] = company.create("Customer", body)
    vendors = {
        display: company.create("Vendor", {"DisplayName": display, "CompanyName": display})
        for display in SAMPLE_VENDORS
    }
    for given, family in SAMPLE_EMPLOYEES:
        company.create("Employee", {"GivenName": given, "FamilyName": family})
    for entity, rows in (("Class", SAMPLE_CLASSES), ("Department", SAMPLE_DEPARTMENTS)):
        made = {}
        for name, parent in rows:
            body = {"Name": name, "ParentRef": _ref(made[parent]) if parent else None}
            made[name] = company.create(entity, body)
    today = date.fromisoformat(company.today())
    sales_line = _sales_line(company, items)
    for customer, days_ago, lines, paid in SAMPLE_INVOICES:
        body = {"CustomerRef": _ref(customers[customer]),
                "TxnDate": (today - timedelta(days=days_ago)).isoformat(),
                "Line": [sales_line(*line) for line in lines]}  # fmt: skip
        invoice = company.create("Invoice", body)
        if paid:
            amount = invoice["Balance"] if paid == "full" else Decimal(paid)
            company.receive_payment(invoice["Id"], amount)
    for customer, days_ago, lines, status in SAMPLE_ESTIMATES:
        company.create(
            "Estimate",
            {"CustomerRef": _ref(customers[customer]),
             "TxnDate": (today - timedelta(days=days_ago)).isoformat(),
             "TxnStatus": status, "Line": [sales_line(*line) for line in lines]},
        )  # fmt: skip
    for vendor, days_ago, lines in SAMPLE_BILLS:
        company.create(
            "Bill",
            {"VendorRef": _ref(vendors[vendor]),
             "TxnDate": (today - timedelta(days=days_ago)).isoformat(),
             "Line": [_bill_line(line, accounts, items) for line in lines]},
        )  # fmt: skip


def _sample_us_tax(company) -> None:
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


def _sample_items(company, accounts: dict) -> dict:
    """Services, non-inventory goods and goods in stock, each posting to the sandbox's accounts:
    services to Services, goods sold to Sales of Product Income, their cost to Cost of Goods
    Sold and the stock's value to Inventory Asset."""
    services = _ref(accounts["Services"])
    product_sales = _ref(accounts["Sales of Product Income"])
    costs = _ref(accounts["Cost of Goods Sold"])
    items = {}
    for kind, rows in (("Service", SAMPLE_ITEMS), ("NonInventory", SAMPLE_NON_INVENTORY)):
        for name, price, taxable, description in rows:
            body = {
                "Name": name,
                "Type": kind,
                "UnitPrice": Decimal(price),
                "Taxable": taxable,
                "Description": description,
                "IncomeAccountRef": services if kind == "Service" else product_sales,
            }
            if kind == "NonInventory":
                body["ExpenseAccountRef"] = costs
            items[name] = company.create("Item", body)
    started = company.company_info["CompanyStartDate"]
    for name, price, cost, quantity, description in SAMPLE_INVENTORY:
        items[name] = company.create(
            "Item",
            {"Name": name, "Type": "Inventory", "UnitPrice": Decimal(price),
             "PurchaseCost": Decimal(cost), "Taxable": True, "Description": description,
             "TrackQtyOnHand": True, "QtyOnHand": Decimal(quantity), "InvStartDate": started,
             "IncomeAccountRef": product_sales, "ExpenseAccountRef": costs,
             "AssetAccountRef": _ref(accounts["Inventory Asset"])},
        )  # fmt: skip
    return items


def _sales_line(company, items: dict):
    """How a seeded sales form's line is written: (item, qty, unit price, taxable) → Line."""
    us = company.is_us
    default_code = next(iter(company.tables["TaxCode"]))

    def line(item: str, qty: str, price: str, taxable: bool) -> dict:
        return {"DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": _ref(items[item]), "Qty": Decimal(qty), "UnitPrice": Decimal(price),
                    "TaxCodeRef": {"value": _line_code(us, taxable, default_code)}}}  # fmt: skip

    return line


def _bill_line(line: tuple, accounts: dict, items: dict) -> dict:
    """(account, amount) is an expense booked to the account; (item, qty, cost) goods bought."""
    if len(line) == 2:
        account, amount = line
        detail = {"AccountRef": _ref(accounts[account])}
        return {"DetailType": "AccountBasedExpenseLineDetail", "Amount": Decimal(amount),
                "AccountBasedExpenseLineDetail": detail}  # fmt: skip
    item, qty, cost = line
    return {"DetailType": "ItemBasedExpenseLineDetail",
            "Amount": Decimal(qty) * Decimal(cost),
            "ItemBasedExpenseLineDetail": {"ItemRef": _ref(items[item]), "Qty": Decimal(qty),
                                           "UnitPrice": Decimal(cost)}}  # fmt: skip


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
