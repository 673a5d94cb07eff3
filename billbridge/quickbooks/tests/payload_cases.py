"""The golden cases: invoices and companies built by hand, each with the arguments of
`plan_invoice`. test_payloads compares each plan with its fixture in golden/; test_payloads_emulator
sends each sendable body to an emulator company set up like the case's company."""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from billbridge.invoicing.totals import LineInput, compute_totals
from billbridge.quickbooks.company import Company, Item
from billbridge.quickbooks.payloads import ACCEPT_QBO, SEND_OURS, InvoiceData, LineData
from billbridge.quickbooks.tests.sample_companies import GB_SAMPLE, US_SAMPLE

ISSUED = date(2026, 11, 2)
# As the database gives them back: quantities and prices to the cent, rates to three places.
CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.001")
# The sample company's first customer (Amy's Bird Sanctuary, in California).
CUSTOMER = "1"


def line(
    description: str,
    quantity: str,
    price: str,
    service: str = "Design",
    *,
    primary: bool = False,
    secondary: bool = False,
) -> LineInput:
    return LineInput(
        description,
        Decimal(quantity).quantize(CENT),
        Decimal(price).quantize(CENT),
        service_name=service,
        primary_taxable=primary,
        secondary_taxable=secondary,
    )


def invoice(
    lines: list[LineInput],
    *,
    primary: tuple[str, str] = ("Sales tax", "0"),
    secondary: tuple[str, str] = ("Secondary tax", "0"),
    number: str = "INV-7",
    issued: date = ISSUED,
    memo: str = "Thank you for your business.",
) -> InvoiceData:
    """A finalized invoice as Billbridge stores it: rates frozen (0 when disabled) and totals
    computed by the product's own rule."""
    primary_rate = Decimal(primary[1]).quantize(RATE_PLACES)
    secondary_rate = Decimal(secondary[1]).quantize(RATE_PLACES)
    totals = compute_totals(lines, primary_rate, secondary_rate)
    return InvoiceData(
        invoice_id=42,
        practice_id=1,
        number=number,
        version=3,
        issue_date=issued,
        due_date=issued + timedelta(days=30),
        memo=memo,
        primary_tax_name=primary[0],
        primary_tax_rate=primary_rate,
        secondary_tax_name=secondary[0],
        secondary_tax_rate=secondary_rate,
        subtotal=totals.subtotal,
        primary_tax=totals.primary_tax,
        secondary_tax=totals.secondary_tax,
        total=totals.total,
        lines=tuple(
            LineData(
                description=ln.description,
                service_name=ln.service_name,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                amount=ln.amount,
                primary_taxable=ln.primary_taxable,
                secondary_taxable=ln.secondary_taxable,
            )
            for ln in lines
        ),
    )


@dataclass(frozen=True)
class Case:
    data: InvoiceData
    company: Company
    customer_id: str | None = CUSTOMER
    items_by_service: dict = field(default_factory=dict)
    default_item: tuple[str, str] | None = ("1", "Services")
    ast_handling: str = ACCEPT_QBO
    existing: tuple[str, str] | None = None

    def plan_arguments(self) -> dict:
        return {
            "customer_id": self.customer_id,
            "items_by_service": self.items_by_service,
            "default_item": self.default_item,
            "ast_handling": self.ast_handling,
            "existing": self.existing,
        }


CA_SALES_TAX = ("Sales tax", "8")
TWO_LINES_ONE_TAXED = [
    line("Garden design — 3h @ 75", "3", "75.00", primary=True),
    line("Site visit", "1", "45.50", "Installation"),
]
AST = replace(US_SAMPLE, automated_sales_tax=True)
# The next Item Id after the sample company's items: a category added to it.
CATEGORY_ID = str(len(US_SAMPLE.items) + 1)

CASES: dict[str, Case] = {
    # US, AST off: the one taxed line at 8 % → TAX, the company's 8 % code on the invoice.
    "us_one_rate": Case(invoice(TWO_LINES_ONE_TAXED, primary=CA_SALES_TAX), US_SAMPLE),
    # 7.1 % + 2 % on the same lines → the 9.1 % group "Tucson".
    "us_primary_and_secondary": Case(
        invoice(
            [
                line("Design — 7h @ 75", "7", "75.00", primary=True, secondary=True),
                line("Lighting plan", "1", "133.33", "Lighting", primary=True, secondary=True),
                line("Travel", "1", "20.00", "Hours"),
            ],
            primary=("AZ State tax", "7.1"),
            secondary=("Tucson City", "2"),
        ),
        US_SAMPLE,
    ),
    # The secondary tax is disabled (frozen at 0): the lines only it applies to are NON (R7a).
    "us_secondary_disabled": Case(
        invoice(
            [
                line("Design", "2", "75.00", primary=True, secondary=True),
                line("Pest control", "2", "35.00", "Pest Control", secondary=True),
            ],
            primary=CA_SALES_TAX,
            secondary=("City tax", "0"),
        ),
        US_SAMPLE,
    ),
    # Line 1 at 9.1 %, line 2 at 7.1 %: a US invoice has one rate.
    "us_mixed_rates": Case(
        invoice(
            [
                line("Design", "2", "75.00", primary=True, secondary=True),
                line("Lighting", "1", "45.00", "Lighting", primary=True),
            ],
            primary=("AZ State tax", "7.1"),
            secondary=("Tucson City", "2"),
        ),
        US_SAMPLE,
    ),
    # 8.25 % is no rate of the company (R7d).
    "us_no_matching_rate": Case(
        invoice(TWO_LINES_ONE_TAXED, primary=("Sales tax", "8.25")), US_SAMPLE
    ),
    # AST on, QBO's amount accepted: lines TAX/NON only, and a warning (R7c).
    "us_ast_accept_qbo": Case(invoice(TWO_LINES_ONE_TAXED, primary=CA_SALES_TAX), AST),
    # AST on, our amount sent as an override.
    "us_ast_send_ours": Case(
        invoice(TWO_LINES_ONE_TAXED, primary=CA_SALES_TAX), AST, ast_handling=SEND_OURS
    ),
    # Taxed invoice, company without sales tax (R7b).
    "us_no_sales_tax": Case(
        invoice(TWO_LINES_ONE_TAXED, primary=CA_SALES_TAX),
        replace(US_SAMPLE, using_sales_tax=False),
    ),
    # Untaxed invoice, company without sales tax: nothing to refuse.
    "us_untaxed_no_sales_tax": Case(
        invoice(TWO_LINES_ONE_TAXED, memo=""), replace(US_SAMPLE, using_sales_tax=False)
    ),
    # GB: each line names the code of its rate, 0 % included; Check before the customer exists.
    "gb_codes_matched": Case(
        invoice(
            [
                line("Bookkeeping — March", "1", "450.00", "Hours", primary=True),
                line("Payroll run", "2.5", "80.00", "Hours", primary=True),
                line("Companies House filing fee", "1", "13.00", "Filing fee"),
            ],
            primary=("VAT", "20"),
        ),
        GB_SAMPLE,
        customer_id=None,
    ),
    # GB: 17.5 % is no code of the company.
    "gb_unmatched": Case(
        invoice(
            [
                line("Bookkeeping", "1", "450.00", primary=True),
                line("Filing fee", "1", "13.00"),
            ],
            primary=("VAT", "17.5"),
        ),
        GB_SAMPLE,
    ),
    # Custom transaction numbers on: DocNumber is ours.
    "us_custom_numbers": Case(
        invoice(TWO_LINES_ONE_TAXED, primary=CA_SALES_TAX, number="TB-1001"),
        replace(US_SAMPLE, custom_txn_numbers=True),
    ),
    # Books closed through the invoice's date.
    "closed_books": Case(
        invoice(TWO_LINES_ONE_TAXED, primary=CA_SALES_TAX),
        replace(US_SAMPLE, book_close_date=ISSUED),
    ),
    # No mapping, no item of that name, no default item.
    "missing_item": Case(
        invoice([line("Audit", "1", "900.00", "Audit"), line("Advice", "1", "50.00", "")]),
        US_SAMPLE,
        default_item=None,
    ),
    # Service names mapped to items; the mapping wins over an item of the same name.
    "mapped_item": Case(
        invoice(
            [
                line("Audit", "4", "225.00", "Audit"),
                line("Design review", "1", "75.00", "Design"),
            ]
        ),
        US_SAMPLE,
        items_by_service={"Audit": ("2", "Hours"), "Design": ("10", "Trimming")},
        default_item=None,
    ),
    # A mapping to an item deactivated in QBO since.
    "mapped_item_inactive": Case(
        invoice([line("Audit", "4", "225.00", "Audit")]),
        replace(
            US_SAMPLE,
            items=tuple(replace(i, active=False) if i.id == "2" else i for i in US_SAMPLE.items),
        ),
        items_by_service={"Audit": ("2", "Hours")},
    ),
    # A category is not an item an invoice line can carry.
    "default_item_category": Case(
        invoice([line("Audit", "4", "225.00", "Audit")]),
        replace(
            US_SAMPLE, items=(*US_SAMPLE.items, Item(CATEGORY_ID, "Professional", True, "Category"))
        ),
        default_item=(CATEGORY_ID, "Professional"),
    ),
    # Nothing to bill: QBO refuses an invoice without lines.
    "no_lines": Case(invoice([]), US_SAMPLE),
    # Export again after a change: a full update of the same QBO invoice.
    "update_body": Case(
        invoice(TWO_LINES_ONE_TAXED, primary=CA_SALES_TAX), US_SAMPLE, existing=("130", "2")
    ),
}
