"""Untrusted input never causes a 500: random JSON, and valid bodies with one field replaced by
random JSON, sent to every operation that takes a body. Each answer must also be one the OpenAPI
document lists."""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billbridge.core import testing
from billbridge.invoicing.models import InvoiceStatus

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "\x00", "2026-02-30", "1e400", "NaN", "-0.001", "9" * 40, "🧾"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)

VALID = {
    "clients": {"name": "Fuzz Client", "email": "a@b.example", "notes": "n"},
    "invoices": {
        "client": None,  # filled in with the fixture's client
        "issue_date": "2026-11-02",
        "due_date": "2026-12-02",
        "memo": "m",
        "number": None,
        "lines": [{"description": "d", "quantity": "1", "unit_price": "2.00"}],
    },
    "close": {"reason": "paid"},
    "bulk": {"action": "finalize", "ids": [1]},
    "tax": {
        "primary_name": "Tax",
        "primary_rate": "5",
        "primary_enabled": True,
        "secondary_name": "Other",
        "secondary_rate": "0",
        "secondary_enabled": False,
    },
}

HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def targets(admin_member, client_a):
    draft = testing.make_invoice(admin_member, client_a)
    final = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    valid_invoice = {**VALID["invoices"], "client": client_a.pk}
    return [
        ("POST", "/api/v1/clients", VALID["clients"]),
        ("PATCH", f"/api/v1/clients/{client_a.pk}", VALID["clients"]),
        ("POST", "/api/v1/invoices", valid_invoice),
        ("PUT", f"/api/v1/invoices/{draft.pk}", valid_invoice),
        ("PATCH", f"/api/v1/invoices/{draft.pk}", valid_invoice),
        ("POST", f"/api/v1/invoices/{final.pk}/close", VALID["close"]),
        ("POST", f"/api/v1/invoices/{final.pk}/revert-to-draft", VALID["close"]),
        ("POST", "/api/v1/invoices/bulk", VALID["bulk"]),
        ("PUT", "/api/v1/tax-settings", VALID["tax"]),
        ("PATCH", "/api/v1/tax-settings", VALID["tax"]),
    ]


def assert_no_server_fault(response):
    assert response.status_code < 500, response.content
    assert "detail" in response.json() or response.status_code < 300


@HYPOTHESIS
@given(data=st.data())
def test_random_json_bodies(admin_api, targets, data):
    method, url, _valid = data.draw(st.sampled_from(targets))
    assert_no_server_fault(admin_api.call(method, url, data.draw(json_values)))


@HYPOTHESIS
@given(data=st.data())
def test_valid_bodies_with_one_field_replaced(admin_api, targets, data):
    method, url, valid = data.draw(st.sampled_from(targets))
    field = data.draw(st.sampled_from(sorted(valid)))
    body = {**valid, field: data.draw(json_values)}
    if field != "lines" and "lines" in valid:
        line_field = data.draw(st.sampled_from(sorted(valid["lines"][0])))
        body["lines"] = [{**valid["lines"][0], line_field: data.draw(json_values)}]
    assert_no_server_fault(admin_api.call(method, url, body))


@HYPOTHESIS
@given(
    query=st.dictionaries(
        st.sampled_from(["page", "page_size", "search", "client", "status", "include_closed"]),
        st.text(max_size=25),
        max_size=4,
    )
)
def test_random_list_queries(admin_api, client_a, query):
    for resource in ("clients", "invoices"):
        assert_no_server_fault(admin_api.get(f"/api/v1/{resource}?{urlencode(query)}"))


@pytest.mark.parametrize(
    ("method", "url_name", "body", "field"),
    [
        ("POST", "clients", {"name": "Acme", "notes": "a\x00b"}, "notes"),
        ("POST", "invoices", {"memo": "\x00"}, "memo"),
        (
            "POST",
            "invoices",
            {"lines": [{"description": "\x00", "quantity": "1", "unit_price": "1"}]},
            "lines.0.description",
        ),
        ("PATCH", "tax-settings", {"primary_name": "VAT\x00"}, "primary_name"),
    ],
)
def test_nul_characters_are_refused_with_a_message(
    admin_api, client_a, method, url_name, body, field
):
    if url_name == "invoices":
        body = {**VALID["invoices"], "client": client_a.pk, **body}
    response = admin_api.call(method, f"/api/v1/{url_name}", body)
    assert response.status_code == 422
    assert response.json()["errors"][field] == ["Value error, Text cannot contain NUL characters."]


def test_nul_in_a_search_is_refused(admin_api):
    response = admin_api.get("/api/v1/clients?search=a%00b")
    assert response.status_code == 422
    assert "search" in response.json()["errors"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(admin_api, constant):
    response = admin_api.patch("/api/v1/tax-settings", raw=f'{{"primary_rate": {constant}}}')
    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."
