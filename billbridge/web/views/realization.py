"""Billing ▸ Realization: of the work's value at standard rates, how much was billed and how much
collected (billbridge.time.realization), as a table, a chart and a CSV file of the same figures.

Any member of the practice may see it: looking needs no permission (docs/decisions/0003), and
every member already sees the invoices these figures are made from in the Billing list.

The chart is inline SVG drawn here, so no JavaScript library is needed and the policy's ban on
inline styles holds: sizes are SVG attributes, colours come from wip.css by class.
"""

import csv
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from billbridge.time import realization as report_of
from billbridge.time.realization import GROUPS, Figures
from billbridge.web.access import member_required
from billbridge.web.wip_forms import RealizationFilterForm

# The chart's geometry, in SVG user units (the SVG scales to the page's width).
LABEL_WIDTH = 190
BAR_AREA = 440
VALUE_WIDTH = 110
BAR_HEIGHT = 10
BAR_GAP = 2
ROW_GAP = 16
LEGEND_HEIGHT = 30
LABEL_LENGTH = 28
# A chart read at a glance has few rows: beyond this many, the largest by standard value.
CHART_ROWS = 25
TENTH = Decimal("0.1")

MEASURES = (("standard", "Standard"), ("billed", "Billed"), ("collected", "Collected"))


@dataclass(frozen=True)
class Bar:
    measure: str
    value: Decimal
    y: int
    width: Decimal

    @property
    def text_x(self) -> Decimal:
        return LABEL_WIDTH + self.width + 6

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 1


@dataclass(frozen=True)
class ChartRow:
    label: str
    short_label: str
    label_y: int
    bars: list[Bar]


@dataclass(frozen=True)
class LegendKey:
    measure: str
    label: str
    x: int


LEGEND = [LegendKey(measure, label, index * 110) for index, (measure, label) in enumerate(MEASURES)]


@dataclass(frozen=True)
class Chart:
    rows: list[ChartRow]
    height: int
    of_rows: int  # how many rows the table has

    width: int = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT
    legend: tuple[LegendKey, ...] = tuple(LEGEND)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_LENGTH else label[: LABEL_LENGTH - 1] + "…"


def _width(value: Decimal, top: Decimal) -> Decimal:
    if top <= 0:
        return Decimal(0)
    return (value * BAR_AREA / top).quantize(TENTH, ROUND_HALF_UP)


def chart_of(rows: list[Figures]) -> Chart | None:
    """Three bars a row — standard, billed, collected — on one scale, the longest bar filling
    the bar area."""
    if not rows:
        return None
    shown = rows
    if len(rows) > CHART_ROWS:
        largest = set(map(id, sorted(rows, key=lambda f: f.standard, reverse=True)[:CHART_ROWS]))
        shown = [figures for figures in rows if id(figures) in largest]
    top = max(getattr(f, measure) for f in shown for measure, _ in MEASURES)
    bars_height = len(MEASURES) * (BAR_HEIGHT + BAR_GAP)
    chart_rows = []
    for index, figures in enumerate(shown):
        y = LEGEND_HEIGHT + index * (bars_height + ROW_GAP)
        bars = [
            Bar(
                measure,
                getattr(figures, measure),
                y + position * (BAR_HEIGHT + BAR_GAP),
                _width(getattr(figures, measure), top),
            )
            for position, (measure, _) in enumerate(MEASURES)
        ]
        label_y = y + bars_height // 2 + 4
        chart_rows.append(ChartRow(figures.label, _short(figures.label), label_y, bars))
    return Chart(chart_rows, LEGEND_HEIGHT + len(shown) * (bars_height + ROW_GAP), len(rows))


def _filters(request) -> tuple[RealizationFilterForm, report_of.Scope]:
    filters = RealizationFilterForm(request.membership.practice, request.GET)
    return filters, filters.scope()


@member_required
@require_safe
def realization_page(request):
    filters, scope = _filters(request)
    report = report_of.realization(request.membership, scope)
    context = {
        "filters": filters,
        "report": report,
        "group_label": GROUPS[scope.group_by],
        "chart": chart_of(report.rows),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "web/wip/_realization_report.html" if partial else "web/wip/realization.html"
    response = render(request, template, context, status=400 if filters.errors else 200)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _cell(text: str) -> str:
    """A label as a spreadsheet shows it: one that begins like a formula is quoted, so that
    opening the file never runs what a client's name says."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(figures: Figures) -> list[str]:
    return [
        _cell(figures.label),
        str(figures.hours),
        str(figures.standard),
        str(figures.billed),
        str(figures.collected),
        "" if figures.billed_percent is None else str(figures.billed_percent),
        "" if figures.collected_percent is None else str(figures.collected_percent),
    ]


def _field_label(form, name: str) -> str:
    if name not in form.fields:
        return "Filters"
    return form.fields[name].label or name.replace("_", " ").capitalize()


def csv_filename(scope: report_of.Scope) -> str:
    start = f"{scope.date_from:%Y-%m-%d}" if scope.date_from else "start"
    end = f"{scope.date_to:%Y-%m-%d}" if scope.date_to else "latest"
    return f"realization-by-{scope.group_by.replace('_', '-')}-{start}-to-{end}.csv"


@member_required
@require_safe
def realization_csv(request):
    """The page's figures as a CSV file: amounts as plain decimals (1234.50), percentages of
    the standard value, the total last. Filters that are not understood are refused rather
    than ignored: a file, unlike the page, does not show which filter was left out."""
    filters, scope = _filters(request)
    if filters.errors:
        problems = "; ".join(
            f"{_field_label(filters, name)}: {' '.join(errors)}"
            for name, errors in filters.errors.items()
        )
        return HttpResponse(
            f"The filters were not understood. {problems}",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    report = report_of.realization(request.membership, scope)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(scope)}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            GROUPS[scope.group_by],
            "Hours",
            "Standard",
            "Billed",
            "Collected",
            "Billed %",
            "Collected %",
        ]
    )
    writer.writerows(_csv_row(figures) for figures in [*report.rows, report.total])
    return response
