"""R9 through the pages: a Closed invoice reverted to Draft, from its page or the Billing list's
bulk action, shows both steps in its timeline."""

from django.urls import reverse

from billbridge.core import testing
from billbridge.invoicing.models import Invoice


def test_reverting_a_closed_invoice_from_its_page(alice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, "closed")
    response = alice.post(
        reverse("web:invoice-transition", args=[invoice.pk, "revert"]), {"reason": "Wrong hours"}
    )
    assert response.status_code == 302
    assert Invoice.objects.get(pk=invoice.pk).status == "draft"
    page = alice.get(reverse("web:invoice-detail", args=[invoice.pk])).content.decode()
    assert "Reopened" in page
    assert "Reverted to draft" in page
    assert page.count("Wrong hours") == 2


def test_bulk_revert_from_the_billing_list_takes_a_closed_invoice(alice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, "closed")
    response = alice.post(
        reverse("web:billing-list"),
        {"action": "revert_to_draft", "invoice": [invoice.pk]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Revert to draft: 1 done, 0 refused" in response.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == "draft"
