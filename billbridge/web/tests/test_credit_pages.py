"""Credit notes, write-offs, corrected copies and closed periods in the pages (issue 12): the
invoice's Balance card and credit buttons, the credit form and its refusals (nothing kept, the
input kept), a credit note's own page and editor, the way forward from a revert refused in a
closed period, the Billing list's Kind filter, and Settings ▸ Closed periods."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse

from billbridge.clients.models import ClientRole
from billbridge.core import testing
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice, InvoiceKind, InvoiceStatus, TimelineEvent
from billbridge.invoicing.services import CreditInput
from billbridge.practice.models import Practice
from billbridge.web.tests.test_accessibility import problems_in


def detail(invoice) -> str:
    return reverse("web:invoice-detail", args=[invoice.pk])


def credit_url(invoice) -> str:
    return reverse("web:invoice-credit", args=[invoice.pk])


def write_off_url(invoice) -> str:
    return reverse("web:invoice-write-off", args=[invoice.pk])


def credit(member, invoice, **fields) -> Invoice:
    reason = fields.pop("reason", "Overbilled")
    return services.create_credit_note(
        member, CreditInput(invoice_id=invoice.pk, reason=reason, **fields)
    )


def lock_after(practice, *invoices) -> datetime.date:
    """A lock date that closes the period of these invoices and of today."""
    day = max([datetime.date.today(), *(i.issue_date for i in invoices)])
    lock = day + datetime.timedelta(days=10)
    Practice.objects.filter(pk=practice.pk).update(lock_date=lock)
    return lock


def unchanged(invoice) -> tuple:
    """What a refused credit must leave as it was: the documents and the timelines."""
    return (
        list(Invoice.objects.order_by("pk").values_list("pk", "status", "version", "total")),
        TimelineEvent.objects.count(),
        Practice.objects.get(pk=invoice.practice_id).next_credit_note_number,
    )


# ---- the invoice's page ------------------------------------------------------------------------


def test_the_invoice_page_shows_its_balance_and_its_credit_notes(alice, admin_member, billed):
    finalized = services.finalize(
        admin_member, credit(admin_member, billed, amount=Decimal("100")).pk
    )
    draft = credit(admin_member, billed, amount=Decimal("45.00"), write_off=True, reason="Gone")
    response = alice.get(detail(billed))
    balance = response.context["balance"]
    assert (balance.total, balance.credited, balance.paid, balance.due, balance.pending) == (
        Decimal("695.00"), Decimal("100.00"), Decimal("0.00"), Decimal("595.00"), Decimal("45.00"),
    )  # fmt: skip
    page = response.content.decode()
    assert '<dd data-balance="due"><strong>595.00</strong></dd>' in page
    assert '<dd data-balance="credited">−100.00</dd>' in page
    assert "Draft credit notes hold 45.00 of what is due" in page
    for note, kind in ((finalized, "Credit note"), (draft, "Write-off")):
        assert f'<a href="{detail(note)}">{note.number}</a>' in page
        assert f"<td>{kind}</td>" in page
    assert response.context["credit_actions"] == {"credit", "write_off", "corrected_copy"}
    assert f'href="{credit_url(billed)}">Issue a credit note</a>' in page
    assert f'href="{write_off_url(billed)}">Write off</a>' in page


def test_the_credit_buttons_follow_the_members_rights_and_what_remains(
    browser_for, practice, admin_member, client_a, billed
):
    staff = testing.make_member(practice, "bob", can_process_time=True)
    testing.assign(staff, client_a, ClientRole.STAFF)
    bob = browser_for(staff).get(detail(billed))
    # A corrected copy is a new draft (Process time); crediting needs what a revert needs.
    assert bob.context["credit_actions"] == {"corrected_copy"}
    assert "Issuing a credit note or a write-off needs the same." in bob.content.decode()
    viewer = browser_for(testing.make_member(practice, "vera")).get(detail(billed))
    assert viewer.context["credit_actions"] == set()
    assert "Issue a credit note</a>" not in viewer.content.decode()

    services.finalize(admin_member, credit(admin_member, billed).pk)  # all of it
    billed.refresh_from_db()
    assert billed.status == InvoiceStatus.CLOSED  # not in the books: closed here
    full = browser_for(admin_member).get(detail(billed))
    assert full.context["credit_actions"] == {"corrected_copy"}  # nothing left to credit
    assert full.context["balance"].due == Decimal("0.00")
    # A draft owes nothing yet: no balance, no credit.
    draft = testing.make_invoice(admin_member, client_a)
    shown = browser_for(admin_member).get(detail(draft))
    assert shown.context["balance"] is None and shown.context["credit_actions"] == set()


def test_a_credit_notes_page_names_its_invoice_and_offers_no_payment(alice, admin_member, billed):
    note = credit(admin_member, billed, reason="Hours billed twice")
    response = alice.get(detail(note))
    page = response.content.decode()
    assert (
        f'Credit note {note.number} · credits invoice <a href="{detail(billed)}">'
        f"{billed.number}</a>"
    ) in page
    assert '<dd class="credit-reason">Hours billed twice</dd>' in page
    assert "Due date" not in page and "Pay online" not in page
    assert response.context["allowed"] == {"edit", "finalize", "delete"}
    assert response.context["balance"] is None
    assert "Total credited" in page

    finalized = alice.post(reverse("web:invoice-transition", args=[note.pk, "finalize"]))
    assert finalized.status_code == 302
    page = alice.get(detail(note)).content.decode()
    assert f"Credit note {note.number} is finalized." in page
    # Never closed by hand; not in QuickBooks, so it may still go back to Draft.
    assert alice.get(detail(note)).context["allowed"] == {"revert"}
    assert "Why is it closed?" not in page


def test_a_credit_notes_pdf_is_titled_a_credit_note(alice, admin_member, billed):
    note = credit(admin_member, billed)
    response = alice.get(reverse("web:invoice-pdf", args=[note.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{note.number}.pdf"'


def test_a_credit_notes_email_is_worded_as_a_credit(alice, admin_member, billed):
    note = services.finalize(admin_member, credit(admin_member, billed, amount=Decimal("50")).pk)
    form = alice.get(detail(note)).context["send_form"]
    assert form.initial["subject"] == f"Credit note {note.number} from Ledger & Co"
    assert (
        f"credit note {note.number} for 50.00, which credits invoice {billed.number}"
        in (form.initial["body"])
    )


# ---- the credit form ----------------------------------------------------------------------------


def test_the_credit_form_offers_each_way_and_dates_it_in_the_open_period(alice, practice, billed):
    page = alice.get(credit_url(billed))
    assert page.status_code == 200
    form = page.context["form"]
    assert [value for value, _ in form.fields["scope"].choices] == ["all", "lines", "amount"]
    assert [label for _, label in form.fields["line_ids"].choices] == [
        "Monthly bookkeeping — 450.00",
        "Payroll run — 200.00",
    ]
    assert form.initial["issue_date"] == max(datetime.date.today(), billed.issue_date)
    assert "At most <strong data-creditable>695.00</strong> can be credited." in (
        page.content.decode()
    )

    lock = lock_after(practice, billed)
    page = alice.get(credit_url(billed))
    assert page.context["form"].initial["issue_date"] == lock + datetime.timedelta(days=1)
    assert f"lock date closes the books through {lock:%d %b %Y}: a credit is dated after" in (
        page.content.decode()
    )


@pytest.mark.parametrize(
    ("fields", "total"),
    [
        ({"scope": "all"}, Decimal("695.00")),
        ({"scope": "lines", "line_ids": "payroll"}, Decimal("200.00")),
        ({"scope": "amount", "amount": "120.00"}, Decimal("120.00")),
    ],
)
def test_a_credit_note_from_the_form_is_a_draft_shown_to_finalize(alice, billed, fields, total):
    if fields.get("line_ids") == "payroll":
        fields["line_ids"] = [billed.lines.get(service_name="Payroll").pk]
    response = alice.post(credit_url(billed), {**fields, "reason": "Agreed discount"}, follow=True)
    note = Invoice.objects.get(credited_invoice=billed)
    assert response.redirect_chain == [(detail(note), 302)]
    assert (note.kind, note.status, note.total, note.credit_reason) == (
        InvoiceKind.CREDIT_NOTE, InvoiceStatus.DRAFT, total, "Agreed discount",
    )  # fmt: skip
    page = response.content.decode()
    assert f"is a draft: finalize it to credit invoice {billed.number}." in page
    assert 'class="button button-primary">Finalize</button>' in page


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"scope": "amount", "amount": "695.01"}, "amount", "At most 695.00."),
        ({"scope": "amount", "amount": "-5"}, "amount", "Enter a positive amount"),
        ({"scope": "amount", "amount": "1.001"}, "amount", "no more than 2 decimal places"),
        ({"scope": "amount", "amount": "NaN"}, "amount", "Enter a number."),
        ({"scope": "amount"}, "amount", "Enter the amount to credit."),
        ({"scope": "lines"}, "line_ids", "Tick the lines to credit."),
        ({"scope": "lines", "line_ids": ["999999"]}, "line_ids", "not one of the available"),
        ({"scope": "all", "reason": ""}, "reason", "This field is required."),
        ({"scope": "all", "issue_date": "2026-11-01"}, "issue_date", "2026 or later."),
        ({"scope": "sideways"}, "scope", "not one of the available choices"),
    ],
)
def test_a_refused_credit_shows_why_on_the_form_and_keeps_what_was_typed(
    alice, billed, fields, field, error
):
    before = unchanged(billed)
    data = {"reason": "Typed with care", **fields}
    response = alice.post(credit_url(billed), data)
    assert response.status_code == 400
    assert any(error in message for message in response.context["form"].errors[field])
    assert unchanged(billed) == before
    page = response.content.decode()
    if data["reason"]:
        assert 'value="Typed with care"' in page
    if "amount" in fields:
        assert f'value="{fields["amount"]}"' in page


def test_a_date_in_a_closed_period_is_refused_on_the_form(alice, practice, billed):
    lock = lock_after(practice, billed)
    before = unchanged(billed)
    response = alice.post(
        credit_url(billed),
        {"scope": "all", "reason": "Late", "issue_date": lock.isoformat()},
    )
    assert response.status_code == 400
    after = lock + datetime.timedelta(days=1)
    assert response.context["form"].errors["issue_date"] == [
        f"Choose a date after {lock:%d %b %Y}."
    ]
    assert f'value="{lock.isoformat()}"' in response.content.decode()
    assert unchanged(billed) == before
    # Left blank, the credit takes the first open day.
    alice.post(credit_url(billed), {"scope": "all", "reason": "Late", "issue_date": ""})
    assert Invoice.objects.get(credited_invoice=billed).issue_date == after


def test_a_member_who_may_not_credit_is_told_why_on_the_form(
    browser_for, practice, client_a, billed
):
    staff = testing.make_member(practice, "bob", can_process_time=True)
    testing.assign(staff, client_a, ClientRole.STAFF)
    bob = browser_for(staff)
    refused = bob.get(credit_url(billed))
    assert refused.status_code == 403
    assert "You need the Owner role on this client to do this." in refused.content.decode()
    before = unchanged(billed)
    response = bob.post(credit_url(billed), {"scope": "amount", "amount": "10", "reason": "Kind"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "You need the Owner role on this client to do this." in page
    assert 'value="Kind"' in page and 'value="10"' in page
    assert unchanged(billed) == before


def test_only_finalized_invoices_are_credited_and_others_are_not_found(
    alice, admin_member, client_a, billed, other_practice_invoice
):
    draft = testing.make_invoice(admin_member, client_a)
    note = credit(admin_member, billed)
    for document in (draft, note):
        response = alice.get(credit_url(document))
        assert response.status_code == 409
        assert "only finalized or closed invoices can be credited" in response.content.decode()
    before = unchanged(billed)
    posted = alice.post(credit_url(draft), {"scope": "all", "reason": "Why not"})
    assert posted.status_code == 409
    assert "only finalized or closed invoices can be credited" in posted.content.decode()
    assert unchanged(billed) == before
    for url in (credit_url(other_practice_invoice), write_off_url(other_practice_invoice)):
        assert alice.get(url).status_code == 404
        assert alice.post(url, {"scope": "all", "reason": "x"}).status_code == 404


def test_a_write_off_takes_all_that_remains_by_default(alice, admin_member, billed):
    services.finalize(admin_member, credit(admin_member, billed, amount=Decimal("95")).pk)
    page = alice.get(write_off_url(billed))
    assert page.context["form"].initial["amount"] == Decimal("600.00")
    assert "bad debt" in page.content.decode()
    response = alice.post(write_off_url(billed), {"amount": "", "reason": "Client ceased trading"})
    note = Invoice.objects.get(credited_invoice=billed, kind=InvoiceKind.WRITE_OFF)
    assert response.status_code == 302 and response["Location"] == detail(note)
    assert note.total == Decimal("600.00") and note.status == InvoiceStatus.DRAFT
    before = unchanged(billed)
    again = alice.post(write_off_url(billed), {"amount": "1.00", "reason": "More"})
    assert again.status_code == 400
    assert "more than the 0.00 that remains" in again.content.decode()
    assert unchanged(billed) == before


# ---- a credit note's draft ----------------------------------------------------------------------


def test_a_credit_notes_draft_is_edited_in_the_invoice_editor_for_its_client(
    alice, practice, admin_member, billed
):
    note = credit(admin_member, billed, amount=Decimal("100"))
    editor = alice.get(reverse("web:invoice-edit", args=[note.pk]))
    form = editor.context["form"]
    assert form.fields["client"].disabled and "due_date" not in form.fields
    page = editor.content.decode()
    assert f"Edit draft credit note {note.number}" in page
    assert f"It credits invoice {billed.number}" in page
    line = note.lines.get()
    other = testing.make_client(practice, "Other Co")
    data = {
        "client": other.pk,  # a disabled field: what is posted is not read
        "number": "",
        "issue_date": note.issue_date.isoformat(),
        "memo": "",
        "version": note.version,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-line_id": line.pk,
        "lines-0-description": "Goodwill",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "150.00",
    }
    saved = alice.post(reverse("web:invoice-edit", args=[note.pk]), data, follow=True)
    assert f"Credit note {note.number} is saved as a draft." in saved.content.decode()
    note.refresh_from_db()
    assert (note.client_id, note.total, note.due_date) == (
        billed.client_id,
        Decimal("150.00"),
        None,
    )

    before = unchanged(billed)
    data.update({"version": note.version, "lines-0-unit_price": "900.00"})
    refused = alice.post(reverse("web:invoice-edit", args=[note.pk]), data)
    assert refused.status_code == 400
    assert "more than the 695.00 that remains" in refused.content.decode()
    assert unchanged(billed) == before


def test_deleting_a_credit_notes_draft_goes_back_to_its_invoice(alice, admin_member, billed):
    note = credit(admin_member, billed)
    response = alice.post(reverse("web:invoice-delete", args=[note.pk]), follow=True)
    assert response.redirect_chain == [(detail(billed), 302)]
    assert f"Draft credit note {note.number} is deleted." in response.content.decode()
    assert not Invoice.objects.filter(pk=note.pk).exists()
    assert response.context["balance"].pending == Decimal("0.00")


# ---- a closed period ----------------------------------------------------------------------------


def test_a_revert_refused_in_a_closed_period_offers_a_credit_note_and_a_corrected_copy(
    alice, practice, billed
):
    lock = lock_after(practice, billed)
    response = alice.post(reverse("web:invoice-transition", args=[billed.pk, "revert"]))
    assert response.status_code == 409
    page = response.content.decode()
    assert f"closes the books through {lock:%d %b %Y}" in page
    assert f'href="{credit_url(billed)}">Issue a credit note instead</a>' in page
    copy_url = reverse("web:invoice-corrected-copy", args=[billed.pk])
    assert f'action="{copy_url}"' in page
    assert Invoice.objects.get(pk=billed.pk).status == InvoiceStatus.FINALIZED

    copied = alice.post(copy_url, follow=True)
    copy = Invoice.objects.exclude(pk=billed.pk).get(kind=InvoiceKind.INVOICE)
    assert copied.redirect_chain == [(detail(copy), 302)]
    assert (copy.status, copy.issue_date, copy.total) == (
        InvoiceStatus.DRAFT, lock + datetime.timedelta(days=1), billed.total,
    )  # fmt: skip
    assert f"Draft {copy.number} is a corrected copy of invoice {billed.number}" in (
        copied.content.decode()
    )


def test_quickbooks_closed_books_date_refuses_a_revert_too(alice, admin_member, connected):
    client = testing.make_client(connected.practice, "Old Books Co")
    testing.assign(admin_member, client)
    june = testing.make_invoice(
        admin_member, client, InvoiceStatus.FINALIZED, issue_date=datetime.date(2026, 6, 15)
    )
    response = alice.post(reverse("web:invoice-transition", args=[june.pk, "revert"]))
    assert response.status_code == 409
    page = response.content.decode()
    assert "QuickBooks&#x27; closed-books date closes the books through 30 Jun 2026" in page
    assert "Issue a credit note instead</a>" in page


def test_a_credit_note_refused_in_a_closed_period_offers_no_credit(
    alice, practice, admin_member, billed
):
    note = services.finalize(admin_member, credit(admin_member, billed, amount=Decimal("5")).pk)
    lock_after(practice, billed, note)
    response = alice.post(reverse("web:invoice-transition", args=[note.pk, "revert"]))
    assert response.status_code == 409
    assert "in a closed period" in response.content.decode()
    assert "Issue a credit note instead</a>" not in response.content.decode()


def test_the_bulk_revert_links_each_invoice_refused_for_its_period_to_a_credit(
    alice, practice, admin_member, client_a, billed
):
    later = testing.make_invoice(
        admin_member, client_a, InvoiceStatus.FINALIZED, issue_date=datetime.date(2027, 3, 1)
    )
    Practice.objects.filter(pk=practice.pk).update(lock_date=datetime.date(2027, 1, 31))
    response = alice.post(
        reverse("web:billing-list"),
        {"action": "revert_to_draft", "invoice": [billed.pk, later.pk]},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert "Revert to draft: 1 done, 1 refused" in page
    assert response.context["report"].credit_instead == frozenset({billed.pk})
    assert page.count("Issue a credit note instead</a>") == 1
    assert f'href="{credit_url(billed)}">Issue a credit note instead</a>' in page
    assert Invoice.objects.get(pk=billed.pk).status == InvoiceStatus.FINALIZED


# ---- the Billing list -------------------------------------------------------------------------


def test_the_billing_list_shows_credit_notes_as_their_own_kind(alice, admin_member, billed):
    note = services.finalize(admin_member, credit(admin_member, billed, amount=Decimal("120")).pk)
    page = alice.get(reverse("web:billing-list")).content.decode()
    assert f'{note.number}</a> <span class="badge badge-credit">Credit note</span>' in page
    assert '<span class="credit-amount">−120.00</span>' in page
    assert f'aria-label="Select invoice {note.number}"' in page

    credits_only = alice.get(reverse("web:billing-list"), {"kind": "credit"})
    assert [row.invoice.pk for row in credits_only.context["rows"]] == [note.pk]
    invoices_only = alice.get(reverse("web:billing-list"), {"kind": "invoice"})
    assert [row.invoice.pk for row in invoices_only.context["rows"]] == [billed.pk]
    # Kept in the URL like the other filters: the bulk form posts to the filtered list.
    assert 'action="/?kind=credit"' in credits_only.content.decode()
    bad = alice.get(reverse("web:billing-list"), {"kind": "refund"})
    assert bad.status_code == 400
    assert "not one of the available choices" in bad.content.decode()


def test_the_kind_filter_narrows_a_bulk_action_on_all_matching(
    alice, admin_member, client_a, billed, settings
):
    settings.BILLING_LIST_PAGE_SIZE = 1
    notes = [credit(admin_member, billed, amount=Decimal("10")) for _ in range(2)]
    testing.make_invoice(admin_member, client_a)  # a draft invoice, left alone
    response = alice.post(
        f"{reverse('web:billing-list')}?kind=credit",
        {"action": "finalize", "all_matching": "2"},
        headers={"HX-Request": "true"},
    )
    assert "Finalize: 2 done, 0 refused" in response.content.decode()
    assert set(Invoice.objects.filter(status="draft").values_list("kind", flat=True)) == {
        InvoiceKind.INVOICE
    }
    assert all(Invoice.objects.get(pk=n.pk).status == InvoiceStatus.FINALIZED for n in notes)


def test_the_pdf_zip_of_all_matching_keeps_to_the_kind(alice, admin_member, billed):
    note = credit(admin_member, billed, amount=Decimal("10"))
    response = alice.post(f"{reverse('web:invoice-pdf-zip')}?kind=credit", {"all_matching": "1"})
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert names == [f"{note.number}.pdf"]


# ---- Settings ▸ Closed periods ----------------------------------------------------------------


def test_the_lock_date_is_set_and_cleared(alice, practice):
    url = reverse("web:closed-periods")
    page = alice.get(url)
    assert page.status_code == 200
    assert "No period is closed" in page.content.decode()
    assert "QuickBooks Online is not connected." in page.content.decode()
    saved = alice.post(url, {"lock_date": "2026-10-31"}, follow=True)
    assert "The lock date is 31 Oct 2026" in saved.content.decode()
    assert Practice.objects.get(pk=practice.pk).lock_date == datetime.date(2026, 10, 31)
    assert (
        "In force: The practice&#x27;s lock date closes the books through 31 Oct 2026."
        in saved.content.decode()
    )
    cleared = alice.post(url, {"lock_date": "not a date", "clear": "1"}, follow=True)
    assert "The practice has no lock date now." in cleared.content.decode()
    assert Practice.objects.get(pk=practice.pk).lock_date is None
    bad = alice.post(url, {"lock_date": "2026-02-30"})
    assert bad.status_code == 400
    assert "Enter a valid date." in bad.content.decode()
    assert Practice.objects.get(pk=practice.pk).lock_date is None


def test_members_who_may_not_manage_settings_read_the_dates_only(browser_for, practice):
    Practice.objects.filter(pk=practice.pk).update(lock_date=datetime.date(2026, 9, 30))
    viewer = browser_for(testing.make_member(practice, "vera", can_process_time=True))
    page = viewer.get(reverse("web:closed-periods"))
    assert page.context["form"].fields["lock_date"].disabled
    assert "Save the lock date" not in page.content.decode()
    refused = viewer.post(reverse("web:closed-periods"), {"clear": "1"})
    assert refused.status_code == 403
    assert "Manage settings" in refused.content.decode()
    assert Practice.objects.get(pk=practice.pk).lock_date == datetime.date(2026, 9, 30)


def test_quickbooks_closed_books_date_is_shown_as_last_read(alice, connected):
    page = alice.get(reverse("web:closed-periods")).content.decode()
    assert "<p data-books-date>30 Jun 2026</p>" in page
    assert "As last read, " in page
    assert "QuickBooks&#x27; closed-books date closes the books through 30 Jun 2026" in page
    Practice.objects.filter(pk=connected.practice_id).update(lock_date=datetime.date(2026, 7, 31))
    page = alice.get(reverse("web:closed-periods")).content.decode()
    assert "The practice&#x27;s lock date closes the books through 31 Jul 2026" in page


def test_the_settings_nav_leads_to_closed_periods(alice):
    page = alice.get(reverse("web:tax-settings")).content.decode()
    assert f'<a href="{reverse("web:closed-periods")}">Closed periods</a>' in page


# ---- every new page, plainly accessible -------------------------------------------------------


def test_the_credit_pages_are_accessible(alice, practice, admin_member, billed):
    note = credit(admin_member, billed, amount=Decimal("10"))
    lock_after(practice, billed)
    pages = {
        "credit form": alice.get(credit_url(billed)),
        "write-off form": alice.get(write_off_url(billed)),
        "credit form, errors": alice.post(credit_url(billed), {"scope": "lines", "reason": ""}),
        "credit note": alice.get(detail(note)),
        "credit note editor": alice.get(reverse("web:invoice-edit", args=[note.pk])),
        "invoice with credits": alice.get(detail(billed)),
        "revert refused": alice.post(reverse("web:invoice-transition", args=[billed.pk, "revert"])),
        "closed periods": alice.get(reverse("web:closed-periods")),
        "billing list of credits": alice.get(reverse("web:billing-list"), {"kind": "credit"}),
    }
    for name, response in pages.items():
        assert response.status_code < 500, name
        assert problems_in(response.content.decode()) == [], name
