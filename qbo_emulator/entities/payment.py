"""Payment (QBO.md §3.4, §6): applying money to invoices, unapplying, void and delete.

An invoice's Balance, its LinkedTxn list and its SyncToken move with every payment change, and
the customer's Balance with it; `after_write` reconciles old and new applications in one place.
"""

from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.base import EntityType, cents, iso_date, money, reference, text
from qbo_emulator.entities.invoice import adjust_customer_balance, company_currency_ref

ZERO = Decimal("0")
NAME_VALUE = "{http://schema.intuit.com/finance/v3}NameValue"


def applications(payment: dict | None) -> dict[str, Decimal]:
    """Invoice Id → amount this payment applies to it."""
    result: dict[str, Decimal] = {}
    for line in (payment or {}).get("Line", []):
        for link in line.get("LinkedTxn", []):
            if link.get("TxnType") == "Invoice":
                result[link["TxnId"]] = result.get(link["TxnId"], ZERO) + line["Amount"]
    return result


def _line_ex(invoice: dict) -> dict:
    """The LineEx name/value block QBO adds to payment lines (as JSON-rendered JAXB elements)."""
    pairs = (
        ("txnId", invoice["Id"]),
        ("txnOpenBalance", str(invoice["Balance"])),
        ("txnReferenceNumber", invoice.get("DocNumber", "")),
    )
    return {
        "any": [
            {
                "name": NAME_VALUE,
                "declaredType": "com.intuit.schema.finance.v3.NameValue",
                "scope": "javax.xml.bind.JAXBElement$GlobalScope",
                "value": {"Name": name, "Value": value},
                "nil": False,
                "globalScope": True,
                "typeSubstituted": False,
            }
            for name, value in pairs
        ]
    }


class PaymentType(EntityType):
    name = "Payment"
    operations = frozenset({"create", "read", "update", "delete", "void", "query"})
    queryable = frozenset(
        {"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "TxnDate", "CustomerRef",
         "TotalAmt", "PaymentRefNum", "PaymentMethodRef", "DepositToAccountRef", "PrivateNote"}
    )  # fmt: skip

    def txn_date(self, record):
        return record.get("TxnDate")

    def build(self, company, body, existing, options):
        record = dict(body)
        customer_ref = reference(company, body, "CustomerRef", "Customer", required=True)
        record["CustomerRef"] = customer_ref
        if body.get("TotalAmt") is None:
            raise faults.required("TotalAmt")
        total = cents(money(body["TotalAmt"], "TotalAmt"))
        if total < 0:
            raise faults.invalid_value("TotalAmt", "TotalAmt cannot be negative")
        record["TotalAmt"] = total
        record["TxnDate"] = iso_date(body, "TxnDate") or company.today()
        text(body, "PaymentRefNum", 21)
        text(body, "PrivateNote", 4000)
        for field, entity in (("PaymentMethodRef", "PaymentMethod"), ("ARAccountRef", "Account")):
            resolved = reference(company, body, field, entity)
            if resolved:
                record[field] = resolved
        record["DepositToAccountRef"] = reference(
            company, body, "DepositToAccountRef", "Account"
        ) or undeposited_funds(company)
        previously = applications(existing)
        lines = []
        applied = ZERO
        for raw in body.get("Line") or []:
            line = self._line(company, raw, customer_ref["value"], previously)
            if line is not None:
                applied += line["Amount"]
                lines.append(line)
        if applied > total:
            raise faults.business(
                f"The amounts applied ({applied}) are more than the payment total ({total}).",
                "Line.Amount",
            )
        record["Line"] = lines
        record["UnappliedAmt"] = total - applied
        record["CurrencyRef"] = company_currency_ref(company)
        record.setdefault("ProcessPayment", False)
        return record

    def _line(self, company, raw, customer_id: str, previously: dict[str, Decimal]):
        if not isinstance(raw, dict):
            raise faults.invalid_value("Line", "Each Line must be an object")
        if raw.get("Amount") in (None, ""):
            raise faults.required("Line.Amount")
        amount = cents(money(raw["Amount"], "Line.Amount"))
        links = [link for link in raw.get("LinkedTxn") or [] if isinstance(link, dict)]
        if amount == 0:
            return None  # an emptied line unapplies (QBO.md §3.4)
        if amount < 0:
            raise faults.invalid_value("Line.Amount", "Line Amount cannot be negative")
        if len(links) != 1:
            raise faults.required("Line.LinkedTxn")
        link = links[0]
        if link.get("TxnType") != "Invoice":
            raise faults.invalid_value(
                "Line.LinkedTxn.TxnType",
                f"Applying payments to {link.get('TxnType')!r} is not supported by the emulator",
            )
        invoice_id = str(link.get("TxnId", ""))
        invoice = company.find("Invoice", invoice_id)
        if invoice is None:
            raise faults.invalid_reference("Line.LinkedTxn.TxnId", invoice_id)
        if invoice["CustomerRef"]["value"] != customer_id:
            raise faults.business(
                f"Invoice {invoice_id} belongs to another customer; a payment can only be "
                "applied to its own customer's invoices.",
                "Line.LinkedTxn.TxnId",
            )
        open_balance = invoice["Balance"] + previously.get(invoice_id, ZERO)
        if amount > open_balance:
            raise faults.business(
                f"The amount applied to invoice {invoice_id} ({amount}) is more than its open "
                f"balance ({open_balance}).",
                "Line.Amount",
            )
        return {"Amount": amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}

    def after_write(self, company, record, previous):
        before = applications(previous)
        after = applications(record)
        for invoice_id in sorted(set(before) | set(after)):
            delta = after.get(invoice_id, ZERO) - before.get(invoice_id, ZERO)
            invoice = company.find("Invoice", invoice_id)
            if invoice is None or (delta == 0 and invoice_id in before):
                continue
            invoice["Balance"] -= delta
            invoice["HomeBalance"] = invoice["Balance"]
            adjust_customer_balance(company, invoice["CustomerRef"]["value"], -delta)
            links = [
                link
                for link in invoice.get("LinkedTxn", [])
                if not (link.get("TxnType") == "Payment" and link.get("TxnId") == record["Id"])
            ]
            if invoice_id in after:
                links.append({"TxnId": record["Id"], "TxnType": "Payment"})
            invoice["LinkedTxn"] = links
            company.touch("Invoice", invoice)
        for line in record.get("Line", []):
            invoice = company.find("Invoice", line["LinkedTxn"][0]["TxnId"])
            if invoice is not None:
                line["LineEx"] = _line_ex(invoice)

    def after_delete(self, company, record):
        self.after_write(company, {"Id": record["Id"], "Line": []}, record)

    def void(self, company, record):
        """A voided payment stays readable with TotalAmt 0, no applications, "Voided" memo."""
        note = record.get("PrivateNote")
        record["PrivateNote"] = f"Voided - {note}" if note else "Voided"
        record["TotalAmt"] = record["UnappliedAmt"] = ZERO
        record["Line"] = []
        for key in ("Id", "SyncToken", "MetaData", "domain", "sparse"):
            record.pop(key, None)
        return record


def undeposited_funds(company) -> dict | None:
    for account in company.tables["Account"].values():
        if account.get("AccountSubType") == "UndepositedFunds" and account.get("Active", True):
            return {"value": account["Id"], "name": account["Name"]}
    return None


register(PaymentType())
