"""Invoice (QBO.md §3.3): lines, totals, tax, DocNumber rules, balance, void and delete.

`SalesFormType` holds what an invoice shares with a credit memo (entities/credit_memo.py): the
same lines, tax and totals, and an open amount that payments lower."""

from datetime import date, timedelta
from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities import entity_type, register
from qbo_emulator.entities.base import (
    EntityType,
    cents,
    iso_date,
    kept,
    mapping,
    optional_money,
    ref_value,
    reference,
    text,
)
from qbo_emulator.tax import TaxableLine, apply_tax

DOC_NUMBER_MAX = 21
ZERO = Decimal("0")
VOIDED = "Voided"
LINE_TYPES = ("SalesItemLineDetail", "DescriptionOnly", "DiscountLineDetail", "SubTotalLineDetail")
# The detail object each line type carries.
DETAIL_KEYS = {"SalesItemLineDetail": "SalesItemLineDetail",
               "DescriptionOnly": "DescriptionLineDetail",
               "DiscountLineDetail": "DiscountLineDetail"}  # fmt: skip


# The fields every sales form (Invoice, CreditMemo, Estimate, receipts) can be queried by.
SALES_FORM_QUERYABLE = frozenset(
    {"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "DocNumber", "TxnDate",
     "CustomerRef", "TotalAmt", "PrivateNote", "EmailStatus", "PrintStatus", "DepartmentRef",
     "ClassRef", "SalesTermRef"}
)  # fmt: skip


class TransactionType(EntityType):
    """What sales transactions share: DocNumber rules, closed books, customer balances."""

    operations = frozenset({"create", "read", "update", "delete", "void", "query"})

    def txn_date(self, record):
        return record.get("TxnDate")

    def doc_number(self, company, body: dict, existing: dict | None) -> str | None:
        """DocNumber as QBO keeps it (QBO.md §3.3, RELIABILITY.md §1.5): with custom transaction
        numbers on, the client's value (or none); with them off, QBO numbers the transaction
        itself unless a value is sent. "AUTO_GENERATE" always asks QBO for the next number."""
        sent = text(body, "DocNumber", DOC_NUMBER_MAX)
        if existing is not None and sent is None and not company.preference("custom_txn_numbers"):
            return existing.get("DocNumber")
        if sent == "AUTO_GENERATE" or (
            sent is None and not company.preference("custom_txn_numbers")
        ):
            return self._next_doc_number(company)
        return sent

    def _next_doc_number(self, company) -> str:
        while True:
            candidate = str(1000 + company.next_number("DocNumber:" + self.name))
            if not company.index_lookup("DocNumber:" + self.name, candidate):
                return candidate

    def unique_keys(self, record):
        if record.get("DocNumber"):
            return [("DocNumber:" + self.name, record["DocNumber"])]
        return []

    def duplicate_fault(self, record, index, key, other):
        return faults.duplicate_doc_number(key, self.name, other[1])


def adjust_customer_balance(company, customer_id: str | None, delta: Decimal) -> None:
    """A customer's Balance is what it owes: its invoices' open amounts less its credit memos'
    unused credit; kept up to date incrementally."""
    if not customer_id or not delta:
        return
    customer = company.find("Customer", customer_id)
    if customer is not None:
        customer["Balance"] = customer.get("Balance", ZERO) + delta
        customer["BalanceWithJobs"] = customer["Balance"]


def is_voided(record: dict) -> bool:
    """QBO shows a void only as a transaction zeroed with "Voided" at the head of its memo
    (Intuit's blog "Voiding Invoice Objects"; the Payment reference: "Voided" is "prepended to
    existing text"); clients have no other sign, and the emulator goes by the same one. A voided
    invoice that a full update fills again, with its own memo, is live again."""
    note = record.get("PrivateNote")
    return record.get("TotalAmt") == ZERO and isinstance(note, str) and note.startswith(VOIDED)


def refuse_second_void(record: dict, noun: str) -> None:
    """A void of a voided transaction is refused (UNCONFIRMED: QBO's answer was not found;
    without the refusal a retried void would stack a second "Voided - " on the memo)."""
    if is_voided(record):
        raise faults.business(f"This {noun} has already been voided.")


def mark_voided(record: dict) -> dict:
    """The memo QBO writes on a void, and the record as a void returns it to the store (the
    store stamps Id, SyncToken and MetaData again)."""
    note = record.get("PrivateNote")
    record["PrivateNote"] = f"{VOIDED} - {note}" if note else VOIDED
    for key in ("Id", "SyncToken", "MetaData", "domain", "sparse"):
        record.pop(key, None)
    return record


def applied_amount(document: dict) -> Decimal:
    """What payments have taken of a sales form: paid on an invoice, spent of a credit memo."""
    return document.get("TotalAmt", ZERO) - document.get("Balance", ZERO)


class SalesFormType(TransactionType):
    """A sales form with item lines and tax (Invoice, CreditMemo): its totals, its open amount
    (`Balance`), which payments lower, and that amount's weight in its customer's balance."""

    kept_on_update = ("LinkedTxn",)
    # +1: the open amount is owed by the customer (invoice); -1: owed to it (credit memo).
    customer_sign = 1
    # Whether the form lists the payments applied to it in its own LinkedTxn.
    lists_payments = True
    # The words of the refusals that protect what payments have taken.
    noun = ""
    customer_locked = ""
    applied_words = ""  # after "the total would be less than the <amount> ..."
    applied_reason = ""  # after "You can't void this <noun> because ..."
    # Whether a CustomerRef must be given (a sales receipt may record a sale to no one).
    customer_required = True
    # TxnTypes a client links on the form itself (an invoice to the estimate it bills): the
    # linked type checks those links (`accept_links`) and follows the form (`follow_links`).
    linkable: tuple[str, ...] = ()

    def build(self, company, body, existing, options):
        record = dict(body)
        customer_ref = reference(
            company, body, "CustomerRef", "Customer", required=self.customer_required
        )
        customer = company.find("Customer", customer_ref["value"]) if customer_ref else {}
        record["CustomerRef"] = customer_ref
        record["DocNumber"] = self.doc_number(company, body, existing)
        if record["DocNumber"] is None:
            del record["DocNumber"]
        record["TxnDate"] = iso_date(body, "TxnDate") or company.today()
        self._terms(company, record, body, customer)
        for address in ("BillAddr", "ShipAddr"):
            if address not in body and isinstance(customer.get(address), dict):
                record[address] = dict(customer[address])
        if "BillEmail" not in body and customer.get("PrimaryEmailAddr"):
            record["BillEmail"] = dict(customer["PrimaryEmailAddr"])
        text(body, "PrivateNote", 4000)

        lines, taxable, subtotal, discount = self._lines(company, body.get("Line"))
        sent_tax = mapping(body.get("TxnTaxDetail"), "TxnTaxDetail")
        tax = apply_tax(company, record, taxable, customer, sent_tax)
        lines.append(
            {"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
        )
        record["Line"] = lines
        total = cents(subtotal - discount + tax)
        record["TotalAmt"] = total
        record["HomeTotalAmt"] = total
        applied = applied_amount(existing) if existing else ZERO
        if applied and existing["CustomerRef"]["value"] != customer_ref["value"]:
            raise faults.business(self.customer_locked, "CustomerRef")
        if applied > total:
            raise faults.business(
                f"The {self.noun} total {total} would be less than the {applied} "
                f"{self.applied_words}. Unapply or delete the payments first.",
                "Line",
            )
        self._set_open(record, total - applied)
        record["CurrencyRef"] = company_currency_ref(company)
        record.setdefault("PrintStatus", "NotSet")
        record.setdefault("EmailStatus", "NotSet")
        record.setdefault("ApplyTaxAfterDiscount", False)
        sent_links = record.pop("LinkedTxn", None)
        record = kept(existing, record, self.kept_on_update)
        for name in self.linkable:
            entity_type(name, "read").accept_links(company, self, record, sent_links)
        return record

    def _terms(self, company, record: dict, body: dict, customer: dict) -> None:
        """Payment terms and due date, for the forms that have them."""

    def _set_open(self, record: dict, amount: Decimal) -> None:
        record["Balance"] = record["HomeBalance"] = amount

    def take(self, company, record: dict, amount: Decimal) -> None:
        """A payment takes `amount` of the open amount (a negative amount gives it back)."""
        self._set_open(record, record["Balance"] - amount)
        adjust_customer_balance(
            company, record["CustomerRef"]["value"], -amount * self.customer_sign
        )

    def _lines(self, company, sent):
        if not isinstance(sent, list) or not sent:
            raise faults.required("Line")
        lines, taxable = [], []
        subtotal = discount = ZERO
        discounts = []
        for raw in sent:
            if not isinstance(raw, dict):
                raise faults.invalid_value("Line", "Each Line must be an object")
            detail_type = raw.get("DetailType") or next((t for t in LINE_TYPES if t in raw), None)
            if detail_type == "SubTotalLineDetail":
                continue  # QBO recomputes the subtotal line
            if detail_type not in LINE_TYPES:
                raise faults.invalid_value(
                    "Line.DetailType", f"Line DetailType {detail_type!r} is not supported"
                )
            # Only what a line of this type holds is kept; a detail object of another type is not.
            line = {"Id": None, "LineNum": None, "DetailType": detail_type}
            description = text(raw, "Description", 4000, "Line.Description")
            if description is not None:
                line["Description"] = description
            if "Amount" in raw:
                line["Amount"] = raw["Amount"]
            detail_key = DETAIL_KEYS[detail_type]
            line[detail_key] = dict(mapping(raw.get(detail_key), "Line." + detail_key))
            if detail_type == "SalesItemLineDetail":
                amount, item = self._sales_line(company, line)
                subtotal += amount
                code = ref_value(line["SalesItemLineDetail"], "TaxCodeRef")
                taxable.append(TaxableLine(amount, code, bool(item.get("Taxable")), line))
            elif detail_type == "DiscountLineDetail":
                discounts.append(line)
                continue
            else:
                amount = optional_money(line, "Amount", "Line.Amount") or ZERO
                line["Amount"] = amount
            lines.append(line)
        for line in discounts:
            detail = line["DiscountLineDetail"]
            percent = optional_money(
                detail, "DiscountPercent", "DiscountLineDetail.DiscountPercent"
            )
            if detail.get("PercentBased") and percent is not None:
                line["Amount"] = cents(subtotal * percent / 100)
            else:
                line["Amount"] = cents(optional_money(line, "Amount", "Line.Amount") or ZERO)
            discount += line["Amount"]
            lines.append(line)
        for number, line in enumerate(lines, start=1):
            line["Id"] = str(number)
            line["LineNum"] = number
        return lines, taxable, subtotal, discount

    def _sales_line(self, company, line: dict):
        """Validate one sales line: item reference, Amount = Qty × UnitPrice (QBO.md §9)."""
        detail = line["SalesItemLineDetail"]
        if ref_value(detail, "ItemRef") is None:
            default = company.preferences.get("SalesFormsPrefs", {}).get("DefaultItem")
            if not default:
                raise faults.required("Line.SalesItemLineDetail.ItemRef")
            detail["ItemRef"] = default
        item_ref = reference(
            company, detail, "ItemRef", "Item", element="Line.SalesItemLineDetail.ItemRef"
        )
        item = company.find("Item", item_ref["value"])
        if item.get("Type") == "Category":
            raise faults.validation(
                "2500", "Invalid Reference Id", "Categories cannot be used in transactions",
                "Line.SalesItemLineDetail.ItemRef",
            )  # fmt: skip
        detail["ItemRef"] = item_ref
        qty = optional_money(detail, "Qty", "Line.SalesItemLineDetail.Qty")
        price = optional_money(detail, "UnitPrice", "Line.SalesItemLineDetail.UnitPrice")
        amount = optional_money(line, "Amount", "Line.Amount")
        # python-quickbooks sends Qty 0 and UnitPrice 0 for "not set"; only a real pair is checked.
        for key, value in (("Qty", qty), ("UnitPrice", price)):
            if not value:
                detail.pop(key, None)
        if qty and price:
            product = cents(qty * price)
            if amount is None:
                amount = product
            elif cents(amount) != product:
                raise faults.amount_mismatch("Line.Amount", amount, qty, price)
            detail["Qty"], detail["UnitPrice"] = qty, price
        if amount is None:
            raise faults.required("Line.Amount")
        if detail.get("ServiceDate") in ("", None):
            detail.pop("ServiceDate", None)
        detail.pop("TaxInclusiveAmt", None)
        for key in ("ItemAccountRef", "ClassRef"):
            if key in detail and not ref_value(detail, key):
                detail.pop(key)
        line["Amount"] = cents(amount)
        return line["Amount"], item

    def after_write(self, company, record, previous):
        if previous is not None:
            adjust_customer_balance(
                company,
                previous["CustomerRef"]["value"],
                -previous.get("Balance", ZERO) * self.customer_sign,
            )
        adjust_customer_balance(
            company, record["CustomerRef"]["value"], record["Balance"] * self.customer_sign
        )
        self._follow_links(company, record, previous)

    def _follow_links(self, company, form: dict | None, previous: dict | None) -> None:
        for name in self.linkable:
            entity_type(name, "read").follow_links(company, self, form, previous)

    def _refuse_if_applied(self, record: dict, verb: str) -> None:
        if applied_amount(record) > 0:
            raise faults.business(
                f"You can't {verb} this {self.noun} because {self.applied_reason}. Delete, "
                "void or unapply the payments first.",
            )

    def before_delete(self, company, record):
        self._refuse_if_applied(record, "delete")

    def after_delete(self, company, record):
        adjust_customer_balance(
            company, record["CustomerRef"]["value"], -record["Balance"] * self.customer_sign
        )
        self._follow_links(company, None, record)

    def void(self, company, record):
        """QBO keeps a voided form readable with every amount zeroed and "Voided" in the memo."""
        refuse_second_void(record, self.noun)
        self._refuse_if_applied(record, "void")
        for line in record["Line"]:
            line["Amount"] = ZERO
            if "SalesItemLineDetail" in line:
                line["SalesItemLineDetail"].pop("UnitPrice", None)
                line["SalesItemLineDetail"].pop("Qty", None)
        record["TxnTaxDetail"] = {"TotalTax": ZERO}
        record["TotalAmt"] = record["HomeTotalAmt"] = ZERO
        self._set_open(record, ZERO)
        return mark_voided(record)


class InvoiceType(SalesFormType):
    name = "Invoice"
    queryable = SALES_FORM_QUERYABLE | {"DueDate", "Balance"}
    noun = "invoice"
    customer_locked = "You can't change the customer on an invoice that has payments applied."
    applied_words = "already paid on it"
    applied_reason = "payments are applied to it"
    linkable = ("Estimate",)

    def _terms(self, company, record, body, customer):
        term = reference(company, body, "SalesTermRef", "Term") or _customer_term(company, customer)
        if term:
            record["SalesTermRef"] = term
        record["DueDate"] = iso_date(body, "DueDate") or _due_date(company, record)


def mark_sent(company, invoice: dict, send_to: str | None) -> None:
    """Record an e-mail delivery: EmailStatus EmailSent, DeliveryInfo, BillEmail if given."""
    if send_to:
        if "@" not in send_to or len(send_to) > 100:
            raise faults.invalid_value("sendTo", f"Invalid e-mail address {send_to!r}")
        invoice["BillEmail"] = {"Address": send_to}
    if not invoice.get("BillEmail"):
        raise faults.required("BillEmail")
    invoice["EmailStatus"] = "EmailSent"
    invoice["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": company.timestamp()}
    company.touch("Invoice", invoice)
    company.emails.append(
        {"invoice_id": invoice["Id"], "doc_number": invoice.get("DocNumber"),
         "to": invoice["BillEmail"]["Address"], "at": invoice["DeliveryInfo"]["DeliveryTime"]}
    )  # fmt: skip


def payment_link(company, invoice: dict, base_url: str) -> str | None:
    """InvoiceLink: Intuit generates it "only for invoices with online payment enabled and having
    a valid customer email address" — here: QBO Payments on for the company, the invoice allowing
    card or bank (ACH) payment, and a BillEmail. The link opens the emulator's pay page."""
    allows_online = invoice.get("AllowOnlineCreditCardPayment") is True or (
        invoice.get("AllowOnlineACHPayment") is True
    )
    email = (invoice.get("BillEmail") or {}).get("Address")
    if not (company.preference("payments") and allows_online and email and "@" in email):
        return None
    return f"{base_url}/_emulator/pay/{company.realm_id}/{invoice['Id']}"


def company_currency_ref(company) -> dict:
    currency = company.preferences["CurrencyPrefs"]["HomeCurrency"]
    return {"value": currency["value"], "name": currency.get("name", currency["value"])}


def _customer_term(company, customer: dict) -> dict | None:
    value = ref_value(customer, "SalesTermRef") or ref_value(
        company.preferences.get("SalesFormsPrefs", {}), "DefaultTerms"
    )
    term = company.find("Term", value) if value else None
    return {"value": term["Id"], "name": term["Name"]} if term else None


def _due_date(company, record: dict) -> str:
    txn_date = date.fromisoformat(record["TxnDate"])
    term = (
        company.find("Term", record["SalesTermRef"]["value"]) if "SalesTermRef" in record else None
    )
    days = term.get("DueDays", 0) if term else 0
    try:
        return (txn_date + timedelta(days=days)).isoformat()
    except OverflowError:  # a TxnDate at the end of the calendar plus the term's days
        raise faults.invalid_value("DueDate", "DueDate falls after the year 9999") from None


register(InvoiceType())
