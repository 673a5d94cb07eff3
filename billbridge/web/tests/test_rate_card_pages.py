"""Settings ▸ Time ▸ Work codes & rates: work codes made and edited, rates added with their
history, a refused rate, each work code's QuickBooks item, and who may change what."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from billbridge.core import testing
from billbridge.quickbooks.models import ItemMapping
from billbridge.time import billing
from billbridge.time.models import Rate, WorkCode
from billbridge.time.tests.fixtures import RATES_FROM, WEEK_AGO
from billbridge.web.tests.test_accessibility import problems_in
from billbridge.web.tests.test_quickbooks_pages import text_of

PAGE = reverse("web:rate-card")
NEW_CODE = reverse("web:rate-card-work-code-new")
NEW_RATE = reverse("web:rate-card-rate-new")
D = Decimal
TODAY = datetime.date.today()


def code_page(code):
    return reverse("web:rate-card-work-code", args=[code.pk])


def item_url(code):
    return reverse("web:rate-card-qbo-item", args=[code.pk])


def histories(response) -> dict[str, list[tuple]]:
    return {
        history.label: [(str(rate.hourly_rate), state) for rate, state in history.rows]
        for _, found in response.context["histories"]
        for history in found
    }


def test_the_rate_card_shows_work_codes_and_each_scopes_history(
    alice, admin_member, client_a, work_codes, staff_rates
):
    tax = work_codes["tax"]
    for effective, rate, scope in (
        (TODAY + datetime.timedelta(days=10), "250.00", {"work_code": tax}),
        (TODAY - datetime.timedelta(days=5), "220.00", {"work_code": tax}),
        (RATES_FROM, "180.00", {"client": client_a, "work_code": tax}),
    ):
        Rate.objects.create(
            practice=admin_member.practice, effective_from=effective, hourly_rate=D(rate), **scope
        )
    response = alice.get(PAGE)
    assert response.status_code == 200
    assert histories(response) == {
        "Tax preparation": [
            ("250.00", "Scheduled"),
            ("220.00", "In force"),
            ("200.00", "Replaced"),
        ],
        "alice": [("150.00", "In force")],
        "sam": [("90.00", "In force")],
        "Acme Widgets — Tax preparation — anyone": [("180.00", "In force")],
    }
    codes = {code.name: default for code, default, _ in response.context["codes"]}
    assert codes["Tax preparation"].hourly_rate == D("220.00")
    assert codes["Bookkeeping"] is None
    text = text_of(response)
    assert "Tax preparation Yes None Yes 220.00 The default item" in text
    assert "Client overrides Acme Widgets — Tax preparation — anyone" in text
    assert problems_in(response.content.decode()) == []


def test_a_work_code_is_added_and_edited(alice, practice):
    response = alice.post(
        NEW_CODE,
        {"name": " Payroll ", "description": "Monthly runs", "billable": "on", "active": "on"},
    )
    assert response.status_code == 302
    code = WorkCode.objects.get()
    assert (code.name, code.description, code.billable, code.primary_taxable, code.active) == (
        "Payroll",
        "Monthly runs",
        True,
        False,
        True,
    )
    form = alice.get(code_page(code))
    assert problems_in(form.content.decode()) == []
    alice.post(code_page(code), {"name": "Payroll runs", "primary_taxable": "on"})
    code.refresh_from_db()
    assert (code.name, code.billable, code.primary_taxable, code.active) == (
        "Payroll runs",
        False,
        True,
        False,
    )


@pytest.mark.parametrize(
    "sent, error",
    [
        ({"name": "Tax preparation"}, "Another work code has that name."),
        ({"name": ""}, "This field is required."),
        ({"name": "a\x01b"}, "A name has at most 100 characters and no control characters."),
    ],
)
def test_a_work_code_the_service_refuses_is_named_and_nothing_changes(
    alice, work_codes, sent, error
):
    response = alice.post(NEW_CODE, sent)
    assert response.status_code == 400
    assert error in text_of(response)
    assert WorkCode.objects.count() == 2
    assert problems_in(response.content.decode()) == []


def test_rates_are_added_for_each_scope_and_revalue_unbilled_work(
    alice, admin_member, staff, client_a, work_codes, staff_rates, record
):
    books = record(staff, 60, work_codes["books"])
    assert books.value == D("90.00")
    response = alice.post(
        NEW_RATE,
        {
            "effective_from": str(WEEK_AGO - datetime.timedelta(days=1)),
            "hourly_rate": "120.00",
            "staff": staff.pk,
            "client": client_a.pk,
        },
        follow=True,
    )
    assert "120.00 an hour from" in text_of(response)
    assert "1 unbilled entry was revalued." in text_of(response)
    books.refresh_from_db()
    assert books.value == D("120.00")
    alice.post(
        NEW_RATE,
        {"effective_from": "2024-01-01", "hourly_rate": "95", "work_code": work_codes["books"].pk},
    )
    assert Rate.objects.filter(work_code=work_codes["books"], client=None).get().hourly_rate == D(
        "95.00"
    )


def test_a_rate_over_billed_work_is_refused_on_the_page_and_nothing_is_stored(
    alice, admin_member, client_a, work_codes, staff_rates, record
):
    record(admin_member, 60, work_codes["books"])
    billing.invoice_from_wip(admin_member, billing.WipBilling(client_id=client_a.pk))
    before = Rate.objects.count()
    response = alice.post(
        NEW_RATE,
        {"effective_from": str(WEEK_AGO), "hourly_rate": "1.00", "staff": admin_member.pk},
    )
    assert response.status_code == 409
    assert "is already on a draft invoice" in text_of(response)
    assert "date the rate after the billed work." in text_of(response)
    assert Rate.objects.count() == before
    assert response.context["rate_form"]["hourly_rate"].value() == "1.00"


@pytest.mark.parametrize(
    "sent, error",
    [
        ({"staff": "me", "work_code": "tax"}, "A rate is for a staff member, for a work code"),
        ({"hourly_rate": "-1", "staff": "me"}, "A rate is an amount from 0 with at most two"),
        ({"hourly_rate": "1.234", "staff": "me"}, "Ensure that there are no more than 2 decimal"),
        ({"effective_from": "2026-02-30", "staff": "me"}, "Enter a valid date."),
    ],
)
def test_a_rate_not_understood_is_named_and_nothing_is_stored(
    alice, admin_member, work_codes, staff_rates, sent, error
):
    data = {"effective_from": "2025-01-01", "hourly_rate": "100", **sent}
    data["staff"] = admin_member.pk if data.get("staff") == "me" else ""
    data["work_code"] = work_codes["tax"].pk if data.get("work_code") == "tax" else ""
    before = Rate.objects.count()
    response = alice.post(NEW_RATE, data)
    assert response.status_code == 400
    assert error in text_of(response)
    assert Rate.objects.count() == before
    assert problems_in(response.content.decode()) == []


def test_others_may_read_the_rate_card_but_not_change_it(
    browser_for, staff, work_codes, other_practice_invoice
):
    sam = browser_for(staff)
    page = sam.get(PAGE)
    assert page.status_code == 200
    assert "changing it needs the Manage settings permission" in text_of(page)
    assert "Add work code" not in text_of(page)
    assert "disabled" in sam.get(code_page(work_codes["tax"])).content.decode()
    for url, data in (
        (NEW_CODE, {"name": "Audit"}),
        (code_page(work_codes["tax"]), {"name": "Renamed"}),
        (NEW_RATE, {"effective_from": "2025-01-01", "hourly_rate": "1", "staff": staff.pk}),
        (item_url(work_codes["tax"]), {"qbo_item_id": "1"}),
    ):
        response = sam.post(url, data)
        assert response.status_code == 403, url
        assert "You need the “Manage settings” permission to do this." in text_of(response)
    assert sorted(WorkCode.objects.values_list("name", flat=True)) == [
        "Bookkeeping",
        "Tax preparation",
    ]
    assert Rate.objects.count() == 1


def test_another_practices_work_code_is_not_found(alice, practice, work_codes):
    elsewhere = testing.make_practice("Elsewhere LLP")
    theirs = WorkCode.objects.create(practice=elsewhere, name="Secret work")
    assert alice.get(code_page(theirs)).status_code == 404
    assert alice.post(code_page(theirs), {"name": "Mine now"}).status_code == 404
    assert alice.post(item_url(theirs), {"qbo_item_id": "1"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Secret work"


def item_id(page: str, name: str) -> str:
    return re.search(rf'<option value="(\d+)"[^>]*>{name}</option>', page).group(1)


def test_each_work_codes_quickbooks_item_is_chosen_on_the_rate_card(alice, connected, work_codes):
    tax = work_codes["tax"]
    page = alice.get(PAGE).content.decode()
    assert f'<label class="visually-hidden" for="item-{tax.pk}">' in page
    assert problems_in(page) == []
    response = alice.post(item_url(tax), {"qbo_item_id": item_id(page, "Gardening")}, follow=True)
    assert "Lines of Tax preparation are exported as “Gardening”." in text_of(response)
    assert list(ItemMapping.objects.values_list("service_name", "qbo_item_name")) == [
        ("Tax preparation", "Gardening")
    ]
    codes = {code.name: mapping for code, _, mapping in response.context["codes"]}
    assert codes["Tax preparation"].qbo_item_name == "Gardening"
    # The QuickBooks settings page lists the same mapping: one place to choose, one record.
    assert "Tax preparation Gardening" in text_of(alice.get(reverse("web:quickbooks-settings")))
    response = alice.post(item_url(tax), {"use_default": "1"}, follow=True)
    assert "Lines of Tax preparation are exported with the default item." in text_of(response)
    assert not ItemMapping.objects.exists()


def test_an_item_the_company_does_not_have_is_refused(alice, connected, work_codes):
    response = alice.post(item_url(work_codes["tax"]), {"qbo_item_id": "99999"})
    assert response.status_code == 400
    assert "Choose an active item of the QuickBooks company." in text_of(response)
    assert not ItemMapping.objects.exists()


def test_a_renamed_work_code_keeps_its_quickbooks_item(alice, connected, work_codes):
    tax = work_codes["tax"]
    page = alice.get(PAGE).content.decode()
    alice.post(item_url(tax), {"qbo_item_id": item_id(page, "Gardening")})
    alice.post(code_page(tax), {"name": "Tax returns", "billable": "on", "active": "on"})
    assert sorted(ItemMapping.objects.values_list("service_name", "qbo_item_name")) == [
        ("Tax preparation", "Gardening"),
        ("Tax returns", "Gardening"),
    ]


def test_a_renamed_work_code_whose_item_cannot_be_carried_says_so(alice, practice, work_codes):
    tax = work_codes["tax"]
    ItemMapping.objects.create(
        practice=practice, service_name=tax.name, qbo_item_id="3", qbo_item_name="Gardening"
    )
    response = alice.post(code_page(tax), {"name": "Tax returns", "active": "on"}, follow=True)
    assert "The work code Tax returns is saved." in text_of(response)
    assert "Tax returns is not yet exported as “Gardening” as Tax preparation was" in text_of(
        response
    )
    assert list(ItemMapping.objects.values_list("service_name", flat=True)) == ["Tax preparation"]


def test_without_quickbooks_the_items_cannot_be_chosen_and_the_page_says_why(alice, work_codes):
    text = text_of(alice.get(PAGE))
    assert "Connect QuickBooks Online in Settings ▸ Integrations" in text
    response = alice.post(item_url(work_codes["tax"]), {"qbo_item_id": "1"})
    assert response.status_code == 409
    assert not ItemMapping.objects.exists()


def test_the_settings_pages_link_to_each_other(alice, work_codes):
    html = alice.get(PAGE).content.decode()
    assert f'<a href="{reverse("web:tax-settings")}">Tax</a>' in html
    assert f'<a href="{PAGE}" aria-current="page">Work codes &amp; rates</a>' in html
