"""Credit notes, write-offs, corrected copies and closed periods through the API (issue 12):
the invoice's kind, credit and balance fields, the credit-notes and corrected-copy actions,
the list's `kind`, and the 409 of a revert in a closed period, which says where to credit
instead. Every refusal is a 4xx with a message and leaves everything as it was; every answer
is checked against the OpenAPI document (conftest.ApiCaller)."""

import datetime
from decimal import Decimal

import pytest

from billbridge.clients.models import ClientRole
from billbridge.core import testing
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice, InvoiceStatus, TimelineEvent
from billbridge.invoicing.services import CreditInput
from billbridge.practice.models import Practice

URL = "/api/v1/invoices"


def credits_of(invoice) -> str:
    return f"{URL}/{invoice.pk}/credit-notes"


def everything() -> tuple:
    return (
        list(Invoice.objects.order_by("pk").values_list("pk", "status", "version", "total")),
        TimelineEvent.objects.count(),
        list(Practice.objects.values_list("next_credit_note_number", "next_invoice_number")),
    )


def closed_after(practice, *invoices) -> datetime.date:
    lock = max([datetime.date.today(), *(i.issue_date for i in invoices)])
    lock += datetime.timedelta(days=10)
    Practice.objects.filter(pk=practice.pk).update(lock_date=lock)
    return lock


def test_an_invoice_says_its_kind_and_its_balance_net_of_credits(admin_api, admin_member, billed):
    note = services.create_credit_note(
        admin_member, CreditInput(billed.pk, "Goodwill", amount=Decimal("100.00"))
    )
    services.finalize(admin_member, note.pk)
    body = admin_api.get(f"{URL}/{billed.pk}").json()
    assert (body["kind"], body["credited_invoice_id"], body["credit_reason"]) == (
        "invoice",
        None,
        "",
    )
    assert body["balance"] == {
        "total": "695.00",
        "credited": "100.00",
        "paid": "0.00",
        "due": "595.00",
    }
    note_body = admin_api.get(f"{URL}/{note.pk}").json()
    assert (note_body["kind"], note_body["credited_invoice_id"], note_body["credit_reason"]) == (
        "credit_note",
        billed.pk,
        "Goodwill",
    )
    assert note_body["balance"] is None and note_body["due_date"] is None


def test_credit_all_of_an_invoice_then_finalize_it(admin_api, billed):
    response = admin_api.post(credits_of(billed), {"reason": "Billed the wrong client"})
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["status"], body["number"], body["total"]) == (
        "credit_note",
        "draft",
        "CN-1",
        "695.00",
    )
    assert [line["amount"] for line in body["lines"]] == ["450.00", "200.00"]
    assert body["primary_tax_rate"] == "10.000"
    finalized = admin_api.post(f"{URL}/{body['id']}/finalize").json()
    assert finalized["status"] == "finalized"
    invoice = admin_api.get(f"{URL}/{billed.pk}").json()
    # Not in the books: credited in full, it is closed here.
    assert (invoice["status"], invoice["balance"]["due"]) == ("closed", "0.00")
    assert [e["action"] for e in invoice["timeline"]][-3:] == [
        "credit note drafted",
        "credited",
        "closed",
    ]


@pytest.mark.parametrize(
    ("body", "kind", "total"),
    [
        ({"line_ids": "payroll"}, "credit_note", "200.00"),
        ({"amount": "120.00"}, "credit_note", "120.00"),
        ({"amount": 120.5}, "credit_note", "120.50"),  # a JSON number, read exactly
        ({"write_off": True}, "write_off", "695.00"),
        ({"write_off": True, "amount": "95.00"}, "write_off", "95.00"),
    ],
)
def test_credit_lines_an_amount_or_write_off(admin_api, billed, body, kind, total):
    if body.get("line_ids") == "payroll":
        body["line_ids"] = [billed.lines.get(service_name="Payroll").pk]
    response = admin_api.post(credits_of(billed), {"reason": "Agreed", **body})
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["total"]) == (kind, total)


def test_a_credit_dated_on_a_given_day(admin_api, billed):
    day = (billed.issue_date + datetime.timedelta(days=3)).isoformat()
    body = admin_api.post(credits_of(billed), {"reason": "Late", "issue_date": day}).json()
    assert body["issue_date"] == day


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"amount": "695.01"}, 400, "amount"),
        ({"amount": "0"}, 400, "amount"),
        ({"amount": "-5"}, 400, "amount"),
        ({"amount": "1e2"}, 422, "amount"),
        ({"amount": "12,50"}, 422, "amount"),
        ({"amount": "1.001"}, 422, "amount"),
        ({"amount": "NaN"}, 422, "amount"),
        ({"amount": "99999999999999999999"}, 422, "amount"),
        ({"amount": 0}, 400, "amount"),
        ({"line_ids": [999_999]}, 400, "line_ids"),
        ({"line_ids": [2**63]}, 422, "line_ids.0"),
        ({"line_ids": ["1"]}, 422, "line_ids.0"),
        ({"line_ids": "own", "amount": "10.00"}, 400, "line_ids"),
        ({"line_ids": "own", "write_off": True}, 400, "line_ids"),
        ({"write_off": "yes"}, 422, "write_off"),
        ({"issue_date": "2026-11-01"}, 400, "issue_date"),
        ({"issue_date": "2026-02-30"}, 422, "issue_date"),
        ({"reason": "   "}, 400, "reason"),
        ({"reason": ""}, 422, "reason"),
        ({"reason": None}, 422, "reason"),
        ({"reason": "x" * 501}, 422, "reason"),
    ],
)
def test_a_refused_credit_says_why_and_changes_nothing(admin_api, billed, body, status, field):
    if body.get("line_ids") == "own":
        body["line_ids"] = [billed.lines.first().pk]
    before = everything()
    response = admin_api.post(credits_of(billed), {"reason": "Overbilled", **body})
    assert response.status_code == status
    answer = response.json()
    assert answer["detail"] and field in answer["errors"]
    assert everything() == before


def test_over_crediting_names_what_remains(admin_api, admin_member, billed):
    admin_api.post(credits_of(billed), {"reason": "First", "amount": "600.00"})
    response = admin_api.post(credits_of(billed), {"reason": "Second", "amount": "95.01"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"A credit of 95.01 is more than the 95.00 that remains on invoice "
        f"{billed.number} (total 695.00, credited 600.00, paid 0.00).",
        "errors": {"amount": ["At most 95.00."]},
    }


def test_a_credit_in_a_closed_period_is_refused(admin_api, practice, billed):
    lock = closed_after(practice, billed)
    before = everything()
    response = admin_api.post(credits_of(billed), {"reason": "x", "issue_date": lock.isoformat()})
    assert response.status_code == 400
    assert response.json()["errors"] == {"issue_date": [f"Choose a date after {lock:%d %b %Y}."]}
    assert everything() == before
    dated = admin_api.post(credits_of(billed), {"reason": "x"}).json()
    assert dated["issue_date"] == (lock + datetime.timedelta(days=1)).isoformat()


def test_only_finalized_invoices_are_credited(admin_api, admin_member, client_a, billed):
    draft = testing.make_invoice(admin_member, client_a)
    note = admin_api.post(credits_of(billed), {"reason": "x", "amount": "1.00"}).json()
    before = everything()
    for invoice_id in (draft.pk, note["id"]):
        response = admin_api.post(f"{URL}/{invoice_id}/credit-notes", {"reason": "x"})
        assert response.status_code == 409
        assert "can be credited" in response.json()["detail"]
    assert everything() == before


def test_crediting_needs_the_owner_role_and_process_time(as_member, practice, client_a, billed):
    before = everything()
    staff = testing.make_member(practice, "bob", can_process_time=True)
    testing.assign(staff, client_a, ClientRole.STAFF)
    owner = testing.make_member(practice, "otto")
    testing.assign(owner, client_a)
    for member, message in (
        (staff, "You need the Owner role on this client to do this."),
        (owner, "You need the “Process time” permission to do this."),
    ):
        response = as_member(member).post(credits_of(billed), {"reason": "x"})
        assert (response.status_code, response.json()["detail"]) == (403, message)
    assert everything() == before


@pytest.mark.parametrize("invoice_id", ["foreign", 999_999, 2**63 - 1, 2**63])
def test_another_practices_or_no_invoice_is_not_found(admin_api, invoice_id):
    if invoice_id == "foreign":
        other = testing.make_practice("Elsewhere LLP")
        boss = testing.make_admin(other)
        client = testing.make_client(other, "Secret Customer")
        testing.assign(boss, client)
        invoice_id = testing.make_invoice(boss, client, InvoiceStatus.FINALIZED).pk
    before = everything()
    for action in ("credit-notes", "corrected-copy"):
        response = admin_api.post(
            f"{URL}/{invoice_id}/{action}",
            {"reason": "x", "line_ids": [1], "amount": "1.00"},
            documented=invoice_id <= 2**63 - 1,
        )
        assert response.status_code == 404
        assert "Secret" not in response.content.decode()
    assert everything() == before


def test_a_corrected_copy_is_a_new_draft(admin_api, billed):
    response = admin_api.post(f"{URL}/{billed.pk}/corrected-copy")
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["status"], body["client"]["id"], body["total"]) == (
        "invoice",
        "draft",
        billed.client_id,
        "695.00",
    )
    assert body["id"] != billed.pk and body["number"] == "INV-2"
    assert Invoice.objects.get(pk=billed.pk).status == InvoiceStatus.FINALIZED
    before = everything()
    again = admin_api.post(f"{URL}/{body['id']}/corrected-copy")  # a draft
    assert again.status_code == 409
    assert everything() == before


def test_the_list_narrows_to_a_kind(admin_api, admin_member, billed):
    note = admin_api.post(credits_of(billed), {"reason": "x", "amount": "1.00"}).json()
    written = admin_api.post(credits_of(billed), {"reason": "y", "write_off": True}).json()

    def listed(kind):
        return [item["id"] for item in admin_api.get(f"{URL}?kind={kind}").json()["items"]]

    assert listed("invoice") == [billed.pk]
    assert listed("credit_note") == [note["id"]]
    assert listed("write_off") == [written["id"]]
    assert sorted(listed("credit")) == sorted([note["id"], written["id"]])
    assert admin_api.get(URL).json()["count"] == 3
    item = admin_api.get(f"{URL}?kind=write_off").json()["items"][0]
    assert (item["kind"], item["credited_invoice_id"], item["credit_reason"]) == (
        "write_off",
        billed.pk,
        "y",
    )
    refused = admin_api.get(f"{URL}?kind=refund")
    assert refused.status_code == 422 and "kind" in refused.json()["errors"]


def test_a_revert_in_a_closed_period_says_where_to_credit_instead(
    admin_api, practice, admin_member, billed
):
    note = services.finalize(
        admin_member,
        services.create_credit_note(
            admin_member, CreditInput(billed.pk, "x", amount=Decimal("5"))
        ).pk,
    )
    closed_after(practice, billed, note)
    before = everything()
    response = admin_api.post(f"{URL}/{note.pk}/revert-to-draft")
    assert response.status_code == 409
    assert response.json()["credit_note"] is None  # a credit note is not credited
    refused = admin_api.post(f"{URL}/{billed.pk}/revert-to-draft", {"reason": "Typo"})
    assert refused.status_code == 409
    body = refused.json()
    assert body["credit_note"] == f"/api/v1/invoices/{billed.pk}/credit-notes"
    assert "in a closed period" in body["detail"] and body["errors"] == {}
    assert everything() == before
    # The way forward it names works.
    assert (
        admin_api.post(body["credit_note"], {"reason": "Typo", "amount": "10.00"}).status_code
        == 201
    )


def test_other_refusals_of_a_revert_carry_no_credit_link(admin_api, admin_member, client_a):
    draft = testing.make_invoice(admin_member, client_a)
    body = admin_api.post(f"{URL}/{draft.pk}/revert-to-draft").json()
    assert "credit_note" not in body
