"""The entries pages: the list and its filters, the editor (time and expenses, with the rate and
value previewed), an entry with its history, and the actions on one entry, each allowed only
as the services allow it."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.time import billing, rate_card, services
from billbridge.time.models import Entry, EntryChange, EntryKind

TODAY = timezone.localdate()
DAY = TODAY - datetime.timedelta(days=3)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def sam(practice, admin_member):
    member = testing.make_member(practice, "sam")
    rate_card.set_rate(
        admin_member,
        rate_card.RateInput(datetime.date(2020, 1, 1), Decimal("90.00"), staff_id=member.pk),
    )
    return member


@pytest.fixture
def sams(browser_for, sam):
    return browser_for(sam)


def record(member, client, minutes, work_code=None, day=DAY, **more):
    return services.record(
        member,
        services.EntryInput(
            client_id=client.pk,
            date=day,
            minutes=minutes,
            work_code_id=work_code.pk if work_code else None,
            **more,
        ),
    )


def expense(member, client, amount, day=DAY):
    return services.record(
        member,
        services.EntryInput(
            client_id=client.pk,
            date=day,
            kind=EntryKind.EXPENSE,
            amount=Decimal(amount),
            description="Filing fee",
        ),
    )


def listed(response) -> list[Entry]:
    return [row.entry for row in response.context["rows"]]


def form_data(client, **fields) -> dict:
    return {
        "kind": "time",
        "client": client.pk,
        "date": DAY.isoformat(),
        "duration": "1:30",
        "work_code": "",
        "description": "",
        "billable": "",
        **fields,
    }


# ---- the list --------------------------------------------------------------------------------


def test_the_list_shows_the_members_own_entries_with_rate_and_value(
    alice, admin_member, sam, client_a, tax
):
    mine = record(admin_member, client_a, 90, tax, description="Year-end return")
    record(sam, client_a, 60)
    response = alice.get(reverse("web:entry-list"))
    assert response.status_code == 200
    assert listed(response) == [mine]
    html = response.content.decode()
    assert "Year-end return" in html
    assert "1:30" in html and "200.00/h" in html and "300.00" in html
    assert "Unbilled (WIP)" in html


def test_the_filters_narrow_by_client_dates_state_and_kind(
    alice, admin_member, practice, client_a, tax
):
    birch = testing.make_client(practice, "Birch & Sons")
    old = record(admin_member, client_a, 60, tax, DAY - datetime.timedelta(days=10))
    new = record(admin_member, client_a, 30, tax)
    other = record(admin_member, birch, 45)
    fee = expense(admin_member, client_a, "35.00")
    held = record(admin_member, birch, 15)
    billing.invoice_from_wip(
        admin_member, billing.WipBilling(client_id=birch.pk, entry_ids=[held.pk])
    )
    url = reverse("web:entry-list")

    def shown(**query):
        response = alice.get(url, query)
        assert response.status_code == 200
        return set(listed(response))

    assert shown(client=client_a.pk) == {old, new, fee}
    assert shown(date_from=DAY.isoformat()) == {new, other, fee, held}
    assert shown(date_to=(DAY - datetime.timedelta(days=1)).isoformat()) == {old}
    assert shown(kind="expense") == {fee}
    assert shown(state="on_draft") == {held}
    assert shown(state="unbilled", client=birch.pk) == {other}
    assert shown(work_code=tax.pk) == {old, new}


def test_a_held_entry_links_its_invoice_and_offers_no_edit(alice, admin_member, client_a, tax):
    entry = record(admin_member, client_a, 60, tax)
    invoice = billing.invoice_from_wip(admin_member, billing.WipBilling(client_id=client_a.pk))
    html = alice.get(reverse("web:entry-list")).content.decode()
    assert "On a draft invoice" in html
    assert f'href="{reverse("web:invoice-detail", args=[invoice.pk])}">{invoice.number}<' in html
    assert reverse("web:entry-edit", args=[entry.pk]) not in html
    assert reverse("web:entry-write-off", args=[entry.pk]) not in html


def test_a_running_timer_shows_when_it_started(alice, admin_member, client_a, tax):
    entry = record(admin_member, client_a, 30, tax, TODAY)
    services.start_timer(admin_member, entry.pk)
    html = alice.get(reverse("web:entry-list")).content.decode()
    assert "running since" in html and "data-elapsed-seconds=" in html
    assert reverse("web:entry-stop-timer", args=[entry.pk]) in html


def test_the_list_has_pages_of_fifty(alice, admin_member, practice, client_a):
    Entry.objects.bulk_create(
        Entry(practice=practice, staff=admin_member, client=client_a, date=DAY, minutes=n + 1)
        for n in range(60)
    )
    first = alice.get(reverse("web:entry-list"))
    assert len(first.context["rows"]) == 50
    assert "1–50 of 60 entries" in first.content.decode()
    second = alice.get(reverse("web:entry-list"), {"page": 2})
    assert len(second.context["rows"]) == 10
    # htmx asks for the table alone.
    partial = alice.get(reverse("web:entry-list"), {"page": 2}, headers=HTMX)
    assert "<html" not in partial.content.decode()


def test_others_entries_are_listed_with_process_time(alice, admin_member, sam, client_a):
    theirs = record(sam, client_a, 60)
    mine = record(admin_member, client_a, 30)
    assert listed(alice.get(reverse("web:entry-list"), {"staff": sam.pk})) == [theirs]
    assert set(listed(alice.get(reverse("web:entry-list"), {"staff": ""}))) == {theirs, mine}


def test_without_process_time_asking_for_someone_else_shows_the_reason_and_own_entries(
    sams, admin_member, sam, client_a
):
    mine = record(sam, client_a, 60)
    record(admin_member, client_a, 30)
    for asked in (admin_member.pk, ""):
        response = sams.get(reverse("web:entry-list"), {"staff": asked})
        assert response.status_code == 400
        assert listed(response) == [mine]
        assert "permission to see someone else" in response.content.decode()
    html = sams.get(reverse("web:entry-list")).content.decode()
    assert 'name="staff"' not in html


# ---- the editor ------------------------------------------------------------------------------


def test_a_new_time_entry_is_recorded_through_the_service(alice, admin_member, client_a, tax):
    response = alice.post(
        reverse("web:entry-new"),
        form_data(client_a, work_code=tax.pk, description="Returns", duration="1.75"),
    )
    entry = Entry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:entry-detail", args=[entry.pk])
    assert (entry.minutes, entry.rate, entry.value, entry.staff, entry.billable) == (
        105,
        Decimal("200.00"),
        Decimal("350.00"),
        admin_member,
        True,
    )
    assert EntryChange.objects.get(entry=entry).action == "created"


def test_billable_left_to_the_work_code_or_chosen(alice, admin_member, client_a):
    unbillable = rate_card.save_work_code(
        admin_member, rate_card.WorkCodeInput("Admin", billable=False)
    )
    alice.post(reverse("web:entry-new"), form_data(client_a, work_code=unbillable.pk))
    alice.post(
        reverse("web:entry-new"), form_data(client_a, work_code=unbillable.pk, billable="yes")
    )
    assert list(Entry.objects.order_by("pk").values_list("billable", flat=True)) == [False, True]


def test_an_expense_has_an_amount_and_no_work_code(alice, client_a, tax):
    response = alice.post(
        reverse("web:entry-new"),
        form_data(client_a, kind="expense", amount="35.50", duration="", work_code=tax.pk),
    )
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert (entry.kind, entry.value, entry.minutes, entry.work_code) == (
        EntryKind.EXPENSE,
        Decimal("35.50"),
        0,
        None,
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"duration": "abc"}, "duration", "“abc” is not a duration"),
        ({"duration": "9" * 40}, "duration", "is not a duration"),
        ({"duration": "-1"}, "duration", "The duration must be more than zero."),
        ({"duration": "25:00"}, "duration", "The duration cannot be more than 24 hours."),
        ({"duration": ""}, "duration", "The duration must be more than zero."),
        ({"date": "2026-02-30"}, "date", "Enter a valid date."),
        (
            {"date": (TODAY + datetime.timedelta(days=60)).isoformat()},
            "date",
            "The date is too far ahead",
        ),
        ({"kind": "expense", "amount": "0"}, "amount", "more than zero"),
        ({"kind": "expense", "amount": "1.234"}, "amount", "at most two decimals"),
        ({"kind": "expense", "amount": "NaN"}, "amount", "Enter a number."),
        ({"description": "x\x00y"}, "description", "Null characters are not allowed."),
    ],
)
def test_bad_input_is_explained_by_its_field_and_stores_nothing(
    alice, client_a, fields, field, message
):
    response = alice.post(reverse("web:entry-new"), form_data(client_a, **fields))
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Entry.objects.exists()


def test_another_practices_client_is_refused_by_the_field(alice, client_a):
    hidden = testing.make_client(testing.make_practice("Elsewhere"), "Hidden Co")
    response = alice.post(reverse("web:entry-new"), form_data(hidden))
    assert response.status_code == 400
    assert "client" in response.context["form"].errors
    assert "Hidden Co" not in response.content.decode()
    assert not Entry.objects.exists()


def test_without_process_time_the_person_is_yourself(sams, admin_member, sam, client_a):
    page = sams.get(reverse("web:entry-new"))
    assert "staff" not in page.context["form"].fields
    sams.post(reverse("web:entry-new"), form_data(client_a, staff=admin_member.pk))
    assert Entry.objects.get().staff == sam


def test_with_process_time_time_is_recorded_for_someone_else(alice, sam, client_a):
    response = alice.post(reverse("web:entry-new"), form_data(client_a, staff=sam.pk))
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert (entry.staff, entry.rate, entry.value) == (sam, Decimal("90.00"), Decimal("135.00"))


def test_a_new_entry_starts_from_what_the_link_asks(alice, client_a, tax):
    form = alice.get(
        reverse("web:entry-new"), {"client": client_a.pk, "work_code": tax.pk}
    ).context["form"]
    assert (form["client"].value(), form["work_code"].value(), form["date"].value()) == (
        str(client_a.pk),
        str(tax.pk),
        TODAY,
    )


def test_editing_an_entry_updates_it_and_its_history_says_what_changed(
    alice, admin_member, client_a, tax
):
    entry = record(admin_member, client_a, 60, tax)
    url = reverse("web:entry-edit", args=[entry.pk])
    form = alice.get(url).context["form"]
    assert form["duration"].value() == "1:00"
    response = alice.post(
        url, form_data(client_a, work_code=tax.pk, duration="2:00", billable="no")
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.minutes, entry.value, entry.billable) == (120, Decimal("400.00"), False)
    html = alice.get(reverse("web:entry-detail", args=[entry.pk])).content.decode()
    assert "Duration: 1:00 → 2:00" in html
    assert "Billable: yes → no" in html
    assert "Value: 200.00 → 400.00" in html


def test_an_entry_stays_time_even_if_the_form_says_expense(alice, admin_member, client_a):
    entry = record(admin_member, client_a, 60)
    alice.post(
        reverse("web:entry-edit", args=[entry.pk]),
        form_data(client_a, kind="expense", amount="10.00", duration="0:30"),
    )
    entry.refresh_from_db()
    assert (entry.kind, entry.minutes) == (EntryKind.TIME, 30)


def test_a_held_entry_is_not_edited(alice, admin_member, client_a):
    entry = record(admin_member, client_a, 60)
    billing.invoice_from_wip(admin_member, billing.WipBilling(client_id=client_a.pk))
    url = reverse("web:entry-edit", args=[entry.pk])
    response = alice.get(url)
    assert response.status_code == 409
    assert "on a draft invoice" in response.content.decode()
    forged = alice.post(url, form_data(client_a, duration="5:00"))
    assert forged.status_code == 409
    entry.refresh_from_db()
    assert entry.minutes == 60


def test_someone_elses_entry_needs_process_time(sams, alice, admin_member, sam, client_a):
    theirs = record(admin_member, client_a, 60)
    for url in (
        reverse("web:entry-detail", args=[theirs.pk]),
        reverse("web:entry-edit", args=[theirs.pk]),
    ):
        response = sams.get(url)
        assert response.status_code == 403
        assert "Process time" in response.content.decode()
    forged = sams.post(
        reverse("web:entry-edit", args=[theirs.pk]), form_data(client_a, duration="9")
    )
    assert forged.status_code == 403
    assert sams.post(reverse("web:entry-delete", args=[theirs.pk])).status_code == 403
    assert Entry.objects.get().minutes == 60
    # Alice, with Process time, changes Sam's.
    samss = record(sam, client_a, 60)
    response = alice.post(
        reverse("web:entry-edit", args=[samss.pk]), form_data(client_a, staff=sam.pk, duration="2")
    )
    assert response.status_code == 302
    samss.refresh_from_db()
    assert samss.minutes == 120


def test_another_practices_entry_is_not_found(alice, client_a):
    other = testing.make_practice("Elsewhere")
    mallory = testing.make_admin(other, "mallory")
    hidden = testing.make_client(other, "Hidden Co")
    entry = record(mallory, hidden, 60)
    for name in ("entry-detail", "entry-edit", "entry-delete"):
        assert alice.get(reverse(f"web:{name}", args=[entry.pk])).status_code == 404
    for name in ("entry-delete", "entry-write-off", "entry-restore", "entry-start-timer"):
        assert (
            alice.post(reverse(f"web:{name}", args=[entry.pk]), {"reason": "x"}).status_code == 404
        )
    assert alice.get(reverse("web:entry-preview"), {"entry": entry.pk}).status_code == 200
    entry.refresh_from_db()
    assert (entry.minutes, entry.written_off, entry.timer_started_at) == (60, False, None)


# ---- the preview -----------------------------------------------------------------------------


def test_the_preview_answers_the_rate_in_force_and_the_value(alice, sam, client_a, tax):
    url = reverse("web:entry-preview")
    answer = alice.get(url, form_data(client_a, work_code=tax.pk, duration="1:30"), headers=HTMX)
    assert answer.content.decode().strip() == "1:30 at 200.00 an hour: value 300.00."
    for_sam = alice.get(url, form_data(client_a, staff=sam.pk, duration="0:20"), headers=HTMX)
    assert for_sam.content.decode().strip() == "0:20 at 90.00 an hour: value 30.00."
    no_rate = alice.get(url, form_data(client_a, duration="1"), headers=HTMX)
    assert "No rate applies" in no_rate.content.decode()
    no_duration = alice.get(url, form_data(client_a, work_code=tax.pk, duration=""), headers=HTMX)
    assert no_duration.content.decode().strip() == (
        "Rate 200.00 an hour. Type a duration to see the value."
    )
    fee = alice.get(url, form_data(client_a, kind="expense", amount="35"), headers=HTMX)
    assert fee.content.decode().strip() == "Value 35.00."


def test_without_javascript_the_preview_button_shows_the_form_again_unsaved(alice, client_a, tax):
    response = alice.post(
        reverse("web:entry-new"), {**form_data(client_a, work_code=tax.pk), "preview": "1"}
    )
    assert response.status_code == 200
    assert "1:30 at 200.00 an hour: value 300.00." in response.content.decode()
    assert not Entry.objects.exists()


def test_the_preview_of_an_edited_entry_is_for_its_person(sams, alice, sam, client_a):
    entry = record(sam, client_a, 60)
    answer = sams.get(
        reverse("web:entry-preview"), {**form_data(client_a, duration="1"), "entry": entry.pk}
    )
    assert answer.content.decode().strip() == "1:00 at 90.00 an hour: value 90.00."


# ---- one entry and its actions ---------------------------------------------------------------


def test_the_entry_page_shows_its_invoice_and_the_invoices_timeline(
    alice, admin_member, client_a, tax
):
    entry = record(admin_member, client_a, 60, tax)
    invoice = billing.invoice_from_wip(admin_member, billing.WipBilling(client_id=client_a.pk))
    invoicing.finalize(admin_member, invoice.pk)
    response = alice.get(reverse("web:entry-detail", args=[entry.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Billed" in html
    assert f'href="{reverse("web:invoice-detail", args=[invoice.pk])}">{invoice.number}<' in html
    whats = [item.what for item in response.context["history"]]
    assert whats[0] == "created"
    assert f"Invoice {invoice.number}: finalized" in whats
    assert not response.context["row"].allowed.anything


def test_write_off_needs_a_reason_and_process_time_and_restore_undoes_it(
    alice, sams, admin_member, sam, client_a
):
    entry = record(admin_member, client_a, 60)
    url = reverse("web:entry-write-off", args=[entry.pk])
    refused = alice.post(url, {"reason": " "})
    assert refused.status_code == 400
    assert "Say why the work is written off." in refused.content.decode()
    entry.refresh_from_db()
    assert not entry.written_off

    done = alice.post(url, {"reason": "Goodwill", "next": reverse("web:entry-list")})
    assert done["Location"] == reverse("web:entry-list")
    entry.refresh_from_db()
    assert entry.written_off
    html = alice.get(reverse("web:entry-detail", args=[entry.pk])).content.decode()
    assert "Goodwill" in html and "Restore to WIP" in html

    own = record(sam, client_a, 30)
    assert (
        sams.post(reverse("web:entry-write-off", args=[own.pk]), {"reason": "x"}).status_code == 403
    )
    own.refresh_from_db()
    assert not own.written_off

    alice.post(reverse("web:entry-restore", args=[entry.pk]))
    entry.refresh_from_db()
    assert not entry.written_off


def test_write_off_is_offered_only_with_process_time(alice, sams, admin_member, sam, client_a):
    mine = record(sam, client_a, 30)
    html = sams.get(reverse("web:entry-list")).content.decode()
    assert reverse("web:entry-edit", args=[mine.pk]) in html
    assert reverse("web:entry-write-off", args=[mine.pk]) not in html
    assert (
        reverse("web:entry-write-off", args=[mine.pk])
        in alice.get(reverse("web:entry-list"), {"staff": sam.pk}).content.decode()
    )


def test_the_timer_starts_and_stops_from_the_list(alice, admin_member, client_a):
    entry = record(admin_member, client_a, 30, day=TODAY)
    back = reverse("web:entry-list") + "?kind=time"
    started = alice.post(reverse("web:entry-start-timer", args=[entry.pk]), {"next": back})
    assert started["Location"] == back
    entry.refresh_from_db()
    assert entry.timer_started_at is not None
    alice.post(reverse("web:entry-stop-timer", args=[entry.pk]))
    entry.refresh_from_db()
    assert (entry.timer_started_at, entry.minutes) == (None, 31)
    again = alice.post(reverse("web:entry-stop-timer", args=[entry.pk]))
    assert again.status_code == 409
    assert "not running" in again.content.decode()


def test_an_expense_has_no_timer(alice, admin_member, client_a):
    fee = expense(admin_member, client_a, "10.00")
    response = alice.post(reverse("web:entry-start-timer", args=[fee.pk]))
    assert response.status_code == 400
    fee.refresh_from_db()
    assert fee.timer_started_at is None


def test_delete_asks_first_then_deletes(alice, admin_member, client_a):
    entry = record(admin_member, client_a, 30)
    url = reverse("web:entry-delete", args=[entry.pk])
    assert "Delete this entry?" in alice.get(url).content.decode()
    assert Entry.objects.exists()
    # Sent back to the entry's own page, which is gone: the list instead.
    response = alice.post(url, {"next": reverse("web:entry-detail", args=[entry.pk])})
    assert response["Location"] == reverse("web:entry-list")
    assert not Entry.objects.exists()


def test_a_billed_entry_is_not_deleted(alice, admin_member, client_a):
    entry = record(admin_member, client_a, 30)
    invoice = billing.invoice_from_wip(admin_member, billing.WipBilling(client_id=client_a.pk))
    invoicing.finalize(admin_member, invoice.pk)
    response = alice.post(reverse("web:entry-delete", args=[entry.pk]))
    assert response.status_code == 409
    assert Entry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/x\x00"])
def test_an_action_never_sends_back_to_another_site(alice, admin_member, client_a, target):
    entry = record(admin_member, client_a, 30, day=TODAY)
    response = alice.post(reverse("web:entry-start-timer", args=[entry.pk]), {"next": target})
    assert response["Location"] == reverse("web:entry-detail", args=[entry.pk])


def test_the_list_costs_the_same_queries_for_a_full_page_whatever_the_count(
    alice, admin_member, practice, client_a, tax, django_assert_max_num_queries
):
    def fill(count):
        Entry.objects.bulk_create(
            Entry(
                practice=practice,
                staff=admin_member,
                client=client_a,
                work_code=tax,
                date=DAY,
                minutes=5,
            )
            for _ in range(count)
        )

    fill(60)
    with CaptureQueriesContext(connection) as few:
        alice.get(reverse("web:entry-list"))
    fill(500)
    with django_assert_max_num_queries(len(few)):
        alice.get(reverse("web:entry-list"))
    assert re.search(r"1–50 of 560 entries", alice.get(reverse("web:entry-list")).content.decode())
