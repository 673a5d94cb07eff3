"""Billing ▸ Realization: the exact figures by each grouping, the filters, the chart, the CSV
file of the same figures, and who may see it."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.quickbooks.models import QboInvoiceLink
from billbridge.time import billing
from billbridge.time import services as time_services
from billbridge.time.realization import Figures
from billbridge.web.tests.test_accessibility import problems_in
from billbridge.web.tests.test_quickbooks_pages import text_of
from billbridge.web.views.realization import BAR_AREA, CHART_ROWS, _cell, chart_of

PAGE = reverse("web:realization")
CSV = reverse("web:realization-csv")
D = Decimal
JANUARY, FEBRUARY = datetime.date(2026, 1, 20), datetime.date(2026, 2, 10)


@pytest.fixture
def billed(admin_member, staff, practice, client_a, work_codes, staff_rates, record):
    """Acme, in February: an hour of tax preparation (200.00) billed 150.00 and an hour of
    Alice's bookkeeping (150.00), on an invoice paid in full (closed). Birch, in January: an
    hour of Sam's bookkeeping (90.00) on a finalized invoice QuickBooks shows half paid; and
    in February half an hour of Alice's (75.00), written off. Some work stays unbilled."""
    birch = testing.make_client(practice, "Birch & Sons")
    testing.assign(admin_member, birch)
    record(admin_member, 60, work_codes["tax"], date=FEBRUARY)
    record(admin_member, 60, work_codes["books"], date=FEBRUARY)
    acme = billing.invoice_from_wip(
        admin_member,
        billing.WipBilling(
            client_id=client_a.pk,
            line_amounts={f"w{work_codes['tax'].pk}": D("150.00")},
            reason="First year",
        ),
    )
    invoicing.finalize(admin_member, acme.pk)
    invoicing.close(admin_member, acme.pk, "Paid by cheque")
    record(staff, 60, work_codes["books"], date=JANUARY, client=birch)
    half_paid = billing.invoice_from_wip(admin_member, billing.WipBilling(client_id=birch.pk))
    half_paid = invoicing.finalize(admin_member, half_paid.pk)
    QboInvoiceLink.objects.create(
        invoice=half_paid,
        realm_id="1",
        qbo_invoice_id="7",
        sync_token="0",
        exported_version=half_paid.version,
        exported_content_version=1,
        exported_total=D("90.00"),
        qbo_total=D("90.00"),
        qbo_balance=D("45.00"),
    )
    written_off = record(admin_member, 30, work_codes["books"], date=FEBRUARY, client=birch)
    time_services.write_off(admin_member, [written_off.pk], "Goodwill")
    record(admin_member, 60, work_codes["tax"], date=FEBRUARY)  # still WIP: not counted
    return {"birch": birch}


def figures(response) -> list[tuple]:
    report = response.context["report"]
    return [
        (f.label, f.hours, f.standard, f.billed, f.collected, f.billed_percent, f.collected_percent)
        for f in [*report.rows, report.total]
    ]


BY_CLIENT = [
    ("Acme Widgets", D("2.00"), D("350.00"), D("300.00"), D("300.00"), D("85.7"), D("85.7")),
    ("Birch & Sons", D("1.50"), D("165.00"), D("90.00"), D("45.00"), D("54.5"), D("27.3")),
    ("Total", D("3.50"), D("515.00"), D("390.00"), D("345.00"), D("75.7"), D("67.0")),
]


def test_the_report_by_client_is_exact_to_the_cent(alice, billed):
    response = alice.get(PAGE)
    assert response.status_code == 200
    assert figures(response) == BY_CLIENT
    text = text_of(response)
    assert "Acme Widgets 2.00 350.00 300.00 300.00 85.7 % 85.7 %" in text
    assert "Total 3.50 515.00 390.00 345.00 75.7 % 67.0 %" in text
    assert problems_in(response.content.decode()) == []


@pytest.mark.parametrize(
    "group_by, rows",
    [
        (
            "person",
            [
                ("alice", D("2.50"), D("425.00"), D("300.00"), D("300.00"), D("70.6"), D("70.6")),
                ("sam", D("1.00"), D("90.00"), D("90.00"), D("45.00"), D("100.0"), D("50.0")),
            ],
        ),
        (
            "work_code",
            [
                (
                    "Bookkeeping",
                    D("2.50"),
                    D("315.00"),
                    D("240.00"),
                    D("195.00"),
                    D("76.2"),
                    D("61.9"),
                ),
                (
                    "Tax preparation",
                    D("1.00"),
                    D("200.00"),
                    D("150.00"),
                    D("150.00"),
                    D("75.0"),
                    D("75.0"),
                ),
            ],
        ),
        (
            "month",
            [
                ("2026-01", D("1.00"), D("90.00"), D("90.00"), D("45.00"), D("100.0"), D("50.0")),
                ("2026-02", D("2.50"), D("425.00"), D("300.00"), D("300.00"), D("70.6"), D("70.6")),
            ],
        ),
    ],
)
def test_the_report_groups_by_person_work_code_and_month(alice, billed, group_by, rows):
    response = alice.get(PAGE, {"group_by": group_by})
    assert figures(response) == [*rows, BY_CLIENT[-1]]


def test_the_filters_narrow_the_work_counted(alice, billed, staff, work_codes):
    since_february = figures(alice.get(PAGE, {"date_from": "2026-02-01"}))
    assert since_february[-1][1:5] == (D("2.50"), D("425.00"), D("300.00"), D("300.00"))
    january = figures(alice.get(PAGE, {"date_from": "2026-01-01", "date_to": "2026-01-31"}))
    assert [row[0] for row in january] == ["Birch & Sons", "Total"]
    assert figures(alice.get(PAGE, {"client": billed["birch"].pk}))[:-1] == [BY_CLIENT[1]]
    assert figures(alice.get(PAGE, {"person": staff.pk}))[-1][1:5] == (
        D("1.00"),
        D("90.00"),
        D("90.00"),
        D("45.00"),
    )
    assert figures(alice.get(PAGE, {"work_code": work_codes["tax"].pk}))[-1][1:5] == (
        D("1.00"),
        D("200.00"),
        D("150.00"),
        D("150.00"),
    )


def test_a_filter_not_understood_is_ignored_named_and_answered_400(
    alice, billed, other_practice_invoice
):
    backwards = alice.get(PAGE, {"date_from": "2026-03-01", "date_to": "2026-01-01"})
    assert backwards.status_code == 400
    assert "The end date is before the start date." in text_of(backwards)
    foreign = alice.get(PAGE, {"client": other_practice_invoice.client_id, "group_by": "x"})
    assert foreign.status_code == 400
    assert figures(foreign) == BY_CLIENT
    assert "Hidden Co" not in foreign.content.decode()


def test_htmx_gets_the_report_alone(alice, billed):
    response = alice.get(PAGE, {"group_by": "month"}, headers={"HX-Request": "true"})
    assert response.templates[0].name == "web/wip/_realization_report.html"
    assert b"<html" not in response.content
    assert f'href="{CSV}?group_by=month"' in response.content.decode()


def test_the_chart_is_an_accessible_svg_of_bars_on_one_scale(alice, billed):
    html = alice.get(PAGE).content.decode()
    assert (
        '<svg class="realization-chart" role="img" aria-labelledby="chart-title chart-desc"' in html
    )
    assert '<title id="chart-title">Realization by client</title>' in html
    assert "Total: standard 515.00, billed 390.00, collected 345.00." in html
    assert "<title>Acme Widgets: standard 350.00, billed 300.00, collected 300.00</title>" in html
    assert 'class="bar bar-standard" x="190" y="30" width="440.0"' in html
    assert "style=" not in html  # the policy forbids inline styles


def test_the_chart_scales_to_the_largest_value_and_keeps_the_largest_rows():
    rows = [
        Figures("Small", standard=D("10.00"), billed=D("5.00")),
        Figures("Big", standard=D("40.00")),
    ]
    chart = chart_of(rows)
    assert [[bar.width for bar in row.bars] for row in chart.rows] == [
        [D("110.0"), D("55.0"), D("0.0")],
        [D(BAR_AREA), D("0.0"), D("0.0")],
    ]
    many = [Figures(f"Client {i:03}", standard=D(i)) for i in range(CHART_ROWS + 5)]
    kept = chart_of(many)
    assert (len(kept.rows), kept.of_rows) == (CHART_ROWS, CHART_ROWS + 5)
    assert kept.rows[0].label == "Client 005"
    assert chart_of([]) is None
    assert chart_of([Figures("Nothing")]).rows[0].bars[0].width == 0


def test_the_csv_has_the_same_figures_as_plain_decimals(alice, billed):
    response = alice.get(CSV, {"date_from": "2026-01-01", "date_to": "2026-03-31"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="realization-by-client-2026-01-01-to-2026-03-31.csv"'
    )
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["Client", "Hours", "Standard", "Billed", "Collected", "Billed %", "Collected %"],
        ["Acme Widgets", "2.00", "350.00", "300.00", "300.00", "85.7", "85.7"],
        ["Birch & Sons", "1.50", "165.00", "90.00", "45.00", "54.5", "27.3"],
        ["Total", "3.50", "515.00", "390.00", "345.00", "75.7", "67.0"],
    ]
    by_month = alice.get(CSV, {"group_by": "month"})
    assert 'filename="realization-by-month-start-to-latest.csv"' in by_month["Content-Disposition"]
    assert by_month.content.decode().splitlines()[0].startswith("Month,Hours")


def test_an_empty_report_has_a_header_and_a_total_without_percentages(alice, db):
    rows = list(csv.reader(io.StringIO(alice.get(CSV).content.decode())))
    assert rows == [
        ["Client", "Hours", "Standard", "Billed", "Collected", "Billed %", "Collected %"],
        ["Total", "0.00", "0.00", "0.00", "0.00", "", ""],
    ]


def test_the_csv_refuses_filters_it_does_not_understand(alice, billed):
    response = alice.get(CSV, {"date_from": "2026-02-30"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "The filters were not understood. From: Enter a valid date."


def test_a_label_that_looks_like_a_formula_is_quoted_in_the_csv():
    assert [_cell(t) for t in ("=SUM(A1)", "+1", "-1", "@x", "Acme")] == [
        "'=SUM(A1)",
        "'+1",
        "'-1",
        "'@x",
        "Acme",
    ]


def test_any_member_may_see_it_and_nobody_outside(browser_for, staff, billed, client):
    sam = browser_for(staff)
    assert figures(sam.get(PAGE)) == BY_CLIENT
    assert sam.get(CSV).status_code == 200
    assert client.get(PAGE).status_code == 302
    outsider = testing.make_admin(testing.make_practice("Elsewhere LLP"), "mallory")
    assert figures(browser_for(outsider).get(PAGE)) == [
        ("Total", D("0.00"), D("0.00"), D("0.00"), D("0.00"), None, None)
    ]
