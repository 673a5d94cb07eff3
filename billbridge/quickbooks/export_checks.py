"""Check selected invoices: every test an export would make, with reads only. (Not `checks.py`:
that name is Django's, for its system checks.)

A run reads the company's settings from QBO once, before its first invoice, as an export drain
does, so that Check and Export judge by the same QBO. The findings land in ExportCheck rows,
which the QuickBooks Export column shows beside the invoice's export state until its next export.
"""

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
from billbridge.quickbooks.export.rows import link_of
from billbridge.quickbooks.models import (
    CustomerLink,
    ExportBatch,
    ExportCheck,
    QboInvoiceLink,
)


def check_invoices(batch_id: int, invoice_ids: list[int]) -> None:
    batch = ExportBatch.objects.select_related("practice").get(pk=batch_id)
    invoices = list(
        Invoice.objects.for_practice(batch.practice)
        .filter(pk__in=invoice_ids)
        .select_related("client", "qbo_link")
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
        qbo_link = link_of(invoice)
        existing = (
            (qbo_link.qbo_invoice_id, qbo_link.sync_token)
            if qbo_link and qbo_link.state == QboInvoiceLink.State.IN_QBO
            else None
        )
        plan = payloads.plan_invoice(
            payloads.InvoiceData.of(invoice),
            company,
            customer_id=customer_id,
            items_by_service=items,
            default_item=default_item,
            ast_handling=connection.ast_tax_handling,
            existing=existing,
        )
        findings.extend(plan.findings)
        holder = taken.get(invoice.number.casefold())
        if holder and not (existing and holder == existing[0]):
            findings.append(
                payloads.Finding(
                    "error",
                    f"QuickBooks already has an invoice numbered {invoice.number}.",
                    "Renumber one of them before exporting.",
                )
            )
        elif company.custom_txn_numbers:
            findings.append(payloads.Finding("ok", f"Number {invoice.number} is free in QBO."))
        checks.append(_check(batch, invoice, findings))
    ExportCheck.objects.bulk_create(checks)


def _doc_numbers_taken(qbo, invoices: list[Invoice]) -> dict[str, str]:
    """Which of the invoices' numbers QBO invoices already carry: number -> QBO Id."""
    taken = {}
    numbers = sorted({invoice.number for invoice in invoices})
    for start in range(0, len(numbers), 30):
        listed = ", ".join(quote(n) for n in numbers[start : start + 30])
        for found in qbo.query(f"select * from Invoice where DocNumber in ({listed})"):
            taken[found["DocNumber"].casefold()] = found["Id"]
    return taken


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
