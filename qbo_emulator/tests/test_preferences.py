"""Preferences: every section Intuit's Preferences reference shows in its read response, and the
sparse update (POST /preferences with sparse: true) of each section: the fields sent change,
the rest of the section and the other sections keep their values, SyncToken goes up by one."""

import pytest

from qbo_emulator.tests._data_helpers import fault_of

SECTIONS = {"AccountingInfoPrefs", "ProductAndServicesPrefs", "SalesFormsPrefs",
            "EmailMessagesPrefs", "VendorAndPurchasesPrefs", "TimeTrackingPrefs", "TaxPrefs",
            "CurrencyPrefs", "ReportPrefs", "OtherPrefs"}  # fmt: skip


def preferences(api) -> dict:
    return api.ok(api.get("preferences"))["Preferences"]


def update(api, **sections):
    current = preferences(api)
    body = {"Id": "1", "SyncToken": current["SyncToken"], "sparse": True, **sections}
    return api.post("preferences", body)


def other(prefs: dict) -> dict:
    return {pair["Name"]: pair["Value"] for pair in prefs["OtherPrefs"]["NameValue"]}


def test_every_section_is_answered(api):
    prefs = preferences(api)
    assert set(prefs) >= SECTIONS
    assert prefs["AccountingInfoPrefs"]["FirstMonthOfFiscalYear"] == "January"
    assert prefs["AccountingInfoPrefs"]["TrackDepartments"] is True
    assert prefs["ProductAndServicesPrefs"]["QuantityOnHand"] is True
    assert prefs["SalesFormsPrefs"]["AllowEstimates"] is True
    invoice_message = prefs["EmailMessagesPrefs"]["InvoiceMessage"]
    assert invoice_message["Subject"] == "Invoice from Sandbox Company_US_1"
    assert invoice_message["Message"].endswith("Sincerely,\nSandbox Company_US_1")
    assert set(prefs["EmailMessagesPrefs"]) == {
        "InvoiceMessage",
        "EstimateMessage",
        "SalesReceiptMessage",
        "StatementMessage",
    }
    assert prefs["VendorAndPurchasesPrefs"]["BillableExpenseTracking"] is True
    assert prefs["TimeTrackingPrefs"]["WorkWeekStartDate"] == "Monday"
    assert prefs["TaxPrefs"]["UsingSalesTax"] is True
    assert prefs["CurrencyPrefs"]["HomeCurrency"]["value"] == "USD"
    assert prefs["ReportPrefs"] == {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False}
    names = other(prefs)
    assert names["DateFormatMnemonic"] == "MMDDYYYY_SEP_SLASH"
    assert names["SalesFormsPrefs.DefaultItem"] == prefs["SalesFormsPrefs"]["DefaultItem"]["value"]


def test_a_new_company_tracks_neither_classes_nor_locations(empty_api):
    prefs = preferences(empty_api)
    assert set(prefs) >= SECTIONS
    assert prefs["AccountingInfoPrefs"]["TrackDepartments"] is False
    assert prefs["AccountingInfoPrefs"]["ClassTrackingPerTxnLine"] is False


@pytest.mark.parametrize(
    ("section", "changes"),
    [("AccountingInfoPrefs", {"FirstMonthOfFiscalYear": "April", "TrackDepartments": False}),
     ("ProductAndServicesPrefs", {"QuantityOnHand": False}),
     ("SalesFormsPrefs", {"AllowShipping": True, "DefaultCustomerMessage": "Thanks!"}),
     ("EmailMessagesPrefs", {"EstimateMessage": {"Subject": "Your quote"}}),
     ("VendorAndPurchasesPrefs", {"TrackingByCustomer": False}),
     ("TimeTrackingPrefs", {"WorkWeekStartDate": "Sunday", "ShowBillRateToAll": True}),
     ("TaxPrefs", {"UsingSalesTax": False}),
     ("ReportPrefs", {"ReportBasis": "Cash"})],
)  # fmt: skip
def test_a_sparse_update_changes_only_what_is_sent(api, section, changes):
    before = preferences(api)
    after = api.ok(update(api, **{section: changes}))["Preferences"]
    assert after["SyncToken"] == str(int(before["SyncToken"]) + 1)
    for key, value in changes.items():
        if isinstance(value, dict):
            assert after[section][key] == {**before[section][key], **value}
        else:
            assert after[section][key] == value
    kept = {key: value for key, value in before[section].items() if key not in changes}
    assert {key: after[section][key] for key in kept} == kept
    for other_section in SECTIONS - {section}:
        assert after[other_section] == before[other_section]
    assert preferences(api) == after


def test_name_value_pairs_are_changed_by_name(api):
    before = other(preferences(api))
    sent = [{"Name": "SignoutInactiveMinutes", "Value": "120"},
            {"Name": "ProjectsEnabled", "Value": "true"}]  # fmt: skip
    after = other(api.ok(update(api, OtherPrefs={"NameValue": sent}))["Preferences"])
    assert after == {**before, "SignoutInactiveMinutes": "120", "ProjectsEnabled": "true"}
    assert list(after) == list(before)  # each pair keeps its place


def test_the_home_currency_stays(api):
    answer = api.ok(update(api, CurrencyPrefs={"HomeCurrency": {"value": "EUR"}}))
    assert answer["Preferences"]["CurrencyPrefs"]["HomeCurrency"]["value"] == "USD"


@pytest.mark.parametrize(
    ("sections", "element"),
    [({"ReportPrefs": {"ReportBasis": "Cashflow"}}, "ReportPrefs.ReportBasis"),
     ({"TimeTrackingPrefs": {"WorkWeekStartDate": "Funday"}},
      "TimeTrackingPrefs.WorkWeekStartDate"),
     ({"VendorAndPurchasesPrefs": {"BillableExpenseTracking": "yes"}},
      "VendorAndPurchasesPrefs.BillableExpenseTracking"),
     ({"EmailMessagesPrefs": {"InvoiceMessage": "Hello"}}, "EmailMessagesPrefs.InvoiceMessage"),
     ({"OtherPrefs": {"NameValue": {"Name": "x"}}}, "OtherPrefs.NameValue"),
     ({"OtherPrefs": {"NameValue": [{"Name": "DataPartner", "Value": False}]}},
      "OtherPrefs.NameValue.Value"),
     ({"VendorAndPurchasesPrefs": {"DefaultTerms": {"value": "999"}}},
      "VendorAndPurchasesPrefs.DefaultTerms")],
)  # fmt: skip
def test_wrong_values_are_refused_and_change_nothing(api, sections, element):
    before = preferences(api)
    assert fault_of(update(api, **sections))["element"] == element
    assert preferences(api) == before


def test_an_old_sync_token_is_refused(api):
    token = preferences(api)["SyncToken"]
    api.ok(update(api, ReportPrefs={"ReportBasis": "Cash"}))
    stale = {
        "Id": "1",
        "SyncToken": token,
        "sparse": True,
        "ReportPrefs": {"ReportBasis": "Accrual"},
    }
    assert fault_of(api.post("preferences", stale))["code"] == "5010"
    assert preferences(api)["ReportPrefs"]["ReportBasis"] == "Cash"


def test_a_vendor_default_term_is_a_reference(api):
    terms = {row["Name"]: row["Id"] for row in api.rows("select * from Term", "Term")}
    answer = update(api, VendorAndPurchasesPrefs={"DefaultTerms": {"value": terms["Net 15"]}})
    prefs = api.ok(answer)["Preferences"]["VendorAndPurchasesPrefs"]
    assert prefs["DefaultTerms"] == {"value": terms["Net 15"], "name": "Net 15"}
