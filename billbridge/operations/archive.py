"""A practice's own data as one ZIP: each table as a CSV file and as JSON, with a manifest.

What a practice takes with it when it leaves, or keeps for its records: clients, invoices and
their lines and timelines, the QuickBooks export history, work codes and time entries. Only the
practice's own rows, and never a token, password or key. The archive is streamed: rows are read
with .iterator() and written as they come, so memory stays bounded whatever the practice's size.
"""

import csv
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO

from django.utils import timezone
from django.utils.text import slugify

from billbridge.clients.models import Client
from billbridge.clients.services import EDITABLE_FIELDS
from billbridge.documents.models import InvoiceSend
from billbridge.invoicing.models import Invoice, InvoiceLine, TimelineEvent
from billbridge.practice.models import Membership, Permission, Practice
from billbridge.practice.permissions import require
from billbridge.quickbooks.models import ExportCheck, InvoiceExport, QboInvoiceLink
from billbridge.time.models import Entry, EntryChange, WorkCode

FORMAT_VERSION = 1
_CHUNK = 2000  # rows fetched at a time


def _path(dotted: str) -> Callable[[Any], Any]:
    """A getter for "invoice.client.name" that gives None where a link on the way is empty."""

    def get(row):
        for name in dotted.split("."):
            if row is None:
                return None
            row = getattr(row, name)
        return row

    return get


@dataclass(frozen=True)
class Column:
    header: str
    get: Callable[[Any], Any]


def _columns(*specs: str | tuple[str, str | Callable]) -> tuple[Column, ...]:
    """Columns from field names ("number"), or (header, dotted path or function) pairs."""
    made = []
    for spec in specs:
        header, source = (spec, spec) if isinstance(spec, str) else spec
        made.append(Column(header, _path(source) if isinstance(source, str) else source))
    return tuple(made)


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    rows: Callable[[Practice], Iterable]  # the practice's rows, in a stable order
    columns: tuple[Column, ...]


STAMPS = ("created_at", "updated_at")

TABLES = (
    Table(
        "clients",
        "The businesses the practice bills, with their contact details.",
        lambda practice: Client.objects.filter(practice=practice).order_by("pk"),
        _columns("id", *EDITABLE_FIELDS, *STAMPS),
    ),
    Table(
        "invoices",
        "Every invoice and credit note, in any status, with its totals and the tax rates it "
        "was billed at; a credit note names the invoice it credits.",
        lambda practice: (
            Invoice.objects.filter(practice=practice).select_related("client").order_by("pk")
        ),
        _columns(
            "id",
            "number",
            "kind",
            "status",
            ("credited_invoice_id", "credited_invoice_id"),
            "credit_reason",
            ("client_id", "client_id"),
            ("client_name", "client.name"),
            "issue_date",
            "due_date",
            "memo",
            "primary_tax_name",
            "primary_tax_rate",
            "secondary_tax_name",
            "secondary_tax_rate",
            "subtotal",
            "primary_tax",
            "secondary_tax",
            "total",
            "version",
            *STAMPS,
        ),
    ),
    Table(
        "invoice_lines",
        "The lines of every invoice, in their order.",
        lambda practice: (
            InvoiceLine.objects.filter(invoice__practice=practice)
            .select_related("invoice")
            .order_by("invoice_id", "position", "pk")
        ),
        _columns(
            "id",
            ("invoice_id", "invoice_id"),
            ("invoice_number", "invoice.number"),
            "position",
            "description",
            "service_name",
            "quantity",
            "unit_price",
            "amount",
            "primary_taxable",
            "secondary_taxable",
        ),
    ),
    Table(
        "invoice_timeline",
        "Each invoice's history: who finalized, closed, reverted or exported it, when and why.",
        lambda practice: (
            TimelineEvent.objects.filter(invoice__practice=practice)
            .select_related("invoice", "actor")
            .order_by("invoice_id", "at", "pk")
        ),
        _columns(
            "id",
            ("invoice_id", "invoice_id"),
            ("invoice_number", "invoice.number"),
            "at",
            ("who", "who"),
            "action",
            "from_status",
            "to_status",
            "reason",
        ),
    ),
    Table(
        "invoice_emails",
        "Each sending of an invoice to its client: by our mail or by QuickBooks, to whom, and "
        "what the mail server (or QuickBooks) answered.",
        lambda practice: (
            InvoiceSend.objects.filter(practice=practice).select_related("invoice").order_by("pk")
        ),
        _columns(
            "id",
            ("invoice_id", "invoice_id"),
            ("invoice_number", "invoice.number"),
            "channel",
            "recipients",
            "subject",
            "state",
            "error",
            "message_id",
            "created_at",
            "sent_at",
        ),
    ),
    Table(
        "quickbooks_exports",
        "Every export of an invoice version to QuickBooks Online: its state, attempts, "
        "QuickBooks' answer and the exact invoice body sent.",
        lambda practice: (
            InvoiceExport.objects.filter(practice=practice).select_related("invoice").order_by("pk")
        ),
        _columns(
            "id",
            ("invoice_id", "invoice_id"),
            ("invoice_number", "invoice.number"),
            "invoice_version",
            ("batch_id", "batch_id"),
            ("quickbooks_company", "realm_id"),
            "state",
            "attempts",
            "error_code",
            "message",
            "advice",
            "warning",
            "intuit_tid",
            "request_id",
            "created_at",
            "finished_at",
            "payload",
        ),
    ),
    Table(
        "quickbooks_checks",
        "Each 'Check selected invoices' outcome: what was found, nothing written to QuickBooks.",
        lambda practice: (
            ExportCheck.objects.filter(batch__practice=practice)
            .select_related("invoice")
            .order_by("pk")
        ),
        _columns(
            "id",
            ("invoice_id", "invoice_id"),
            ("invoice_number", "invoice.number"),
            "invoice_version",
            "at",
            "ok",
            "findings",
        ),
    ),
    Table(
        "quickbooks_invoices",
        "The QuickBooks invoice each exported invoice is linked to, as last read from QuickBooks.",
        lambda practice: (
            QboInvoiceLink.objects.filter(invoice__practice=practice)
            .select_related("invoice")
            .order_by("pk")
        ),
        _columns(
            ("invoice_id", "invoice_id"),
            ("invoice_number", "invoice.number"),
            ("quickbooks_company", "realm_id"),
            ("quickbooks_invoice_id", "qbo_invoice_id"),
            "doc_number",
            "state",
            "exported_version",
            "exported_total",
            ("quickbooks_total", "qbo_total"),
            ("quickbooks_tax", "qbo_tax"),
            ("quickbooks_balance", "qbo_balance"),
            "read_at",
            "closed_by_sync",
        ),
    ),
    Table(
        "work_codes",
        "The services the practice sells, that time is recorded against.",
        lambda practice: WorkCode.objects.filter(practice=practice).order_by("pk"),
        _columns(
            "id",
            "name",
            "description",
            "billable",
            "primary_taxable",
            "secondary_taxable",
            "active",
            *STAMPS,
        ),
    ),
    Table(
        "time_entries",
        "Time and expenses recorded against clients, with their value and where they are billed.",
        lambda practice: (
            Entry.objects.filter(practice=practice)
            .select_related("staff__user", "client", "work_code", "invoice_line__invoice")
            .order_by("pk")
        ),
        _columns(
            "id",
            "kind",
            "date",
            ("staff", "staff.user.username"),
            ("client_id", "client_id"),
            ("client_name", "client.name"),
            ("work_code", "work_code.name"),
            "description",
            "minutes",
            "hours",
            "billable",
            "rate",
            "value",
            "state",
            ("invoice_number", "invoice_line.invoice.number"),
            ("invoice_line_id", "invoice_line_id"),
            "source",
            "source_id",
            *STAMPS,
        ),
    ),
    Table(
        "time_entry_history",
        "Who recorded or changed each time entry, when, and what changed.",
        lambda practice: (
            EntryChange.objects.filter(entry__practice=practice)
            .select_related("actor")
            .order_by("entry_id", "at", "pk")
        ),
        _columns(
            "id",
            ("entry_id", "entry_id"),
            "at",
            ("who", "actor.username"),
            "action",
            "changes",
            "note",
        ),
    ),
)


def require_may_download(membership: Membership) -> None:
    """All of a practice's data is for those who manage its settings."""
    require(membership, Permission.MANAGE_SETTINGS)


def download(membership: Membership, out: BinaryIO) -> dict:
    """The member's practice's archive, written to `out`; refused without the permission."""
    require_may_download(membership)
    return write_archive(membership.practice, out)


def file_name(practice: Practice) -> str:
    return f"billbridge-{slugify(practice.name) or practice.pk}-{timezone.now():%Y%m%d}.zip"


def write_archive(practice: Practice, out: BinaryIO) -> dict:
    """Write the practice's archive to `out` (any writable binary file, seekable or not);
    returns its manifest."""
    files = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in TABLES:
            rows = _write_table(archive, table, practice)
            files.append(_listed(f"csv/{table.name}.csv", table, rows))
            files.append(_listed(f"json/{table.name}.json", table, rows))
        manifest = {
            "format": FORMAT_VERSION,
            "practice": {"id": practice.pk, "name": practice.name},
            "generated_at": timezone.now().isoformat(),
            "files": files,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        archive.writestr("README.txt", _readme(manifest))
    return manifest


def _listed(name: str, table: Table, rows: int) -> dict:
    return {"name": name, "rows": rows, "description": table.description}


def _write_table(archive: zipfile.ZipFile, table: Table, practice: Practice) -> int:
    """One pass over the rows: the CSV goes straight into the archive, the JSON to a spooled
    file (on disk past a megabyte) copied in after it, for a ZIP is written one entry at a time.
    One query, so the CSV and the JSON hold the same rows."""
    headers = [column.header for column in table.columns]
    count = 0
    with tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+b") as spooled:
        as_json = io.TextIOWrapper(spooled, encoding="utf-8")
        as_json.write("[")
        # force_zip64: an entry's size is unknown until it is written, and may pass 2 GiB.
        with archive.open(f"csv/{table.name}.csv", "w", force_zip64=True) as raw_csv:
            as_csv = io.TextIOWrapper(raw_csv, encoding="utf-8", newline="")
            writer = csv.writer(as_csv)
            writer.writerow(headers)
            for row in table.rows(practice).iterator(chunk_size=_CHUNK):
                values = [column.get(row) for column in table.columns]
                writer.writerow([_csv_value(value) for value in values])
                record = dict(zip(headers, values, strict=True))
                as_json.write(",\n" if count else "\n")
                as_json.write(json.dumps(record, default=_json_value, ensure_ascii=False))
                count += 1
            as_csv.flush()
            as_csv.detach()
        as_json.write("\n]\n")
        as_json.flush()
        spooled.seek(0)
        with archive.open(f"json/{table.name}.json", "w", force_zip64=True) as raw_json:
            shutil.copyfileobj(spooled, raw_json)
        as_json.detach()
    return count


def _json_value(value):
    """Money and rates as exact decimal strings ("450.00"), dates in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not archived")


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, default=_json_value, ensure_ascii=False)
    if isinstance(value, Decimal | date | datetime):
        return _json_value(value)
    return str(value)


def _readme(manifest: dict) -> str:
    listing = "\n".join(
        f"  {file['name']:<36} {file['rows']:>8} rows  {file['description']}"
        for file in manifest["files"]
        if file["name"].startswith("csv/")
    )
    return f"""Billbridge data archive of {manifest["practice"]["name"]}
Generated {manifest["generated_at"]} (UTC).

Each table is here twice: csv/<table>.csv (UTF-8, a header row, comma-separated) and
json/<table>.json (an array of objects with the same names as the CSV's headers). The JSON files
hold the same rows as the CSV files of the same name.

{listing}

Money, quantities and tax rates are exact decimal strings such as "450.00": never rounded by a
spreadsheet's floating point. Dates are YYYY-MM-DD; times are ISO 8601 with their UTC offset.
In CSV an empty cell is an empty value, and true/false are written as true and false.
Rows refer to each other by id: invoice_lines.invoice_id is invoices.id, and so on.

manifest.json lists the same files and counts for programs. Passwords, API tokens and the
QuickBooks connection's tokens are never in this archive.
"""
