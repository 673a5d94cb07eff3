"""Estimate (Intuit's Estimate reference): a quote to a customer. It is built like an invoice
(lines, items, tax, DocNumber, terms) but it posts nothing: it has no Balance (none in any
recorded Estimate response), no payment applies to it and its customer's Balance does not move.
Intuit offers create, read, update, delete and query on it, no void.

`TxnStatus` is Pending unless the client sets Accepted, Closed or Rejected. An invoice bills an
estimate by naming it in its own LinkedTxn (`{"TxnId": ..., "TxnType": "Estimate"}`, Intuit's
"Manage linked transactions"); the estimate then lists the invoice in its LinkedTxn and turns
Closed (Intuit's help "Create an invoice from an estimate": "The status of the linked estimate
changes to Closed"). The invoice's side is InvoiceType.linkable; this module keeps both sides.
"""

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.base import iso_date, reference
from qbo_emulator.entities.invoice import SALES_FORM_QUERYABLE
from qbo_emulator.entities.receipts import NoReceivableForm

STATUSES = ("Pending", "Accepted", "Closed", "Rejected")
CLOSED = "Closed"


class EstimateType(NoReceivableForm):
    name = "Estimate"
    queryable = SALES_FORM_QUERYABLE | {"DueDate", "ExpirationDate"}
    noun = "estimate"

    def build(self, company, body, existing, options):
        record = super().build(company, body, existing, options)
        status = body.get("TxnStatus") or STATUSES[0]
        if status not in STATUSES:
            raise faults.invalid_value(
                "TxnStatus", f"TxnStatus must be one of {', '.join(STATUSES)}"
            )
        # An estimate an invoice bills stays Closed whatever an edit sends (UNCONFIRMED).
        record["TxnStatus"] = CLOSED if record.get("LinkedTxn") else status
        for key in ("ExpirationDate", "AcceptedDate"):
            if body.get(key) not in (None, ""):
                record[key] = iso_date(body, key)
        return record

    def _terms(self, company, record, body, customer):
        term = reference(company, body, "SalesTermRef", "Term")
        if term:
            record["SalesTermRef"] = term
        if body.get("DueDate") not in (None, ""):
            record["DueDate"] = iso_date(body, "DueDate")

    def _set_open(self, record, amount):
        record.pop("Balance", None)
        record.pop("HomeBalance", None)

    def txn_date(self, record):
        """An estimate posts nothing, so a closed period does not hold it (UNCONFIRMED)."""
        return None

    # -- invoices that bill an estimate -----------------------------------------------------
    def accept_links(self, company, kind, form: dict, sent) -> None:
        """The estimate a form (an invoice) says it bills: one at most, of the form's own
        customer. The form's other links stay as the server keeps them."""
        if sent is not None and not isinstance(sent, list):
            raise faults.invalid_value("LinkedTxn", "LinkedTxn must be a list")
        wanted = [
            link
            for link in sent or []
            if isinstance(link, dict) and link.get("TxnType") == self.name
        ]
        if len(wanted) > 1:
            raise faults.business(f"An {kind.noun} can bill only one estimate.", "LinkedTxn")
        billed = []
        for link in wanted:
            estimate_id = str(link.get("TxnId") or "")
            estimate = company.find(self.name, estimate_id)
            if estimate is None:
                raise faults.object_not_found(self.name, estimate_id)
            if _party(estimate) != _party(form):
                raise faults.business(
                    f"Estimate {estimate_id} is for another customer; an {kind.noun} can only "
                    "bill its own customer's estimates.",
                    "LinkedTxn.TxnId",
                )
            billed.append({"TxnId": estimate_id, "TxnType": self.name})
        # The links already there keep their places; a new one comes last.
        links = [
            link
            for link in form.get("LinkedTxn", [])
            if link.get("TxnType") != self.name or link in billed
        ]
        links += [link for link in billed if link not in links]
        _set_links(form, links)

    def follow_links(self, company, kind, form: dict | None, previous: dict | None) -> None:
        """After a form is written or deleted: each estimate it starts or stops billing lists
        it or no longer does, and is Closed while any form bills it, else Pending again
        (UNCONFIRMED: what QBO sets when the invoice goes)."""
        form_id = (form or previous)["Id"]
        before, after = self._billed(previous), self._billed(form)
        for estimate_id in sorted(before ^ after):
            estimate = company.find(self.name, estimate_id)
            if estimate is None:
                continue
            links = _without(estimate, kind.name, form_id)
            if estimate_id in after:
                links.append({"TxnId": form_id, "TxnType": kind.name})
            _set_links(estimate, links)
            estimate["TxnStatus"] = CLOSED if links else STATUSES[0]
            company.touch(self.name, estimate)

    def _billed(self, form: dict | None) -> set[str]:
        links = (form or {}).get("LinkedTxn", [])
        return {link["TxnId"] for link in links if link.get("TxnType") == self.name}

    def after_delete(self, company, record):
        """The forms that billed a deleted estimate no longer link it."""
        for link in record.get("LinkedTxn", []):
            form = company.find(link["TxnType"], link["TxnId"])
            if form is not None:
                _set_links(form, _without(form, self.name, record["Id"]))
                company.touch(link["TxnType"], form)


def _party(document: dict) -> str | None:
    return (document.get("CustomerRef") or {}).get("value")


def _without(document: dict, txn_type: str, txn_id: str) -> list[dict]:
    return [
        link
        for link in document.get("LinkedTxn", [])
        if not (link.get("TxnType") == txn_type and link.get("TxnId") == txn_id)
    ]


def _set_links(document: dict, links: list[dict]) -> None:
    if links:
        document["LinkedTxn"] = links
    else:
        document.pop("LinkedTxn", None)


register(EstimateType())
