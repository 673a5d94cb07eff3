"""Every body the API reads is a JSON object, and its values are read as the document writes
them. Anything else is refused with 422 and changes nothing: ninja would read a list or a number
as an object with no fields, which a PATCH took for "change nothing" and saved, and pydantic
would read " 5" or "1e2" as decimals, "12" as an id and 1 as true."""

import pytest

from billbridge.clients.models import Client
from billbridge.core import testing
from billbridge.invoicing.models import Invoice, InvoiceLine, TaxSettings, TimelineEvent
from billbridge.invoicing.services import tax_settings_for
from billbridge.quickbooks.models import ExportBatch

NOT_OBJECTS = ["[]", "[1]", '[{"name": "Acme"}]', '"Acme"', "1", "true", "null"]


def snapshot() -> list:
    """Every row a body could change, updated_at included."""
    return [
        list(model.objects.order_by("pk").values())
        for model in (Client, Invoice, InvoiceLine, TimelineEvent, TaxSettings, ExportBatch)
    ]


OPERATIONS = [
    ("POST", "/api/v1/clients"),
    ("PATCH", "/api/v1/clients/{client}"),
    ("POST", "/api/v1/invoices"),
    ("PUT", "/api/v1/invoices/{draft}"),
    ("PATCH", "/api/v1/invoices/{draft}"),
    ("POST", "/api/v1/invoices/{finalized}/revert-to-draft"),
    ("POST", "/api/v1/invoices/{finalized}/close"),
    ("POST", "/api/v1/invoices/{closed}/reopen"),
    ("POST", "/api/v1/invoices/bulk"),
    ("POST", "/api/v1/invoices/export"),
    ("POST", "/api/v1/invoices/check"),
    ("PUT", "/api/v1/tax-settings"),
    ("PATCH", "/api/v1/tax-settings"),
]


@pytest.fixture
def ids(admin_member, client_a) -> dict[str, int]:
    tax_settings_for(admin_member.practice)
    return {"client": client_a.pk} | {
        status: testing.make_invoice(admin_member, client_a, status).pk
        for status in ("draft", "finalized", "closed")
    }


@pytest.mark.parametrize("raw", NOT_OBJECTS)
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_a_body_that_is_not_an_object_is_refused_and_changes_nothing(
    admin_api, ids, method, path, raw
):
    before = snapshot()
    response = admin_api.call(method, path.format(**ids), raw=raw)
    assert response.status_code == 422, response.content
    assert response.json() == {
        "detail": "The request is not valid: body: Value error, Send a JSON object.",
        "errors": {"body": ["Value error, Send a JSON object."]},
    }
    assert snapshot() == before


def test_a_line_that_is_not_an_object_is_refused_by_position(admin_api, client_a):
    body = {"client": client_a.pk, "issue_date": "2026-11-02", "lines": [1]}
    response = admin_api.post("/api/v1/invoices", body)
    assert response.status_code == 422
    assert response.json()["errors"] == {"lines.0": ["Value error, Send a JSON object."]}
    assert not Invoice.objects.exists()


def test_an_action_without_a_body_still_works(admin_api, ids):
    response = admin_api.post(f"/api/v1/invoices/{ids['finalized']}/revert-to-draft")
    assert response.status_code == 200
    assert response.json()["status"] == "draft"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *(
            ("primary_rate", text)
            for text in [" 5", "5 ", "+5", "1e2", ".5", "5.", "007", "-0", "-0.00", "٥", "5,0"]
        ),
        ("primary_enabled", 1),
        ("primary_enabled", "true"),
        ("primary_enabled", None),
    ],
)
def test_values_are_read_as_the_document_writes_them(admin_api, ids, field, value):
    """pydantic would read all of these; the document allows none."""
    before = snapshot()
    response = admin_api.patch("/api/v1/tax-settings", {field: value})
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert snapshot() == before


@pytest.mark.parametrize("value", ["12", True, 1.5])
def test_an_id_is_a_json_integer(admin_api, ids, value):
    response = admin_api.post("/api/v1/invoices/bulk", {"action": "finalize", "ids": [value]})
    assert response.status_code == 422
    assert "ids.0" in response.json()["errors"]
