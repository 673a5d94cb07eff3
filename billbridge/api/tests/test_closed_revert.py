"""R9 through the API: the revert action and the bulk revert take a Closed invoice to Draft by
way of Finalized."""

from billbridge.core import testing
from billbridge.invoicing.models import Invoice, InvoiceStatus

URL = "/api/v1/invoices"


def test_revert_to_draft_of_a_closed_invoice(admin_api, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, InvoiceStatus.CLOSED)
    response = admin_api.post(f"{URL}/{invoice.pk}/revert-to-draft", {"reason": "Wrong rate"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "draft"
    assert [
        (e["action"], e["from_status"], e["to_status"], e["reason"]) for e in body["timeline"]
    ] == [
        ("created", "", "", ""),
        ("finalized", "draft", "finalized", ""),
        ("closed", "finalized", "closed", "Paid by cheque"),
        ("reopened", "closed", "finalized", "Wrong rate"),
        ("reverted to draft", "finalized", "draft", "Wrong rate"),
    ]


def test_bulk_revert_of_a_closed_invoice(as_member, practice, admin_member, client_a):
    owned = testing.make_invoice(admin_member, client_a, InvoiceStatus.CLOSED)
    clerk = testing.make_member(practice, can_process_time=True)
    body = {"action": "revert_to_draft", "ids": [owned.pk]}
    refused = as_member(clerk).post(f"{URL}/bulk", body).json()["outcomes"]
    assert refused == [
        {
            "id": owned.pk,
            "number": owned.number,
            "done": False,
            "message": "You need the Owner role on this client to do this.",
        }
    ]
    assert Invoice.objects.get(pk=owned.pk).status == InvoiceStatus.CLOSED

    done = as_member(admin_member).post(f"{URL}/bulk", body).json()["outcomes"]
    assert done == [
        {"id": owned.pk, "number": owned.number, "done": True, "message": "Reverted to Draft"}
    ]
    assert Invoice.objects.get(pk=owned.pk).status == InvoiceStatus.DRAFT
