"""Requests that match no operation still answer in the API's one error shape."""

import pytest


@pytest.mark.parametrize(
    "url", ["/api/v1/", "/api/v1/payments", "/api/v1/invoices/12/pay", "/api/v1/docs"]
)
def test_unknown_paths_are_json_404(admin_api, url):
    response = admin_api.get(url, documented=False)
    assert response.status_code == 404
    assert response.json() == {"detail": "No such API endpoint.", "errors": {}}


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("DELETE", "/api/v1/clients", {"GET", "POST"}),
        ("DELETE", "/api/v1/invoices/1", {"GET", "PUT", "PATCH"}),
        ("GET", "/api/v1/invoices/bulk", {"POST"}),
        ("POST", "/api/v1/tax-settings", {"GET", "PUT", "PATCH"}),
    ],
)
def test_methods_a_path_does_not_offer_are_json_405(admin_api, method, url, allowed):
    response = admin_api.call(method, url, documented=False)
    assert response.status_code == 405
    assert {m.strip() for m in response["Allow"].split(",")} == allowed
    assert response.json()["detail"].startswith(f"{method} is not allowed here")
