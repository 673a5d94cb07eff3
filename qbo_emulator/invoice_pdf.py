"""The invoice as QBO renders it for GET /invoice/{id}/pdf: a plain one-page layout with the
company, the customer, number, dates, lines and totals (QBO's own design is not imitated)."""

from decimal import Decimal

from qbo_emulator.pdf import LETTER, Text, page

LEFT, RIGHT = 50, 562
LINE = 15
BOTTOM = 120  # below this the lines stop and the totals follow


def _money(value) -> str:
    return f"{Decimal(str(value or 0)):,.2f}"


def _address(address: dict | None) -> list[str]:
    address = address or {}
    lines = [address.get(f"Line{n}") for n in range(1, 6)]
    city = " ".join(
        part
        for part in (
            address.get("City"),
            address.get("CountrySubDivisionCode"),
            address.get("PostalCode"),
        )  # fmt: skip
        if part
    )
    return [str(line) for line in [*lines, city] if line]


def _right(x: float, text: str, size: float = 10) -> float:
    """The x at which `text` ends near `x` (Helvetica digits are 0.556 em wide)."""
    return x - len(text) * size * 0.556


def render(company, invoice: dict) -> bytes:
    width, height = LETTER
    y = height - 60
    texts = [Text(LEFT, y, company.name, 16, bold=True)]
    for line in _address(company.company_info.get("CompanyAddr")):
        y -= LINE
        texts.append(Text(LEFT, y, line))
    number = str(invoice.get("DocNumber") or invoice["Id"])
    texts.append(Text(400, height - 60, f"INVOICE {number}", 16, bold=True))
    texts.append(Text(400, height - 80, f"Date: {invoice.get('TxnDate', '')}"))
    texts.append(Text(400, height - 95, f"Due: {invoice.get('DueDate', '')}"))
    terms = (invoice.get("SalesTermRef") or {}).get("name")
    if terms:
        texts.append(Text(400, height - 110, f"Terms: {terms}"))

    y = min(y, height - 110) - 2 * LINE
    texts.append(Text(LEFT, y, "Bill to", bold=True))
    customer = (invoice.get("CustomerRef") or {}).get("name") or ""
    for line in [customer, *_address(invoice.get("BillAddr"))]:
        y -= LINE
        texts.append(Text(LEFT, y, line))

    y -= 2 * LINE
    for x, heading in ((LEFT, "Description"), (360, "Qty"), (420, "Rate")):
        texts.append(Text(x, y, heading, bold=True))
    texts.append(Text(_right(RIGHT, "Amount"), y, "Amount", bold=True))
    lines = [ln for ln in invoice.get("Line", []) if ln.get("DetailType") != "SubTotalLineDetail"]
    for index, line in enumerate(lines):
        y -= LINE
        if y < BOTTOM:
            texts.append(Text(LEFT, y, f"... and {len(lines) - index} more lines"))
            break
        detail = line.get("SalesItemLineDetail") or {}
        description = line.get("Description") or (detail.get("ItemRef") or {}).get("name") or ""
        texts.append(Text(LEFT, y, description[:60]))
        if "Qty" in detail:
            texts.append(Text(360, y, str(detail["Qty"])))
        if "UnitPrice" in detail:
            texts.append(Text(420, y, _money(detail["UnitPrice"])))
        amount = _money(line.get("Amount"))
        if line.get("DetailType") == "DiscountLineDetail":
            amount = f"-{amount}"
        texts.append(Text(_right(RIGHT, amount), y, amount))

    y -= 2 * LINE
    subtotal = next(
        (ln["Amount"] for ln in invoice.get("Line", [])
         if ln.get("DetailType") == "SubTotalLineDetail"), 0
    )  # fmt: skip
    tax = (invoice.get("TxnTaxDetail") or {}).get("TotalTax", 0)
    for label, value, bold in (
        ("Subtotal", subtotal, False),
        ("Tax", tax, False),
        ("Total", invoice.get("TotalAmt"), True),
        ("Balance due", invoice.get("Balance"), True),
    ):
        amount = _money(value)
        texts.append(Text(400, y, label, bold=bold))
        texts.append(Text(_right(RIGHT, amount), y, amount, bold=bold))
        y -= LINE
    memo = invoice.get("CustomerMemo")
    if isinstance(memo, dict) and memo.get("value"):
        texts.append(Text(LEFT, 60, str(memo["value"])[:100]))
    return page(texts, LETTER, title=f"Invoice {number}")
