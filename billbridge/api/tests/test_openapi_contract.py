"""The OpenAPI document against the server, by schemathesis: for every operation, requests the
document allows must be accepted, those it forbids refused, and every answer must be one the
document lists, with its schema, never a 500 (all of schemathesis' checks, among them the
token's enforcement: a 2xx is sent again without it and with a wrong one).

Bounded and reproducible: a fixed seed, a few examples per operation, and schemathesis' coverage
cases (boundaries, wrong types, missing fields, methods the path does not offer). Each request
runs in a transaction rolled back after it, so every one meets the same practice.

What JSON Schema cannot say is arranged instead (docs/decisions/0018-api-contract.md): a valid
request names the practice's own objects and keeps to the rules across fields, as a real
caller's would, and strings are ASCII, where the document's patterns are exact."""

import datetime
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from schemathesis.core.parameters import ParameterLocation

from billbridge.api.tokens import issue_token
from billbridge.core import testing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.invoicing.services import MAX_LINE_AMOUNT
from billbridge.time import rate_card
from billbridge.time import services as time_services
from billbridge.time.services import DAYS_AHEAD_ALLOWED
from billbridge.wsgi import application

EXAMPLES_PER_OPERATION = 5
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 2026,
        "suppress-health-check": ["all"],
        "generation": {
            "max-examples": EXAMPLES_PER_OPERATION,
            "deterministic": True,
            "database": "none",
            "codec": "ascii",
        },
    }
)
# Loaded as the module is collected: the document needs no database, and schemathesis' loading
# from a fixture (schemathesis.pytest.from_fixture) fails on pytest 9.2.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)

# The invoice each path acts on, in the state its operation expects.
INVOICE_FOR = {
    "/api/v1/invoices/{invoice_id}/revert-to-draft": InvoiceStatus.FINALIZED,
    "/api/v1/invoices/{invoice_id}/close": InvoiceStatus.FINALIZED,
    "/api/v1/invoices/{invoice_id}/reopen": InvoiceStatus.CLOSED,
    "/api/v1/invoices/{invoice_id}/credit-notes": InvoiceStatus.FINALIZED,
    "/api/v1/invoices/{invoice_id}/corrected-copy": InvoiceStatus.FINALIZED,
}


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """Schemathesis calls the WSGI application itself, whose request signals would close the
    test's database connection (and its transaction) after each request, as Django's own test
    client avoids: on PostgreSQL the next query then finds the connection closed."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def practice_data(admin_member, client_a):
    invoices = {
        status: testing.make_invoice(admin_member, client_a, status) for status in InvoiceStatus
    }
    draft = invoices[InvoiceStatus.DRAFT]
    finalized = invoices[InvoiceStatus.FINALIZED]
    work_code = rate_card.save_work_code(admin_member, rate_card.WorkCodeInput("Bookkeeping"))
    # Someone else's, so that the time the caller records never meets it in a day's 24 hours.
    colleague = testing.make_member(admin_member.practice, "sam")
    entry = time_services.record(
        admin_member,
        time_services.EntryInput(
            client_id=client_a.pk,
            date=timezone.localdate(),
            minutes=60,
            work_code_id=work_code.pk,
            staff_id=colleague.pk,
        ),
    )
    return {
        "token": issue_token(admin_member.user, "contract")[1],
        "client": client_a.pk,
        "staff": admin_member.pk,
        "work_code": work_code.pk,
        "entry": entry.pk,
        "invoices": {status: invoice.pk for status, invoice in invoices.items()},
        "draft_dates": {
            "issue_date": draft.issue_date.isoformat(),
            "due_date": draft.due_date.isoformat(),
        },
        "credited": {
            "lines": list(finalized.lines.values_list("pk", flat=True)),
            "issue_date": finalized.issue_date.isoformat(),
            "total": finalized.total,
        },
    }


def arrange_time_entry(body: dict, data: dict, *, creating: bool) -> None:
    """A member of the practice, its work code, a date not too far ahead, and minutes for
    time or an amount for an expense, never both (the practice's entry is time)."""
    if body.get("staff") is not None:
        body["staff"] = data["staff"]
    if body.get("work_code") is not None:
        body["work_code"] = data["work_code"]
    latest = timezone.localdate() + datetime.timedelta(days=DAYS_AHEAD_ALLOWED)
    if body.get("date", "") > latest.isoformat():  # ISO dates sort as text
        body["date"] = latest.isoformat()
    if body.get("kind") == "expense":
        body.pop("minutes", None)
        body["amount"] = body.get("amount") or "1.00"
        return
    body.pop("amount", None)
    if creating or "minutes" in body:
        body["minutes"] = body.get("minutes") or 60


def arrange_wip_billing(body: dict) -> None:
    """One way to choose the work and one to price it, with a reason for any change; no
    write-up or write-down of a line, whose key the WIP decides."""
    if "entry_ids" in body:
        body.pop("through", None)
    body.pop("line_amounts", None)
    if body.get("fixed_fee") is not None:
        body.pop("total", None)
    if body.get("fixed_fee") is not None or body.get("total") is not None:
        body["reason"] = "Agreed"
    if body.get("due_date") and not body.get("issue_date"):
        body["issue_date"] = body["due_date"]


def arrange_credit(body: dict, credited: dict) -> None:
    """The finalized invoice's own lines or an amount within its total, never both, dated
    from the invoice's day on."""
    if body.get("amount") is not None or body.get("write_off"):
        body.pop("line_ids", None)
        if body.get("amount") is not None and Decimal(str(body["amount"])) > credited["total"]:
            body["amount"] = "1.00"
    elif body.get("line_ids"):
        body["line_ids"] = credited["lines"][:1]
    if body.get("issue_date") and body["issue_date"] < credited["issue_date"]:
        body["issue_date"] = credited["issue_date"]


def arrange(case, data) -> None:
    """Fit what JSON Schema cannot say: the ids of the practice's own objects in the path, and,
    in a valid body, its client, a due date not before the issue date, lines within the
    largest amount."""
    if not case.meta.is_negative_at(ParameterLocation.PATH):
        if "client_id" in case.path_parameters:
            case.path_parameters["client_id"] = data["client"]
        if "invoice_id" in case.path_parameters:
            status = INVOICE_FOR.get(case.operation.path, InvoiceStatus.DRAFT)
            case.path_parameters["invoice_id"] = data["invoices"][status]
        if "entry_id" in case.path_parameters:
            case.path_parameters["entry_id"] = data["entry"]
    body = case.body
    if case.meta.is_negative_at(ParameterLocation.BODY) or not isinstance(body, dict):
        return
    if "client" in body:
        body["client"] = data["client"]
    if case.operation.path.startswith("/api/v1/time-entries"):
        arrange_time_entry(body, data, creating=case.method == "POST")
    if "invoices-from-wip" in case.operation.path:
        arrange_wip_billing(body)
    if case.operation.path.endswith("/credit-notes"):
        arrange_credit(body, data["credited"])
    # A PATCH leaves the dates it does not send as the draft has them.
    stored = data["draft_dates"] if case.method == "PATCH" else {}
    issue, due = (body.get(k, stored.get(k)) for k in ("issue_date", "due_date"))
    if issue and due and due < issue:  # ISO dates sort as text
        body["due_date"] = issue
    for line in body.get("lines") or []:
        if Decimal(str(line["quantity"])) * Decimal(str(line["unit_price"])) > MAX_LINE_AMOUNT:
            line["quantity"] = line["unit_price"] = "1"


@schema.parametrize()
def test_every_operation_keeps_to_the_document(case, practice_data):
    arrange(case, practice_data)
    with transaction.atomic():
        case.call_and_validate(headers={"Authorization": f"Bearer {practice_data['token']}"})
        transaction.set_rollback(True)
