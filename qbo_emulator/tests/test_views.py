"""The HTML view: companies, invoices with balances and status, and the QBO-user buttons."""

from decimal import Decimal

import pytest

from qbo_emulator.tests._fixtures_edge import edge_client
from qbo_emulator.views import invoice_status


@pytest.fixture
def edge():
    with edge_client(seed="sample") as edge:
        yield edge


def open_invoice(edge) -> dict:
    return next(i for i in edge.emulator.company(edge.realm).list("Invoice") if i["Balance"] > 0)


@pytest.mark.parametrize(
    "invoice, status",
    [
        ({"TotalAmt": Decimal("10"), "Balance": Decimal("10")}, "Open"),
        ({"TotalAmt": Decimal("10"), "Balance": Decimal("4")}, "Partially paid"),
        ({"TotalAmt": Decimal("10"), "Balance": Decimal("0")}, "Paid"),
        ({"TotalAmt": Decimal("0"), "Balance": Decimal("0"), "PrivateNote": "Voided"}, "Voided"),
    ],
)
def test_invoice_status_words(invoice, status):
    assert invoice_status(invoice) == status


def test_index_lists_companies_with_links(edge):
    response = edge.client.get("/_emulator/ui/")
    assert response.status_code == 200
    assert f"/_emulator/ui/{edge.realm}" in response.text
    assert "Edge Test Co" in response.text


def test_company_page_shows_invoices_with_balances_payments_and_customers(edge):
    invoice = open_invoice(edge)
    page = edge.client.get(f"/_emulator/ui/{edge.realm}").text
    assert f"{invoice['Balance']:,.2f}" in page
    assert "Receive payment" in page and "Void" in page
    paid = next(i for i in edge.emulator.company(edge.realm).list("Invoice") if i["Balance"] == 0)
    assert f"/invoices/{paid['Id']}/void" not in page  # QBO refuses it while payments apply
    assert "Amy&#x27;s Bird Sanctuary" in page  # names are escaped
    assert "<h2>Payments</h2>" in page and "<h2>Customers</h2>" in page


def test_receive_payment_button_posts_then_redirects_and_the_invoice_is_paid(edge):
    invoice = open_invoice(edge)
    response = edge.client.post(
        f"/_emulator/ui/{edge.realm}/invoices/{invoice['Id']}/payment",
        data={"amount": ""},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/_emulator/ui/{edge.realm}?notice=")
    assert edge.emulator.company(edge.realm).read("Invoice", invoice["Id"])["Balance"] == 0
    page = edge.client.get(response.headers["location"]).text
    assert "Payment received" in page


def test_partial_payment_and_void_buttons(edge):
    company = edge.emulator.company(edge.realm)
    invoice = open_invoice(edge)
    edge.client.post(
        f"/_emulator/ui/{edge.realm}/invoices/{invoice['Id']}/payment", data={"amount": "1.25"}
    )
    assert company.read("Invoice", invoice["Id"])["Balance"] == invoice["Balance"] - Decimal("1.25")
    untouched = next(i for i in company.list("Invoice") if i["Balance"] == i["TotalAmt"])
    edge.client.post(f"/_emulator/ui/{edge.realm}/invoices/{untouched['Id']}/void")
    assert invoice_status(company.read("Invoice", untouched["Id"])) == "Voided"


@pytest.mark.parametrize("amount", ["lots", "-3", "1e400", "2.005"])
def test_bad_amounts_come_back_as_an_error_message(edge, amount):
    invoice = open_invoice(edge)
    response = edge.client.post(
        f"/_emulator/ui/{edge.realm}/invoices/{invoice['Id']}/payment", data={"amount": amount}
    )
    assert response.status_code == 200  # after the redirect
    assert "class='error'" in response.text
    assert (
        edge.emulator.company(edge.realm).read("Invoice", invoice["Id"])["Balance"]
        == (invoice["Balance"])
    )


def test_qbo_refusals_are_shown_not_raised(edge):
    response = edge.client.post(f"/_emulator/ui/{edge.realm}/invoices/999/void")
    assert response.status_code == 200
    assert "610" in response.text


def test_unknown_company_or_action_is_404(edge):
    assert edge.client.get("/_emulator/ui/123").status_code == 404
    assert edge.client.post("/_emulator/ui/123/invoices/1/void").status_code == 404
    assert edge.client.post(f"/_emulator/ui/{edge.realm}/invoices/1/explode").status_code == 404


def test_a_company_can_be_created_from_the_index(edge):
    response = edge.client.post(
        "/_emulator/ui/companies", data={"name": "<b>New</b> Co", "seed": "empty"}
    )
    assert response.status_code == 200
    assert "&lt;b&gt;New&lt;/b&gt; Co" in response.text
    assert len(edge.emulator.companies()) == 2


def test_the_books_are_closed_and_opened_again_from_the_company_page(edge):
    company = edge.emulator.company(edge.realm)
    url = f"/_emulator/ui/{edge.realm}/books"
    response = edge.client.post(url, data={"book_close_date": "2026-10-31"}, follow_redirects=True)
    assert "Books closed through 2026-10-31" in response.text
    assert company.preference("book_close_date") == "2026-10-31"
    assert "value='2026-10-31'" in response.text
    refused = edge.client.post(url, data={"book_close_date": "soon"}, follow_redirects=True)
    assert "must be a date" in refused.text
    assert company.preference("book_close_date") == "2026-10-31"
    edge.client.post(url, data={"book_close_date": ""})
    assert company.preference("book_close_date") is None
