"""Fault tests (issue: "each ending with no duplicate and no lost export — count them in the
emulator"): every invoice is in QBO exactly once when the dust settles, whatever went wrong."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import export, services, sweeping
from billbridge.quickbooks.export.outcomes import Outcomes
from billbridge.quickbooks.models import ExportState, InvoiceExport, QboConnection
from billbridge.quickbooks.testing import connect_practice


@pytest.fixture
def world(db, qbo_settings, emulator, qbo_company, settings):
    settings.QBO_LOOKUP_DELAY_SECONDS = 0
    company = emulator.emulator.company(qbo_company)
    company.set_preferences(custom_txn_numbers=True)
    practice = testing.make_practice("Faulty Co")
    member = testing.make_admin(practice)
    invoicing.update_tax_settings(
        member, primary_name="Sales tax", primary_rate=Decimal("8"), primary_enabled=True
    )
    connect_practice(practice, emulator, qbo_company)
    return World(practice, member, emulator, company, qbo_company)


class World:
    def __init__(self, practice, member, qbo, company, realm):
        self.practice, self.member, self.qbo, self.company, self.realm = (
            practice,
            member,
            qbo,
            company,
            realm,
        )

    def invoices(self, count: int, numbering: str = "n") -> list:
        made = []
        for n in range(count):
            client = testing.make_client(self.practice, f"Client {numbering}{n}")
            testing.assign(self.member, client)
            made.append(testing.make_invoice(self.member, client, InvoiceStatus.FINALIZED))
        return made

    def fault(self, **fault):
        httpx.post(f"{self.qbo.control_url}/faults", json=fault).raise_for_status()

    def control(self, verb: str, where: str, **body):
        response = httpx.request(verb, f"{self.qbo.control_url}{where}", json=body or None)
        response.raise_for_status()
        return response

    def export(self, invoices):
        services.request_export(self.member, [i.pk for i in invoices])
        export.drain(self.realm)

    def settle(self, rounds: int = 12):
        """Drain until nothing is left to do, as the worker and the sweep would."""
        for _ in range(rounds):
            if not InvoiceExport.objects.exclude(
                state__in=[ExportState.EXPORTED, ExportState.FAILED, ExportState.NEEDS_REVIEW]
            ).exists():
                return
            InvoiceExport.objects.update(
                next_attempt_at=timezone.now() - timedelta(seconds=1), lease_until=None
            )
            QboConnection.objects.update(paused_until=None)
            export.drain(self.realm)

    def assert_each_once(self, invoices):
        notes = [i.get("PrivateNote", "") for i in self.company.list("Invoice")]
        for invoice in invoices:
            mark = f"[bb:{invoice.practice_id}:{invoice.pk}]"
            assert sum(mark in note for note in notes) == 1, invoice.number
            row = InvoiceExport.objects.filter(invoice=invoice).latest("id")
            assert row.state == ExportState.EXPORTED, (row.state, row.message)


def test_commit_then_drop_on_every_kind_of_write(world):
    invoices = world.invoices(6)
    world.fault(kind="drop", path="/v3/company/*/batch", count=2)
    world.export(invoices)
    world.settle()
    world.assert_each_once(invoices)


def test_commit_then_drop_with_request_id_ignored(world):
    world.control("PATCH", "/options", honour_request_id=False)
    invoices = world.invoices(4)
    world.fault(kind="drop", path="/v3/company/*/batch", count=2)
    world.export(invoices)
    world.settle()
    world.assert_each_once(invoices)


def test_a_429_storm(world):
    invoices = world.invoices(5)
    world.fault(path="/v3/company/*/*", status=429, count=6)
    world.export(invoices)
    world.settle()
    world.assert_each_once(invoices)


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_answered_to_writes(world, status):
    invoices = world.invoices(4)
    world.fault(method="POST", path="/v3/company/*/batch", status=status)
    world.export(invoices)
    world.settle()
    world.assert_each_once(invoices)


def test_a_send_that_times_out_after_qbo_committed(world, settings):
    settings.QBO_TIMEOUT_SECONDS = 1
    [customer] = [c for c in world.company.list("Customer") if c["DisplayName"] == "Cool Cars"]
    client = testing.make_client(world.practice, customer["DisplayName"])
    testing.assign(world.member, client)
    invoice = testing.make_invoice(world.member, client, InvoiceStatus.FINALIZED)
    world.fault(kind="hang", path="/v3/company/*/batch", seconds=3, after_commit=True)
    world.export([invoice])
    assert InvoiceExport.objects.get(invoice=invoice).state == ExportState.UNKNOWN
    world.settle()
    world.assert_each_once([invoice])


def test_an_expired_access_token_is_refreshed_and_the_export_goes(world):
    invoices = world.invoices(2)
    world.control("POST", "/tokens/expire", realm_id=world.realm)
    world.export(invoices)
    world.assert_each_once(invoices)


def test_a_worker_killed_after_qbo_answered_but_before_recording(world, monkeypatch):
    invoices = world.invoices(3)

    def killed(self):
        raise SystemExit("worker killed")

    monkeypatch.setattr(Outcomes, "save_exported", killed)
    with pytest.raises(SystemExit):
        world.export(invoices)
    monkeypatch.undo()
    # The dead worker's rows are left SENDING under its lease; the sweep finds them once the
    # lease has run out, and the next drain looks them up before sending anything.
    assert set(InvoiceExport.objects.values_list("state", flat=True)) == {ExportState.SENDING}
    InvoiceExport.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert sweeping.sweep()["realms_due"] == [world.realm]
    world.settle()
    world.assert_each_once(invoices)


def test_the_sweep_reports_a_twin_made_outside_billbridge(world):
    [invoice] = world.invoices(1)
    world.fault(kind="drop", path="/v3/company/*/batch", count=1)
    world.export([invoice])  # customers created, answer lost
    world.settle()
    row = InvoiceExport.objects.get(invoice=invoice)
    assert row.attempts > 1 or row.state == ExportState.EXPORTED
    # A second QBO invoice carrying our marker (as a resend with requestid ignored would make).
    twin = dict(world.company.list("Invoice")[-1])
    world.company.create(
        "Invoice",
        {
            "CustomerRef": twin["CustomerRef"],
            "TxnDate": twin["TxnDate"],
            "PrivateNote": twin["PrivateNote"],
            "Line": [
                line for line in twin["Line"] if line.get("DetailType") != "SubTotalLineDetail"
            ],
        },
    )
    InvoiceExport.objects.update(attempts=2, duplicates_checked=False)
    report = sweeping.sweep()
    assert report["duplicates"] == 1
    row.refresh_from_db()
    assert row.state == ExportState.NEEDS_REVIEW
    assert "2 invoices made from this one" in row.message


def test_commit_then_drop_without_our_numbers_and_request_id_ignored(world):
    # The hardest case: no DocNumber to look up or to make QBO refuse a twin, and QBO would
    # create a second invoice for the same requestid. Only the marker look-up stands between.
    world.company.set_preferences(custom_txn_numbers=False)
    QboConnection.objects.update(company_read_at=None)
    world.control("PATCH", "/options", honour_request_id=False)
    invoices = world.invoices(4)
    world.fault(kind="drop", path="/v3/company/*/batch", count=2)
    world.export(invoices)
    world.settle()
    world.assert_each_once(invoices)
    qbo_numbers = {
        i["DocNumber"] for i in world.company.list("Invoice") if "bb:" in i.get("PrivateNote", "")
    }
    assert not {invoice.number for invoice in invoices} & qbo_numbers  # QBO numbered them
