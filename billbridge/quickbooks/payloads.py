"""Pure builders: a Billbridge invoice and client → the QBO bodies that export them, with the
checks that say, in plain words, why an invoice cannot go (DESIGN.md R3, R7; QBO.md §3.1, §3.3,
§4). No database, no HTTP: the same input always gives the same body, key for key.

A credit note (or a write-off) goes as a QBO CreditMemo, built as its invoice's body is (the
same customer, items and tax treatment: R7 applies the same way) less what only an invoice has:
a due date, payment terms, online payment and the billing email that carries its payment link.
A write-off's lines go to the practice's chosen write-off item (docs/decisions/0027).

Money in a body is `Decimal` (amounts to the cent, quantities and prices as stored). Whoever
sends or stores a body must write Decimals as JSON numbers (`simplejson` with `use_decimal=True`)
so nothing passes through a float.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billbridge.core.money import to_money
from billbridge.invoicing.models import CREDIT_KINDS, InvoiceKind
from billbridge.quickbooks.company import Company, Item, TaxCode, decimal_of

ACCEPT_QBO = "accept_qbo"
SEND_OURS = "send_ours"
AST_HANDLINGS = (ACCEPT_QBO, SEND_OURS)
# CustomerRef of a body planned before the client has a QBO customer ("Check"): such a body is
# for showing only; QBO would refuse it, and the export must plan again with the real Id.
UNKNOWN_CUSTOMER = "?"
SETTINGS = "Settings ▸ Integrations ▸ QuickBooks Online"
# Item types QBO does not take on a sales line: categories are refused outright, groups and
# bundles need a GroupLineDetail line, which Billbridge does not send.
UNUSABLE_ITEM_TYPES = frozenset({"Category", "Group", "Bundle"})
ZERO = Decimal("0")


@dataclass(frozen=True)
class LineData:
    description: str
    service_name: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    primary_taxable: bool
    secondary_taxable: bool

    @classmethod
    def of(cls, line) -> "LineData":
        return cls(
            description=line.description,
            service_name=line.service_name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            primary_taxable=line.primary_taxable,
            secondary_taxable=line.secondary_taxable,
        )


@dataclass(frozen=True)
class InvoiceData:
    invoice_id: int
    practice_id: int
    number: str
    version: int
    issue_date: date
    due_date: date | None
    memo: str
    primary_tax_name: str
    primary_tax_rate: Decimal
    secondary_tax_name: str
    secondary_tax_rate: Decimal
    subtotal: Decimal
    primary_tax: Decimal
    secondary_tax: Decimal
    total: Decimal
    lines: tuple[LineData, ...]
    # The client's first billing address: where QBO sends the invoice and its payment link
    # (callers select_related "client").
    bill_email: str = ""
    kind: str = InvoiceKind.INVOICE

    @classmethod
    def of(cls, invoice) -> "InvoiceData":
        """The invoice as stored, with its frozen rates and totals. Callers prefetch "lines"."""
        return cls(
            invoice_id=invoice.pk,
            practice_id=invoice.practice_id,
            number=invoice.number,
            version=invoice.version,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            memo=invoice.memo,
            primary_tax_name=invoice.primary_tax_name,
            primary_tax_rate=invoice.primary_tax_rate,
            secondary_tax_name=invoice.secondary_tax_name,
            secondary_tax_rate=invoice.secondary_tax_rate,
            subtotal=invoice.subtotal,
            primary_tax=invoice.primary_tax,
            secondary_tax=invoice.secondary_tax,
            total=invoice.total,
            lines=tuple(LineData.of(line) for line in invoice.lines.all()),
            bill_email=next(iter(invoice.client.billing_addresses()), ""),
            kind=invoice.kind,
        )

    @property
    def tax(self) -> Decimal:
        return self.primary_tax + self.secondary_tax

    @property
    def is_credit(self) -> bool:
        """Exported as a QBO CreditMemo."""
        return self.kind in CREDIT_KINDS

    @property
    def noun(self) -> str:
        """ "invoice", "credit note" or "write-off": the document in a message's words."""
        return InvoiceKind(self.kind).label.lower()


@dataclass(frozen=True)
class ClientData:
    client_id: int
    name: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str

    @classmethod
    def of(cls, client) -> "ClientData":
        return cls(
            client_id=client.pk,
            name=client.name,
            email=client.email,
            phone=client.phone,
            address_line1=client.address_line1,
            address_line2=client.address_line2,
            city=client.city,
            region=client.region,
            postal_code=client.postal_code,
            country=client.country,
        )


@dataclass(frozen=True)
class Finding:
    tone: str  # "ok", "warning" or "error"
    text: str  # plain words for the QuickBooks Export column
    advice: str = ""  # what to do, for errors and warnings


def _ok(text: str) -> Finding:
    return Finding("ok", text)


def _warning(text: str, advice: str) -> Finding:
    return Finding("warning", text, advice)


def _error(text: str, advice: str = "") -> Finding:
    return Finding("error", text, advice)


@dataclass(frozen=True)
class InvoicePlan:
    body: dict | None  # None when any finding is an error
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.tone == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.tone == "warning")


def marker(invoice_id: int, practice_id: int) -> str:
    """Names the invoice in QBO for "look before you retry" (RELIABILITY.md §1.5): stable across
    versions and exports, so a lost create is found again by scanning PrivateNote."""
    return f"bb:{practice_id}:{invoice_id}"


def private_note(data: InvoiceData) -> str:
    return (
        f"Billbridge {data.noun} {data.number}, version {data.version} "
        f"[{marker(data.invoice_id, data.practice_id)}]"
    )


def customer_body(client: ClientData) -> dict:
    """A new QBO customer for the client (R3): the name is both DisplayName and CompanyName, as
    Billbridge clients are businesses; only the details the client has are sent."""
    body: dict = {"DisplayName": client.name, "CompanyName": client.name}
    if client.email:
        body["PrimaryEmailAddr"] = {"Address": client.email}
    if client.phone:
        body["PrimaryPhone"] = {"FreeFormNumber": client.phone}
    address = {
        key: value
        for key, value in (
            ("Line1", client.address_line1),
            ("Line2", client.address_line2),
            ("City", client.city),
            ("CountrySubDivisionCode", client.region),
            ("PostalCode", client.postal_code),
            ("Country", client.country),
        )
        if value
    }
    if address:
        body["BillAddr"] = address
    return body


def plan_invoice(
    data: InvoiceData,
    company: Company,
    *,
    customer_id: str | None,
    items_by_service: Mapping[str, tuple[str, str]],
    default_item: tuple[str, str] | None,
    ast_handling: str,
    existing: tuple[str, str] | None = None,
    write_off_item: tuple[str, str] | None = None,
) -> InvoicePlan:
    """The QBO Invoice body for `data` in `company` (a CreditMemo body for a credit note), and
    every finding about it.

    `customer_id` None plans for "Check" before the client has a QBO customer: the body then
    carries CustomerRef "?" and must never be sent. Findings about the customer are the
    caller's, who knows how it is matched. `existing` (QBO Id, SyncToken) makes the body
    a full update of that invoice, replacing all its lines (R4). `write_off_item` (QBO Id,
    name) is the practice's item for a write-off's lines."""
    if ast_handling not in AST_HANDLINGS:
        raise ValueError(f"ast_handling must be one of {AST_HANDLINGS}, not {ast_handling!r}")
    findings: list[Finding] = []
    if not data.lines:
        findings.append(
            _error(
                f"The {data.noun} has no lines: QuickBooks needs at least one.",
                f"Revert the {data.noun} to Draft and add its lines.",
            )
        )
    findings.extend(_closed_books(data, company))
    if data.kind == InvoiceKind.WRITE_OFF:
        items, item_findings = _write_off_items(data, company, write_off_item)
    else:
        items, item_findings = _line_items(data, company, items_by_service, default_item)
    findings.extend(item_findings)
    tax = _us_tax(data, company, ast_handling) if company.is_us else _global_tax(data, company)
    findings.extend(tax.findings)
    findings.append(_numbering(data, company))
    if any(f.tone == "error" for f in findings):
        return InvoicePlan(None, tuple(findings))
    body: dict = {}
    if existing is not None:
        qbo_id, sync_token = existing
        body.update({"Id": qbo_id, "SyncToken": sync_token, "sparse": False})
    body["CustomerRef"] = {"value": customer_id or UNKNOWN_CUSTOMER}
    if company.custom_txn_numbers:
        body["DocNumber"] = data.number
    body["TxnDate"] = data.issue_date.isoformat()
    if data.due_date is not None and not data.is_credit:
        body["DueDate"] = data.due_date.isoformat()
    if data.memo:
        body["CustomerMemo"] = {"value": data.memo}
    body["PrivateNote"] = private_note(data)
    body["Line"] = [
        _sales_line(line, item, code, data.issue_date)
        for line, item, code in zip(data.lines, items, tax.line_codes, strict=True)
    ]
    if not company.is_us:
        body["GlobalTaxCalculation"] = "TaxExcluded"
    if tax.detail is not None:
        body["TxnTaxDetail"] = tax.detail
    if company.online_payments and data.bill_email and not data.is_credit:
        # QBO gives an invoice a payment link only when it allows online payment and has a
        # billing email (COVERAGE.md, python-quickbooks #198 and #360).
        body["BillEmail"] = {"Address": data.bill_email}
        body["AllowOnlineCreditCardPayment"] = True
        body["AllowOnlineACHPayment"] = True
    return InvoicePlan(body, tuple(findings))


def compare_tax(
    data: InvoiceData, qbo_invoice: dict, company: Company, ast_handling: str
) -> Finding | None:
    """After QBO answered: a warning showing both amounts when QBO's tax or total differs from
    ours (R7c: QBO computes the tax itself, whatever was sent), else None."""
    detail = qbo_invoice.get("TxnTaxDetail") or {}
    qbo_tax = to_money(decimal_of(detail.get("TotalTax", 0)))
    qbo_total = to_money(decimal_of(qbo_invoice["TotalAmt"]))
    if qbo_tax == data.tax and qbo_total == data.total:
        return None
    text = (
        f"QuickBooks calculated tax {qbo_tax} (total {qbo_total}); "
        f"Billbridge's is {data.tax} (total {data.total})."
    )
    if company.is_us and company.automated_sales_tax and ast_handling == ACCEPT_QBO:
        advice = (
            "QuickBooks' automated sales tax chose its own rate. The QuickBooks invoice keeps "
            "its amount; to send Billbridge's tax as an override instead, change the automated "
            f"sales tax choice in {SETTINGS} and export again."
        )
    else:
        advice = (
            "QuickBooks rounds the tax of each of its tax rates on its own, so taxes that map "
            "onto its codes differently can differ by a cent. Check the tax on the QuickBooks "
            "invoice; correct it there, or change the invoice in Billbridge and export again."
        )
    return _warning(text, advice)


# --- checks -------------------------------------------------------------------------------


def _closed_books(data: InvoiceData, company: Company) -> list[Finding]:
    closed = company.book_close_date
    if closed is None or data.issue_date > closed:
        return []
    return [
        _error(
            f"The QuickBooks books are closed through {closed.isoformat()} and this {data.noun} "
            f"is dated {data.issue_date.isoformat()}: QuickBooks refuses it.",
            "Ask whoever keeps the QuickBooks books to move the closing date, or revert the "
            f"{data.noun} to Draft and give it a later date.",
        )
    ]


def _numbering(data: InvoiceData, company: Company) -> Finding:
    qbo = "credit memo" if data.is_credit else "invoice"
    if company.custom_txn_numbers:
        return _ok(f"Number: the QuickBooks {qbo} is numbered {data.number}")
    return _ok(
        f"Number: QuickBooks numbers the {qbo} itself (custom transaction numbers are off); "
        f"{data.number} is kept in its private note"
    )


def _line_items(
    data: InvoiceData,
    company: Company,
    items_by_service: Mapping[str, tuple[str, str]],
    default_item: tuple[str, str] | None,
) -> tuple[list[Item | None], list[Finding]]:
    """The QBO item of each line: the service's mapping, else the item of the same name, else
    the default item. One finding per service, naming the lines it is on."""
    lines_of: dict[str, list[int]] = {}
    for number, line in enumerate(data.lines, start=1):
        lines_of.setdefault(line.service_name, []).append(number)
    chosen: dict[str, Item | None] = {}
    findings = []
    for service, numbers in lines_of.items():
        item, finding = _service_item(service, numbers, company, items_by_service, default_item)
        chosen[service] = item
        findings.append(finding)
    return [chosen[line.service_name] for line in data.lines], findings


def _write_off_items(
    data: InvoiceData, company: Company, write_off_item: tuple[str, str] | None
) -> tuple[list[Item | None], list[Finding]]:
    """Every line of a write-off goes to the practice's write-off item: bad debt is booked as
    the practice chose, whatever the lines' services."""
    advice = f"Choose a write-off item in {SETTINGS}, then export again."
    if write_off_item is None:
        finding = _error(
            "No write-off item is chosen: a write-off goes to QuickBooks on the item the "
            f"practice chooses for bad debt in {SETTINGS}.",
            advice,
        )
        return [None] * len(data.lines), [finding]
    item_id, item_name = write_off_item
    item, finding = _usable(
        company,
        item_id,
        item_name,
        f"The write-off item '{item_name}'",
        advice,
        f"Write-off → QuickBooks item '{item_name}' (write-off item)",
    )
    return [item] * len(data.lines), [finding]


def _service_item(
    service: str,
    numbers: Sequence[int],
    company: Company,
    items_by_service: Mapping[str, tuple[str, str]],
    default_item: tuple[str, str] | None,
) -> tuple[Item | None, Finding]:
    shown = f"service '{service}'" if service else "no service"
    if service and service in items_by_service:
        item_id, item_name = items_by_service[service]
        return _usable(
            company,
            item_id,
            item_name,
            f"The QuickBooks item '{item_name}' mapped to service '{service}'",
            f"Map '{service}' to another item in {SETTINGS}.",
            f"Service '{service}' → QuickBooks item '{item_name}' (mapped)",
        )
    named = company.item_named(service) if service else None
    if named is not None:
        return _usable(
            company,
            named.id,
            named.name,
            f"The QuickBooks item '{named.name}', named like the service,",
            f"Map '{service}' to another item in {SETTINGS}.",
            f"Service '{service}' → QuickBooks item '{named.name}' (same name)",
        )
    if default_item is not None:
        item_id, item_name = default_item
        what = f"Service '{service}'" if service else "Lines without a service"
        return _usable(
            company,
            item_id,
            item_name,
            f"The default QuickBooks item '{item_name}'",
            f"Choose another default item in {SETTINGS}.",
            f"{what} → QuickBooks item '{item_name}' (default item)",
        )
    mapping = f" or map '{service}'" if service else ""
    return None, _error(
        f"{_lines_label(numbers)} ({shown}) {'has' if len(numbers) == 1 else 'have'} no "
        f"QuickBooks item: choose a default item{mapping} in {SETTINGS}",
        f"Choose a default item{mapping} in {SETTINGS}, then check again.",
    )


def _usable(
    company: Company, item_id: str, item_name: str, subject: str, advice: str, ok_text: str
) -> tuple[Item | None, Finding]:
    item = company.item(item_id)
    if item is None:
        return None, _error(f"{subject} no longer exists in QuickBooks.", advice)
    if not item.active:
        return None, _error(f"{subject} is inactive in QuickBooks.", advice)
    if item.type in UNUSABLE_ITEM_TYPES:
        return None, _error(
            f"{subject} is a {item.type} item, which QuickBooks does not take on an invoice line.",
            advice,
        )
    if item.name != item_name:
        ok_text += f", now named '{item.name}' in QuickBooks"
    return item, _ok(ok_text)


@dataclass(frozen=True)
class _Tax:
    line_codes: tuple[str | None, ...]  # each line's TaxCodeRef
    detail: dict | None  # the TxnTaxDetail to send
    findings: tuple[Finding, ...]


def _line_rate(data: InvoiceData, line: LineData) -> Decimal:
    """The combined rate of the taxes applying to a line; a disabled tax has rate 0 frozen on
    the invoice, so it adds nothing (R7a)."""
    rate = ZERO
    if line.primary_taxable:
        rate += data.primary_tax_rate
    if line.secondary_taxable:
        rate += data.secondary_tax_rate
    return rate


def _taxes_label(data: InvoiceData, line: LineData) -> str:
    """ "Sales tax 7.1% + City tax 2%": the taxes making up a line's rate, for messages."""
    parts = [
        f"{name or fallback} {_percent(rate)}%"
        for applies, name, fallback, rate in (
            (line.primary_taxable, data.primary_tax_name, "Primary tax", data.primary_tax_rate),
            (
                line.secondary_taxable,
                data.secondary_tax_name,
                "Secondary tax",
                data.secondary_tax_rate,
            ),
        )
        if applies and rate > 0
    ]
    return " + ".join(parts) or "no tax"


def _zero_rate_findings(data: InvoiceData) -> list[Finding]:
    """R7a, said out loud: a tax at 0 % (or disabled) leaves its lines non-taxable."""
    findings = []
    for flag, name, fallback, rate in (
        ("primary_taxable", data.primary_tax_name, "Primary tax", data.primary_tax_rate),
        ("secondary_taxable", data.secondary_tax_name, "Secondary tax", data.secondary_tax_rate),
    ):
        if rate == 0 and any(getattr(line, flag) for line in data.lines):
            findings.append(
                _ok(
                    f"Tax: {name or fallback} is 0% or disabled, so it makes no line taxable "
                    "in QuickBooks"
                )
            )
    return findings


def _matching_code(company: Company, rate: Decimal) -> TaxCode | None:
    return next((c for c in company.tax_codes if c.active and c.rate == rate), None)


def _us_tax(data: InvoiceData, company: Company, ast_handling: str) -> _Tax:
    """US model (QBO.md §4.1–4.3): lines are TAX or NON, one tax code for the whole invoice."""
    rates = [_line_rate(data, line) for line in data.lines]
    codes = tuple("TAX" if rate > 0 else "NON" for rate in rates)
    findings = _zero_rate_findings(data)
    taxable = [(n, rate) for n, rate in enumerate(rates, start=1) if rate > 0]
    if not taxable:
        findings.append(_ok("Tax: none; every line goes to QuickBooks as non-taxable"))
        return _Tax(codes, None, tuple(findings))
    distinct = sorted({rate for _, rate in taxable})
    if len(distinct) > 1:
        shown = ", ".join(f"line {n}: {_percent(rate)}%" for n, rate in taxable)
        findings.append(
            _error(
                f"The taxable lines carry different tax rates ({shown}); a US QuickBooks "
                "invoice applies one rate to all its taxable lines.",
                "Make the same taxes apply to every taxable line, or split the invoice.",
            )
        )
    if not company.using_sales_tax:
        findings.append(
            _error(
                f"Invoice carries tax {data.tax} but the QuickBooks company has no sales tax "
                "set up",
                "Set up sales tax in QuickBooks, or remove the tax from this invoice.",
            )
        )
    if len(distinct) > 1 or not company.using_sales_tax:
        return _Tax(codes, None, tuple(findings))
    rate = distinct[0]
    first_taxable = data.lines[taxable[0][0] - 1]
    if company.automated_sales_tax:
        if ast_handling == SEND_OURS:
            findings.append(
                _ok(
                    f"Tax: automated sales tax is on; Billbridge's tax {data.tax} is sent as an "
                    "override"
                )
            )
            return _Tax(codes, {"TotalTax": data.tax}, tuple(findings))
        findings.append(
            _warning(
                "Automated sales tax is on: QuickBooks calculates the tax; ours is "
                f"{data.tax} ({_taxes_label(data, first_taxable)}).",
                "After export, the QuickBooks Export column shows QuickBooks' amount when it "
                "differs. To send Billbridge's tax as an override instead, change the automated "
                f"sales tax choice in {SETTINGS}.",
            )
        )
        return _Tax(codes, None, tuple(findings))
    code = _matching_code(company, rate)
    if code is None:
        findings.append(
            _error(
                f"No QuickBooks tax rate matches {_percent(rate)}% "
                f"({_taxes_label(data, first_taxable)}): add one in QuickBooks or change the "
                "invoice's taxes.",
                f"Add a sales tax rate of {_percent(rate)}% in QuickBooks, or revert the invoice "
                "to Draft and change its taxes; then check again.",
            )
        )
        return _Tax(codes, None, tuple(findings))
    findings.append(_ok(f"Tax: {_percent(rate)}% matches QBO tax code '{code.name}'"))
    return _Tax(codes, {"TxnTaxCodeRef": {"value": code.id}}, tuple(findings))


def _global_tax(data: InvoiceData, company: Company) -> _Tax:
    """Non-US model (QBO.md §4.4): each line names a real tax code carrying its own rate, 0 %
    included; amounts exclude the tax."""
    lines_at: dict[Decimal, list[int]] = {}
    for number, line in enumerate(data.lines, start=1):
        lines_at.setdefault(_line_rate(data, line), []).append(number)
    code_at: dict[Decimal, TaxCode | None] = {}
    findings = []
    for rate, numbers in lines_at.items():
        code = code_at[rate] = _matching_code(company, rate)
        label = _taxes_label(data, data.lines[numbers[0] - 1])
        where = _lines_label(numbers).lower()
        if code is None:
            findings.append(
                _error(
                    f"No QuickBooks tax code has the rate {_percent(rate)}% ({label}) of "
                    f"{where}: add one in QuickBooks or change the invoice's taxes.",
                    f"Add a tax code of {_percent(rate)}% in QuickBooks, or revert the invoice "
                    "to Draft and change its taxes; then check again.",
                )
            )
        else:
            findings.append(
                _ok(f"Tax: {_percent(rate)}% on {where} matches QBO tax code '{code.name}'")
            )
    codes = tuple(
        code.id if (code := code_at[_line_rate(data, line)]) else None for line in data.lines
    )
    return _Tax(codes, None, tuple(findings))


# --- the body -----------------------------------------------------------------------------


def _sales_line(line: LineData, item: Item, tax_code: str, service_date: date) -> dict:
    detail = {
        "ItemRef": {"value": item.id},
        "Qty": line.quantity,
        "UnitPrice": line.unit_price,
        "ServiceDate": service_date.isoformat(),
        "TaxCodeRef": {"value": tax_code},
    }
    result: dict = {"DetailType": "SalesItemLineDetail", "Amount": to_money(line.amount)}
    if line.description:
        result["Description"] = line.description
    result["SalesItemLineDetail"] = detail
    return result


def _lines_label(numbers: Sequence[int]) -> str:
    if len(numbers) == 1:
        return f"Line {numbers[0]}"
    return "Lines " + ", ".join(str(n) for n in numbers)


def _percent(rate: Decimal) -> str:
    """8.250 → "8.25", 20.000 → "20": a rate as a person writes it."""
    return f"{rate.normalize():f}"
