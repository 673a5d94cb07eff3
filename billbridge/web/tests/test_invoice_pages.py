import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billbridge.clients.models import ClientRole
from billbridge.core import testing
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice, TimelineEvent
from billbridge.invoicing.totals import LineInput


def detail(invoice) -> str:
    return reverse("web:invoice-detail", args=[invoice.pk])


def transition(invoice, action: str) -> str:
    return reverse("web:invoice-transition", args=[invoice.pk, action])


def editor_data(client, *, number="", issue="2026-11-02", due="2026-12-02", lines=()):
    """What the editor posts: the header fields and a management form for the lines."""
    data = {
        "client": client.pk,
        "number": number,
        "issue_date": issue,
        "due_date": due,
        "memo": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(lines):
        for name, value in line.items():
            data[f"lines-{index}-{name}"] = value
    return data


BOOKKEEPING = {"description": "Bookkeeping", "quantity": "2", "unit_price": "1250.50"}
BLANK = {"description": "", "quantity": "1", "unit_price": ""}


@pytest.fixture
def taxed(practice, admin_member):
    services.update_tax_settings(
        admin_member, primary_name="State tax", primary_rate=Decimal("8.875"), primary_enabled=True
    )


def test_the_invoice_page_shows_lines_taxes_totals_and_timeline(
    alice, admin_member, client_a, taxed
):
    invoice = testing.make_invoice(admin_member, client_a, "closed")
    content = alice.get(detail(invoice)).content.decode()
    assert "Acme Widgets" in content
    assert "Monthly bookkeeping" in content
    assert "State tax (8.875 %)" in content
    assert "39.94" in content  # 8.875 % of 450.00, rounded half up
    assert "689.94" in content  # 450.00 + 200.00 + 39.94
    assert "Not exported" in content
    assert "Paid by cheque" in content
    assert content.count('class="who">alice<') == 3  # created, finalized, closed


def test_the_buttons_follow_the_status_and_the_members_rights(
    alice, browser_for, practice, admin_member, client_a
):
    draft = testing.make_invoice(admin_member, client_a)
    final = testing.make_invoice(admin_member, client_a, "finalized")
    closed = testing.make_invoice(admin_member, client_a, "closed")
    assert alice.get(detail(draft)).context["allowed"] == {"edit", "finalize", "delete"}
    assert alice.get(detail(final)).context["allowed"] == {"close", "revert"}
    assert alice.get(detail(closed)).context["allowed"] == {"reopen", "revert"}

    staff = testing.make_member(practice, "bob", can_process_time=True)
    testing.assign(staff, client_a, ClientRole.STAFF)
    bob = browser_for(staff)
    assert bob.get(detail(final)).context["allowed"] == {"close"}
    assert "Revert to draft</button>" not in bob.get(detail(final)).content.decode()
    assert bob.get(detail(closed)).context["allowed"] == set()


def test_a_missing_button_is_explained_where_it_would_be(
    browser_for, practice, admin_member, client_a
):
    final = testing.make_invoice(admin_member, client_a, "finalized")
    closed = testing.make_invoice(admin_member, client_a, "closed")
    staff = testing.make_member(practice, "bob", can_process_time=True)
    testing.assign(staff, client_a, ClientRole.STAFF)
    owners = f"Owners of {client_a.name}: {admin_member.user.username}."
    bob = browser_for(staff).get(detail(final)).content.decode()
    assert (
        "Reverting to Draft needs the Owner role on this client and the Process time "
        f"permission: you lack the Owner role on this client. {owners}"
    ) in bob
    viewer = browser_for(testing.make_member(practice, "vera")).get(detail(closed))
    assert (
        "Reverting to Draft or reopening needs the Owner role on this client and the Process "
        "time permission: you lack the Owner role on this client and the Process time "
        f"permission. {owners}"
    ) in viewer.content.decode()
    draft = testing.make_invoice(admin_member, client_a)
    shown = browser_for(testing.make_member(practice, "val")).get(detail(draft))
    assert shown.context["missing_permissions"] == [
        "Editing and finalizing need the Process time permission, which you do not have."
    ]
    assert browser_for(admin_member).get(detail(final)).context["missing_permissions"] == []


def test_finalize_from_the_invoice_page(alice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    response = alice.post(transition(invoice, "finalize"), follow=True)
    assert response.redirect_chain == [(detail(invoice), 302)]
    assert f"Invoice {invoice.number} is finalized." in response.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == "finalized"


def test_close_needs_a_reason(alice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, "finalized")
    response = alice.post(transition(invoice, "close"), {"reason": "  "})
    assert response.status_code == 400
    assert "Say why the invoice is closed." in response.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == "finalized"

    alice.post(transition(invoice, "close"), {"reason": "Paid in cash"})
    assert Invoice.objects.get(pk=invoice.pk).status == "closed"
    assert TimelineEvent.objects.filter(invoice=invoice, reason="Paid in cash").exists()


@pytest.mark.parametrize(("status", "action"), [("finalized", "close"), ("finalized", "revert")])
def test_a_reason_with_a_nul_character_is_refused_not_stored(
    alice, admin_member, client_a, status, action
):
    # PostgreSQL cannot store NUL in text: kept, it would be a 500 there.
    invoice = testing.make_invoice(admin_member, client_a, status)
    events = invoice.timeline.count()
    response = alice.post(transition(invoice, action), {"reason": "Paid\x00"})
    assert response.status_code == 400
    assert "A reason cannot contain NUL characters." in response.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == status
    assert invoice.timeline.count() == events


def test_revert_and_reopen_keep_their_reasons(alice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, "closed")
    alice.post(transition(invoice, "reopen"), {"reason": "Cheque bounced"})
    alice.post(transition(invoice, "revert"), {"reason": "Wrong hours"})
    assert Invoice.objects.get(pk=invoice.pk).status == "draft"
    content = alice.get(detail(invoice)).content.decode()
    assert "Cheque bounced" in content
    assert "Wrong hours" in content


def test_a_forged_revert_gets_the_services_refusal(browser_for, practice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, "finalized")
    staff = testing.make_member(practice, "bob", can_process_time=True)
    testing.assign(staff, client_a, ClientRole.STAFF)
    response = browser_for(staff).post(transition(invoice, "revert"))
    assert response.status_code == 403
    assert "You need the Owner role on this client to do this." in response.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == "finalized"


def test_an_unknown_transition_is_a_404(alice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    assert alice.post(transition(invoice, "explode")).status_code == 404
    assert alice.get(transition(invoice, "finalize")).status_code == 405


def test_a_new_invoice_takes_the_next_number(alice, practice, client_a, taxed):
    page = alice.get(reverse("web:invoice-new"), {"client": client_a.pk})
    assert page.status_code == 200
    assert "next number in the sequence (INV-1)" in page.content.decode()
    assert page.context["form"]["client"].value() == str(client_a.pk)

    data = editor_data(
        client_a,
        lines=[{**BOOKKEEPING, "primary_taxable": "on"}, BLANK],
    )
    response = alice.post(reverse("web:invoice-new"), data)
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail(invoice)
    assert invoice.number == "INV-1"
    assert [line.description for line in invoice.lines.all()] == ["Bookkeeping"]
    assert invoice.subtotal == Decimal("2501.00")
    assert invoice.primary_tax == Decimal("221.96")


def test_the_editor_shows_field_errors_from_the_form(alice, client_a):
    data = editor_data(client_a, issue="not a date", lines=[{**BOOKKEEPING, "quantity": "two"}])
    response = alice.post(reverse("web:invoice-new"), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert "Enter a valid date." in content
    assert "Enter a number." in content
    assert not Invoice.objects.exists()


# Decimal reads all of these; "sNaN" (a signalling NaN) raises as soon as it is compared.
NOT_FINITE = ["sNaN", "-sNaN", "snan", "sNaN123", "NaN", "-nan", "Infinity", "-inf"]
REASONS = {value: "Enter a number." for value in NOT_FINITE} | {
    "1e400": "Ensure that there are no more than 12 digits in total."
}


@pytest.mark.parametrize("field", ["quantity", "unit_price"])
@pytest.mark.parametrize(("value", "reason"), REASONS.items())
def test_a_new_invoice_with_a_line_that_is_not_a_number_is_refused(
    alice, client_a, field, value, reason
):
    data = editor_data(client_a, lines=[{**BOOKKEEPING, field: value}])
    response = alice.post(reverse("web:invoice-new"), data)
    assert response.status_code == 400
    assert response.context["formset"].errors[0] == {field: [reason]}
    assert reason in response.content.decode()
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("field", ["quantity", "unit_price"])
@pytest.mark.parametrize("value", NOT_FINITE)
def test_a_draft_edited_with_a_line_that_is_not_a_number_is_unchanged(
    alice, admin_member, client_a, field, value
):
    invoice = testing.make_invoice(admin_member, client_a)
    before = list(invoice.lines.values_list("description", "quantity", "unit_price"))
    data = editor_data(client_a, lines=[BOOKKEEPING, {**BOOKKEEPING, field: value}])
    data["lines-INITIAL_FORMS"] = "2"
    response = alice.post(reverse("web:invoice-edit", args=[invoice.pk]), data)
    assert response.status_code == 400
    assert response.context["formset"].errors[1] == {field: ["Enter a number."]}
    assert "Enter a number." in response.content.decode()
    saved = Invoice.objects.get(pk=invoice.pk)
    assert (saved.version, saved.total) == (invoice.version, invoice.total)
    assert list(saved.lines.values_list("description", "quantity", "unit_price")) == before


def test_the_editor_shows_the_services_errors_next_to_the_fields(alice, client_a):
    data = editor_data(
        client_a,
        issue="2026-11-10",
        due="2026-11-01",
        lines=[{**BOOKKEEPING, "quantity": "-1"}],
    )
    response = alice.post(reverse("web:invoice-new"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["due_date"] == ["The due date cannot be before the issue date."]
    assert response.context["line_errors"] == ["Line 1: the quantity must be positive."]
    assert "Line 1: the quantity must be positive." in response.content.decode()


def test_a_number_already_taken_is_shown_on_the_number_field(alice, admin_member, client_a):
    testing.make_invoice(admin_member, client_a, number="X-7")
    response = alice.post(
        reverse("web:invoice-new"), editor_data(client_a, number="X-7", lines=[BOOKKEEPING])
    )
    assert response.status_code == 400
    assert response.context["form"].errors["number"] == [
        "Another invoice of this practice has that number."
    ]


@pytest.mark.parametrize(("number", "shown"), [("INV\t7", "U+0009"), ("INV\r\n7", "U+000A U+000D")])
def test_a_number_with_a_control_character_is_refused_on_the_number_field(
    alice, admin_member, client_a, number, shown
):
    reason = (
        "An invoice number can have only visible characters and plain spaces; "
        f"this one has {shown}."
    )
    response = alice.post(
        reverse("web:invoice-new"), editor_data(client_a, number=number, lines=[BOOKKEEPING])
    )
    assert response.status_code == 400
    assert response.context["form"].errors["number"] == [reason]
    assert reason in response.content.decode()
    assert not Invoice.objects.exists()

    invoice = testing.make_invoice(admin_member, client_a)
    url = reverse("web:invoice-edit", args=[invoice.pk])
    response = alice.post(url, editor_data(client_a, number=number, lines=[BOOKKEEPING]))
    assert response.status_code == 400
    assert response.context["form"].errors["number"] == [reason]
    saved = Invoice.objects.get(pk=invoice.pk)
    assert (saved.number, saved.version, saved.lines.count()) == ("INV-1", invoice.version, 2)


def test_add_line_without_javascript_adds_a_row_and_keeps_what_was_typed(alice, client_a):
    data = editor_data(client_a, lines=[{"description": "Half typed", "quantity": "1"}])
    data["add_line"] = "1"
    response = alice.post(reverse("web:invoice-new"), data)
    assert response.status_code == 200
    assert response.context["formset"].total_form_count() == 2
    content = response.content.decode()
    assert 'value="Half typed"' in content
    assert "This field is required." not in content  # still typing: no errors yet
    assert not Invoice.objects.exists()


def test_add_line_with_htmx_answers_one_row_and_the_new_total(alice):
    response = alice.get(
        reverse("web:invoice-line-row"), {"lines-TOTAL_FORMS": "3"}, headers={"HX-Request": "1"}
    )
    content = response.content.decode()
    assert 'name="lines-3-description"' in content
    assert 'name="lines-TOTAL_FORMS" value="4"' in content
    assert 'hx-swap-oob="true"' in content
    assert alice.get(reverse("web:invoice-line-row"), {"lines-TOTAL_FORMS": "x"}).status_code == 400


def test_editing_a_draft(alice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    page = alice.get(reverse("web:invoice-edit", args=[invoice.pk]))
    assert page.context["formset"].initial_form_count() == 2
    assert 'value="Monthly bookkeeping"' in page.content.decode()

    data = editor_data(client_a, lines=[BOOKKEEPING, {**BOOKKEEPING, "DELETE": "on"}])
    data["lines-INITIAL_FORMS"] = "2"
    response = alice.post(reverse("web:invoice-edit", args=[invoice.pk]), data)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.number == "INV-1"  # blank kept the number
    assert invoice.lines.count() == 1
    assert invoice.total == Decimal("2501.00")


def test_editing_a_finalized_invoice_is_refused_with_a_way_back(alice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, "finalized")
    url = reverse("web:invoice-edit", args=[invoice.pk])
    page = alice.get(url)
    assert page.status_code == 409
    assert "only drafts can be edited" in page.content.decode().lower()
    assert f'href="{detail(invoice)}"' in page.content.decode()


def test_a_save_of_a_finalized_invoice_is_refused_by_the_service(alice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    url = reverse("web:invoice-edit", args=[invoice.pk])
    # The page was opened while it was a draft; it was finalized before the save arrived.
    services.finalize(admin_member, invoice.pk)
    response = alice.post(url, editor_data(client_a, lines=[BOOKKEEPING]))
    assert response.status_code == 409
    assert "only drafts can be edited. Revert it to Draft first." in response.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).lines.count() == 2


def test_a_save_over_someone_elses_newer_edit_is_refused(alice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    url = reverse("web:invoice-edit", args=[invoice.pk])
    opened = alice.get(url).context["form"].initial["version"]
    # Someone else saves the draft while this editor is open.
    services.update_draft(
        admin_member,
        invoice.pk,
        services.DraftInput(
            client_id=client_a.pk, issue_date=invoice.issue_date, lines=testing.sample_lines()
        ),
    )
    response = alice.post(url, {**editor_data(client_a, lines=[BOOKKEEPING]), "version": opened})
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).lines.count() == 2


def test_a_member_without_process_time_cannot_open_the_editor(browser_for, practice, client_a):
    viewer = browser_for(testing.make_member(practice, "vera"))
    response = viewer.get(reverse("web:invoice-new"))
    assert response.status_code == 403
    assert "You need the “Process time” permission to do this." in response.content.decode()
    forged = viewer.post(reverse("web:invoice-new"), editor_data(client_a, lines=[BOOKKEEPING]))
    assert forged.status_code == 403
    assert not Invoice.objects.exists()


def test_dates_and_money_are_shown_plainly(alice, admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a, issue_date=datetime.date(2026, 3, 9))
    content = alice.get(detail(invoice)).content.decode()
    assert "2026-03-09" in content
    assert "2026-04-08" in content
    assert "650.00" in content


def test_the_invoice_page_costs_the_same_queries_whatever_its_size(alice, admin_member, client_a):
    def queries(invoice) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alice.get(detail(invoice)).status_code == 200
        return len(captured)

    line = LineInput("Bookkeeping", Decimal("2"), Decimal("1250.50"))
    small = testing.make_invoice(admin_member, client_a, lines=[line])
    big = testing.make_invoice(admin_member, client_a, lines=[line] * 40)
    for _ in range(5):  # a long timeline, each event naming its actor
        services.finalize(admin_member, big.pk)
        services.close(admin_member, big.pk, "Paid")
        services.reopen(admin_member, big.pk)
        services.revert_to_draft(admin_member, big.pk)
    assert big.timeline.count() > 20
    assert queries(big) == queries(small)


def test_a_draft_with_as_many_lines_as_allowed_can_be_saved_from_the_editor(
    alice, admin_member, client_a
):
    # Each line row posts seven fields: the most lines an invoice may have must fit in what
    # Django accepts in one request (DATA_UPLOAD_MAX_NUMBER_FIELDS).
    lines = [{**BOOKKEEPING, "description": f"Line {n}"} for n in range(services.MAX_LINES)]
    for line in lines:
        line.update({"service_name": "", "primary_taxable": "on", "secondary_taxable": ""})
    data = editor_data(client_a, lines=lines)
    response = alice.post(reverse("web:invoice-new"), data)
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.lines.count() == services.MAX_LINES
    assert alice.get(reverse("web:invoice-edit", args=[invoice.pk])).status_code == 200
