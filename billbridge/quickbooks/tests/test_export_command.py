"""`manage.py export_invoices` against the running emulator: it queues through the service, works
the queue itself until the batch is finished, and sums up what did not go."""

from io import StringIO

import httpx
import pytest
from django.core.management import CommandError, call_command

from billbridge.core import testing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks.management.commands import export_invoices
from billbridge.quickbooks.models import ExportBatch, ExportState, InvoiceExport
from billbridge.quickbooks.tests.test_export import row_of


@pytest.fixture
def qbo(setup):  # noqa: F811  (test_export's practice connected to an emulator company)
    return setup


def run(*args, user="exporter"):
    out, err = StringIO(), StringIO()
    call_command("export_invoices", *args, f"--user={user}", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args, user="exporter") -> tuple[CommandError, str]:
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("export_invoices", *args, f"--user={user}", stdout=out, stderr=StringIO())
    return failed.value, out.getvalue()


def test_exports_the_named_invoices_and_lists_the_refused_draft(qbo):
    first = qbo.invoice("Harbor Books")
    second = qbo.invoice("Pine & Sons")
    draft = qbo.invoice("Draft Ltd", status=InvoiceStatus.DRAFT)
    out, err = run(first.number, second.number, draft.number)

    assert out.splitlines() == [
        "2 of 2 exported; 1 refused.",
        f"{draft.number}  Refused  Invoice {draft.number} is Draft; only finalized invoices go "
        "to QuickBooks.",
    ]
    for invoice in (first, second):
        assert row_of(invoice).state == ExportState.EXPORTED
        assert len(qbo.ours_in_qbo(invoice)) == 1
    assert "2/2" in err  # the progress bar's last redraw


def test_when_every_invoice_is_refused_there_is_nothing_to_wait_for(qbo):
    invoice = qbo.invoice()
    qbo.export(invoice)
    out, err = run(invoice.number)
    assert out.splitlines() == [
        "0 of 0 exported; 1 refused.",
        f"{invoice.number}  Refused  Invoice {invoice.number} is already in QuickBooks as "
        f"{invoice.number}; nothing changed since.",
    ]
    assert err == ""  # no progress bar


def test_all_finalized_takes_each_one_not_yet_in_qbo_once(qbo):
    exported = qbo.invoice("Harbor Books")
    qbo.export(exported)
    waiting = [qbo.invoice("Pine & Sons"), qbo.invoice("Cool Cars")]
    qbo.invoice("Draft Ltd", status=InvoiceStatus.DRAFT)
    closed = qbo.invoice("Closed Co", status=InvoiceStatus.CLOSED)

    out, _ = run("--all-finalized")
    assert out.splitlines() == ["2 of 2 exported."]
    batch = ExportBatch.objects.latest("id")
    assert sorted(batch.exports.values_list("invoice_id", flat=True)) == sorted(
        i.pk for i in waiting
    )
    assert not InvoiceExport.objects.filter(invoice=closed).exists()
    assert len(qbo.ours_in_qbo(exported)) == 1

    out, _ = run("--all-finalized")
    assert out.splitlines() == ["No finalized invoice waits to be exported."]
    assert ExportBatch.objects.latest("id") == batch


def test_an_invoice_in_error_is_listed_with_its_reason_and_exits_1(qbo):
    qbo.company.create("Vendor", {"DisplayName": "Clash Supplies"})
    clash = qbo.invoice("Clash Supplies")
    fine = qbo.invoice("Harbor Books")
    error, out = run_failing(clash.number, fine.number)

    assert row_of(clash).state == ExportState.FAILED
    assert (error.returncode, str(error)) == (1, "1 invoice(s) were not exported.")
    assert out.splitlines() == [
        "1 of 2 exported, 1 with errors.",
        f"{clash.number}  Error  code 6240  QuickBooks already uses the name 'Clash Supplies' "
        "for a vendor or an employee (code 6240), and a customer cannot share it.  Link this "
        "client to an existing QBO customer on the client's page, or rename the client.",
    ]
    assert row_of(fine).state == ExportState.EXPORTED


def test_rows_waiting_after_a_dropped_answer_are_drained_again_until_done(qbo, monkeypatch):
    monkeypatch.setattr(export_invoices, "WAIT_SECONDS", 0)
    drains = []
    drain = export_invoices.export.drain
    monkeypatch.setattr(
        export_invoices.export, "drain", lambda realm: drains.append(drain(realm)) or drains[-1]
    )
    invoice = qbo.invoice("Amy's Bird Sanctuary")  # QBO knows the customer: one batch only
    qbo.fault(kind="drop", method="POST", path="/v3/company/*/batch", count=1)
    out, _ = run(invoice.number)
    assert out.splitlines() == ["1 of 1 exported."]
    # Sent and lost, then found by the look-up after the wait: two workings of the one row.
    assert (drains[0], drains[-1], sum(drains)) == (1, 1, 2)
    assert row_of(invoice).state == ExportState.EXPORTED
    assert len(qbo.ours_in_qbo(invoice)) == 1


def test_a_revoked_connection_stops_the_wait_and_keeps_the_invoices_queued(qbo):
    invoice = qbo.invoice()
    httpx.post(f"{qbo.qbo.control_url}/tokens/revoke", json={"realm_id": qbo.realm})
    error, out = run_failing(invoice.number)
    assert str(error).startswith("QuickBooks Online needs reconnecting")
    assert out.splitlines() == [
        "0 of 1 exported, 1 queued.",
        f"{invoice.number}  Queued",
    ]
    assert row_of(invoice).state == ExportState.QUEUED
    assert qbo.ours_in_qbo(invoice) == []


def test_no_wait_only_queues_and_prints_the_batch_id(qbo):
    invoice = qbo.invoice()
    out, _ = run("--no-wait", invoice.number)
    batch = ExportBatch.objects.get()
    assert out == f"{batch.pk}\n"
    assert row_of(invoice).state == ExportState.QUEUED
    assert qbo.ours_in_qbo(invoice) == []


@pytest.mark.parametrize(
    ("args", "user", "message"),
    [
        (["INV-404"], "exporter", "No invoice numbered INV-404 in Export Co; nothing was queued."),
        ([], "exporter", "Give invoice numbers or --all-finalized (one of the two)."),
        (
            ["--all-finalized", "INV-1"],
            "exporter",
            "Give invoice numbers or --all-finalized (one of the two).",
        ),
        (["--all-finalized"], "nobody", "No active member named 'nobody'."),
        (
            ["--all-finalized"],
            "clerk",
            "You need the “Export to accounting software” permission to do this.",
        ),
    ],
)
def test_refusals_queue_nothing(qbo, args, user, message):
    testing.make_member(qbo.practice, "clerk", can_process_time=True)
    qbo.invoice()
    error, _ = run_failing(*args, user=user)
    assert str(error) == message
    assert not ExportBatch.objects.exists()
