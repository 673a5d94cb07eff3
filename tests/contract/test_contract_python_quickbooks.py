"""Contract: python-quickbooks (package `quickbooks`) against the emulator over HTTP.

The library is used unchanged: it is connected through intuit-oauth's real authorization flow and
pointed at the emulator by its own `api_url_v3` setting (QBO.md §7.2). requests-oauthlib refuses
plain http unless OAUTHLIB_INSECURE_TRANSPORT is set, which is that library's documented switch.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from quickbooks import QuickBooks
from quickbooks.batch import batch_create, batch_delete, batch_update
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import (
    AuthorizationException,
    ObjectNotFoundException,
    QuickbooksException,
    SevereException,
    ValidationException,
)
from quickbooks.objects.account import Account
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer
from quickbooks.objects.employee import Employee
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.paymentmethod import PaymentMethod
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.taxagency import TaxAgency
from quickbooks.objects.taxcode import TaxCode
from quickbooks.objects.taxrate import TaxRate
from quickbooks.objects.term import Term
from quickbooks.objects.vendor import Vendor

from tests.contract.builders import new_customer, new_invoice, pay


def test_customers_create_get_and_query(connected):
    client, _ = connected
    created = new_customer(client, "Ada Lovelace Ltd")
    assert created.Id and created.SyncToken == "0"
    fetched = Customer.get(created.Id, qb=client)
    assert fetched.DisplayName == "Ada Lovelace Ltd"
    new_customer(client, "Babbage & Co")
    assert [c.DisplayName for c in Customer.filter(DisplayName="Babbage & Co", qb=client)] == [
        "Babbage & Co"
    ]
    found = Customer.where("DisplayName LIKE 'Ada%'", qb=client)
    assert [c.Id for c in found] == [created.Id]
    assert {c.DisplayName for c in Customer.all(qb=client)} == {"Ada Lovelace Ltd", "Babbage & Co"}
    assert Customer.count(qb=client) == 2


def test_duplicate_names_arrive_as_qbo_error_6240(connected):
    client, _ = connected
    new_customer(client, "Same Name")
    with pytest.raises(QuickbooksException) as refused:
        new_customer(client, "Same Name")
    assert refused.value.error_code == 6240


def test_invoice_payment_and_balance(connected):
    client, _ = connected
    customer = new_customer(client, "Invoice Customer")
    invoice = new_invoice(client, customer, "125.50", qty=2)
    assert Decimal(str(invoice.TotalAmt)) == Decimal("251.00")
    assert Decimal(str(invoice.Balance)) == Decimal("251.00")
    assert invoice.DocNumber  # QBO numbers it when custom numbers are off

    pay(client, customer, invoice, "51.00")
    assert Decimal(str(Invoice.get(invoice.Id, qb=client).Balance)) == Decimal("200.00")
    pay(client, customer, invoice, "200.00")
    assert Decimal(str(Invoice.get(invoice.Id, qb=client).Balance)) == Decimal("0")


def test_payment_void_and_delete_reopen_the_invoice(connected):
    client, _ = connected
    customer = new_customer(client, "Reopened Customer")
    invoice = new_invoice(client, customer, "80.00")
    pay(client, customer, invoice, "80.00").void(qb=client)
    assert Decimal(str(Invoice.get(invoice.Id, qb=client).Balance)) == Decimal("80.00")
    pay(client, customer, invoice, "30.00").delete(qb=client)
    assert Decimal(str(Invoice.get(invoice.Id, qb=client).Balance)) == Decimal("80.00")


def test_invoice_void_and_delete(connected):
    client, _ = connected
    customer = new_customer(client, "Void Customer")
    to_void = new_invoice(client, customer, "40.00")
    to_void.void(qb=client)
    voided = Invoice.get(to_void.Id, qb=client)
    assert Decimal(str(voided.TotalAmt)) == 0 and Decimal(str(voided.Balance)) == 0

    to_delete = new_invoice(client, customer, "60.00")
    to_delete.delete(qb=client)
    assert [i.Id for i in Invoice.all(qb=client)] == [to_void.Id]


def test_batch_create(connected):
    client, _ = connected
    customers = []
    for name in ("Batch One", "Batch Two", "Batch Three"):
        customer = Customer()
        customer.DisplayName = name
        customers.append(customer)
    results = batch_create(customers, qb=client)
    assert len(results.successes) == 3 and results.faults == []
    assert Customer.count(qb=client) == 3


def test_change_data_capture_sees_new_and_changed_objects(connected):
    client, _ = connected
    # python-quickbooks formats a datetime without its offset, so pass the ISO string with one.
    since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    customer = new_customer(client, "CDC Customer")
    invoice = new_invoice(client, customer, "10.00")
    changes = change_data_capture([Invoice, Customer], since, qb=client)
    assert [c.Id for c in changes.Customer] == [customer.Id]
    assert [i.Id for i in changes.Invoice] == [invoice.Id]


def test_request_id_makes_a_repeated_create_return_the_first_result(connected):
    client, _ = connected
    first = new_customer(client, "Idempotent Ltd", request_id="export-42-attempt")
    repeat = Customer()
    repeat.DisplayName = "Idempotent Ltd"
    again = repeat.save(qb=client, request_id="export-42-attempt")
    assert again.Id == first.Id
    assert Customer.count(qb=client) == 1


def test_an_expired_token_is_an_authorization_error_until_refreshed(qbo, connected):
    client, auth = connected
    new_customer(client, "Before Expiry")
    requests.post(
        f"{qbo.control_url}/tokens/expire", json={"realm_id": client.company_id}, timeout=5
    ).raise_for_status()
    with pytest.raises(AuthorizationException) as refused:
        Customer.count(qb=client)
    assert refused.value.error_code == 401
    auth.refresh()
    fresh = QuickBooks(
        auth_client=auth,
        refresh_token=auth.refresh_token,
        company_id=client.company_id,
        minorversion=75,
    )
    fresh.api_url_v3 = qbo.api_url
    assert Customer.count(qb=fresh) == 1


def test_a_payment_made_in_qbo_reaches_the_app_by_webhook_and_cdc(qbo, connected):
    """The paid-status path end to end: invoice exported with python-quickbooks, paid by the
    QBO user (control API), announced by a signed webhook, confirmed by a CDC read."""
    import json

    from qbo_emulator.tests._fixtures_edge import webhook_receiver
    from qbo_emulator.webhooks import sign

    client, _ = connected
    customer = new_customer(client, "Paid Later Ltd")
    invoice = new_invoice(client, customer, "99.95")
    app = qbo.config.apps()[0]
    with webhook_receiver() as receiver:
        app.webhook_url = receiver.url
        try:
            since = datetime.now(UTC).isoformat(timespec="seconds")
            paid = requests.post(
                f"{qbo.control_url}/companies/{client.company_id}/invoices/{invoice.Id}"
                "/receive-payment",
                timeout=5,
            )
            assert paid.status_code == 201
            # After "deliver now" every pending event has been sent (by it or by the worker).
            requests.post(f"{qbo.control_url}/webhooks/deliver", timeout=10)
            deliveries = receiver.wait_for(1)
        finally:
            app.webhook_url = None
    events = set()
    for delivery in deliveries:
        assert delivery["headers"]["intuit-signature"] == sign(delivery["body"], app.verifier_token)
        events |= {(e["type"], e["intuitentityid"]) for e in json.loads(delivery["body"])}
    assert ("qbo.invoice.updated.v1", invoice.Id) in events
    changes = change_data_capture([Invoice], since, qb=client)
    (changed,) = changes.Invoice
    assert changed.Id == invoice.Id and Decimal(str(changed.Balance)) == 0


def test_customer_full_and_sparse_update(connected):
    client, _ = connected
    customer = new_customer(client, "Update Me Ltd")
    customer.CompanyName = "Update Me"
    customer.Notes = "first note"
    updated = customer.save(qb=client)
    assert updated.SyncToken == "1" and updated.CompanyName == "Update Me"

    sparse = Customer()
    sparse.Id, sparse.SyncToken, sparse.sparse = updated.Id, updated.SyncToken, True
    sparse.Notes = "second note"
    after_sparse = sparse.save(qb=client)
    assert after_sparse.SyncToken == "2"
    assert after_sparse.Notes == "second note" and after_sparse.CompanyName == "Update Me"

    # A full update clears what it leaves out; the library leaves out attributes set to None.
    full = Customer.get(updated.Id, qb=client)
    full.Notes = None
    full = full.save(qb=client)
    assert full.SyncToken == "3" and full.DisplayName == "Update Me Ltd"
    assert full.CompanyName == "Update Me" and not full.Notes


def test_item_and_account_queries(connected):
    client, _ = connected
    services = Item.filter(Name="Services", qb=client)
    assert len(services) == 1 and services[0].Type == "Service"
    assert services[0].IncomeAccountRef.value
    income = Account.where("AccountType = 'Income'", qb=client)
    assert income and all(a.AccountType == "Income" for a in income)
    receivable = Account.filter(AccountType="Accounts Receivable", qb=client)
    assert [a.Name for a in receivable] == ["Accounts Receivable (A/R)"]
    assert Account.count(qb=client) == len(Account.all(max_results=1000, qb=client))


def test_invoice_update_with_sync_token_and_stale_token_is_an_exception(connected):
    client, _ = connected
    customer = new_customer(client, "Stale Token Ltd")
    invoice = new_invoice(client, customer, "10.00")
    stale = Invoice.get(invoice.Id, qb=client)
    invoice.PrivateNote = "edited"
    invoice.Line[0].Amount = Decimal("12.00")
    invoice.Line[0].SalesItemLineDetail.UnitPrice = Decimal("12.00")
    edited = invoice.save(qb=client)
    assert edited.SyncToken == "1" and Decimal(str(edited.TotalAmt)) == Decimal("12.00")
    assert edited.PrivateNote == "edited"

    stale.PrivateNote = "lost update"
    # 5010 falls in none of the library's code ranges, so it is the base exception.
    with pytest.raises(QuickbooksException) as refused:
        stale.save(qb=client)
    assert refused.value.error_code == 5010
    assert Invoice.get(invoice.Id, qb=client).PrivateNote == "edited"


def test_query_like_in_orderby_and_paging(connected):
    client, _ = connected
    names = ["Alpha Co", "Bravo Co", "Charlie Ltd", "O'Brien & Sons"]
    ids = {name: new_customer(client, name).Id for name in names}
    assert [c.DisplayName for c in Customer.where("DisplayName LIKE '%Co'", qb=client)] == [
        "Alpha Co",
        "Bravo Co",
    ]
    chosen = Customer.choose([ids["Alpha Co"], ids["Charlie Ltd"]], qb=client)
    assert sorted(c.DisplayName for c in chosen) == ["Alpha Co", "Charlie Ltd"]
    assert [c.DisplayName for c in Customer.filter(DisplayName="O'Brien & Sons", qb=client)] == [
        "O'Brien & Sons"
    ]
    ordered = Customer.where("", order_by="DisplayName DESC", qb=client)
    assert [c.DisplayName for c in ordered] == sorted(names, reverse=True)
    assert [c.DisplayName for c in Customer.all(order_by="DisplayName", qb=client)] == sorted(names)

    customer = Customer.get(ids["Alpha Co"], qb=client)
    created = [new_invoice(client, customer, f"{n}.00") for n in range(1, 6)]
    pages = [Invoice.all(start_position=start, max_results=2, qb=client) for start in (1, 3, 5, 7)]
    assert [[i.Id for i in page] for page in pages] == [
        [created[0].Id, created[1].Id],
        [created[2].Id, created[3].Id],
        [created[4].Id],
        [],
    ]
    with pytest.raises(ValidationException) as refused:
        Customer.where("DisplayName = 'a' OR DisplayName = 'b'", qb=client)
    assert refused.value.error_code == 4000


def test_payment_lines_link_both_ways_and_unapplying_reopens(connected):
    client, _ = connected
    customer = new_customer(client, "Linked Payment Ltd")
    invoice = new_invoice(client, customer, "100.00")
    payment = pay(client, customer, invoice, "100.00")
    assert payment.Line[0].LinkedTxn[0].TxnId == invoice.Id
    assert payment.Line[0].LinkedTxn[0].TxnType == "Invoice"
    paid = Invoice.get(invoice.Id, qb=client)
    assert Decimal(str(paid.Balance)) == 0 and paid.SyncToken == "1"
    assert [(t.TxnId, t.TxnType) for t in paid.LinkedTxn] == [(payment.Id, "Payment")]

    # Unapply: a full update of the payment without its line; the money stays as unapplied.
    payment.Line = []
    unapplied = payment.save(qb=client)
    assert Decimal(str(unapplied.UnappliedAmt)) == Decimal("100.00")
    reopened = Invoice.get(invoice.Id, qb=client)
    assert Decimal(str(reopened.Balance)) == Decimal("100.00") and not reopened.LinkedTxn


def test_overpayment_leaves_unapplied_amount(connected):
    client, _ = connected
    customer = new_customer(client, "Generous Payer")
    invoice = new_invoice(client, customer, "40.00")
    line = PaymentLine()
    line.Amount = Decimal("40.00")
    line.LinkedTxn = [invoice.to_linked_txn()]
    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = Decimal("50.00")
    payment.Line = [line]
    saved = payment.save(qb=client)
    assert Decimal(str(saved.UnappliedAmt)) == Decimal("10.00")
    assert Decimal(str(Invoice.get(invoice.Id, qb=client).Balance)) == 0


def test_preferences_and_company_info_reads(connected):
    client, _ = connected
    preferences = Preferences.get(qb=client)
    assert preferences.SalesFormsPrefs.CustomTxnNumbers is False
    assert preferences.TaxPrefs.UsingSalesTax is False  # a new US company has not set it up
    info = CompanyInfo.get(client.company_id, qb=client)
    assert info.CompanyName == "Contract QB Co" and info.Country == "US"


def test_injected_429_is_a_library_exception(qbo, connected):
    client, _ = connected
    requests.post(
        f"{qbo.control_url}/faults",
        json={"path": f"/v3/company/{client.company_id}/query", "status": 429},
        timeout=5,
    ).raise_for_status()
    with pytest.raises(ValidationException) as throttled:  # the library's class for 2000-4999
        Customer.all(qb=client)
    assert throttled.value.error_code == 3001
    assert Customer.all(qb=client) == []


def test_preferences_update_through_the_library(connected):
    client, _ = connected
    preferences = Preferences.get(qb=client)
    preferences.SalesFormsPrefs.CustomTxnNumbers = True
    saved = preferences.save(qb=client)
    assert saved.SalesFormsPrefs.CustomTxnNumbers is True
    customer = new_customer(client, "Own Numbers Ltd")
    assert not new_invoice(client, customer, "5.00").DocNumber  # numbering is now the app's


def test_names_made_inactive_and_shared_display_names(connected):
    client, _ = connected
    customer = new_customer(client, "Shared Name")
    vendor = Vendor()
    vendor.DisplayName = "Shared Name"
    with pytest.raises(QuickbooksException) as refused:
        vendor.save(qb=client)
    assert refused.value.error_code == 6240
    customer.Active = False
    customer.save(qb=client)
    assert Customer.all(qb=client) == []
    assert [c.Id for c in Customer.where("Active = false", qb=client)] == [customer.Id]


def test_batch_item_fault_arrives_per_item(connected):
    client, _ = connected
    new_customer(client, "Batch Taken")
    customers = []
    for name in ("Batch Taken", "Batch Fresh"):
        customer = Customer()
        customer.DisplayName = name
        customers.append(customer)
    results = batch_create(customers, qb=client)
    assert [c.DisplayName for c in results.successes] == ["Batch Fresh"]
    (fault,) = results.faults
    assert fault.original_object.DisplayName == "Batch Taken"
    assert [e.code for e in fault.Error] == ["6240"]


def test_invoice_send_and_unknown_id(connected):
    client, _ = connected
    customer = new_customer(client, "Send To Ltd")
    invoice = new_invoice(client, customer, "7.00")
    sent = invoice.send(qb=client, send_to="billing@example.com")
    assert sent["Invoice"]["EmailStatus"] == "EmailSent"
    assert sent["Invoice"]["BillEmail"]["Address"] == "billing@example.com"
    with pytest.raises(ObjectNotFoundException):
        Invoice.get("99999", qb=client)


@pytest.mark.parametrize("status", [500, 503])
def test_injected_server_errors_are_library_exceptions(qbo, connected, status):
    client, _ = connected
    requests.post(
        f"{qbo.control_url}/faults",
        json={"path": f"/v3/company/{client.company_id}/customer", "status": status},
        timeout=5,
    ).raise_for_status()
    with pytest.raises(SevereException) as failed:  # code 10000, as QBO's SystemFault
        new_customer(client, "Not Yet")
    assert failed.value.error_code == 10000
    assert new_customer(client, "Not Yet").Id


def test_batch_update_and_delete(connected):
    client, _ = connected
    customer = new_customer(client, "Batch Owner")
    invoices = [new_invoice(client, customer, "3.00") for _ in range(2)]
    for invoice in invoices:
        invoice.PrivateNote = "batched"
    updated = batch_update(invoices, qb=client)
    assert updated.faults == [] and {i.PrivateNote for i in updated.successes} == {"batched"}
    stale = batch_update(invoices, qb=client)  # the same SyncTokens again
    assert [[e.code for e in f.Error] for f in stale.faults] == [["5010"], ["5010"]]
    deleted = batch_delete(updated.successes, qb=client)
    assert deleted.faults == [] and len(deleted.successes) == 2
    assert Invoice.all(qb=client) == []
    with pytest.raises(ObjectNotFoundException):
        Invoice.get(invoices[0].Id, qb=client)


def test_change_data_capture_reports_a_deleted_invoice_as_a_tombstone(connected):
    client, _ = connected
    since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    customer = new_customer(client, "Tombstone Ltd")
    kept, gone = new_invoice(client, customer, "1.00"), new_invoice(client, customer, "2.00")
    gone.delete(qb=client)
    changes = change_data_capture([Invoice], since, qb=client)
    by_id = {i.Id: i for i in changes.Invoice}
    assert set(by_id) == {kept.Id, gone.Id}
    assert by_id[gone.Id].status == "Deleted" and not getattr(by_id[gone.Id], "Line", None)
    assert getattr(by_id[kept.Id], "status", None) is None


def test_a_realm_the_token_is_not_for_is_refused_by_the_gateway(qbo, connected):
    client, _ = connected
    other = qbo.emulator.create_company(name="Not Connected Co", seed="empty").realm_id
    client.company_id = other
    # Intuit's 403 body is the gateway's lower-case `fault`, which the library does not parse.
    with pytest.raises(QuickbooksException) as refused:
        Customer.all(qb=client)
    assert "403" in refused.value.message and '"code":"3100"' in refused.value.message


def test_list_entities_through_the_library(connected):
    client, _ = connected
    income = Account.filter(AccountType="Income", qb=client)[0]
    item = Item()
    item.Name, item.Type, item.UnitPrice = "Widget", "Service", Decimal("12.50")
    item.IncomeAccountRef = income.to_ref()
    item = item.save(qb=client)
    item.UnitPrice = Decimal("20")
    assert Decimal(str(item.save(qb=client).UnitPrice)) == 20
    account = Account()
    account.Name, account.AccountType = "Consulting Income", "Income"
    assert account.save(qb=client).Classification == "Revenue"
    term = Term()
    term.Name, term.DueDays = "Net 45", 45
    assert term.save(qb=client).DueDays == 45
    employee = Employee()
    employee.GivenName, employee.FamilyName = "Jane", "Doe"
    assert employee.save(qb=client).DisplayName == "Jane Doe"
    method = PaymentMethod()
    method.Name, method.Type = "Crypto", "NON_CREDIT_CARD"
    assert method.save(qb=client).Id
    agency = TaxAgency()
    agency.DisplayName = "State Board"
    assert agency.save(qb=client).Id
    assert [a.DisplayName for a in TaxAgency.all(qb=client)] == ["State Board"]
    assert {c.Name for c in TaxCode.all(qb=client)} >= {"TAX", "NON"}
    assert TaxRate.all(qb=client) == []  # a new company has no rates until sales tax is set up
