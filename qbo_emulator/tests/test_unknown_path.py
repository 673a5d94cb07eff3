"""An unknown path under /v3/company/{realmId}: QBO's router fault, not an authorisation one.

QBO answered /v3/company/<id>/Employee/0 (a capitalised segment: no such route) with a
SystemFault, code 10000, "An application error has occurred while processing your request",
Detail "System Failure Error: Could not find resource for relative : /v3/company/<id>/Employee/0
of full path: https://internal.qbo.intuit.com/qbo30/v3/company/<id>/Employee/0"
(grue/django-quickbooks-online#12). Its HTTP status is UNCONFIRMED; 404 is Intuit's status for
"URL doesn't exist". python-quickbooks turns codes 1-499 into AuthorizationException
(client.handle_exceptions), so the old code "404" looked like an authorisation failure; 10000
becomes SevereException. node-quickbooks hands the body over without classifying it.
"""

import pytest
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, SevereException


def router_fault(response, path: str) -> dict:
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"Fault", "time"}
    assert body["Fault"]["type"] == "SystemFault"
    (error,) = body["Fault"]["Error"]
    assert error["code"] == "10000"
    assert error["Message"] == "An application error has occurred while processing your request"
    assert error["Detail"] == (
        f"System Failure Error: Could not find resource for relative : {path} "
        f"of full path: http://testserver{path}"
    )
    return error


@pytest.mark.parametrize(
    ("method", "segment"),
    [
        ("GET", "spaceship/1"),
        ("POST", "spaceship"),
        ("GET", "reports/ProfitAndLoss"),
        ("GET", "Employee/1"),
        ("POST", "Customer"),
        ("GET", "INVOICE/1/pdf"),
    ],
)
def test_unknown_and_capitalised_paths_get_the_router_fault(api, method, segment):
    path = api.url(segment)
    response = api.client.request(method, path, json={} if method == "POST" else None)
    router_fault(response, path)


def test_lower_case_entity_paths_still_route(api):
    assert api.get("employee/1").status_code in (200, 400)  # a read, found or not: no 404
    assert api.create("Customer", {"DisplayName": "Routed Co"})["DisplayName"] == "Routed Co"


def test_python_quickbooks_does_not_take_it_for_an_authorisation_failure(api):
    error = router_fault(api.get("spaceship/1"), api.url("spaceship/1"))
    with pytest.raises(SevereException) as raised:
        QuickBooks.handle_exceptions({"Error": [error]})
    assert not isinstance(raised.value, AuthorizationException)
    assert raised.value.error_code == 10000
