"""The API gets the invoice number rule from the services (billbridge/invoicing/numbers.py)."""

import pytest

from billbridge.api.tests.test_invoices import URL, draft_body
from billbridge.core import testing
from billbridge.invoicing.models import Invoice

TAB_REFUSED = (
    "An invoice number can have only visible characters and plain spaces; this one has U+0009."
)


def test_creating_an_invoice_numbered_with_a_tab_is_a_400(admin_api, client_a):
    response = admin_api.post(URL, draft_body(client_a, number="INV\t1"))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": TAB_REFUSED, "errors": {"number": [TAB_REFUSED]}}
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_renumbering_a_draft_with_a_tab_is_a_400(admin_api, admin_member, client_a, method):
    invoice = testing.make_invoice(admin_member, client_a)
    response = getattr(admin_api, method)(
        f"{URL}/{invoice.pk}", draft_body(client_a, number="INV\t2")
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"number": [TAB_REFUSED]}
    saved = Invoice.objects.get(pk=invoice.pk)
    assert (saved.number, saved.version) == ("INV-1", invoice.version)
