"""Contract: node-quickbooks (npm, pinned in tests/contract/node/package.json), unchanged, as a
second client written by others, against the emulator over HTTP.

tests/contract/node/drive.js points the library at the emulator through its own settings and runs
one scenario — the CRUD, query, batch, CDC and fault calls an integration makes, then one step for
each entity of issue 13 the library has calls for — printing one JSON line per step. The tokens
come from intuit-oauth's real authorization flow, as for python-quickbooks. `make test` installs
the library (npm ci, from the committed package-lock.json); it is the only suite that needs Node.
"""

import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from qbo_emulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.contract.builders import amount
from tests.contract.conftest import authorize

NODE_DIR = Path(__file__).parent / "node"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not on PATH (Node 20 runs drive.js)")


@pytest.fixture(scope="module")
def steps(qbo) -> dict[str, dict]:
    """The scenario's lines by step name, run once for the module against a fresh company."""
    company = qbo.emulator.create_company(name="Contract Node Co", seed="empty")
    # node-quickbooks has no call that makes a company currency; the company gets one here.
    company.set_preferences(multicurrency=True)
    company.create("CompanyCurrency", {"Code": "EUR"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
        auth = authorize(qbo, company.realm_id)
    run = subprocess.run(
        [NODE, "drive.js", "--base-url", qbo.base_url, "--realm", company.realm_id,
         "--token", auth.access_token, "--refresh-token", auth.refresh_token,
         "--client-id", DEMO_CLIENT_ID, "--client-secret", DEMO_CLIENT_SECRET],
        cwd=NODE_DIR, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, f"{run.stderr}\n(make test installs node-quickbooks: npm ci)"
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    return {line.pop("step"): line for line in lines}


def test_the_library_refreshes_its_token_at_the_emulator(steps):
    assert steps["refresh"] == {"changed": True, "token_type": "bearer"}


def test_a_customer_is_created_read_updated_sparsely_and_queried(steps):
    created = steps["customer.create"]
    assert created["sync_token"] == "0"
    assert steps["customer.read"] == {"id": created["id"], "display_name": "Node Client"}
    assert steps["customer.update"] == {
        "sync_token": "1",
        "display_name": "Node Client",  # kept: the library's updates are sparse
        "company_name": "Node Client Ltd",
    }
    assert steps["customer.query"] == {"ids": [created["id"]]}
    assert steps["customer.count"] == {"total": 1}


def test_a_stale_sync_token_is_the_fault_the_library_reports(steps):
    assert steps["customer.stale"]["fault"] == {
        "status": 400,
        "type": "ValidationFault",
        "code": "5010",
        "element": "",
        "message": "Stale Object Error",
    }


def test_an_invoice_is_created_read_updated_queried_and_paid(steps):
    invoice = steps["invoice.create"]
    assert amount(invoice["total"]) == amount(invoice["balance"]) == 150
    read = steps["invoice.read"]
    assert (read["id"], read["customer"]) == (invoice["id"], steps["customer.create"]["id"])
    updated = steps["invoice.update"]
    assert (updated["sync_token"], updated["note"], updated["lines"]) == ("1", "from node", 2)
    assert amount(updated["total"]) == 150  # the sparse update left the line alone
    assert steps["invoice.query"] == {"ids": [invoice["id"]]}
    payment = steps["payment.create"]
    assert amount(payment["total"]) == 150 and amount(payment["invoice_balance"]) == 0


def test_an_invoice_voided_the_way_the_library_voids(steps):
    voided = steps["invoice.void"]
    assert amount(voided["total"]) == amount(voided["balance"]) == 0
    assert voided["note"] == "Voided"


def test_a_batch_answers_each_item_by_its_bid(steps):
    assert steps["batch"]["items"] == [
        {"bId": "new", "customer": "Node Batch Client"},
        {"bId": "list", "queried": 1},
        {"bId": "stale", "fault": "5010"},
    ]


def test_change_data_capture_lists_what_changed(steps):
    assert steps["cdc"]["counts"] == {"Customer": 2, "Invoice": 2, "Payment": 1}


def test_classes_and_departments(steps):
    klass = steps["class"]
    assert klass["found"] == [klass["id"]]
    assert steps["department"]["sync_token"] == "1"
    assert steps["department"]["name"] == "Node Head Office"


def test_sales_forms_estimate_sales_receipt_refund_receipt(steps):
    estimate = steps["estimate"]
    assert amount(estimate["total"]) == 300 and estimate["status"] == "Pending"
    assert estimate["found"] == [estimate["id"]]
    receipt = steps["sales_receipt"]
    assert amount(receipt["total"]) == 45 and amount(receipt["balance"]) == 0
    refund = steps["refund_receipt"]
    assert amount(refund["total"]) == 20 and amount(refund["balance"]) == 0
    assert refund["account"] is True and refund["left"] == 0


def test_a_time_activity(steps):
    activity = steps["time_activity"]
    assert (activity["hours"], activity["minutes"]) == (2, 15)
    assert activity["employee"] == "Emily Platt"


def test_a_bill_paid_by_a_bill_payment_a_purchase_and_a_purchase_order(steps):
    bill = steps["bill"]
    assert amount(bill["total"]) == amount(bill["balance"]) == 120
    payment = steps["bill_payment"]
    assert amount(payment["total"]) == 120 and amount(payment["bill_balance"]) == 0
    purchase = steps["purchase"]
    assert amount(purchase["total"]) == Decimal("35.5") and purchase["found"] == [purchase["id"]]
    order = steps["purchase_order"]
    assert amount(order["total"]) == 25 and order["status"] == "Open"


def test_a_deposit_a_transfer_and_journal_entries(steps):
    assert amount(steps["deposit"]["total"]) == 20
    transfer = steps["transfer"]
    assert amount(transfer["amount"]) == 101
    assert amount(transfer["savings_balance"]) == 101 - 20  # the deposit came out of savings
    entry = steps["journal_entry"]
    assert amount(entry["total"]) == 250 and entry["doc_number"] == "JE-NODE"
    unbalanced = steps["journal_entry.unbalanced"]["fault"]
    assert (unbalanced["status"], unbalanced["code"]) == (400, "6000")


def test_a_company_currency_and_its_exchange_rate(steps):
    assert steps["company_currency"] == {"codes": ["EUR"], "name": "Euro"}
    rate = steps["exchange_rate"]
    assert amount(rate["set"]) == amount(rate["rate"]) == Decimal("1.25")
    assert rate["target"] == "USD"


def test_a_file_uploaded_and_linked_to_the_invoice(steps):
    upload = steps["attachable.upload"]
    assert upload["file_name"] == "hours.txt"
    assert upload["linked"] == ["Invoice", steps["invoice.create"]["id"]]
    assert upload["size"] == len("2.25 hours of bookkeeping\n")
    assert upload["found"] == [upload["id"]]
