"""Fixtures of the invoice document's tests: a practice's template filled in, clients with a
billing address, and the text a person reads in a PDF (pypdf's extraction)."""

import io
from decimal import Decimal

import pytest
from PIL import Image
from pypdf import PdfReader

from billbridge.core import testing
from billbridge.documents.models import InvoiceTemplate
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.totals import LineInput


def pdf_text(pdf: bytes) -> str:
    """Every page's text, whitespace made single spaces: what golden files compare."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def image_bytes(kind: str = "PNG", size=(120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (31, 78, 121)).save(buffer, kind)
    return buffer.getvalue()


CLEAN_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="#1f4e79"/></linearGradient></defs>'
    b'<rect width="120" height="40" fill="url(#g)"/><text x="4" y="28">Ledger</text></svg>'
)


def pdf_images(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def designed(practice):
    """The practice's template with every field filled in."""
    return InvoiceTemplate.objects.create(
        practice=practice,
        display_name="Ledger & Co CPAs",
        address="12 High Street\nSpringfield, IL 62701",
        tax_id="12-3456789",
        contact_email="billing@ledger.example",
        phone="+1 217 555 0100",
        accent_colour="#2a7f62",
        payment_instructions="Bank transfer to account 12345678, routing 021000021.",
        footer="Thank you for your business.",
    )


@pytest.fixture
def us_client(practice, admin_member):
    client = testing.make_client(
        practice,
        "Harbor Books Inc",
        email="ap@harbor.example",
        address_line1="400 Harbor Way",
        address_line2="Suite 5",
        city="Chicago",
        region="IL",
        postal_code="60601",
        country="USA",
    )
    testing.assign(admin_member, client)
    return client


def both_taxes(member) -> None:
    invoicing.update_tax_settings(
        member,
        primary_name="Sales tax",
        primary_rate=Decimal("8.875"),
        primary_enabled=True,
        secondary_name="City tax",
        secondary_rate=Decimal("0.5"),
        secondary_enabled=True,
    )


US_LINES = [
    LineInput(
        "Monthly bookkeeping, October",
        Decimal("1"),
        Decimal("1450.00"),
        primary_taxable=True,
        secondary_taxable=True,
    ),
    LineInput("Payroll runs", Decimal("2.5"), Decimal("80.00"), primary_taxable=True),
    LineInput("Year-end advisory", Decimal("3"), Decimal("210.00")),
]
