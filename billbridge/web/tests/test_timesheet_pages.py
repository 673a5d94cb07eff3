"""The weekly timesheet page: the grid and its totals, cells typed in place (with htmx and
without), rows added and copied, the timer, whose sheet may be seen, and its constant cost."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billbridge.core import testing
from billbridge.time import billing, services, timesheet
from billbridge.time.models import Entry, TimesheetRow

TODAY = timezone.localdate()
WEEK = timesheet.week_of(TODAY)
LAST_WEEK = WEEK - timesheet.ONE_WEEK
HTMX = {"HX-Request": "true"}


@pytest.fixture
def sam(practice):
    """A member with no permissions: keeps their own sheet only."""
    return testing.make_member(practice, "sam")


def record(member, client, minutes, work_code=None, day=LAST_WEEK, **more):
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


def sheet(week=LAST_WEEK, **query) -> str:
    return f"{reverse('web:timesheet')}?week={week.isoformat()}" + "".join(
        f"&{name}={value}" for name, value in query.items()
    )


def cell(member, client, work_code, day, hours) -> dict:
    return {
        "staff": member.pk,
        "client": client.pk,
        "work_code": work_code.pk if work_code else "",
        "date": day.isoformat(),
        "hours": hours,
    }


def cell_id(client, work_code, day) -> str:
    return f"cell-{client.pk}-{work_code.pk if work_code else 0}-{day:%Y%m%d}"


def text_of(html: str, element_id: str) -> str:
    """The text inside the element with this id (no nesting of the same tag assumed)."""
    found = re.search(rf'<(\w+) id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, element_id
    return re.sub(r"<[^>]+>", "", found.group(2)).strip()


def test_the_grid_shows_rows_days_and_totals(alice, admin_member, practice, client_a, tax):
    birch = testing.make_client(practice, "Birch & Sons")
    record(admin_member, client_a, 90, tax, LAST_WEEK)
    record(admin_member, client_a, 30, tax, LAST_WEEK + datetime.timedelta(days=2))
    record(admin_member, birch, 45, None, LAST_WEEK)
    TimesheetRow.objects.create(
        staff=admin_member, week_start=LAST_WEEK, client=birch, work_code=tax
    )
    # Not on this sheet: another week, another person.
    record(admin_member, client_a, 60, tax, WEEK)
    record(testing.make_member(practice, "sam"), client_a, 60, tax, LAST_WEEK)

    response = alice.get(sheet())
    assert response.status_code == 200
    grid = response.context["grid"]
    assert [(row.client.name, row.work_code and row.work_code.name) for row in grid.rows] == [
        ("Acme Widgets", "Tax preparation"),
        ("Birch & Sons", None),
        ("Birch & Sons", "Tax preparation"),
    ]
    html = response.content.decode()
    assert text_of(html, f"row-total-{client_a.pk}-{tax.pk}") == "2:00"
    assert text_of(html, f"row-value-{client_a.pk}-{tax.pk}") == "400.00"
    assert text_of(html, f"day-total-{LAST_WEEK:%Y%m%d}") == "2:15"
    assert text_of(html, "week-total") == "2:45"
    # Alice has no rate of her own: the untyped work is worth nothing until one is set.
    assert text_of(html, "week-value") == "400.00"
    assert re.search(
        rf'id="hours-{client_a.pk}-{tax.pk}-{LAST_WEEK:%Y%m%d}"[^>]*value="1:30"', html
    )
    assert (
        "Previous week" in html and f"week={(LAST_WEEK - timesheet.ONE_WEEK).isoformat()}" in html
    )


def test_an_empty_sheet_of_this_week_by_default(alice, admin_member):
    response = alice.get(reverse("web:timesheet"))
    assert response.status_code == 200
    assert response.context["grid"].week_start == WEEK
    assert "No rows this week yet" in response.content.decode()


def test_any_day_of_the_week_shows_that_week(alice):
    response = alice.get(sheet(LAST_WEEK + datetime.timedelta(days=4)))
    assert response.context["grid"].week_start == LAST_WEEK


@pytest.mark.parametrize("week", ["2026-02-30", "tuesday", "0900-01-01", "9999-12-31"])
def test_a_week_that_is_not_a_date_is_refused_in_words(alice, week):
    response = alice.get(f"{reverse('web:timesheet')}?week={week}")
    assert response.status_code == 400
    assert "The week:" in response.content.decode()


def test_typing_in_an_empty_cell_records_an_entry_and_updates_the_totals(
    alice, admin_member, client_a, tax
):
    response = alice.post(
        reverse("web:timesheet-cell"),
        cell(admin_member, client_a, tax, LAST_WEEK, "1:30"),
        headers=HTMX,
    )
    assert response.status_code == 200
    entry = Entry.objects.get()
    assert (entry.minutes, entry.value, entry.date, entry.staff) == (
        90,
        Decimal("300.00"),
        LAST_WEEK,
        admin_member,
    )
    html = response.content.decode()
    # The cell is the answer; the totals come out of band.
    assert html.lstrip().startswith(f'<td id="{cell_id(client_a, tax, LAST_WEEK)}"')
    assert 'value="1:30"' in html
    key = f"{client_a.pk}-{tax.pk}"
    assert re.search(rf'id="row-total-{key}"[^>]*hx-swap-oob="true">1:30<', html)
    assert re.search(rf'id="row-value-{key}"[^>]*hx-swap-oob="true">300.00<', html)
    assert re.search(rf'id="day-total-{LAST_WEEK:%Y%m%d}"[^>]*hx-swap-oob="true">1:30<', html)
    assert re.search(r'id="week-total"[^>]*hx-swap-oob="true">1:30<', html)


def test_typing_decimal_hours_updates_the_one_entry_and_zero_deletes_it(
    alice, admin_member, client_a, tax
):
    entry = record(admin_member, client_a, 60, tax, LAST_WEEK, description="Returns")
    url = reverse("web:timesheet-cell")
    alice.post(url, cell(admin_member, client_a, tax, LAST_WEEK, "2.25"), headers=HTMX)
    entry.refresh_from_db()
    assert (entry.minutes, entry.value, entry.description) == (135, Decimal("450.00"), "Returns")
    response = alice.post(url, cell(admin_member, client_a, tax, LAST_WEEK, ""), headers=HTMX)
    assert response.status_code == 200
    assert not Entry.objects.exists()
    html = response.content.decode()
    assert re.search(r'id="week-total"[^>]*>0:00<', html)
    # The row stays, now empty and removable.
    assert 'aria-label="Remove the row Acme Widgets, Tax preparation"' in html


def test_without_javascript_a_cell_posts_and_the_sheet_comes_back(
    alice, admin_member, client_a, tax
):
    response = alice.post(
        reverse("web:timesheet-cell"), cell(admin_member, client_a, tax, LAST_WEEK, "1h 15m")
    )
    assert response.status_code == 302
    assert response["Location"] == sheet()
    assert Entry.objects.get().minutes == 75


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("abc", "“abc” is not a duration"),
        ("-1", "The duration must be more than zero."),
        ("25", "The duration cannot be more than 24 hours."),
        ("1e999", "“1e999” is not a duration"),
        ("1" * 40, "is not a duration"),
    ],
)
def test_bad_hours_are_explained_by_the_cell_and_store_nothing(
    alice, admin_member, client_a, tax, hours, message
):
    TimesheetRow.objects.create(
        staff=admin_member, week_start=LAST_WEEK, client=client_a, work_code=tax
    )
    response = alice.post(
        reverse("web:timesheet-cell"),
        cell(admin_member, client_a, tax, LAST_WEEK, hours),
        headers=HTMX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    field = f"hours-{client_a.pk}-{tax.pk}-{LAST_WEEK:%Y%m%d}"
    assert f'id="{field}-error"' in html and message in html
    assert f'value="{hours[:30]}"' in html and 'aria-invalid="true"' in html
    assert "hx-swap-oob" not in html
    assert not Entry.objects.exists()


def test_more_than_a_day_across_rows_is_refused_with_the_services_words(
    alice, admin_member, practice, client_a, tax
):
    record(admin_member, testing.make_client(practice, "Birch & Sons"), 20 * 60, None, LAST_WEEK)
    TimesheetRow.objects.create(
        staff=admin_member, week_start=LAST_WEEK, client=client_a, work_code=tax
    )
    response = alice.post(
        reverse("web:timesheet-cell"),
        cell(admin_member, client_a, tax, LAST_WEEK, "5"),
        headers=HTMX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert html.lstrip().startswith(f'<td id="{cell_id(client_a, tax, LAST_WEEK)}"')
    assert "That makes 25:00 on" in html
    assert Entry.objects.count() == 1


def test_a_refused_cell_without_javascript_shows_the_sheet_with_the_error(
    alice, admin_member, client_a, tax
):
    TimesheetRow.objects.create(
        staff=admin_member, week_start=LAST_WEEK, client=client_a, work_code=tax
    )
    response = alice.post(
        reverse("web:timesheet-cell"), cell(admin_member, client_a, tax, LAST_WEEK, "abc")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>Your timesheet</h1>" in html
    assert f'id="hours-{client_a.pk}-{tax.pk}-{LAST_WEEK:%Y%m%d}-error"' in html
    assert not Entry.objects.exists()


def test_cells_of_several_entries_or_of_billed_work_are_read_and_link_to_the_entries(
    alice, admin_member, client_a, tax
):
    one = record(admin_member, client_a, 30, tax, LAST_WEEK)
    record(admin_member, client_a, 30, tax, LAST_WEEK)
    held = record(admin_member, client_a, 60, tax, LAST_WEEK + datetime.timedelta(days=1))
    billing.invoice_from_wip(
        admin_member, billing.WipBilling(client_id=client_a.pk, entry_ids=[held.pk])
    )
    html = alice.get(sheet()).content.decode()
    several = re.search(rf'<td id="{cell_id(client_a, tax, LAST_WEEK)}"[^>]*>.*?</td>', html, re.S)
    assert 'class="num cell cell-several' in several.group(0)
    assert "<input" not in several.group(0)
    assert f"date_from={LAST_WEEK.isoformat()}" in several.group(0)
    assert "2 entries" in several.group(0)
    held_day = LAST_WEEK + datetime.timedelta(days=1)
    drafted = re.search(rf'<td id="{cell_id(client_a, tax, held_day)}"[^>]*>.*?</td>', html, re.S)
    assert "cell-on_draft" in drafted.group(0)
    assert reverse("web:entry-detail", args=[held.pk]) in drafted.group(0)
    assert "on a draft invoice" in drafted.group(0)

    # A forged post to either is refused by the cell, and changes nothing.
    for day in (LAST_WEEK, held_day):
        response = alice.post(
            reverse("web:timesheet-cell"), cell(admin_member, client_a, tax, day, "3"), headers=HTMX
        )
        assert response.status_code == 409
    assert sorted(Entry.objects.values_list("minutes", flat=True)) == [30, 30, 60]
    one.refresh_from_db()
    assert one.minutes == 30


def test_add_row_keeps_a_row_for_the_week(alice, admin_member, client_a, tax):
    response = alice.post(
        reverse("web:timesheet-add-row"),
        {
            "staff": admin_member.pk,
            "week": LAST_WEEK.isoformat(),
            "client": client_a.pk,
            "work_code": tax.pk,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == sheet()
    grid = alice.get(sheet()).context["grid"]
    assert [(row.client, row.work_code, row.minutes) for row in grid.rows] == [(client_a, tax, 0)]


def test_add_row_without_a_client_is_explained_by_the_field(alice, admin_member):
    response = alice.post(
        reverse("web:timesheet-add-row"),
        {"staff": admin_member.pk, "week": LAST_WEEK.isoformat(), "client": ""},
    )
    assert response.status_code == 400
    assert response.context["row_form"].errors["client"] == ["This field is required."]
    assert 'id="id_client_error"' in response.content.decode()
    assert not TimesheetRow.objects.exists()


def test_copy_last_week_copies_rows_not_hours(alice, admin_member, practice, client_a, tax):
    birch = testing.make_client(practice, "Birch & Sons")
    record(admin_member, client_a, 90, tax, LAST_WEEK)
    record(admin_member, birch, 30, None, LAST_WEEK + datetime.timedelta(days=3))
    response = alice.post(
        reverse("web:timesheet-copy-last-week"),
        {"staff": admin_member.pk, "week": WEEK.isoformat()},
    )
    assert response.status_code == 302
    page = alice.get(response["Location"])
    assert "2 rows copied from last week" in page.content.decode()
    grid = page.context["grid"]
    assert [(row.client, row.work_code, row.minutes) for row in grid.rows] == [
        (client_a, tax, 0),
        (birch, None, 0),
    ]
    assert Entry.objects.count() == 2


def test_remove_an_empty_row(alice, admin_member, client_a, tax):
    TimesheetRow.objects.create(
        staff=admin_member, week_start=LAST_WEEK, client=client_a, work_code=tax
    )
    data = cell(admin_member, client_a, tax, LAST_WEEK, "")
    response = alice.post(reverse("web:timesheet-remove-row"), data)
    assert response.status_code == 302
    assert not TimesheetRow.objects.exists()


def test_a_timer_started_on_todays_row_runs_and_shows(alice, admin_member, client_a, tax):
    TimesheetRow.objects.create(staff=admin_member, week_start=WEEK, client=client_a, work_code=tax)
    page = alice.get(reverse("web:timesheet")).content.decode()
    assert 'aria-label="Start a timer on Acme Widgets, Tax preparation today"' in page
    response = alice.post(
        reverse("web:timesheet-timer"), cell(admin_member, client_a, tax, TODAY, "")
    )
    assert response.status_code == 302
    entry = Entry.objects.get()
    # Started on an empty cell: an entry of a minute, timing.
    assert (entry.minutes, entry.date, entry.timer_started_at is not None) == (1, TODAY, True)
    html = alice.get(reverse("web:timesheet")).content.decode()
    assert "Stop the timer" in html
    assert "data-elapsed-seconds=" in html
    assert f'action="{reverse("web:entry-stop-timer", args=[entry.pk])}"' in html
    assert "cell-running" in html

    stopped = alice.post(
        reverse("web:entry-stop-timer", args=[entry.pk]), {"next": reverse("web:timesheet")}
    )
    assert stopped["Location"] == reverse("web:timesheet")
    entry.refresh_from_db()
    assert entry.timer_started_at is None and entry.minutes == 2


def test_a_member_without_process_time_keeps_only_their_own_sheet(
    browser_for, admin_member, sam, client_a, tax
):
    browser = browser_for(sam)
    own = browser.post(
        reverse("web:timesheet-cell"), cell(sam, client_a, tax, LAST_WEEK, "1"), headers=HTMX
    )
    assert own.status_code == 200
    assert browser.get(sheet()).context["grid"].minutes == 60
    assert "Person" not in browser.get(sheet()).content.decode()

    # Alice's sheet: refused with the reason, to see it and to change it.
    response = browser.get(sheet(staff=admin_member.pk))
    assert response.status_code == 403
    assert "Process time" in response.content.decode()
    refused = browser.post(
        reverse("web:timesheet-cell"),
        cell(admin_member, client_a, tax, LAST_WEEK, "1"),
        headers=HTMX,
    )
    assert refused.status_code == 403
    assert not Entry.objects.filter(staff=admin_member).exists()
    copied = browser.post(
        reverse("web:timesheet-copy-last-week"),
        {"staff": admin_member.pk, "week": WEEK.isoformat()},
    )
    assert copied.status_code == 403


def test_with_process_time_someone_elses_sheet_is_seen_and_kept(alice, sam, client_a, tax):
    response = alice.post(
        reverse("web:timesheet-cell"), cell(sam, client_a, tax, LAST_WEEK, "0:45"), headers=HTMX
    )
    assert response.status_code == 200
    assert Entry.objects.get().staff == sam
    page = alice.get(sheet(staff=sam.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Timesheet of sam</h1>" in html
    assert f'<option value="{sam.pk}" selected>sam</option>' in html
    assert page.context["grid"].minutes == 45
    assert f"staff={sam.pk}" in page.context["next_url"]


def test_another_practices_member_is_not_found(alice, client_a):
    stranger = testing.make_admin(testing.make_practice("Elsewhere"), "mallory")
    assert alice.get(sheet(staff=stranger.pk)).status_code == 404
    assert alice.get(sheet(staff="abc")).status_code == 404
    response = alice.post(
        reverse("web:timesheet-cell"), cell(stranger, client_a, None, LAST_WEEK, "1"), headers=HTMX
    )
    assert response.status_code == 404
    assert not Entry.objects.exists()


def test_a_post_that_names_no_cell_is_refused(alice):
    response = alice.post(reverse("web:timesheet-cell"), {"hours": "1"})
    assert response.status_code == 400
    assert "not understood" in response.content.decode()


def queries_for_sheet(browser, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    return len(queries)


def test_the_sheet_costs_the_same_queries_whatever_the_practice_holds(
    alice, admin_member, practice, client_a, tax, sam
):
    """The week's entries are read in one query with what they show; other weeks and people
    are not read at all."""
    clients = [client_a, *(testing.make_client(practice, f"Client {n}") for n in range(4))]

    def fill(count: int):
        Entry.objects.bulk_create(
            Entry(
                practice=practice,
                staff=admin_member if n % 2 else sam,
                client=clients[n % len(clients)],
                work_code=tax if n % 3 else None,
                date=LAST_WEEK + datetime.timedelta(days=n % 7),
                minutes=5,
                value=Decimal("10.00"),
            )
            for n in range(count)
        )

    fill(10)
    own, other = sheet(), sheet(staff=sam.pk)
    few = queries_for_sheet(alice, own), queries_for_sheet(alice, other)
    fill(290)
    many = queries_for_sheet(alice, own), queries_for_sheet(alice, other)
    assert few == many
    assert max(many) <= 11, many  # 10, and the notices banner
    assert alice.get(own).context["grid"].minutes == 150 * 5
