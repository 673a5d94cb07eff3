"""Payment (QBO.md §3.4, §6): money received and credit spent on invoices, unapplying, void
and delete.

Each line links what it applies: an invoice (money applied to it) or a credit memo (credit taken
from it); one line may link one of each, as some integrations send it. QBO's rule is that the
payment's total is what reaches the invoices less the credit spent on them, plus what stays
unapplied: `TotalAmt = sum(invoice lines) - sum(credit memo lines) + UnappliedAmt`. A payment of
0 with a line of X on an invoice and a line of X on a credit memo spends X of credit on the
invoice, the way QBO's own "Receive payment" links credits to charges.

Every linked form's open amount (its Balance; a credit memo's RemainingCredit), an invoice's
LinkedTxn list, their SyncTokens and the customer's Balance move with every payment change;
`after_write` reconciles old and new applications in one place.
"""

from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities import entity_type, register
from qbo_emulator.entities.base import EntityType, cents, iso_date, money, reference, text
from qbo_emulator.entities.invoice import company_currency_ref, mark_voided, refuse_second_void

ZERO = Decimal("0")
NAME_VALUE = "{http://schema.intuit.com/finance/v3}NameValue"
# What a payment line can link, with the words for what the line does to it and for its limit.
LINKABLE = {"Invoice": ("applied to", "open balance"),
            "CreditMemo": ("taken from", "remaining credit")}  # fmt: skip


def applications(payment: dict | None) -> dict[tuple[str, str], Decimal]:
    """(TxnType, TxnId) → the amount this payment applies to that invoice or takes from that
    credit memo."""
    result: dict[tuple[str, str], Decimal] = {}
    for line in (payment or {}).get("Line", []):
        for link in line.get("LinkedTxn", []):
            key = (link["TxnType"], link["TxnId"])
            result[key] = result.get(key, ZERO) + line["Amount"]
    return result


def _line_ex(document: dict) -> dict:
    """The LineEx name/value block QBO adds to payment lines (as JSON-rendered JAXB elements)."""
    pairs = (
        ("txnId", document["Id"]),
        ("txnOpenBalance", str(document["Balance"])),
        ("txnReferenceNumber", document.get("DocNumber", "")),
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
        free: dict[tuple[str, str], Decimal] = {}  # each linked form's amount still open
        lines = []
        for raw in body.get("Line") or []:
            line = self._line(company, raw, customer_ref["value"], previously, free)
            if line is not None:
                lines.append(line)
        taken = applications({"Line": lines})
        invoiced = sum((v for (kind, _), v in taken.items() if kind == "Invoice"), ZERO)
        credited = sum((v for (kind, _), v in taken.items() if kind == "CreditMemo"), ZERO)
        if credited > invoiced:
            raise faults.business(
                f"The credit taken from credit memos ({credited}) is more than the amounts "
                f"applied to invoices ({invoiced}); credit can only be spent on invoices.",
                "Line.Amount",
            )
        applied = invoiced - credited
        if applied > total:
            raise faults.business(
                f"The amounts applied ({applied}) are more than the payment total ({total})."
                if not credited
                else f"The amounts applied to invoices ({invoiced}) less the credit taken "
                f"({credited}) come to {applied}, more than the payment total ({total}).",
                "Line.Amount",
            )
        record["Line"] = lines
        record["UnappliedAmt"] = total - applied
        record["CurrencyRef"] = company_currency_ref(company)
        record.setdefault("ProcessPayment", False)
        return record

    def sparse_merge(self, existing, body):
        """Intuit's Payment reference (copied into python-quickbooks' Payment docstring):
        "Lines can be updated only ALL or NONE. To remove all lines, send an empty Lines tag",
        "for full or sparse update". So a sparse `"Line": []` unapplies the whole payment,
        though an empty value means "not sent" everywhere else. python-quickbooks sends
        `"Line": []` for a Payment built afresh: its sparse saves unapply, as on QBO."""
        merged = super().sparse_merge(existing, body)
        if body.get("Line") == []:
            merged.pop("Line", None)
        return merged

    def _line(self, company, raw, customer_id: str, previously, free):
        """One payment line: its amount goes to each form it links (one invoice, one credit
        memo, or one of each), within what that form still has open."""
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
        if not links:
            raise faults.required("Line.LinkedTxn")
        kinds = [link.get("TxnType") for link in links]
        unsupported = [k for k in kinds if not (isinstance(k, str) and k in LINKABLE)]
        if unsupported:
            raise faults.invalid_value(
                "Line.LinkedTxn.TxnType",
                f"Applying payments to {unsupported[0]!r} is not supported by the emulator",
            )
        if len(set(kinds)) != len(kinds):
            raise faults.invalid_value(
                "Line.LinkedTxn",
                "A payment line links one invoice, one credit memo, or one of each",
            )
        linked = []
        for link in links:
            key = (link["TxnType"], str(link.get("TxnId", "")))
            document = self._linked_form(company, key, customer_id)
            open_amount = free.setdefault(key, document["Balance"] + previously.get(key, ZERO))
            if amount > open_amount:
                verb, what = LINKABLE[key[0]]
                raise faults.business(
                    f"The amount {verb} {entity_type(key[0], 'read').noun} {key[1]} ({amount}) "
                    f"is more than its {what} ({open_amount}).",
                    "Line.Amount",
                )
            free[key] = open_amount - amount
            linked.append({"TxnId": key[1], "TxnType": key[0]})
        return {"Amount": amount, "LinkedTxn": linked}

    @staticmethod
    def _linked_form(company, key: tuple[str, str], customer_id: str) -> dict:
        kind, txn_id = key
        document = company.find(kind, txn_id)
        if document is None:
            # QBO answers a linked invoice it does not know with 610, not 2500 (quickbooks-ruby
            # #277: "Object Not Found : Something you're trying to use has been deleted").
            raise faults.object_not_found(kind, txn_id)
        if document["CustomerRef"]["value"] != customer_id:
            noun = entity_type(kind, "read").noun
            raise faults.business(
                f"{noun.capitalize()} {txn_id} belongs to another customer; a payment can only "
                "use its own customer's invoices and credit memos.",
                "Line.LinkedTxn.TxnId",
            )
        return document

    def after_write(self, company, record, previous):
        before = applications(previous)
        after = applications(record)
        for key in sorted(set(before) | set(after)):
            delta = after.get(key, ZERO) - before.get(key, ZERO)
            document = company.find(*key)
            if document is None or (delta == 0 and key in before):
                continue
            kind = entity_type(key[0], "read")
            kind.take(company, document, delta)
            if kind.lists_payments:
                links = [
                    link
                    for link in document.get("LinkedTxn", [])
                    if not (link.get("TxnType") == "Payment" and link.get("TxnId") == record["Id"])
                ]
                if key in after:
                    links.append({"TxnId": record["Id"], "TxnType": "Payment"})
                document["LinkedTxn"] = links
            company.touch(kind.name, document)
        for line in record.get("Line", []):
            link = line["LinkedTxn"][0]
            document = company.find(link["TxnType"], link["TxnId"])
            if document is not None:
                line["LineEx"] = _line_ex(document)

    def after_delete(self, company, record):
        self.after_write(company, {"Id": record["Id"], "Line": []}, record)

    def void(self, company, record):
        """A voided payment stays readable with TotalAmt 0, no applications, "Voided" memo."""
        refuse_second_void(record, "payment")
        record["TotalAmt"] = record["UnappliedAmt"] = ZERO
        record["Line"] = []
        return mark_voided(record)


def undeposited_funds(company) -> dict | None:
    for account in company.tables["Account"].values():
        if account.get("AccountSubType") == "UndepositedFunds" and account.get("Active", True):
            return {"value": account["Id"], "name": account["Name"]}
    return None


register(PaymentType())
