"""A practice's data archive (issue 16): one ZIP holding each table as CSV and as JSON, with a
manifest and a README; only that practice's rows, money as exact decimal strings, never a
token."""

import csv
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billbridge.clients.models import Client
from billbridge.core import testing
from billbridge.core.errors import PermissionRefused
from billbridge.documents.models import InvoiceSend, SendState
from billbridge.invoicing.models import InvoiceLine, TimelineEvent
from billbridge.operations import archive
from billbridge.quickbooks import services as quickbooks
from billbridge.quickbooks.models import ExportCheck, InvoiceExport, QboInvoiceLink
from billbridge.time import rate_card
from billbridge.time import services as time_services
from billbridge.time.models import Entry, EntryChange, WorkCode

ROOT = Path(__file__).resolve().parents[3]
TABLES = [
    "clients",
    "invoices",
    "invoice_lines",
    "invoice_timeline",
    "invoice_emails",
    "quickbooks_exports",
    "quickbooks_checks",
    "quickbooks_invoices",
    "work_codes",
    "time_entries",
    "time_entry_history",
]


class Opened:
    """An archive's files, read back."""

    def __init__(self, data: bytes):
        with zipfile.ZipFile(io.BytesIO(data)) as zipped:
            assert zipped.testzip() is None
            self.texts = {name: zipped.read(name).decode() for name in zipped.namelist()}

    def csv(self, table: str) -> list[dict]:
        return list(csv.DictReader(io.StringIO(self.texts[f"csv/{table}.csv"])))

    def csv_headers(self, table: str) -> list[str]:
        return next(csv.reader(io.StringIO(self.texts[f"csv/{table}.csv"])))

    def json(self, table: str) -> list[dict]:
        return json.loads(self.texts[f"json/{table}.json"])

    @property
    def manifest(self) -> dict:
        return json.loads(self.texts["manifest.json"])


def archived(practice) -> Opened:
    out = io.BytesIO()
    archive.write_archive(practice, out)
    return Opened(out.getvalue())


@pytest.fixture
def books(setup, django_capture_on_commit_callbacks):
    """The exporting practice with two exported invoices (one checked first, one emailed), a
    draft, and time: one entry billed on the draft, one unbilled, one expense."""
    harbor = setup.invoice("Harbor Books")
    pine = setup.invoice("Pine & Sons")
    InvoiceSend.objects.create(
        practice=setup.practice,
        invoice=pine,
        recipients="ap@pine.example",
        subject=f"Invoice {pine.number}",
        body="Attached.",
        state=SendState.SENT,
    )
    with django_capture_on_commit_callbacks(execute=True):
        quickbooks.request_check(setup.member, [harbor.pk])
    setup.export(harbor, pine)
    code = rate_card.save_work_code(setup.member, rate_card.WorkCodeInput("Bookkeeping"))
    day = harbor.issue_date
    for minutes in (90, 45):
        time_services.record(
            setup.member,
            time_services.EntryInput(
                client_id=harbor.client_id, date=day, minutes=minutes, work_code_id=code.pk
            ),
        )
    time_services.record(
        setup.member,
        time_services.EntryInput(
            client_id=harbor.client_id,
            date=day,
            kind="expense",
            amount=Decimal("12.34"),
            description="Filing fee",
        ),
    )
    setup.invoice("Draft Ltd", status="draft")
    return setup


@pytest.fixture
def elsewhere(db):
    """Another practice with rows of its own, whose names must never show in ours."""
    other = testing.make_practice("Elsewhere LLP")
    member = testing.make_admin(other, "mallory")
    client = testing.make_client(other, "Hidden Co")
    testing.assign(member, client)
    testing.make_invoice(member, client, "finalized", number="HIDDEN-1")
    code = rate_card.save_work_code(member, rate_card.WorkCodeInput("Secret work"))
    time_services.record(
        member,
        time_services.EntryInput(
            client_id=client.pk,
            date=client.created_at.date(),
            minutes=30,
            work_code_id=code.pk,
            description="Hidden errand",
        ),
    )
    return other


def test_every_table_is_there_as_csv_and_json_with_the_same_rows_counted_in_the_manifest(
    books, elsewhere
):
    practice = books.practice
    opened = archived(practice)
    expected = [f"{kind}/{table}.{kind}" for table in TABLES for kind in ("csv", "json")]
    assert sorted(opened.texts) == sorted([*expected, "manifest.json", "README.txt"])

    counts = {
        "clients": Client.objects.filter(practice=practice).count(),
        "invoices": 3,
        "invoice_lines": InvoiceLine.objects.filter(invoice__practice=practice).count(),
        "invoice_timeline": TimelineEvent.objects.filter(invoice__practice=practice).count(),
        "invoice_emails": 1,
        "quickbooks_exports": 2,
        "quickbooks_checks": 1,
        "quickbooks_invoices": 2,
        "work_codes": 1,
        "time_entries": 3,
        "time_entry_history": EntryChange.objects.filter(entry__practice=practice).count(),
    }
    assert counts["invoice_lines"] == 6 and counts["invoice_timeline"] >= 2
    assert counts["clients"] == 3 and counts["time_entry_history"] >= 3
    for table, count in counts.items():
        rows = opened.json(table)
        assert len(rows) == count, table
        # The same rows, column for column, in both copies (CSV has no null: an empty cell).
        assert opened.csv(table) == [
            {key: _as_csv(value) for key, value in row.items()} for row in rows
        ], table
    manifest = opened.manifest
    assert manifest["practice"] == {"id": practice.pk, "name": "Export Co"}
    assert manifest["format"] == 1 and manifest["generated_at"].endswith("+00:00")
    assert [(f["name"], f["rows"]) for f in manifest["files"]] == [
        (f"{kind}/{table}.{kind}", counts[table]) for table in TABLES for kind in ("csv", "json")
    ]
    readme = opened.texts["README.txt"]
    assert readme.startswith("Billbridge data archive of Export Co\n")
    assert f"  csv/invoice_lines.csv {' ' * 15}{counts['invoice_lines']:>8} rows" in readme


def _as_csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def test_the_csv_headers_name_each_column(books):
    opened = archived(books.practice)
    assert opened.csv_headers("invoices") == [
        "id",
        "number",
        "kind",
        "status",
        "credited_invoice_id",
        "credit_reason",
        "client_id",
        "client_name",
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
        "created_at",
        "updated_at",
    ]
    assert opened.csv_headers("quickbooks_exports")[:8] == [
        "id",
        "invoice_id",
        "invoice_number",
        "invoice_version",
        "batch_id",
        "quickbooks_company",
        "state",
        "attempts",
    ]
    assert opened.csv_headers("time_entries")[:6] == [
        "id",
        "kind",
        "date",
        "staff",
        "client_id",
        "client_name",
    ]
    for table in TABLES:
        assert opened.csv_headers(table) == list(opened.json(table)[0]), table


def test_money_is_exact_decimal_strings_and_the_export_history_reads_as_in_the_column(books):
    opened = archived(books.practice)
    harbor = next(i for i in opened.json("invoices") if i["client_name"] == "Harbor Books")
    # 450.00 taxable at 8% and 2.5 × 80.00 not: the sample lines.
    assert (harbor["subtotal"], harbor["primary_tax"], harbor["total"]) == (
        "650.00",
        "36.00",
        "686.00",
    )
    assert (harbor["primary_tax_rate"], harbor["status"]) == ("8.000", "finalized")
    harbor_csv = next(i for i in opened.csv("invoices") if i["client_name"] == "Harbor Books")
    assert harbor_csv["total"] == "686.00"
    lines = [line for line in opened.json("invoice_lines") if line["invoice_id"] == harbor["id"]]
    assert [(x["quantity"], x["unit_price"], x["amount"]) for x in lines] == [
        ("1.00", "450.00", "450.00"),
        ("2.50", "80.00", "200.00"),
    ]
    [export] = [e for e in opened.json("quickbooks_exports") if e["invoice_id"] == harbor["id"]]
    row = InvoiceExport.objects.get(invoice_id=harbor["id"])
    assert (export["state"], export["attempts"], export["request_id"]) == (
        "exported",
        row.attempts,
        row.request_id,
    )
    assert json.loads(export["payload"])["DocNumber"] == harbor["number"]
    link = QboInvoiceLink.objects.get(invoice_id=harbor["id"])
    [qbo] = [q for q in opened.json("quickbooks_invoices") if q["invoice_id"] == harbor["id"]]
    assert (qbo["quickbooks_invoice_id"], qbo["quickbooks_total"]) == (
        link.qbo_invoice_id,
        "686.00",
    )
    [check] = opened.json("quickbooks_checks")
    assert check["invoice_number"] == harbor["number"]
    assert check["findings"] == ExportCheck.objects.get().findings
    entries = {e["kind"] + e["minutes"].__str__(): e for e in opened.json("time_entries")}
    assert (entries["expense0"]["value"], entries["expense0"]["rate"]) == ("12.34", None)
    assert (entries["time90"]["hours"], entries["time90"]["state"]) == ("1.50", "unbilled")
    assert entries["time90"]["work_code"] == "Bookkeeping"


def test_only_the_practice_s_own_rows_and_never_a_token(books, elsewhere):
    ours = archived(books.practice)
    theirs = archived(elsewhere)
    everything_ours = "".join(ours.texts.values())
    for secret in ("Elsewhere LLP", "Hidden Co", "HIDDEN-1", "Secret work", "Hidden errand"):
        assert secret not in everything_ours
    assert "Hidden errand" in "".join(theirs.texts.values())
    for table in (
        "invoice_emails",
        "quickbooks_exports",
        "quickbooks_checks",
        "quickbooks_invoices",
    ):
        assert theirs.json(table) == []
    assert [c["name"] for c in theirs.json("clients")] == ["Hidden Co"]
    assert [w["name"] for w in theirs.json("work_codes")] == ["Secret work"]
    assert {e["client_name"] for e in theirs.json("time_entries")} == {"Hidden Co"}

    connection = books.connection
    connection.refresh_from_db()
    for secret in (
        connection.access_token,
        connection.refresh_token,
        connection.access_token_encrypted,
        connection.refresh_token_encrypted,
    ):
        assert secret and secret not in everything_ours


class WriteOnly(io.RawIOBase):
    """A pipe-like file: written to, never sought (a network stream)."""

    def __init__(self):
        self.received = bytearray()

    def writable(self):
        return True

    def write(self, data):
        self.received += data
        return len(data)


def test_the_archive_streams_to_a_file_that_cannot_seek(books):
    out = WriteOnly()
    manifest = archive.write_archive(books.practice, out)
    opened = Opened(bytes(out.received))
    assert opened.manifest == manifest
    assert len(opened.json("invoices")) == 3


def test_downloading_needs_the_manage_settings_permission(books):
    viewer = testing.make_member(books.practice, "vera", can_export=True, can_process_time=True)
    out = io.BytesIO()
    with pytest.raises(PermissionRefused, match="“Manage settings” permission"):
        archive.download(viewer, out)
    assert out.getvalue() == b""
    archive.download(books.member, out)
    assert Opened(out.getvalue()).manifest["practice"]["name"] == "Export Co"


def test_the_command_writes_the_archive_by_id_or_name(books, elsewhere, tmp_path, capsys):
    out = tmp_path / "export-co.zip"
    call_command("export_practice_data", "--practice", "export co", "--out", str(out))
    opened = Opened(out.read_bytes())
    assert opened.manifest["practice"]["id"] == books.practice.pk
    assert capsys.readouterr().out.startswith(f"Wrote {out}: ")
    assert list(tmp_path.iterdir()) == [out]  # no partial file left beside it

    call_command("export_practice_data", "--practice", str(elsewhere.pk), "--out", str(out))
    assert Opened(out.read_bytes()).manifest["practice"]["name"] == "Elsewhere LLP"
    assert WorkCode.objects.count() == 2 and Entry.objects.count() == 4


@pytest.mark.parametrize(
    ("practice", "says"),
    [("999999", "No practice has the id 999999."), ("Nobody", "No practice is named 'Nobody'.")],
)
def test_the_command_names_a_practice_it_cannot_find(books, tmp_path, practice, says):
    out = tmp_path / "none.zip"
    with pytest.raises(CommandError, match=f"^{says}$"):
        call_command("export_practice_data", "--practice", practice, "--out", str(out))
    assert not out.exists()


def test_the_command_s_help_says_no_secret_is_in_the_archive(command_help):
    assert "never a token or password" in command_help("export_practice_data")
