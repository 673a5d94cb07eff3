from decimal import Decimal

from openapi_spec_validator import validate

from billbridge.api.schemas import TaxSettingsOut
from billbridge.api.tests.conftest import served_document

METHODS = {"get", "put", "post", "patch", "delete"}


def operations():
    for path, item in served_document()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_served_document_is_valid_openapi(db):
    document = served_document()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "Billbridge API"
    assert document["info"]["version"] == "1.0.0"
    assert "Authorization: Bearer" in document["info"]["description"]


def test_it_lists_every_resource_and_action(db):
    found = {(path, method) for path, method, _ in operations()}
    assert found == {
        ("/api/v1/clients", "get"),
        ("/api/v1/clients", "post"),
        ("/api/v1/clients/{client_id}", "get"),
        ("/api/v1/clients/{client_id}", "patch"),
        ("/api/v1/invoices", "get"),
        ("/api/v1/invoices", "post"),
        ("/api/v1/invoices/{invoice_id}", "get"),
        ("/api/v1/invoices/{invoice_id}", "put"),
        ("/api/v1/invoices/{invoice_id}", "patch"),
        ("/api/v1/invoices/{invoice_id}", "delete"),
        ("/api/v1/invoices/{invoice_id}/finalize", "post"),
        ("/api/v1/invoices/{invoice_id}/revert-to-draft", "post"),
        ("/api/v1/invoices/{invoice_id}/close", "post"),
        ("/api/v1/invoices/{invoice_id}/reopen", "post"),
        ("/api/v1/invoices/{invoice_id}/credit-notes", "post"),
        ("/api/v1/invoices/{invoice_id}/corrected-copy", "post"),
        ("/api/v1/invoices/bulk", "post"),
        ("/api/v1/invoices/{invoice_id}/send", "post"),
        ("/api/v1/invoices/{invoice_id}/pdf", "get"),
        ("/api/v1/invoices/{invoice_id}/sends", "get"),
        ("/api/v1/invoices/export", "post"),
        ("/api/v1/invoices/check", "post"),
        ("/api/v1/exports/{batch_id}", "get"),
        ("/api/v1/tax-settings", "get"),
        ("/api/v1/tax-settings", "put"),
        ("/api/v1/tax-settings", "patch"),
        ("/api/v1/time-entries", "get"),
        ("/api/v1/time-entries", "post"),
        ("/api/v1/time-entries/{entry_id}", "get"),
        ("/api/v1/time-entries/{entry_id}", "patch"),
        ("/api/v1/time-entries/{entry_id}", "delete"),
        ("/api/v1/clients/{client_id}/wip", "get"),
        ("/api/v1/clients/{client_id}/invoices-from-wip/preview", "post"),
        ("/api/v1/clients/{client_id}/invoices-from-wip", "post"),
        ("/api/v1/reports/realization", "get"),
    }


def test_every_operation_needs_authentication_and_documents_its_errors(db):
    document = served_document()
    schemes = document["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    # A revert refused for a closed period says where to credit instead: one field more.
    period_closed = ("/api/v1/invoices/{invoice_id}/revert-to-draft", "post", "409")
    for path, method, operation in operations():
        where = f"{method.upper()} {path}"
        assert {"TokenAuth": []} in operation["security"], where
        assert operation["summary"], where
        codes = set(operation["responses"])
        assert {"401", "500"} <= codes, where
        if method != "get":
            assert {"400", "403", "413", "422"} <= codes, where
        if "{" in path:
            assert "404" in codes, where
        for code, response in operation["responses"].items():
            if (path, method, code) == period_closed:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/PeriodClosedOut"}, where
            elif code.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"] == error_ref, where


def test_operation_ids_are_short_and_unique(db):
    ids = [operation["operationId"] for _, _, operation in operations()]
    assert len(ids) == len(set(ids))
    assert "create_invoice" in ids and all("." not in i and len(i) < 30 for i in ids)


def test_money_is_documented_as_decimal_strings(db):
    schemas = served_document()["components"]["schemas"]
    for schema, field in [("InvoiceSummary", "total"), ("LineOut", "amount")]:
        money = schemas[schema]["properties"][field]
        assert (money["type"], money["format"]) == ("string", "decimal")
    assert set(schemas["InvoiceStatus"]["enum"]) == {"draft", "finalized", "closed"}


def test_the_document_needs_no_login_and_the_docs_page_is_off(client, db):
    assert client.get("/api/v1/openapi.json").status_code == 200
    response = client.get("/api/v1/docs")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such API endpoint."


def test_amounts_are_written_by_the_one_rounding_rule():
    """The API writes what the services stored, already to the cent; should a value ever carry
    more places, it is rounded half up like everything else (decision 0001), not to even."""
    out = TaxSettingsOut(
        primary_name="Sales tax",
        primary_rate=Decimal("8.8745"),
        primary_enabled=True,
        secondary_name="Local",
        secondary_rate=Decimal("0.0625"),
        secondary_enabled=False,
    ).model_dump(mode="json")
    assert (out["primary_rate"], out["secondary_rate"]) == ("8.875", "0.063")
