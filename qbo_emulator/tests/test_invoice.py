"""Invoices: lines, totals, DocNumber, references, void, delete, closed books (QBO.md §3.3)."""

import json
from decimal import Decimal

from quickbooks.objects.base import Ref
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice

from qbo_emulator.tests._data_helpers import fault_of, line, money

DESIGN, INSTALLATION, ROCKS = "3", "4", "8"


def invoice_body(*lines, customer="3", **fields) -> dict:
    return {"CustomerRef": {"value": customer}, "Line": list(lines), **fields}


def test_totals_subtotal_line_and_balance(api):
    created = api.create(
        "Invoice",
        invoice_body(
            line(DESIGN, 1250, qty=5, price=250, tax="TAX"),
            line(INSTALLATION, 300, qty=2, price=150, tax="NON"),
            TxnTaxDetail={"TxnTaxCodeRef": {"value": "2"}},
        ),
    )
    assert [ln["Id"] for ln in created["Line"][:2]] == ["1", "2"]
    assert created["Line"][2] == {
        "Amount": 1550,
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    }
    assert money(created["TxnTaxDetail"]["TotalTax"]) == Decimal("100.00")
    assert money(created["TotalAmt"]) == Decimal("1650.00")
    assert money(created["Balance"]) == Decimal("1650.00")
    assert created["CustomerRef"] == {"value": "3", "name": "Cool Cars"}
    assert created["Line"][0]["SalesItemLineDetail"]["ItemRef"]["name"] == "Design"


def test_amount_computed_from_qty_and_unit_price(api):
    created = api.create("Invoice", invoice_body(line(DESIGN, None, qty="1.5", price="33.33")))
    assert money(created["Line"][0]["Amount"]) == Decimal("50.00")  # 49.995 rounds half up


def test_amount_must_equal_qty_times_unit_price(api):
    error = fault_of(api.post("invoice", invoice_body(line(DESIGN, 100, qty=3, price=50))))
    assert error["code"] == "6070"
    assert error["element"] == "Line.Amount"


def test_line_amount_required_without_qty_and_price(api):
    error = fault_of(api.post("invoice", invoice_body(line(DESIGN, None))))
    assert (error["code"], error["element"]) == ("2020", "Line.Amount")


def test_required_fields(api):
    error = fault_of(api.post("invoice", {"Line": [line(DESIGN, 10)]}))
    assert (error["code"], error["element"]) == ("2020", "CustomerRef")
    error = fault_of(api.post("invoice", {"CustomerRef": {"value": "3"}}))
    assert (error["code"], error["element"]) == ("2020", "Line")


def test_bad_references(api, sample):
    error = fault_of(api.post("invoice", invoice_body(line("999", 10))))
    assert (error["code"], error["element"]) == ("2500", "Line.SalesItemLineDetail.ItemRef")
    error = fault_of(api.post("invoice", invoice_body(line(DESIGN, 10), customer="999")))
    assert (error["code"], error["element"]) == ("2500", "CustomerRef")
    customer = sample.read("Customer", "7")
    sample.update("Customer", {**customer, "Active": False}, sparse=False)
    error = fault_of(api.post("invoice", invoice_body(line(DESIGN, 10), customer="7")))
    assert (error["code"], error["element"]) == ("610", "CustomerRef")


def test_auto_numbering_when_custom_numbers_off(api, sample):
    assert sample.preference("custom_txn_numbers") is False
    last_seeded = max(int(invoice["DocNumber"]) for invoice in sample.list("Invoice"))
    first = api.create("Invoice", invoice_body(line(DESIGN, 10)))
    second = api.create("Invoice", invoice_body(line(DESIGN, 10)))
    assert int(second["DocNumber"]) == int(first["DocNumber"]) + 1
    assert first["DocNumber"] == str(last_seeded + 1)  # numbering goes on after the sample's


def test_custom_numbers_kept_and_limited_to_21_chars(empty_api):
    services = empty_api.rows("select * from Item where Name = 'Services'", "Item")[0]["Id"]
    customer = empty_api.create("Customer", {"DisplayName": "Numbered"})["Id"]
    body = invoice_body(line(services, 10), customer=customer, DocNumber="TB-1001")
    assert empty_api.create("Invoice", body)["DocNumber"] == "TB-1001"
    error = fault_of(empty_api.post("invoice", {**body, "DocNumber": "X" * 22}))
    assert (error["code"], error["element"]) == ("2050", "DocNumber")
    assert empty_api.create("Invoice", {**body, "DocNumber": "Y" * 21})["DocNumber"] == "Y" * 21
    no_number = empty_api.create("Invoice", {k: v for k, v in body.items() if k != "DocNumber"})
    assert "DocNumber" not in no_number


def test_duplicate_doc_number_refused_unless_allowed(api):
    body = invoice_body(line(DESIGN, 10), DocNumber="DUP-1")
    first = api.create("Invoice", body)
    error = fault_of(api.post("invoice", body))
    assert error["code"] == "6140"
    assert f"TxnId={first['Id']}" in error["Detail"]
    second = api.create("Invoice", body, include="allowduplicatedocnum")
    assert second["DocNumber"] == "DUP-1" and second["Id"] != first["Id"]


def test_read_unknown_invoice(api):
    error = fault_of(api.get("invoice/424242"))
    assert error["code"] == "610"


def test_sparse_update_replaces_lines_and_recomputes(api):
    created = api.create("Invoice", invoice_body(line(DESIGN, 100), line(ROCKS, 50)))
    updated = api.create(
        "Invoice",
        {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Line": [line(DESIGN, 70)]},
    )
    assert money(updated["TotalAmt"]) == Decimal("70.00")
    assert len(updated["Line"]) == 2  # the one sales line and the subtotal
    assert updated["CustomerRef"]["value"] == "3"
    assert updated["DocNumber"] == created["DocNumber"]


def test_void_zeroes_amounts_and_marks_the_memo(api, sample):
    created = api.create("Invoice", invoice_body(line(DESIGN, 100), PrivateNote="job 7"))
    balance_before = sample.read("Customer", "3")["Balance"]
    voided = api.ok(api.post("invoice", {"Id": created["Id"], "SyncToken": "0"}, operation="void"))
    invoice = voided["Invoice"]
    assert invoice["TotalAmt"] == 0 and invoice["Balance"] == 0
    assert all(ln["Amount"] == 0 for ln in invoice["Line"])
    assert invoice["PrivateNote"].startswith("Voided")
    assert invoice["SyncToken"] == "1"
    assert sample.read("Customer", "3")["Balance"] == balance_before - Decimal("100")


def test_delete_leaves_a_tombstone(api, sample):
    created = api.create("Invoice", invoice_body(line(DESIGN, 100)))
    deleted = api.ok(
        api.post("invoice", {"Id": created["Id"], "SyncToken": "0"}, operation="delete")
    )
    assert deleted["Invoice"] == {"domain": "QBO", "status": "Deleted", "Id": created["Id"]}
    assert fault_of(api.get(f"invoice/{created['Id']}"))["code"] == "610"
    assert created["Id"] in sample.tombstones["Invoice"]


def test_paid_invoice_cannot_be_voided_or_deleted(api):
    paid = api.read("Invoice", "1")  # the sample's first invoice is paid in full
    assert paid["Balance"] == 0
    body = {"Id": "1", "SyncToken": paid["SyncToken"]}
    assert fault_of(api.post("invoice", body, operation="void"))["code"] == "6000"
    assert fault_of(api.post("invoice", body, operation="delete"))["code"] == "6000"


def test_delete_with_stale_sync_token(api):
    created = api.create("Invoice", invoice_body(line(DESIGN, 100)))
    api.create("Invoice", {**created, "sparse": True, "PrivateNote": "edited"})
    stale = {"Id": created["Id"], "SyncToken": "0"}
    assert fault_of(api.post("invoice", stale, operation="delete"))["code"] == "5010"


def test_closed_books_refuse_dated_transactions(api, sample):
    sample.set_preferences(book_close_date="2026-10-31")
    error = fault_of(api.post("invoice", invoice_body(line(DESIGN, 10), TxnDate="2026-10-31")))
    assert (error["code"], error["element"]) == ("6210", "TxnDate")
    assert api.create("Invoice", invoice_body(line(DESIGN, 10), TxnDate="2026-11-01"))
    old = api.read("Invoice", "1")  # dated 40 days before 2026-11-20
    assert fault_of(api.post("invoice", {**old, "sparse": True, "PrivateNote": "x"}))["code"] == (
        "6210"
    )


def test_due_date_from_terms(api):
    body = invoice_body(line(DESIGN, 10), TxnDate="2026-11-02", SalesTermRef={"value": "3"})
    created = api.create("Invoice", body)  # Term 3 is Net 15
    assert created["DueDate"] == "2026-11-17"
    assert created["SalesTermRef"] == {"value": "3", "name": "Net 15"}


def test_discount_line(api):
    discount = {
        "DetailType": "DiscountLineDetail",
        "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
    }
    created = api.create("Invoice", invoice_body(line(DESIGN, 200), discount))
    assert money(created["TotalAmt"]) == Decimal("180.00")


def test_python_quickbooks_invoice_json_is_accepted(api):
    invoice = Invoice()
    sales_line = SalesItemLine()
    sales_line.Amount = Decimal("123.45")
    sales_line.SalesItemLineDetail = SalesItemLineDetail()
    sales_line.SalesItemLineDetail.ItemRef = Ref()
    sales_line.SalesItemLineDetail.ItemRef.value = DESIGN
    invoice.Line.append(sales_line)
    invoice.CustomerRef = Ref()
    invoice.CustomerRef.value = "3"
    created = api.create("Invoice", json.loads(invoice.to_json()))
    assert money(created["TotalAmt"]) == Decimal("123.45")
    assert created["TxnDate"] == "2026-11-20"
    parsed = Invoice.from_json(created)
    parsed.PrivateNote = "through the library"
    updated = api.create("Invoice", json.loads(parsed.to_json()))
    assert updated["PrivateNote"] == "through the library"
    assert money(updated["TotalAmt"]) == Decimal("123.45")


def test_send_marks_the_invoice_emailed(api):
    created = api.create("Invoice", invoice_body(line(DESIGN, 10)))  # Cool Cars has an e-mail
    assert created["BillEmail"] == {"Address": "Cool_Cars@intuit.com"}
    response = api.client.post(
        api.url(f"invoice/{created['Id']}/send"),
        params={"sendTo": "ap@example.com", "minorversion": "75"},
        headers={"Content-Type": "application/octet-stream"},
    )
    sent = api.ok(response)["Invoice"]
    assert sent["EmailStatus"] == "EmailSent"
    assert sent["BillEmail"] == {"Address": "ap@example.com"}
    assert sent["DeliveryInfo"]["DeliveryType"] == "Email"
    assert sent["SyncToken"] == "1"
    assert fault_of(api.client.post(api.url("invoice/999/send")))["code"] == "610"


def test_customer_of_a_paid_invoice_cannot_change(api):
    paid = api.read("Invoice", "2")  # partly paid in the sample
    moved = {**paid, "sparse": True, "CustomerRef": {"value": "5"}}
    error = fault_of(api.post("invoice", moved))
    assert (error["code"], error["element"]) == ("6000", "CustomerRef")
