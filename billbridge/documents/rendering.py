"""The invoice as the client sees it: the practice's template filled with one invoice, as HTML,
then as a PDF (WeasyPrint; docs/decisions/0023-the-invoice-document.md).

A finalized invoice's HTML is frozen when it is finalized (`freeze`, a few milliseconds of
template rendering); its PDF is rendered from that HTML the first time it is needed and kept,
so the same bytes are downloaded, emailed and attached in QBO until the invoice's content
changes. QBO's payment link is known only after the export: the PDF that carries it is made
from the same frozen HTML, the link put where the frozen HTML marks its place. A draft's PDF
is rendered afresh each time, says DRAFT across the page, and is never kept.

A credit note (or write-off) is the same document titled "Credit note": it names the invoice it
credits, shows its totals as credits, and has no due date, terms or way to pay.
"""

import base64
import datetime
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.html import format_html

from billbridge.clients.models import Client
from billbridge.core.money import format_money, format_rate
from billbridge.documents.models import DEFAULT_ACCENT, InvoiceDocument, InvoiceTemplate
from billbridge.documents.services import ACCENT_COLOUR, template_for
from billbridge.invoicing import books
from billbridge.invoicing.models import Invoice, TaxSettings
from billbridge.invoicing.totals import LineInput, compute_totals

# WeasyPrint tells each step of each rendering, and fontTools each glyph it keeps, at INFO:
# hundreds of lines per PDF in the logs. Their warnings still show.
for _chatty in ("weasyprint.progress", "fontTools"):
    logging.getLogger(_chatty).setLevel(logging.WARNING)

# Where the payment link goes in a frozen document's HTML. An HTML comment: what a practice
# or a client typed is escaped on the way in ("<" becomes "&lt;"), so it can never hold one.
PAYMENT_LINK_MARK = "<!-- billbridge:payment-link -->"


@dataclass(frozen=True)
class TaxRow:
    label: str  # "Sales tax (8.875 %)"
    amount: str


def _terms(invoice: Invoice) -> str:
    if invoice.due_date is None or invoice.due_date <= invoice.issue_date:
        return "Due on receipt"
    days = (invoice.due_date - invoice.issue_date).days
    return f"Due in {days} day{'s' if days != 1 else ''}"


def _taxes(invoice: Invoice, lines, money: Callable[[Decimal], str]) -> list[TaxRow]:
    """The taxes the invoice charges: a tax appears when its rate is above 0 and a line is
    flagged for it (a disabled tax is frozen into the invoice with rate 0)."""
    taxes = (
        (
            invoice.primary_tax_name,
            invoice.primary_tax_rate,
            invoice.primary_tax,
            "primary_taxable",
        ),
        (
            invoice.secondary_tax_name,
            invoice.secondary_tax_rate,
            invoice.secondary_tax,
            "secondary_taxable",
        ),
    )
    return [
        TaxRow(f"{name} ({format_rate(rate)})", money(amount))
        for name, rate, amount, flag in taxes
        if rate > 0 and any(getattr(line, flag) for line in lines)
    ]


def _quantity(value) -> str:
    """2.50 hours reads 2.5; 1.00 reads 1."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def logo_uri(template: InvoiceTemplate) -> str:
    """The logo as a data: URI, so the HTML needs nothing from outside (the renderer fetches
    no URL) and the frozen HTML holds the logo as it was."""
    if not template.logo or not template.logo_type:
        return ""
    return f"data:{template.logo_type};base64,{base64.b64encode(bytes(template.logo)).decode()}"


def invoice_html(
    invoice: Invoice, template: InvoiceTemplate, *, draft: bool, lines: Sequence | None = None
) -> str:
    """The invoice filled into the practice's template. A finalized invoice's HTML carries
    the payment link's mark; a draft's says DRAFT across the page. `lines` are the invoice's
    own unless given (the template's preview fills a sample invoice that is never saved)."""
    lines = list(invoice.lines.all()) if lines is None else list(lines)
    client = invoice.client
    credited = invoice.credited_invoice if invoice.is_credit else None
    # A credit note's lines are what it takes back; its totals are credits to the client.
    total_money = _as_credit if credited else format_money
    # "Chicago, IL 60601"; "London SE1 9JE" where there is no region.
    city_line = ", ".join(part for part in (client.city, client.region) if part)
    city_line = " ".join(part for part in (city_line, client.postal_code) if part)
    context = {
        "invoice": invoice,
        "template": template,
        # Into the CSS only when it is a colour (the service refuses others; a preview's
        # unsaved value may be anything).
        "accent": template.accent_colour
        if ACCENT_COLOUR.fullmatch(template.accent_colour or "")
        else DEFAULT_ACCENT,
        "practice_name": template.display_name or invoice.practice.name,
        "logo": logo_uri(template),
        "client": client,
        "client_address": [
            part
            for part in (client.address_line1, client.address_line2, city_line, client.country)
            if part
        ],
        "terms": _terms(invoice),
        "lines": [
            {
                "description": line.description,
                "quantity": _quantity(line.quantity),
                "unit_price": format_money(line.unit_price),
                "amount": format_money(line.amount),
            }
            for line in lines
        ],
        "subtotal": total_money(invoice.subtotal),
        "taxes": _taxes(invoice, lines, total_money),
        "total": total_money(invoice.total),
        "title": "Credit note" if credited else "Invoice",
        "credited": credited,
        "draft": draft,
        "payment_link_mark": PAYMENT_LINK_MARK,
    }
    return render_to_string("documents/invoice.html", context)


def _as_credit(amount: Decimal) -> str:
    return f"−{format_money(amount)}"


def with_payment_link(html: str, payment_link: str) -> str:
    """The frozen HTML with QBO's payment link where its mark is; nothing else changes."""
    if not payment_link:
        return html
    link = format_html('<p class="pay-online">Pay online: <a href="{0}">{0}</a></p>', payment_link)
    return html.replace(PAYMENT_LINK_MARK, link, 1)


def pdf_of(html: str) -> bytes:
    # Imported here: WeasyPrint loads Pango when imported, which pages that never render a
    # PDF (and every command's start) need not pay for.
    from weasyprint import HTML

    return HTML(string=html, base_url=None).write_pdf()


def file_name(invoice: Invoice) -> str:
    """INV-0001.pdf: the invoice's number, kept to the characters every file system takes."""
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '-', invoice.number).strip('-.') or 'invoice'}.pdf"


def sample_pdf(template: InvoiceTemplate) -> bytes:
    """Settings ▸ Invoice template's preview: `template` (saved or not) filled with a sample
    invoice to a sample client, taxed as the practice's tax settings say. Nothing is saved."""
    practice = template.practice
    tax = TaxSettings.objects.filter(practice=practice).first() or TaxSettings()
    lines = [
        LineInput(
            "Monthly bookkeeping, October", Decimal("1"), Decimal("450.00"), primary_taxable=True
        ),
        LineInput("Payroll runs", Decimal("2"), Decimal("80.00"), secondary_taxable=True),
        LineInput("Year-end advisory meeting", Decimal("1.5"), Decimal("210.00")),
    ]
    primary_rate, secondary_rate = tax.effective_primary_rate(), tax.effective_secondary_rate()
    totals = compute_totals(lines, primary_rate, secondary_rate)
    today = datetime.date.today()
    invoice = Invoice(
        practice=practice,
        client=Client(
            practice=practice,
            name="Sample Client Ltd",
            email="accounts@client.example",
            address_line1="1 Example Street",
            city="Springfield",
            postal_code="00000",
        ),
        number=f"{practice.invoice_number_prefix}{practice.next_invoice_number}",
        issue_date=today,
        due_date=today + datetime.timedelta(days=30),
        primary_tax_name=tax.primary_name,
        primary_tax_rate=primary_rate,
        secondary_tax_name=tax.secondary_name,
        secondary_tax_rate=secondary_rate,
        subtotal=totals.subtotal,
        primary_tax=totals.primary_tax,
        secondary_tax=totals.secondary_tax,
        total=totals.total,
    )
    return pdf_of(invoice_html(invoice, template, draft=False, lines=lines))


# ---- the frozen document --------------------------------------------------------------------


def freeze(invoice: Invoice) -> InvoiceDocument:
    """At finalize, in its transaction: the HTML of the invoice as finalized, kept for its
    content version. A content version finalized again (reverted with no edit) keeps the
    document it had: the same bytes are sent, attached and downloaded until the invoice
    changes (finalize makes new content of tax rates changed meanwhile; a new template alone
    does not change an invoice already sent)."""
    return _get_or_create(
        invoice, "", lambda: invoice_html(invoice, template_for(invoice.practice), draft=False)
    )


def _get_or_create(
    invoice: Invoice, payment_link: str, make_html: Callable[[], str]
) -> InvoiceDocument:
    """One row per content version and payment link, whoever asks at the same moment: the
    unique constraint decides, and the one that lost reads the winner's row."""
    key = {
        "invoice": invoice,
        "content_version": invoice.content_version,
        "payment_link": payment_link,
    }
    document = InvoiceDocument.objects.filter(**key).first()
    if document is not None:
        return document
    try:
        with transaction.atomic():
            return InvoiceDocument.objects.create(**key, html=make_html())
    except IntegrityError:
        return InvoiceDocument.objects.get(**key)


def frozen_document(invoice: Invoice, payment_link: str = "") -> InvoiceDocument:
    """The document of a finalized or closed invoice's current content version, its PDF
    rendered if it was not yet (and kept). With a payment link: the same frozen HTML with the
    link in its place, rendered once as well."""
    if invoice.is_draft:
        raise ValueError(f"Invoice {invoice.number} is a draft: a draft's PDF is never frozen.")
    # Frozen at finalize; made now for an invoice finalized before documents were kept.
    document = freeze(invoice)
    if payment_link:
        base = document
        document = _get_or_create(
            invoice, payment_link, lambda: with_payment_link(base.html, payment_link)
        )
    if document.pdf is None:
        pdf = pdf_of(document.html)
        # The first rendering kept wins: a second worker rendering at the same time keeps
        # nothing, and both return the bytes stored.
        InvoiceDocument.objects.filter(pk=document.pk, pdf__isnull=True).update(
            pdf=pdf, sha256=InvoiceDocument.digest(pdf)
        )
        document.refresh_from_db()
    return document


def invoice_pdf(invoice: Invoice) -> tuple[bytes, str]:
    """The PDF a person downloads or a client is sent, and its file name: a draft's rendered
    afresh with DRAFT across it; a finalized or closed invoice's frozen document."""
    if invoice.is_draft:
        html = invoice_html(invoice, template_for(invoice.practice), draft=True)
        return pdf_of(html), file_name(invoice)
    # QBO's payment link as last stored, once the invoice is exported where QBO Payments is on.
    document = frozen_document(invoice, books.external_books().payment_link(invoice))
    return bytes(document.pdf), file_name(invoice)
