"""Exports and checks through the API, against the running QBO emulator: the batch answered at
once, its progress and each invoice's outcome polled until finished, and the refusals."""

import pytest
from django.conf import settings

from billbridge.api.tests.conftest import ApiCaller, caller_for
from billbridge.core import testing
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks.connection import NOT_CONNECTED
from billbridge.quickbooks.models import ExportBatch, QboInvoiceLink

EXPORT = "/api/v1/invoices/export"
CHECK = "/api/v1/invoices/check"


@pytest.fixture
def qbo(setup):
    """The root conftest's practice connected to an emulator company, spoken to by the API."""
    return Qbo(setup.member, setup.company, setup.realm)


class Qbo:
    def __init__(self, member, company, realm):
        self.member, self.company, self.realm = member, company, realm
        self.api = caller_for(member)

    def invoice(self, client_name, status=InvoiceStatus.FINALIZED):
        client = testing.make_client(self.member.practice, client_name)
        testing.assign(self.member, client)
        return testing.make_invoice(self.member, client, status)

    def start(self, url, invoices, capture):
        """Ask, then let the commit wake the worker (the immediate backend runs it at once)."""
        with capture(execute=True):
            response = self.api.post(url, {"invoices": [i.pk for i in invoices]})
        assert response.status_code == 202, response.json()
        return response.json()

    def poll(self, batch_id) -> dict:
        response = self.api.get(f"/api/v1/exports/{batch_id}")
        assert response.status_code == 200, response.json()
        return response.json()


def queued(invoice) -> dict:
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "state": "queued",
        "label": "Queued",
        "code": "",
        "message": "",
        "advice": "",
        "warning": "",
        "qbo_invoice_id": "",
        "qbo_number": "",
        "qbo_url": "",
        "findings": [],
    }


def test_export_answers_a_batch_at_once_and_polling_shows_each_outcome(
    qbo, django_capture_on_commit_callbacks
):
    first = qbo.invoice("Harbor Books")
    second = qbo.invoice("Pine & Sons")
    draft = qbo.invoice("Draft Ltd", status=InvoiceStatus.DRAFT)
    answer = qbo.start(EXPORT, [first, second, draft, first], django_capture_on_commit_callbacks)

    batch = ExportBatch.objects.get()
    assert answer["id"] == batch.pk
    assert answer["kind"] == "export"
    assert answer["progress"] == {
        "total": 2,
        "queued": 2,
        "exporting": 0,
        "exported": 0,
        "warnings": 0,
        "errors": 0,
        "refused": 1,
        "finished": False,
        "summary": "0 of 2 exported, 2 queued; 1 refused.",
    }
    assert answer["refused"] == [
        {
            "id": draft.pk,
            "number": draft.number,
            "message": f"Invoice {draft.number} is Draft; only finalized invoices go to "
            "QuickBooks.",
        }
    ]
    assert answer["invoices"] == [queued(first), queued(second)]

    done = qbo.poll(batch.pk)
    assert done["progress"]["finished"] is True
    assert done["progress"]["summary"] == "2 of 2 exported; 1 refused."
    for invoice, out in zip([first, second], done["invoices"], strict=True):
        link = QboInvoiceLink.objects.get(invoice=invoice)
        [in_qbo] = [i for i in qbo.company.list("Invoice") if i["Id"] == link.qbo_invoice_id]
        assert in_qbo["DocNumber"] == invoice.number
        assert out == {
            **queued(invoice),
            "state": "exported",
            "label": "Exported",
            "qbo_invoice_id": link.qbo_invoice_id,
            "qbo_number": invoice.number,
            "qbo_url": f"{settings.QBO_APP_URL}/{qbo.realm}#invoice-{link.qbo_invoice_id}",
        }


def test_an_invoice_qbo_refuses_carries_the_reason_and_what_to_do(
    qbo, django_capture_on_commit_callbacks
):
    qbo.company.create("Vendor", {"DisplayName": "Clash Supplies"})
    invoice = qbo.invoice("Clash Supplies")
    answer = qbo.start(EXPORT, [invoice], django_capture_on_commit_callbacks)

    done = qbo.poll(answer["id"])
    assert done["progress"]["summary"] == "0 of 1 exported, 1 with errors."
    [out] = done["invoices"]
    assert (out["state"], out["label"], out["qbo_invoice_id"]) == ("failed", "Error", "")
    assert "vendor or an employee" in out["message"]
    assert "Link this client to an existing QBO customer" in out["advice"]


def test_exporting_again_unchanged_is_refused_for_that_invoice(
    qbo, django_capture_on_commit_callbacks
):
    invoice = qbo.invoice("Harbor Books")
    qbo.start(EXPORT, [invoice], django_capture_on_commit_callbacks)
    again = qbo.start(EXPORT, [invoice], django_capture_on_commit_callbacks)
    [refused] = again["refused"]
    assert refused["message"] == (
        f"Invoice {invoice.number} is already in QuickBooks as {invoice.number}; nothing "
        "changed since."
    )
    assert again["invoices"] == []
    assert again["progress"]["finished"] is True


def test_check_reports_findings_and_writes_nothing_to_qbo(qbo, django_capture_on_commit_callbacks):
    invoice = qbo.invoice("Harbor Books")
    before = len(qbo.company.list("Invoice"))
    answer = qbo.start(CHECK, [invoice], django_capture_on_commit_callbacks)
    assert answer["kind"] == "check"
    assert answer["invoices"] == []  # listed once checked
    assert answer["progress"]["summary"] == "0 of 1 checked."

    done = qbo.poll(answer["id"])
    assert done["progress"]["finished"] is True
    assert done["progress"]["summary"] == "1 of 1 checked."
    [out] = done["invoices"]
    assert (out["state"], out["label"]) == ("ready", "Checked: ready")
    texts = [(f["tone"], f["text"]) for f in out["findings"]]
    assert ("ok", "Customer: will create 'Harbor Books' in QuickBooks.") in texts
    assert ("ok", f"Number {invoice.number} is free in QBO.") in texts
    assert {tone for tone, _ in texts} == {"ok"}
    assert len(qbo.company.list("Invoice")) == before


def test_without_the_export_permission_nothing_is_queued(qbo):
    clerk = testing.make_member(qbo.member.practice, "clerk", can_process_time=True)
    invoice = qbo.invoice("Harbor Books")
    for url in (EXPORT, CHECK):
        response = caller_for(clerk).post(url, {"invoices": [invoice.pk]})
        assert response.status_code == 403
        assert response.json() == {
            "detail": "You need the “Export to accounting software” permission to do this.",
            "errors": {},
        }
    assert not ExportBatch.objects.exists()


def test_without_a_connected_company_the_service_says_so(admin_member, client_a, as_member):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    for url in (EXPORT, CHECK):
        response = as_member(admin_member).post(url, {"invoices": [invoice.pk]})
        assert response.status_code == 409
        assert response.json() == {"detail": NOT_CONNECTED, "errors": {}}
    assert not ExportBatch.objects.exists()


def test_another_practices_batch_is_not_found(qbo, django_capture_on_commit_callbacks):
    answer = qbo.start(EXPORT, [qbo.invoice("Harbor Books")], django_capture_on_commit_callbacks)
    stranger = testing.make_admin(testing.make_practice("Elsewhere LLP"), "stranger")
    for caller, batch_id in [(caller_for(stranger), answer["id"]), (qbo.api, answer["id"] + 1)]:
        response = caller.get(f"/api/v1/exports/{batch_id}")
        assert response.status_code == 404
        assert response.json() == {"detail": "No such export batch.", "errors": {}}


def test_another_practices_invoice_is_refused_as_not_found(qbo, django_capture_on_commit_callbacks):
    other = testing.make_practice("Elsewhere LLP")
    boss = testing.make_admin(other, "boss")
    client = testing.make_client(other, "Secret Customer")
    testing.assign(boss, client)
    foreign = testing.make_invoice(boss, client, InvoiceStatus.FINALIZED)
    answer = qbo.start(EXPORT, [foreign], django_capture_on_commit_callbacks)
    assert answer["refused"] == [{"id": foreign.pk, "number": "", "message": "No such invoice."}]
    assert answer["invoices"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"invoices": []}, "invoices"),
        ({"invoices": list(range(1, 1002))}, "invoices"),
        ({"invoices": [0]}, "invoices.0"),
        ({"invoices": [2**63]}, "invoices.0"),
        ({"invoices": ["one"]}, "invoices.0"),
        ({}, "invoices"),
    ],
)
def test_a_malformed_selection_is_refused_before_anything_happens(
    admin_member, as_member, body, field
):
    for url in (EXPORT, CHECK):
        response = as_member(admin_member).post(url, body)
        assert response.status_code == 422
        assert list(response.json()["errors"]) == [field]
    assert not ExportBatch.objects.exists()


def test_a_thousand_ids_are_taken(admin_member, as_member):
    # The limit itself passes validation and reaches the service (here: not connected).
    response = as_member(admin_member).post(EXPORT, {"invoices": list(range(1, 1001))})
    assert response.status_code == 409


def test_anonymous_callers_are_refused(db):
    anonymous = ApiCaller()
    for url in (EXPORT, CHECK):
        assert anonymous.post(url, {"invoices": [1]}).status_code == 401
    assert anonymous.get("/api/v1/exports/1").status_code == 401
