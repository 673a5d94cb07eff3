"""Requests that match no operation still answer in the API's one error shape, whatever the
method: a script's unsafe request carries no CSRF token, and must not meet the pages' HTML
"Form expired" refusal."""

import pytest
from django.test import Client

from billbridge.api.tests.conftest import ApiCaller

UNKNOWN_PATHS = ["/api/v1/", "/api/v1/payments", "/api/v1/invoices/12/pay", "/api/v1/docs"]


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "url",
    [*UNKNOWN_PATHS, "/api/v1/invoices/abc", "/api/v1/clients/1/", "/api/v1/invoices/a%0Ab/close"],
)
def test_unknown_paths_are_json_404(admin_api, method, url):
    response = admin_api.call(method, url, {"name": "x"}, documented=False)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "No such API endpoint.", "errors": {}}


@pytest.mark.parametrize("url", UNKNOWN_PATHS)
def test_unknown_paths_are_json_404_for_a_browser_session_without_csrf_token(admin_member, url):
    # Such a path changes nothing, so it needs no CSRF check; the operations keep theirs
    # (test_tokens.py).
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_member.user)
    response = ApiCaller(client=browser).post(url, {}, documented=False)
    assert (response.status_code, response.json()["detail"]) == (404, "No such API endpoint.")


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("DELETE", "/api/v1/clients", {"GET", "POST"}),
        ("POST", "/api/v1/invoices/1", {"GET", "PUT", "PATCH", "DELETE"}),
        ("GET", "/api/v1/invoices/bulk", {"POST"}),
        ("POST", "/api/v1/tax-settings", {"GET", "PUT", "PATCH"}),
        ("PUT", "/api/v1/invoices/1/finalize", {"POST"}),
    ],
)
def test_methods_a_path_does_not_offer_are_json_405(admin_api, method, url, allowed):
    response = admin_api.call(method, url, documented=False)
    assert response.status_code == 405
    assert {m.strip() for m in response["Allow"].split(",")} == allowed
    assert response.json()["detail"].startswith(f"{method} is not allowed here")
