"""Sales tax on invoices (QBO.md §4): the US manual model, automated sales tax (AST), companies
without sales tax set up, and the non-US line-level model.

Rounding (UNCONFIRMED, QBO.md §4.1): tax is computed per tax rate on the summed taxable amount of
the invoice and rounded half-up to cents, not per line.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities.base import cents, mapping, money, ref_value
from qbo_emulator.entities.names import name_key
from qbo_emulator.entities.taxes import code_rates

US_LINE_CODES = ("TAX", "NON")
# The emulator's own AST rate table: state → [(rate name, percent)]. Real AST uses street-level
# jurisdictions; state-level rates keep the emulator predictable.
AST_RATES: dict[str, list[tuple[str, str]]] = {
    "CA": [("California State", "7.25")],
    "NY": [("New York State", "4"), ("New York City", "4.5")],
    "TX": [("Texas State", "6.25")],
    "WA": [("Washington State", "6.5")],
    "IL": [("Illinois State", "6.25")],
    "FL": [("Florida State", "6")],
    "AZ": [("Arizona State", "5.6")],
    "MA": [("Massachusetts State", "6.25")],
    "CO": [("Colorado State", "2.9")],
    "GA": [("Georgia State", "4")],
    "OR": [],
    "NH": [],
    "DE": [],
    "MT": [],
}
AST_DEFAULT_STATE = "CA"
TAX_WORD = {"GB": "VAT", "IE": "VAT", "FR": "VAT", "CA": "GST/HST", "AU": "GST", "NZ": "GST",
            "IN": "GST"}  # fmt: skip


@dataclass
class TaxableLine:
    """A sales line as the tax rules see it."""

    amount: Decimal
    code: str | None  # US: "TAX"/"NON"/None; elsewhere a TaxCode Id or None
    item_taxable: bool
    line: dict = field(repr=False, default_factory=dict)


def apply_tax(company, invoice: dict, lines: list[TaxableLine], customer: dict, sent: dict):
    """Fill `invoice["TxnTaxDetail"]` (and line tax codes); return the tax to add to TotalAmt.
    `sent` is the TxnTaxDetail the client sent (possibly empty)."""
    if not company.is_us:
        return _global_tax(company, invoice, lines, sent)
    bad = [ln.code for ln in lines if ln.code is not None and ln.code not in US_LINE_CODES]
    if bad:
        raise faults.invalid_line_tax_codes(bad)
    override = _optional_total(sent)
    if not company.preference("sales_tax"):
        if ref_value(sent, "TxnTaxCodeRef") or _sent_rates(company, sent) or override:
            raise faults.business(
                "Sales tax is not set up for this company, so this transaction cannot carry "
                "sales tax. Set up sales tax or remove the tax from the transaction.",
                "TxnTaxDetail",
            )
        invoice["TxnTaxDetail"] = {"TotalTax": Decimal("0")}
        return Decimal("0")
    ast = bool(company.preference("automated_sales_tax"))
    for ln in lines:
        if ln.code is None:
            # Since 2018-08 AST treats a missing code as TAX (taxability from the item); non-AST
            # companies treat it as NON (QBO.md §4.1, §4.2).
            ln.code = "TAX" if ast and ln.item_taxable else "NON"
        ln.line["SalesItemLineDetail"]["TaxCodeRef"] = {"value": ln.code}
    base = sum((ln.amount for ln in lines if ln.code == "TAX"), Decimal("0"))
    code, rates = None, _sent_rates(company, sent)
    if ast:
        code = ast_tax_code(company, _destination_state(company, invoice))
    elif rates is None:
        code = _manual_tax_code(company, sent, customer)
    if code is not None:
        rates = code_rates(company, code)
    detail: dict = {}
    if code is not None:
        detail["TxnTaxCodeRef"] = {"value": code["Id"]}
    tax_lines, total = _tax_lines(rates or [], base, override)
    detail["TotalTax"] = total
    if tax_lines:
        detail["TaxLine"] = tax_lines
    if ast:
        detail["UseAutomatedSalesTax"] = True
        if override is not None:
            detail["TaxReviewStatus"] = "AST_TAX_OVERRIDE"
    invoice["TxnTaxDetail"] = detail
    return total


def _optional_total(sent: dict) -> Decimal | None:
    value = sent.get("TotalTax")
    if value is None or value == "":
        return None
    return money(value, "TxnTaxDetail.TotalTax")


def _manual_tax_code(company, sent: dict, customer: dict) -> dict | None:
    """The invoice's tax group: the one sent, else the customer's, else the company default."""
    for holder, key, element in (
        (sent, "TxnTaxCodeRef", "TxnTaxDetail.TxnTaxCodeRef"),
        (customer, "DefaultTaxCodeRef", None),
        (company.preferences.get("TaxPrefs", {}), "TaxGroupCodeRef", None),
    ):
        value = ref_value(holder, key)
        if value is None:
            continue
        code = company.find("TaxCode", value)
        if code is None:
            if element:
                raise faults.invalid_reference(element, value)
            continue
        if code.get("Active") is False:
            raise faults.inactive_reference(element or key, value)
        return code
    return None


def _sent_rates(company, sent: dict) -> list[tuple[dict, Decimal]] | None:
    """Tax given as rates instead of a code: TxnTaxDetail.TaxLine[].TaxLineDetail.TaxRateRef,
    used only when no TxnTaxCodeRef is sent."""
    if ref_value(sent, "TxnTaxCodeRef") is not None or not isinstance(sent.get("TaxLine"), list):
        return None
    rates = []
    element = "TxnTaxDetail.TaxLine.TaxLineDetail.TaxRateRef"
    for tax_line in sent["TaxLine"]:
        detail = mapping(mapping(tax_line, "TxnTaxDetail.TaxLine").get("TaxLineDetail"), element)
        value = ref_value(detail, "TaxRateRef")
        if value is None:
            continue
        rate = company.find("TaxRate", value)
        if rate is None:
            raise faults.invalid_reference(element, value)
        rates.append((rate, rate["RateValue"]))
    return rates or None


def _tax_lines(rates: list[tuple[dict, Decimal]], base: Decimal, override: Decimal | None):
    """One TaxLine per rate; an override total is spread over them pro rata, the last rate taking
    the rounding remainder."""
    amounts = [cents(base * percent / 100) for _, percent in rates]
    total = sum(amounts, Decimal("0"))
    if override is not None:
        override = cents(override)
        if total and amounts:
            amounts = [cents(a * override / total) for a in amounts]
            amounts[-1] += override - sum(amounts, Decimal("0"))
        elif amounts:
            amounts[-1] = override
        total = override
    lines = [
        tax_line(rate, percent, amount, base)
        for (rate, percent), amount in zip(rates, amounts, strict=True)
    ]
    return lines, total


def _destination_state(company, invoice: dict) -> str:
    """AST taxes where goods go: "The destination address is the shipping address provided on
    the sales transaction. If a shipping address is not provided, the company address is
    considered as the destination address" (Intuit, "Manage sales tax for US locales"): here
    CompanyAddr, else LegalAddr (AST's source address). The bill-to address never counts, nor
    does ShipFromAddr ("The ability to customize the source address based on location of a
    given transaction is not supported"). The invoice's ShipAddr already holds the customer's
    when the client sent none (SalesFormType.build)."""
    info = company.company_info
    candidates = (invoice.get("ShipAddr"), info.get("CompanyAddr"), info.get("LegalAddr"))
    for address in candidates:
        if isinstance(address, dict) and address.get("CountrySubDivisionCode"):
            return str(address["CountrySubDivisionCode"]).upper()
    return AST_DEFAULT_STATE


def ast_tax_code(company, state: str) -> dict:
    """The tax code AST assigns for `state`, created with its rates and agency on first use."""
    code_name = f"{state} (automated)"
    for code in company.tables["TaxCode"].values():  # a company has few tax codes
        if code["Name"] == code_name:
            return code
    rates = AST_RATES.get(state, AST_RATES[AST_DEFAULT_STATE])
    agency_name = f"{state} Department of Revenue"
    holders = company.index_lookup("TaxAgency.DisplayName", name_key(agency_name))
    if holders:
        agency = company.find("TaxAgency", next(iter(holders))[1])
    else:
        agency = company.create("TaxAgency", {"DisplayName": agency_name})
    details = []
    for name, percent in rates:
        rate = company.insert(
            "TaxRate",
            {"Name": name, "RateValue": Decimal(percent), "AgencyRef": {"value": agency["Id"]}},
        )
        details.append({"TaxRateRef": {"value": rate["Id"]}})
    code = company.insert(
        "TaxCode", {"Name": code_name, "SalesTaxRateList": {"TaxRateDetail": details}}
    )
    return company.find("TaxCode", code["Id"])


def _global_tax(company, invoice: dict, lines: list[TaxableLine], sent: dict) -> Decimal:
    """Non-US: every sales line names a real TaxCode; GlobalTaxCalculation says whether line
    amounts include tax (QBO.md §4.4)."""
    calculation = invoice.get("GlobalTaxCalculation") or "TaxExcluded"
    if calculation not in ("TaxExcluded", "TaxInclusive", "NotApplicable"):
        raise faults.invalid_value("GlobalTaxCalculation", f"Unknown value {calculation!r}")
    invoice["GlobalTaxCalculation"] = calculation
    if calculation == "NotApplicable":
        invoice["TxnTaxDetail"] = {"TotalTax": Decimal("0")}
        return Decimal("0")
    by_rate: dict[str, tuple[dict, Decimal, Decimal]] = {}
    for ln in lines:
        if ln.code is None:
            word = TAX_WORD.get(company.country, "tax")
            raise faults.business(
                f"Make sure all your transactions have a {word} rate before you save.",
                "Line.SalesItemLineDetail.TaxCodeRef",
            )
        code = company.find("TaxCode", ln.code)
        if code is None:
            raise faults.invalid_reference("Line.SalesItemLineDetail.TaxCodeRef", ln.code)
        ln.line["SalesItemLineDetail"]["TaxCodeRef"] = {"value": ln.code}
        for rate, percent in code_rates(company, code):
            _, base, pct = by_rate.get(rate["Id"], (rate, Decimal("0"), percent))
            by_rate[rate["Id"]] = (rate, base + ln.amount, pct)
    tax_lines = []
    total = Decimal("0")
    for rate, base, percent in by_rate.values():
        if calculation == "TaxInclusive":
            # Line amounts include the tax: take it out of the summed gross amount.
            amount = cents(base * percent / (100 + percent))
            base -= amount
        else:
            amount = cents(base * percent / 100)
        total += amount
        tax_lines.append(tax_line(rate, percent, amount, base))
    invoice["TxnTaxDetail"] = {"TotalTax": total, "TaxLine": tax_lines}
    # Tax-inclusive line amounts already contain the tax.
    return Decimal("0") if calculation == "TaxInclusive" else total


def tax_line(rate: dict, percent: Decimal, amount: Decimal, base: Decimal) -> dict:
    """One TaxLine of TxnTaxDetail: what one rate added, on what taxable amount."""
    return {
        "Amount": amount,
        "DetailType": "TaxLineDetail",
        "TaxLineDetail": {
            "TaxRateRef": {"value": rate["Id"], "name": rate["Name"]},
            "PercentBased": True,
            "TaxPercent": percent,
            "NetAmountTaxable": base,
        },
    }
