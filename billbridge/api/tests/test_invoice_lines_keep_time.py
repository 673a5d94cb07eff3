"""The invoice API and the time held on a draft's lines: lines answer their ids, a line sent
back with its id keeps its time, any other is new, and a line or draft removed returns its
time to WIP. Every answer is checked against the document."""

# The time app's fixtures are imported, not copied; the tests that take them name them again.

import pytest

from billbridge.api.tests.conftest import ApiCaller, caller_for
from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from billbridge.time import billing
from billbridge.time.models import Entry, EntryState

# Sam (no permissions), the work codes (Tax preparation at 200/h), Alice at 150/h, Sam at 90/h.

URL = "/api/v1/invoices"


@pytest.fixture
def draft(admin_member, client_a, work_codes, staff_rates, record):
    """A draft from WIP: a tax line (two entries, 300.00) and a bookkeeping line (75.00)."""
    record(admin_member, 60, work_codes["tax"])
    record(admin_member, 30, work_codes["tax"])
    record(admin_member, 30, work_codes["books"])
    return billing.invoice_from_wip(admin_member, billing.WipBilling(client_id=client_a.pk))


def lines_of(invoice) -> list[InvoiceLine]:
    return list(InvoiceLine.objects.filter(invoice=invoice).order_by("position"))


def held() -> dict[int, int | None]:
    """Each entry's line."""
    return dict(Entry.objects.order_by("pk").values_list("pk", "invoice_line_id"))


def sent(line: dict) -> dict:
    """A line as answered, sent back: its id and its content."""
    keep = ("id", "description", "service_name", "quantity", "unit_price", "primary_taxable")
    return {name: line[name] for name in keep}


def test_lines_answer_their_ids(admin_api, draft):
    body = admin_api.get(f"{URL}/{draft.pk}").json()
    assert [line["id"] for line in body["lines"]] == [line.pk for line in lines_of(draft)]


def test_a_patch_of_the_memo_keeps_the_lines_and_their_time(admin_api, draft):
    lines, before = lines_of(draft), held()
    response = admin_api.patch(f"{URL}/{draft.pk}", {"memo": "Thanks!"})
    assert response.status_code == 200, response.content
    assert [line["id"] for line in response.json()["lines"]] == [line.pk for line in lines]
    assert held() == before
    states = {e.state for e in Entry.objects.select_related("invoice_line__invoice")}
    assert states == {EntryState.ON_DRAFT}


def test_a_line_sent_with_its_id_keeps_its_time_and_one_left_out_returns_it(
    admin_api, client_a, draft
):
    tax_line, books_line = lines_of(draft)
    before = held()
    answered = admin_api.get(f"{URL}/{draft.pk}").json()["lines"]
    written_down = {**sent(answered[0]), "unit_price": "180.00"}
    body = {"client": client_a.pk, "issue_date": "2026-11-02", "lines": [written_down]}
    response = admin_api.put(f"{URL}/{draft.pk}", body)
    assert response.status_code == 200, response.content
    assert [(line["id"], line["amount"]) for line in response.json()["lines"]] == [
        (tax_line.pk, "270.00")
    ]
    assert held() == {pk: (None if line == books_line.pk else line) for pk, line in before.items()}
    assert admin_api.get(f"/api/v1/clients/{client_a.pk}/wip").json()["totals"]["value"] == (
        "75.00"
    )


def test_lines_sent_without_ids_are_new_and_their_time_returns_to_wip(admin_api, draft):
    answered = admin_api.get(f"{URL}/{draft.pk}").json()["lines"]
    without_ids = [{k: v for k, v in sent(line).items() if k != "id"} for line in answered]
    response = admin_api.patch(f"{URL}/{draft.pk}", {"lines": without_ids})
    assert response.status_code == 200
    new_ids = {line["id"] for line in response.json()["lines"]}
    assert new_ids.isdisjoint(line["id"] for line in answered)
    assert set(held().values()) == {None}


def test_an_id_that_is_not_one_of_the_drafts_lines_makes_a_new_line(
    admin_api, admin_member, client_a, draft
):
    other = testing.make_invoice(admin_member, client_a)
    others_line = lines_of(other)[0]
    before = held()
    theirs = {**sent(admin_api.get(f"{URL}/{draft.pk}").json()["lines"][0]), "id": others_line.pk}
    response = admin_api.patch(f"{URL}/{draft.pk}", {"lines": [theirs]})
    assert response.status_code == 200
    assert response.json()["lines"][0]["id"] not in (others_line.pk, before[min(before)])
    assert lines_of(other)[0] == others_line
    assert set(held().values()) == {None}


@pytest.mark.parametrize("line_id", ["1", True, 0, -3, 2**63])
def test_a_line_id_is_a_positive_json_number(admin_api, draft, line_id):
    answered = admin_api.get(f"{URL}/{draft.pk}").json()["lines"]
    before = held()
    response = admin_api.patch(
        f"{URL}/{draft.pk}", {"lines": [{**sent(answered[0]), "id": line_id}]}
    )
    assert response.status_code == 422
    assert "lines.0.id" in response.json()["errors"]
    assert held() == before


# ---- deleting a draft -------------------------------------------------------------------------


def test_deleting_a_draft_returns_its_time_to_wip(admin_api, draft):
    response = admin_api.call("DELETE", f"{URL}/{draft.pk}")
    assert (response.status_code, response.content) == (204, b"")
    assert not Invoice.objects.filter(pk=draft.pk).exists()
    assert set(held().values()) == {None}
    assert admin_api.get(f"{URL}/{draft.pk}").status_code == 404


@pytest.mark.parametrize("status", [InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED])
def test_only_drafts_are_deleted(admin_api, admin_member, client_a, status):
    invoice = testing.make_invoice(admin_member, client_a, status)
    response = admin_api.call("DELETE", f"{URL}/{invoice.pk}")
    assert response.status_code == 409
    assert "only drafts can be deleted" in response.json()["detail"]
    assert Invoice.objects.get(pk=invoice.pk).status == status


def test_deleting_needs_process_time(as_member, staff, draft):
    response = as_member(staff).call("DELETE", f"{URL}/{draft.pk}")
    assert response.status_code == 403
    assert Invoice.objects.filter(pk=draft.pk).exists()
    assert ApiCaller().call("DELETE", f"{URL}/{draft.pk}").status_code == 401
    assert Invoice.objects.filter(pk=draft.pk).exists()


def test_another_practices_draft_is_404_to_everyone(as_member, admin_api, staff, draft):
    other = testing.make_practice("Elsewhere LLP")
    boss = testing.make_admin(other)
    secret = testing.make_client(other, "Secret Customer")
    theirs = testing.make_invoice(boss, secret)
    for caller in (admin_api, as_member(staff)):
        response = caller.call("DELETE", f"{URL}/{theirs.pk}")
        assert (response.status_code, response.json()["detail"]) == (404, "No such invoice.")
    assert Invoice.objects.filter(pk=theirs.pk).exists()


def test_a_draft_exported_before_is_kept(setup):
    invoice = setup.invoice()
    setup.export(invoice)
    invoicing.revert_to_draft(setup.member, invoice.pk, "Wrong rate")
    response = caller_for(setup.member).call("DELETE", f"{URL}/{invoice.pk}")
    assert response.status_code == 409
    assert "exported to QuickBooks Online before" in response.json()["detail"]
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT
