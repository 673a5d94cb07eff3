"""The invoice's PDF: its text (golden files, extracted with pypdf from a real WeasyPrint
rendering), the document frozen at finalize, and QBO's payment link on its second rendering."""

import datetime
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections

from billbridge.core import testing
from billbridge.documents import rendering
from billbridge.documents.models import InvoiceDocument, InvoiceTemplate
from billbridge.documents.tests.conftest import US_LINES, both_taxes, pdf_text
from billbridge.invoicing import books
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.invoicing.totals import LineInput

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> str:
    return " ".join((GOLDEN / name).read_text().split())


def test_a_us_invoice_shows_both_taxes_the_template_and_the_client(
    designed, admin_member, us_client
):
    both_taxes(admin_member)
    invoice = testing.make_invoice(
        admin_member, us_client, InvoiceStatus.FINALIZED, lines=US_LINES, number="INV-0042"
    )

    pdf, name = rendering.invoice_pdf(invoice)

    assert name == "INV-0042.pdf"
    assert pdf.startswith(b"%PDF-")
    assert pdf_text(pdf) == golden("us_invoice.txt")


def test_a_non_us_invoice_shows_its_one_tax_and_no_sales_tax(designed, practice, admin_member):
    invoicing.update_tax_settings(
        admin_member, primary_name="VAT", primary_rate=Decimal("20"), primary_enabled=True
    )
    client = testing.make_client(
        practice,
        "Thames Ledger Ltd",
        address_line1="1 Bankside",
        city="London",
        postal_code="SE1 9JE",
        country="United Kingdom",
    )
    testing.assign(admin_member, client)
    issue = datetime.date(2026, 11, 2)
    invoice = invoicing.create_draft(
        admin_member,
        invoicing.DraftInput(
            client_id=client.pk,
            issue_date=issue,
            due_date=issue,  # due on receipt
            number="UK-7",
            lines=[
                LineInput(
                    "Statutory accounts", Decimal("1"), Decimal("900.00"), primary_taxable=True
                ),
                LineInput("Companies House filing", Decimal("1"), Decimal("13.00")),
            ],
        ),
    )
    invoice = invoicing.finalize(admin_member, invoice.pk)

    text = pdf_text(rendering.invoice_pdf(invoice)[0])

    assert text == golden("non_us_invoice.txt")
    assert "Sales tax" not in text


def test_a_draft_says_draft_and_is_never_stored(designed, admin_member, us_client):
    both_taxes(admin_member)
    draft = testing.make_invoice(admin_member, us_client, lines=US_LINES, number="INV-0043")

    first, name = rendering.invoice_pdf(draft)

    assert name == "INV-0043.pdf"
    assert pdf_text(first) == golden("draft_invoice.txt")
    assert not InvoiceDocument.objects.exists()
    with pytest.raises(ValueError, match="draft"):
        rendering.frozen_document(draft)


def test_what_a_practice_typed_is_text_on_the_page_never_markup(practice, admin_member, client_a):
    InvoiceTemplate.objects.create(
        practice=practice,
        footer="<b>bold</b> <!-- billbridge:payment-link --> <script>x</script>",
        accent_colour="red;}*{",  # seven characters, as the column holds
    )
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    html = InvoiceDocument.objects.get(invoice=invoice).html

    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>" not in html
    assert html.count(rendering.PAYMENT_LINK_MARK) == 1  # the template's own, not the footer's
    assert "red;}*{" not in html  # an accent that is not a colour never reaches the CSS
    assert "<b>bold</b>" in pdf_text(rendering.invoice_pdf(invoice)[0])


# ---- frozen at finalize ---------------------------------------------------------------------


def test_finalize_freezes_the_html_and_the_pdf_is_rendered_once_when_first_needed(
    designed, admin_member, client_a
):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    [document] = InvoiceDocument.objects.filter(invoice=invoice)
    assert document.content_version == invoice.content_version
    assert "Ledger &amp; Co CPAs" in document.html
    assert document.pdf is None  # finalize renders no PDF

    first, _ = rendering.invoice_pdf(invoice)
    second, _ = rendering.invoice_pdf(invoice)

    assert first == second
    document.refresh_from_db()
    assert bytes(document.pdf) == first
    assert document.sha256 == InvoiceDocument.digest(first)


def test_the_same_bytes_after_the_template_changes_and_new_ones_after_an_edit(
    designed, admin_member, client_a
):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    frozen, _ = rendering.invoice_pdf(invoice)

    InvoiceTemplate.objects.filter(pk=designed.pk).update(
        footer="A new footer", display_name="Renamed LLP"
    )
    assert rendering.invoice_pdf(invoice)[0] == frozen

    invoicing.revert_to_draft(admin_member, invoice.pk, "add a line")
    draft = invoicing.get_invoice(admin_member, invoice.pk)
    invoicing.update_draft(
        admin_member,
        draft.pk,
        invoicing.DraftInput(
            client_id=client_a.pk,
            issue_date=draft.issue_date,
            due_date=draft.due_date,
            lines=[*testing.sample_lines(), LineInput("Extra", Decimal("1"), Decimal("5.00"))],
        ),
    )
    refinalized = invoicing.finalize(admin_member, invoice.pk)
    changed, _ = rendering.invoice_pdf(refinalized)

    assert changed != frozen
    assert "Renamed LLP" in pdf_text(changed) and "Extra" in pdf_text(changed)
    assert InvoiceDocument.objects.filter(invoice=invoice).count() == 2  # one per content version


def test_finalized_again_without_an_edit_keeps_its_document(designed, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    frozen, _ = rendering.invoice_pdf(invoice)

    invoicing.revert_to_draft(admin_member, invoice.pk, "looked again")
    again = invoicing.finalize(admin_member, invoice.pk)

    assert rendering.invoice_pdf(again)[0] == frozen
    assert InvoiceDocument.objects.filter(invoice=invoice).count() == 1


def test_finalized_again_with_new_tax_rates_is_frozen_anew(designed, admin_member, client_a):
    """A revert with no edit, but finalize takes the tax rates in force: new totals are new
    content, so a new document shows them; the first stays as the record of what was sent."""
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    frozen, _ = rendering.invoice_pdf(invoice)
    invoicing.revert_to_draft(admin_member, invoice.pk, "the rate changed")
    invoicing.update_tax_settings(
        admin_member, primary_name="Sales tax", primary_rate=Decimal("10"), primary_enabled=True
    )

    again = invoicing.finalize(admin_member, invoice.pk)
    refrozen, _ = rendering.invoice_pdf(again)

    assert refrozen != frozen
    assert "Sales tax (10 %) 45.00" in pdf_text(refrozen)
    assert again.content_version == invoice.content_version + 1
    assert InvoiceDocument.objects.filter(invoice=invoice).count() == 2


def test_finalized_again_unchanged_keeps_its_bytes_whatever_the_template(
    designed, admin_member, client_a
):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    frozen, _ = rendering.invoice_pdf(invoice)
    invoicing.revert_to_draft(admin_member, invoice.pk, "looked again")
    InvoiceTemplate.objects.filter(practice=invoice.practice).update(footer="A new footer")

    again = invoicing.finalize(admin_member, invoice.pk)

    assert again.content_version == invoice.content_version
    assert rendering.invoice_pdf(again)[0] == frozen


def test_a_failed_finalize_freezes_nothing(designed, admin_member, client_a):
    draft = testing.make_invoice(admin_member, client_a, lines=[])

    with pytest.raises(invoicing.TransitionRefused):
        invoicing.finalize(admin_member, draft.pk)

    assert not InvoiceDocument.objects.exists()


# ---- the payment link -----------------------------------------------------------------------


class _BooksWithLink:
    """The books as quickbooks registers them, knowing one payment link."""

    def __init__(self, original, link: str):
        self.original, self.link = original, link

    def __getattr__(self, name):
        return getattr(self.original, name)

    def payment_link(self, invoice) -> str:
        return self.link


@pytest.fixture
def paying_online():
    original = books.external_books()
    link = "https://connect.intuit.example/portal/app/CommerceNetwork/view/scs-v1-abc?a=1&b=2"
    books.register(_BooksWithLink(original, link))
    yield link
    books.register(original)


def test_the_payment_link_is_the_frozen_html_with_the_link_in_its_place(
    designed, admin_member, client_a, paying_online
):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    plain = rendering.frozen_document(invoice)
    InvoiceTemplate.objects.filter(pk=designed.pk).update(footer="Changed after finalize")

    pdf, _ = rendering.invoice_pdf(invoice)
    linked = InvoiceDocument.objects.get(invoice=invoice, payment_link=paying_online)

    assert linked.html == plain.html.replace(
        rendering.PAYMENT_LINK_MARK,
        f'<p class="pay-online">Pay online: <a href="{paying_online.replace("&", "&amp;")}">'
        f"{paying_online.replace('&', '&amp;')}</a></p>",
    )
    # The link is long: the PDF's text breaks it across lines.
    assert f"Payonline:{paying_online}" in "".join(pdf_text(pdf).split())
    assert "Changed after finalize" not in pdf_text(pdf)
    assert rendering.invoice_pdf(invoice)[0] == pdf  # rendered once, then the same bytes


# ---- two workers at once --------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the in-memory SQLite test database locks whole tables between connections; the "
    "threads run on PostgreSQL (CI's second run)",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_make_one_document_and_keep_one_rendering():
    practice = testing.make_practice()
    member = testing.make_admin(practice)
    client = testing.make_client(practice)
    testing.assign(member, client)
    invoice = testing.make_invoice(member, client, InvoiceStatus.FINALIZED)
    InvoiceDocument.objects.all().delete()  # as if finalized before documents existed
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait()
            results.append(bytes(rendering.frozen_document(invoice).pdf))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert InvoiceDocument.objects.filter(invoice=invoice).count() == 1
    assert results[0] == results[1] == bytes(InvoiceDocument.objects.get(invoice=invoice).pdf)
