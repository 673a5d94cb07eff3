"""Check selected invoices: every test an export would make, with reads only. (Not `checks.py`:
that name is Django's, for its system checks.)

A run reads the company's settings from QBO once, before its first invoice, as an export drain
does, so that Check and Export judge by the same QBO. The findings land in ExportCheck rows,
which the QuickBooks Export column shows beside the invoice's export state until its next export.
What the export refuses outright is said too: a re-export dated in a closed period, and for a
credit note, an invoice QBO does not hold, no write-off item, a date in a closed period.
"""

from billbridge.invoicing import periods
from billbridge.invoicing.models import Invoice
from billbridge.quickbooks import payloads
from billbridge.quickbooks.client import QboError, quote
from billbridge.quickbooks.connection import (
    client_for,
    connection_for,
    fresh_company,
    item_choices,
)
from billbridge.quickbooks.customers import customers_named
from billbridge.quickbooks.export.chunk import UNSETTLED
from billbridge.quickbooks.export.plan import write_off_item
from billbridge.quickbooks.export.rows import (
    a_noun_of,
    closed_period_refusal,
    entity_of,
    export_first,
    in_qbo,
    link_of,
)
from billbridge.quickbooks.models import (
    CustomerLink,
    ExportBatch,
    ExportCheck,
    ExportState,
    InvoiceExport,
    QboInvoiceLink,
)


def check_invoices(batch_id: int, invoice_ids: list[int]) -> None:
    batch = ExportBatch.objects.select_related("practice").get(pk=batch_id)
    invoices = list(
        Invoice.objects.for_practice(batch.practice)
        .filter(pk__in=invoice_ids)
        .select_related("client", "qbo_link", "credited_invoice__qbo_link")
        .prefetch_related("lines")
    )
    connection = connection_for(batch.practice)
    if connection is None or not connection.is_connected:
        _all_failed(batch, invoices, "QuickBooks Online is not connected (or needs reconnecting).")
        return
    try:
        with client_for(connection) as qbo:
            company = fresh_company(connection, qbo)
            links = {
                link.client_id: link
                for link in CustomerLink.objects.filter(
                    client__in={i.client for i in invoices}, realm_id=connection.realm_id
                )
            }
            unlinked = sorted({i.client.name for i in invoices if i.client_id not in links})
            matches = customers_named(qbo, unlinked) if unlinked else {}
            taken = _doc_numbers_taken(qbo, invoices) if company.custom_txn_numbers else {}
    except QboError as exc:
        _all_failed(batch, invoices, f"QuickBooks could not be read: {exc}")
        return
    items, default_item = item_choices(connection)
    closed = periods.closed_through(batch.practice)
    on_the_way = _on_the_way({i.credited_invoice_id for i in invoices if i.is_credit})
    checks = []
    for invoice in invoices:
        findings = []
        customer_id = None
        link = links.get(invoice.client_id)
        match = matches.get(invoice.client.name.casefold())
        if link:
            customer_id = link.qbo_customer_id
            findings.append(
                payloads.Finding("ok", f"Customer: QBO customer '{link.display_name}'.")
            )
        elif match:
            customer_id = match["Id"]
            findings.append(
                payloads.Finding(
                    "ok", f"Customer: will use the QBO customer '{match['DisplayName']}'."
                )
            )
        else:
            findings.append(
                payloads.Finding(
                    "ok", f"Customer: will create '{invoice.client.name}' in QuickBooks."
                )
            )
        if invoice.is_credit:
            finding, credited_customer = _credited(invoice, on_the_way)
            findings.append(finding)
            customer_id = credited_customer or customer_id
        qbo_link = link_of(invoice)
        existing = (
            (qbo_link.qbo_invoice_id, qbo_link.sync_token)
            if qbo_link and qbo_link.state == QboInvoiceLink.State.IN_QBO
            else None
        )
        updating = bool(qbo_link and qbo_link.state != QboInvoiceLink.State.REMOVED)
        if refusal := closed_period_refusal(invoice, closed, updating=updating):
            findings.append(payloads.Finding("error", refusal.message))
        plan = payloads.plan_invoice(
            payloads.InvoiceData.of(invoice),
            company,
            customer_id=customer_id,
            items_by_service=items,
            default_item=default_item,
            ast_handling=connection.ast_tax_handling,
            existing=existing,
            write_off_item=write_off_item(connection),
        )
        findings.extend(plan.findings)
        holder = taken.get((entity_of(invoice), invoice.number.casefold()))
        if holder and not (existing and holder == existing[0]):
            findings.append(
                payloads.Finding(
                    "error",
                    f"QuickBooks already has {a_noun_of(invoice)} numbered {invoice.number}.",
                    "Renumber one of them before exporting.",
                )
            )
        elif company.custom_txn_numbers:
            findings.append(payloads.Finding("ok", f"Number {invoice.number} is free in QBO."))
        checks.append(_check(batch, invoice, findings))
    ExportCheck.objects.bulk_create(checks)


def _doc_numbers_taken(qbo, invoices: list[Invoice]) -> dict[tuple[str, str], str]:
    """Which of the invoices' numbers QBO transactions of their kind (Invoice, or a credit
    note's CreditMemo) already carry: (entity, number) -> QBO Id."""
    taken = {}
    by_entity: dict[str, set[str]] = {}
    for invoice in invoices:
        by_entity.setdefault(entity_of(invoice), set()).add(invoice.number)
    for entity, found_numbers in by_entity.items():
        numbers = sorted(found_numbers)
        for start in range(0, len(numbers), 30):
            listed = ", ".join(quote(n) for n in numbers[start : start + 30])
            for found in qbo.query(f"select * from {entity} where DocNumber in ({listed})"):  # noqa: S608
                taken[(entity, found["DocNumber"].casefold())] = found["Id"]
    return taken


def _on_the_way(invoice_ids: set[int]) -> set[int]:
    """Which of these invoices have an export on its way to QBO."""
    if not invoice_ids:
        return set()
    return set(
        InvoiceExport.objects.filter(invoice_id__in=invoice_ids, state__in=UNSETTLED)
        .exclude(state=ExportState.NEEDS_REVIEW)
        .values_list("invoice_id", flat=True)
    )


def _credited(note: Invoice, on_the_way: set[int]) -> tuple[payloads.Finding, str]:
    """A credit note's invoice, as its export needs it: in QBO (its credit memo is applied to
    that QBO invoice, for its customer), on its way, or to be exported first. Returns the
    finding and the QBO customer the credit memo goes to ("" when not known yet)."""
    invoice = note.credited_invoice
    link = in_qbo(invoice)
    if link is not None:
        shown = link.doc_number or link.qbo_invoice_id
        return payloads.Finding(
            "ok", f"Applied to QBO invoice {shown} (invoice {invoice.number}) once exported."
        ), link.qbo_customer_id
    if invoice.pk in on_the_way:
        return payloads.Finding(
            "warning",
            f"Invoice {invoice.number} is on its way to QuickBooks; the credit note goes once it "
            "is there.",
        ), ""
    words = export_first(invoice.number)
    return payloads.Finding(
        "error", f"Its invoice is not in QuickBooks. {words['message']}", words["advice"]
    ), ""


def _check(batch, invoice, findings) -> ExportCheck:
    return ExportCheck(
        batch=batch,
        invoice=invoice,
        invoice_version=invoice.version,
        ok=not any(f.tone == "error" for f in findings),
        findings=[{"tone": f.tone, "text": f.text, "advice": f.advice} for f in findings],
    )


def _all_failed(batch, invoices, message: str) -> None:
    ExportCheck.objects.bulk_create(
        _check(batch, invoice, [payloads.Finding("error", message)]) for invoice in invoices
    )
