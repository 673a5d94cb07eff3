"""Reading the CSV exports of Harvest, Toggl Track and Clockify into rows (time/imports): each
format's columns, the problems of a row, the problems of a file, and reading as a stream."""

import codecs
import csv
import datetime
import io
import tracemalloc
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billbridge.core.errors import InvalidInput
from billbridge.time.imports.reader import (
    MAX_ROWS,
    ImportRefused,
    ParsedRow,
    check_header,
    read_rows,
)

HARVEST = {
    "Date": "2024-03-04",
    "Client": "Acme Widgets",
    "Project": "Year-end accounts 2023",
    "Project Code": "AW-23",
    "Task": "Bookkeeping",
    "Notes": "Reconciled the March bank feed",
    "Hours": "1.5",
    "Hours Rounded": "1.5",
    "Billable?": "Yes",
    "Invoiced?": "No",
    "Approved?": "No",
    "First Name": "Sam",
    "Last Name": "Okafor",
    "Roles": "Staff accountant",
    "Employee?": "Yes",
    "Billable Rate": "120.0",
    "Billable Amount": "180.0",
    "Cost Rate": "55.0",
    "Cost Amount": "82.5",
    "Currency": "United States Dollar - USD",
    "External Reference URL": "",
}
TOGGL = {
    "User": "Priya Shah",
    "Email": "priya@ledger.example",
    "Client": "Birch & Daughters",
    "Project": "Payroll",
    "Task": "Monthly payroll run",
    "Description": "Ran the February payroll",
    "Billable": "Yes",
    "Start date": "2024-02-28",
    "Start time": "09:15:00",
    "End date": "2024-02-28",
    "End time": "10:00:00",
    "Duration": "00:45:00",
    "Tags": "payroll",
    "Amount (USD)": "75.00",
}
CLOCKIFY = {
    "Project": "Tax return 2023",
    "Client": "Cedar Dental LLC",
    "Description": "Prepared the 1120-S",
    "Task": "Tax preparation",
    "User": "Lee Marsh",
    "Group": "Tax team",
    "Email": "lee@ledger.example",
    "Tags": "",
    "Billable": "Yes",
    "Start Date": "01/07/2024",
    "Start Time": "01:26:00 PM",
    "End Date": "01/07/2024",
    "End Time": "02:43:00 PM",
    "Duration (h)": "01:17:00",
    "Duration (decimal)": "1.28",
    "Billable Rate (USD)": "200.00",
    "Billable Amount (USD)": "256.00",
}
SAMPLES = {"harvest": HARVEST, "toggl": TOGGL, "clockify": CLOCKIFY}


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def export(fmt: str, *changes: dict[str, str]) -> bytes:
    """A fmt export with a row for each of `changes`: the sample row with those cells changed."""
    sample = SAMPLES[fmt]
    return csv_text(list(sample), [list({**sample, **c}.values()) for c in changes]).encode()


def read(data: bytes, fmt: str) -> list[ParsedRow]:
    return list(read_rows(io.BytesIO(data), fmt))


def one(fmt: str, **cells: str) -> ParsedRow:
    """The row of an export of one sample row with `cells` changed (underscores for spaces)."""
    (row,) = read(
        export(fmt, {name.replace("_", " "): value for name, value in cells.items()}), fmt
    )
    return row


def refusal(data: bytes, fmt: str) -> str:
    with pytest.raises(ImportRefused) as refused:
        read(data, fmt)
    return refused.value.message


# The three formats


def test_a_harvest_export_reads_into_rows():
    first, second = read(
        export("harvest", {}, {"Task": "", "Notes": "", "Hours": "0:45", "Billable?": "No"}),
        "harvest",
    )
    assert first == ParsedRow(
        line=2,
        source="harvest",
        source_id=first.source_id,
        person_name="Sam Okafor",
        person_email="",
        client_name="Acme Widgets",
        project_name="Year-end accounts 2023",
        work_code_name="Bookkeeping",
        date=datetime.date(2024, 3, 4),
        minutes=90,
        description="Reconciled the March bank feed",
        billable=True,
        errors=(),
    )
    assert (second.line, second.work_code_name, second.minutes, second.billable) == (
        3,
        "Year-end accounts 2023",
        45,
        False,
    )


def test_harvest_hours_read_in_decimal_with_a_point_or_a_comma_and_in_h_mm():
    assert [one("harvest", Hours=hours).minutes for hours in ("1.5", "1,5", "1:30", "1.2583")] == [
        90,
        90,
        90,
        75,
    ]


def test_a_harvest_person_is_first_and_last_name_either_of_which_may_be_missing():
    assert one("harvest", Last_Name="").person_name == "Sam"
    assert one("harvest", First_Name="").person_name == "Okafor"


def test_a_toggl_track_export_reads_into_rows():
    row = one("toggl")
    assert (row.source, row.person_name, row.person_email) == (
        "toggl",
        "Priya Shah",
        "priya@ledger.example",
    )
    assert (row.client_name, row.project_name, row.work_code_name) == (
        "Birch & Daughters",
        "Payroll",
        "Monthly payroll run",
    )
    assert (row.date, row.minutes, row.billable) == (datetime.date(2024, 2, 28), 45, True)
    assert row.description == "Ran the February payroll"
    assert one("toggl", Task="").work_code_name == "Payroll"


def test_a_clockify_export_reads_into_rows_with_month_first_dates():
    row = one("clockify")
    assert (row.source, row.person_name, row.person_email, row.client_name) == (
        "clockify",
        "Lee Marsh",
        "lee@ledger.example",
        "Cedar Dental LLC",
    )
    assert (row.work_code_name, row.date, row.minutes) == (
        "Tax preparation",
        datetime.date(2024, 1, 7),
        77,
    )
    assert one("clockify", Start_Date="2024-01-07").date == datetime.date(2024, 1, 7)


def test_clockify_reads_the_decimal_duration_first_and_the_clock_one_when_it_is_empty():
    assert (
        one("clockify", **{"Duration (h)": "01:17:40", "Duration (decimal)": "1.29"}).minutes == 77
    )
    assert one("clockify", **{"Duration (h)": "01:17:40", "Duration (decimal)": ""}).minutes == 78
    no_decimal = {k: v for k, v in CLOCKIFY.items() if k != "Duration (decimal)"}
    (row,) = read(csv_text(list(no_decimal), [list(no_decimal.values())]).encode(), "clockify")
    assert row.minutes == 77


def test_durations_round_to_the_nearest_minute_half_up():
    assert [one("toggl", Duration=d).minutes for d in ("00:02:30", "00:02:29", "00:00:30")] == [
        3,
        2,
        1,
    ]
    assert one("toggl", Duration="24:00:00").minutes == 24 * 60


def test_billable_flags_are_read_whatever_their_case_and_as_true_or_false():
    flags = {"YES": True, "yes": True, "True": True, "1": True, "no": False, "FALSE": False}
    assert {text: one("toggl", Billable=text).billable for text in flags} == flags
    assert one("toggl", Billable="").billable is False


def test_a_header_is_matched_whatever_its_case_and_spaces():
    header = [f"  {name.upper()} " for name in TOGGL]
    (row,) = read(csv_text(header, [list(TOGGL.values())]).encode(), "toggl")
    assert (row.client_name, row.minutes, row.errors) == ("Birch & Daughters", 45, ())


def test_check_header_says_where_each_column_is():
    columns = check_header(list(CLOCKIFY), "clockify")
    assert columns["Client"] == 1
    assert columns["Duration (decimal)"] == 14
    assert columns["Duration (h)"] == 13


@pytest.mark.parametrize(
    "fmt, write",
    [
        ("harvest", lambda m: {"Hours": str((Decimal(m) / 60).quantize(Decimal("0.01")))}),
        ("harvest", lambda m: {"Hours": f"{m // 60}:{m % 60:02d}"}),
        ("toggl", lambda m: {"Duration": f"{m // 60:02d}:{m % 60:02d}:00"}),
        (
            "clockify",
            lambda m: {
                "Duration (decimal)": str(
                    (Decimal(m) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                ),
                "Duration (h)": f"{m // 60:02d}:{m % 60:02d}:00",
            },
        ),
        (
            "clockify",
            lambda m: {"Duration (decimal)": "", "Duration (h)": f"{m // 60}:{m % 60:02d}:00"},
        ),
    ],
    ids=["harvest-decimal", "harvest-h:mm", "toggl", "clockify-decimal", "clockify-h"],
)
@given(minutes=st.integers(min_value=1, max_value=24 * 60))
def test_a_duration_written_as_each_tool_writes_it_reads_back_to_its_minutes(fmt, write, minutes):
    (row,) = read(export(fmt, write(minutes)), fmt)
    assert (row.minutes, row.errors) == (minutes, ())


# What can be wrong with a row


@pytest.mark.parametrize(
    "fmt, cells, error",
    [
        (
            "harvest",
            {"Date": "31/02/2024"},
            'Date "31/02/2024" is not a date (expected YYYY-MM-DD)',
        ),
        (
            "harvest",
            {"Date": "2024-02-30"},
            'Date "2024-02-30" is not a date (expected YYYY-MM-DD)',
        ),
        ("harvest", {"Date": ""}, "Date is empty"),
        (
            "clockify",
            {"Start Date": "13/01/2024"},
            'Start Date "13/01/2024" is not a date (expected MM/DD/YYYY)',
        ),
        (
            "harvest",
            {"Hours": "an hour"},
            'Hours "an hour" is not a duration (expected decimal hours like 1.5, or h:mm)',
        ),
        (
            "harvest",
            {"Hours": "NaN"},
            'Hours "NaN" is not a duration (expected decimal hours like 1.5, or h:mm)',
        ),
        (
            "toggl",
            {"Duration": "1h 30m"},
            'Duration "1h 30m" is not a duration (expected hh:mm:ss)',
        ),
        ("harvest", {"Hours": ""}, "Hours is empty"),
        ("harvest", {"Hours": "-1.5"}, 'Hours "-1.5" is negative'),
        ("toggl", {"Duration": "-00:30:00"}, 'Duration "-00:30:00" is negative'),
        ("harvest", {"Hours": "0"}, 'Hours "0" is zero'),
        ("toggl", {"Duration": "00:00:00"}, 'Duration "00:00:00" is zero'),
        (
            "toggl",
            {"Duration": "00:00:29"},
            'Duration "00:00:29" is under half a minute, which rounds to zero',
        ),
        ("harvest", {"Hours": "25"}, 'Hours "25" is more than 24 hours in one row'),
        ("toggl", {"Duration": "24:00:30"}, 'Duration "24:00:30" is more than 24 hours in one row'),
        (
            "clockify",
            {"Duration (decimal)": "", "Duration (h)": ""},
            "Duration (decimal) is empty",
        ),
        ("harvest", {"Client": "  "}, "Client is empty"),
        ("harvest", {"First Name": "", "Last Name": ""}, "First Name and Last Name are empty"),
        ("toggl", {"User": ""}, "User is empty"),
        ("toggl", {"Billable": "maybe"}, 'Billable "maybe" is not Yes or No'),
    ],
)
def test_a_row_problem_is_the_rows_own_in_words_naming_the_column(fmt, cells, error):
    good, bad = read(export(fmt, {}, cells), fmt)
    assert good.errors == ()
    assert bad.errors == (error,)
    assert bad.line == 3


def test_a_row_with_an_unreadable_duration_has_no_minutes_and_one_with_a_bad_date_no_date():
    assert one("toggl", Duration="soon").minutes is None
    assert one("toggl", Start_date="tomorrow").date is None


def test_a_row_with_too_few_or_too_many_cells_says_so():
    header = list(TOGGL)
    full = list(TOGGL.values())
    data = csv_text(header, [full[:-2], [*full, "stray"], [*full, "", ""]]).encode()
    short, long, padded = read(data, "toggl")
    assert short.errors == ("The row has 12 cells where the header has 14",)
    assert long.errors == ("The row has 15 cells where the header has 14",)
    assert padded.errors == ()


def test_a_row_can_have_several_problems():
    row = one("toggl", Client="", Duration="", Start_date="")
    assert row.errors == ("Client is empty", "Start date is empty", "Duration is empty")


# Quoting, line numbers and encodings


def test_quoted_cells_keep_their_commas_quotes_and_line_breaks_and_lines_count_as_rows():
    notes = 'Called the bank, twice;\nsent "the usual" letter\r\nand filed it'
    rows = [list({**HARVEST, "Notes": notes}.values()), [], list(HARVEST.values())]
    first, second = read(csv_text(list(HARVEST), rows).encode(), "harvest")
    assert first.description == notes
    # As a spreadsheet shows it: the header, the row with the long note, a blank row, the row.
    assert (first.line, second.line) == (2, 4)


def test_blank_rows_and_rows_of_empty_cells_are_skipped():
    sample = export("toggl", {})
    data = b"\r\n" + sample + b"\r\n" + b"," * 13 + b"\r\n"
    (row,) = read(data, "toggl")
    assert row.line == 3


def test_a_file_with_only_a_header_has_no_rows():
    assert read(csv_text(list(TOGGL), []).encode(), "toggl") == []


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),
        lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "utf-16-le", "utf-16-be"],
)
def test_utf8_with_or_without_a_byte_order_mark_and_utf16_with_one_read_the_same(encode):
    # Ċ (U+010A) is 0A 01 in UTF-16-LE: a newline byte that is not a line's end.
    changes = {"User": "Zoë Müller", "Description": "Ċapital gains €, 日本\nsecond line"}
    text = csv_text(list(TOGGL), [list({**TOGGL, **changes}.values()), list(TOGGL.values())])
    first, second = read(encode(text), "toggl")
    assert (first.person_name, first.description, first.minutes) == (
        "Zoë Müller",
        "Ċapital gains €, 日本\nsecond line",
        45,
    )
    assert (second.line, second.person_name, second.errors) == (3, "Priya Shah", ())


# Ids for recognising a row imported again


def test_the_same_file_read_twice_gives_the_same_ids_and_identical_rows_different_ones():
    data = export("toggl", {}, {}, {"Description": "Another task"}, {})
    first, second, other, third = read(data, "toggl")
    assert [r.source_id for r in read(data, "toggl")] == [
        first.source_id,
        second.source_id,
        other.source_id,
        third.source_id,
    ]
    assert len({first.source_id, second.source_id, other.source_id, third.source_id}) == 4
    digest = first.source_id.removesuffix("-1")
    assert (second.source_id, third.source_id) == (f"{digest}-2", f"{digest}-3")
    assert all(len(r.source_id) <= 100 for r in (first, second, other, third))


def test_an_id_does_not_change_between_processes_or_releases():
    # Entries already imported carry ids made this way: a new recipe would import them again.
    assert one("toggl").source_id == "4b560a447d9bde2fa1c6f78500d261f8-1"


def test_ids_do_not_depend_on_the_order_or_the_number_of_columns():
    (row,) = read(export("toggl", {}), "toggl")
    reordered = dict(reversed([(k, v) for k, v in TOGGL.items() if k != "Tags"]))
    (again,) = read(csv_text(list(reordered), [list(reordered.values())]).encode(), "toggl")
    assert again.source_id == row.source_id


def test_ids_differ_between_rows_that_differ_in_anything_read():
    ids = {one("toggl").source_id, one("toggl", Billable="No").source_id}
    ids |= {one("toggl", Duration="00:46:00").source_id, one("toggl", Email="").source_id}
    assert len(ids) == 4


# What can be wrong with the file


def test_an_empty_file_is_refused_before_reading():
    for data in (b"", codecs.BOM_UTF8, b"\r\n\r\n", "".encode("utf-16")):
        with pytest.raises(ImportRefused, match="The file is empty"):
            read_rows(io.BytesIO(data), "toggl")


def test_another_formats_export_is_refused_naming_the_missing_columns_and_the_tool_it_is():
    with pytest.raises(ImportRefused) as refused:
        read_rows(io.BytesIO(export("toggl", {})), "harvest")
    assert refused.value.message == (
        "The file is not a Harvest export: it has no Date, First Name, Last Name, Notes, "
        "Billable?, Hours columns. This looks like a Toggl Track export; import it as Toggl Track"
    )
    assert isinstance(refused.value, InvalidInput)
    assert "This looks like a Harvest export" in refusal(export("harvest", {}), "clockify")
    assert "This looks like a Clockify export" in refusal(export("clockify", {}), "toggl")


def test_a_file_missing_a_column_is_refused_naming_it():
    header = [name for name in TOGGL if name != "Client"]
    message = refusal(csv_text(header, []).encode(), "toggl")
    assert message == "The file is not a Toggl Track export: it has no Client column"
    no_durations = [n for n in CLOCKIFY if not n.startswith("Duration")]
    assert refusal(csv_text(no_durations, []).encode(), "clockify") == (
        "The file is not a Clockify export: it has no Duration (decimal) or Duration (h) column"
    )


def test_an_unknown_format_is_refused():
    assert refusal(export("toggl", {}), "excel") == (
        '"excel" is not a format this can import: Harvest, Toggl Track, Clockify'
    )


def test_text_that_is_not_utf8_is_refused_naming_the_byte_its_position_and_line():
    data = export("harvest", {}, {"Client": "Café Lumière"}).replace(
        "Café Lumière".encode(), "Café Lumière".encode("cp1252")
    )
    position = data.index("é".encode("cp1252"))
    rows = read_rows(io.BytesIO(data), "harvest")
    assert next(rows).line == 2
    with pytest.raises(ImportRefused) as refused:
        next(rows)
    assert refused.value.message == (
        f"The file is not UTF-8 text (byte 0xE9 at position {position}, line 3); "
        "export it again as CSV UTF-8"
    )


def test_an_undecodable_header_is_refused_before_reading_and_positions_count_the_mark():
    data = codecs.BOM_UTF8 + export("harvest").replace(b"Notes", "Notés".encode("cp1252"))
    position = data.index("é".encode("cp1252"))
    with pytest.raises(ImportRefused, match=rf"byte 0xE9 at position {position}, line 1\)"):
        read_rows(io.BytesIO(data), "harvest")


def test_utf16_cut_in_the_middle_of_a_character_is_refused():
    data = export("toggl", {}).decode().encode("utf-16")[:-1]
    assert refusal(data, "toggl") == (
        f"The file is not UTF-16 text (byte 0x0A at position {len(data) - 1}, line 2); "
        "export it again as CSV UTF-8"
    )


def test_more_than_50000_rows_are_refused_on_reaching_the_next_and_memory_stays_flat(tmp_path):
    """Streams: the peak while reading a file bigger than the bound is well under it. The only
    growth is one number per distinct row, and every row here is distinct."""
    path = tmp_path / "toggl.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(list(TOGGL))
        for i in range(MAX_ROWS + 1):
            minutes = i % 480 + 1
            changes = {
                "User": f"Person {i % 40}",
                "Client": f"Client {i % 700}",
                "Description": f"Entry {i}: reconciled the bank feed and chased the receipts "
                "still missing with the client's office manager",
                "Start date": f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
                "Duration": f"{minutes // 60:02d}:{minutes % 60:02d}:00",
            }
            writer.writerow({**TOGGL, **changes}.values())
    bound = 10 * 1024 * 1024
    assert path.stat().st_size > bound  # reading it whole would break the bound

    read_count = 0
    tracemalloc.start()
    try:
        with path.open("rb") as stream, pytest.raises(ImportRefused) as refused:
            for _ in read_rows(stream, "toggl"):
                read_count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read_count == MAX_ROWS
    assert refused.value.message == (
        "The file has more than 50,000 rows; split it and import each part"
    )
    assert peak < bound


def test_a_line_longer_than_100000_characters_is_refused():
    long_ok = one("toggl", Description="x" * 70_000)  # more than one 64 KiB read
    assert len(long_ok.description) == 70_000
    message = refusal(export("toggl", {}, {"Description": "x" * 100_001}), "toggl")
    assert (
        message == "Line 3 is longer than 100,000 characters; this does not look like a time export"
    )


def test_a_quote_never_closed_is_refused_at_the_csv_field_limit():
    lines = "\r\n".join("y" * 100 for _ in range(2_000))
    data = export("toggl", {}) + f'Priya,,Acme,,,"never closed\r\n{lines}\r\n'.encode()
    message = refusal(data, "toggl")
    assert message.startswith("Line 3 cannot be read as CSV (field larger than field limit")
