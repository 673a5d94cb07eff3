"""What Billbridge needs to know about a QBO company to build and check invoices: its country and
tax model, its settings, its tax codes with their rates, its items (QBO.md §3.5–3.7, §4).

A pure snapshot: built from QBO's answers by `company_from_qbo`, kept as JSON on the connection
(`to_json` / `from_json`), read by the payload builders. Nothing here talks to QBO.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# What a caller reads to build a snapshot; each query needs a MAXRESULTS large enough for the
# company (QBO answers 100 rows by default). Items are name-list entities whose inactive rows QBO
# hides by default: they are read too, so a mapping to a deactivated item is reported as such.
COMPANY_QUERIES = {
    "tax_codes": "select * from TaxCode",
    "tax_rates": "select * from TaxRate",
    "items": "select * from Item where Active in (true, false)",
}


@dataclass(frozen=True)
class TaxCode:
    id: str
    name: str
    rate: Decimal  # the sum of its sales tax rates, in percent
    active: bool


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    active: bool
    type: str


@dataclass(frozen=True)
class Company:
    realm_id: str
    name: str
    country: str
    using_sales_tax: bool
    automated_sales_tax: bool
    custom_txn_numbers: bool
    book_close_date: date | None
    home_currency: str
    tax_codes: tuple[TaxCode, ...]
    items: tuple[Item, ...]
    # QuickBooks Payments is on: an invoice that allows online payment gets a payment link.
    online_payments: bool = False

    @property
    def is_us(self) -> bool:
        return self.country == "US"

    def item_named(self, name: str) -> Item | None:
        """The active item whose name is `name`, ignoring case (QBO item names are unique)."""
        wanted = name.casefold()
        return next(
            (item for item in self.items if item.active and item.name.casefold() == wanted), None
        )

    def item(self, item_id: str) -> Item | None:
        return next((item for item in self.items if item.id == item_id), None)

    def to_json(self) -> dict:
        return {
            "realm_id": self.realm_id,
            "name": self.name,
            "country": self.country,
            "using_sales_tax": self.using_sales_tax,
            "automated_sales_tax": self.automated_sales_tax,
            "custom_txn_numbers": self.custom_txn_numbers,
            "book_close_date": self.book_close_date.isoformat() if self.book_close_date else None,
            "home_currency": self.home_currency,
            "tax_codes": [
                {"id": c.id, "name": c.name, "rate": str(c.rate), "active": c.active}
                for c in self.tax_codes
            ],
            "items": [
                {"id": i.id, "name": i.name, "active": i.active, "type": i.type} for i in self.items
            ],
            "online_payments": self.online_payments,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Company":
        closed = data["book_close_date"]
        return cls(
            realm_id=data["realm_id"],
            name=data["name"],
            country=data["country"],
            using_sales_tax=data["using_sales_tax"],
            automated_sales_tax=data["automated_sales_tax"],
            custom_txn_numbers=data["custom_txn_numbers"],
            book_close_date=date.fromisoformat(closed) if closed else None,
            home_currency=data["home_currency"],
            tax_codes=tuple(
                TaxCode(c["id"], c["name"], Decimal(c["rate"]), c["active"])
                for c in data["tax_codes"]
            ),
            items=tuple(Item(i["id"], i["name"], i["active"], i["type"]) for i in data["items"]),
            # Snapshots saved before the flag existed read as Payments off until read again.
            online_payments=data.get("online_payments", False),
        )


def book_close_date_of(preferences: dict) -> date | None:
    """QBO's closed-books date in its Preferences; None when the books are not closed."""
    closed = (preferences.get("AccountingInfoPrefs") or {}).get("BookCloseDate")
    return date.fromisoformat(str(closed)[:10]) if closed else None


def company_from_qbo(
    realm_id: str,
    preferences: dict,
    company_info: dict,
    tax_codes: list[dict],
    tax_rates: list[dict],
    items: list[dict],
) -> Company:
    """The snapshot from QBO's answers: the `Preferences` and `CompanyInfo` objects (unwrapped
    from their envelopes) and the rows of the `COMPANY_QUERIES` (the `QueryResponse` lists).

    Only tax codes that carry sales tax rates are kept: the US pseudo codes TAX and NON and
    purchase-only codes cannot be chosen for a sales line or an invoice. A code naming a rate
    that was not read is left out too, since its rate is unknown. Codes and items are ordered by
    Id, so the same company always gives the same snapshot (and so the same payloads)."""
    tax_prefs = preferences.get("TaxPrefs") or {}
    sales_prefs = preferences.get("SalesFormsPrefs") or {}
    currency = (preferences.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}
    rates = {rate["Id"]: decimal_of(rate.get("RateValue", 0)) for rate in tax_rates}
    codes = []
    for code in tax_codes:
        details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
        rate_ids = [detail["TaxRateRef"]["value"] for detail in details]
        if not rate_ids or any(rate_id not in rates for rate_id in rate_ids):
            continue
        total = sum((rates[rate_id] for rate_id in rate_ids), Decimal("0"))
        codes.append(TaxCode(code["Id"], code["Name"], total, code.get("Active", True)))
    return Company(
        realm_id=realm_id,
        name=company_info.get("CompanyName", ""),
        country=company_info["Country"],
        using_sales_tax=tax_prefs.get("UsingSalesTax") is True,
        automated_sales_tax=tax_prefs.get("PartnerTaxEnabled") is True,
        custom_txn_numbers=sales_prefs.get("CustomTxnNumbers") is True,
        book_close_date=book_close_date_of(preferences),
        home_currency=currency.get("value", ""),
        tax_codes=tuple(_by_id(codes)),
        items=tuple(
            _by_id(
                Item(item["Id"], item["Name"], item.get("Active", True), item.get("Type", ""))
                for item in items
            )
        ),
        # UNCONFIRMED where QBO says Payments is on (COVERAGE.md): online payment allowed.
        online_payments=sales_prefs.get("ETransactionPaymentEnabled") is True,
    )


def decimal_of(value) -> Decimal:
    """A number from a QBO answer: a Decimal when parsed so, else a float (or string) whose
    shortest form is what QBO wrote (7.1, never 7.0999…)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _by_id(rows: Iterable) -> list:
    """QBO Ids are decimal strings: "10" comes after "9"."""
    return sorted(rows, key=lambda row: (len(row.id), row.id))
