"""The realization report over the API: exact figures by each grouping, its filters, and who
may read it. Every answer is checked against the document."""

# The time app's fixtures are imported, not copied; the tests that take them name them again.

import datetime
from decimal import Decimal

import pytest

from billbridge.api.tests.conftest import ApiCaller
from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.time import billing, services

# Sam (no permissions), the work codes (Tax preparation at 200/h), Alice at 150/h, Sam at 90/h.
from billbridge.time.tests.fixtures import WEEK_AGO

URL = "/api/v1/reports/realization"


@pytest.fixture
def billed(admin_member, staff, client_a, work_codes, staff_rates, record, expense):
    """Alice's hour of tax (200.00) billed at 160.00 on an invoice since closed (collected);
    Sam's 90 minutes of bookkeeping (135.00) billed at standard, not paid; a 35.00 expense of
    Alice's written off; and work held on a draft, which has not left WIP."""
    tax = record(admin_member, 60, work_codes["tax"])
    books = record(staff, 90, work_codes["books"])
    fee = expense(admin_member, "35.00")
    discounted = billing.invoice_from_wip(
        admin_member,
        billing.WipBilling(
            client_id=client_a.pk,
            entry_ids=(tax.pk,),
            line_amounts={f"w{work_codes['tax'].pk}": Decimal("160.00")},
            reason="Agreed discount",
        ),
    )
    invoicing.finalize(admin_member, discounted.pk)
    invoicing.close(admin_member, discounted.pk, "Paid by cheque")
    standard = billing.invoice_from_wip(
        admin_member, billing.WipBilling(client_id=client_a.pk, entry_ids=(books.pk,))
    )
    invoicing.finalize(admin_member, standard.pk)
    services.write_off(admin_member, [fee.pk], "Goodwill")
    held = record(admin_member, 30, work_codes["books"])
    billing.invoice_from_wip(
        admin_member, billing.WipBilling(client_id=client_a.pk, entry_ids=(held.pk,))
    )
    return {"tax": tax, "books": books}


def figures(label, hours, standard, billed, collected, billed_percent, collected_percent):
    return {
        "label": label,
        "hours": hours,
        "standard": standard,
        "billed": billed,
        "collected": collected,
        "billed_percent": billed_percent,
        "collected_percent": collected_percent,
    }


TOTAL = figures("Total", "2.50", "370.00", "295.00", "160.00", "79.7", "43.2")


def report(api, query="") -> dict:
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_by_client(admin_api, billed):
    assert report(admin_api) == {
        "group_by": "client",
        "rows": [figures("Acme Widgets", "2.50", "370.00", "295.00", "160.00", "79.7", "43.2")],
        "total": TOTAL,
    }


def test_by_person(admin_api, billed):
    assert report(admin_api, "group_by=person")["rows"] == [
        figures("alice", "1.00", "235.00", "160.00", "160.00", "68.1", "68.1"),
        figures("sam", "1.50", "135.00", "135.00", "0.00", "100.0", "0.0"),
    ]


def test_by_work_code(admin_api, billed):
    answer = report(admin_api, "group_by=work_code")
    assert answer["rows"] == [
        figures("(no work code)", "0.00", "35.00", "0.00", "0.00", "0.0", "0.0"),
        figures("Bookkeeping", "1.50", "135.00", "135.00", "0.00", "100.0", "0.0"),
        figures("Tax preparation", "1.00", "200.00", "160.00", "160.00", "80.0", "80.0"),
    ]
    assert answer["total"] == TOTAL


def test_by_month(admin_api, billed):
    month = WEEK_AGO.strftime("%Y-%m")
    assert report(admin_api, "group_by=month")["rows"] == [{**TOTAL, "label": month}]


def test_filters(admin_api, staff, billed, work_codes):
    assert [
        row["label"] for row in report(admin_api, f"group_by=person&staff={staff.pk}")["rows"]
    ] == ["sam"]
    by_code = report(admin_api, f"work_code={work_codes['tax'].pk}")
    assert by_code["total"]["standard"] == "200.00"
    empty = report(admin_api, f"date_from={WEEK_AGO + datetime.timedelta(days=1)}")
    assert empty["rows"] == []
    assert empty["total"] == figures("Total", "0.00", "0.00", "0.00", "0.00", None, None)
    assert report(admin_api, f"date_to={WEEK_AGO.isoformat()}")["total"] == TOTAL


def test_another_practices_objects_match_nothing(admin_api, billed):
    other = testing.make_practice("Elsewhere LLP")
    stranger = testing.make_client(other, "Secret Customer")
    assert report(admin_api, f"client={stranger.pk}")["rows"] == []


def test_any_member_may_read_it(as_member, practice, billed):
    looker = testing.make_member(practice, "lena")
    assert report(as_member(looker))["total"] == TOTAL


def test_no_token_is_401(billed):
    assert ApiCaller().get(URL).status_code == 401


@pytest.mark.parametrize(
    "query", ["group_by=year", "date_from=2026-02-30", "date_to=11/02/2026", "client=x"]
)
def test_bad_queries_are_refused(admin_api, query):
    response = admin_api.get(f"{URL}?{query}")
    assert response.status_code == 422
    assert query.split("=")[0] in response.json()["errors"]
