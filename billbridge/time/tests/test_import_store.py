"""Importing a time tool's export as entries (time/imports/store.py and pending.py): the preview
stores nothing, the import stores exactly the ready rows (valued, with their source and
history) in one transaction, names are matched or mapped within the practice, the entry rules
apply row by row, and a file imported twice adds nothing."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billbridge.core import testing
from billbridge.core.errors import InvalidInput, TransitionRefused
from billbridge.time import rate_card
from billbridge.time.imports import pending, reader, store
from billbridge.time.imports.names import NO_WORK_CODE, SKIP, Kind, Mappings
from billbridge.time.imports.reader import ImportRefused
from billbridge.time.models import Entry, EntryChange, TimeImport
from billbridge.time.tests.fixtures import WEEK_AGO, name
from billbridge.time.tests.test_import_formats import TOGGL

DAY = WEEK_AGO.isoformat()


def toggl(*rows: dict[str, str]) -> bytes:
    """A Toggl Track export with a row for each of `rows`: by default an hour and a half of
    Alice's tax preparation for Acme Widgets a week ago, billable."""
    default = {
        **TOGGL,
        "User": "Alice Archer",
        "Email": "alice@ledger.example",
        "Client": "Acme Widgets",
        "Project": "Year-end",
        "Task": "Tax preparation",
        "Description": "Prepared the return",
        "Billable": "Yes",
        "Start date": DAY,
        "Duration": "01:30:00",
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(default))
    for row in rows:
        writer.writerow(list({**default, **row}.values()))
    return out.getvalue().encode()


def preview(member, data: bytes, mappings=None):
    return store.preview(member, io.BytesIO(data), "toggl", mappings)


def import_(member, data: bytes, mappings=None):
    return store.import_file(member, io.BytesIO(data), "toggl", mappings, file_name="march.csv")


def counts(result: store.Preview) -> dict:
    return {
        "rows": result.rows,
        "ready": result.ready,
        "already": result.already_imported,
        "unmatched": result.unmatched,
        "skipped": result.skipped,
        "in_error": result.in_error,
    }


def errors(result: store.Preview) -> list[tuple[int, tuple[str, ...]]]:
    return [(error.line, error.reasons) for error in result.errors]


SAM = {"User": "Sam Okafor", "Email": "sam@ledger.example"}


# ---- preview and import ---------------------------------------------------------------------


def test_a_preview_counts_the_rows_and_stores_nothing(people):
    data = toggl({}, {"Task": "Bookkeeping"}, {"Start date": ""}, {"Client": "Nobody Ltd"})
    result = preview(people["alice"], data)
    assert counts(result) == {
        "rows": 4,
        "ready": 2,
        "already": 0,
        "unmatched": 1,
        "skipped": 0,
        "in_error": 1,
    }
    assert errors(result) == [(4, ("Start date is empty",))]
    assert (result.minutes_ready, result.value_ready) == (180, Decimal("525.00"))
    assert (Entry.objects.count(), EntryChange.objects.count()) == (0, 0)


def test_an_import_stores_exactly_the_ready_rows_valued_with_their_source_and_history(
    people, client_a, work_codes
):
    alice = people["alice"]
    data = toggl(
        {},
        {"Task": "Bookkeeping", "Billable": "No", "Duration": "00:20:00"},
        {"Duration": "soon"},
        {"Client": "Nobody Ltd"},
    )
    result = import_(alice, data)
    assert result.stored == 2
    assert counts(result.preview)["in_error"] == 1
    tax, books = Entry.objects.order_by("pk")
    assert (tax.staff, tax.client, tax.work_code, tax.date, tax.minutes) == (
        alice,
        client_a,
        work_codes["tax"],
        WEEK_AGO,
        90,
    )
    # Tax preparation's default rate beats Alice's own; Bookkeeping has none, so hers applies.
    assert (tax.rate, tax.value, tax.billable) == (Decimal("200.00"), Decimal("300.00"), True)
    assert (books.rate, books.value, books.billable) == (Decimal("150.00"), Decimal("50.00"), False)
    assert (tax.source, tax.description) == ("toggl", "Prepared the return")
    rows = list(reader.read_rows(io.BytesIO(data), "toggl"))
    assert [tax.source_id, books.source_id] == [rows[0].source_id, rows[1].source_id]
    assert [(c.entry, c.action, c.actor, c.note) for c in EntryChange.objects.order_by("pk")] == [
        (tax, "imported", alice.user, "march.csv, line 2"),
        (books, "imported", alice.user, "march.csv, line 3"),
    ]


def test_the_same_file_imported_twice_adds_nothing_the_second_time(people):
    data = toggl({}, {"Task": "Bookkeeping"}, {"Start date": ""})
    assert import_(people["alice"], data).stored == 2
    again = preview(people["alice"], data)
    assert (again.ready, again.already_imported, again.in_error) == (0, 2, 1)
    assert import_(people["alice"], data).stored == 0
    assert Entry.objects.count() == 2


def test_a_later_export_repeating_rows_adds_only_the_new_ones(people):
    import_(people["alice"], toggl({}))
    result = import_(people["alice"], toggl({}, {"Description": "Filed it"}))
    assert (result.stored, result.preview.already_imported) == (1, 1)


def test_an_already_imported_row_does_not_count_twice_in_the_day_total(people):
    data = toggl({"Duration": "14:00:00"})
    import_(people["alice"], data)
    assert counts(preview(people["alice"], data))["already"] == 1


# ---- names ----------------------------------------------------------------------------------


def test_people_match_by_email_then_full_name_then_username_whatever_the_case_and_spaces(
    people, practice
):
    testing.make_member(practice, "jo")
    rows = [
        {"User": "Someone Else", "Email": " ALICE@Ledger.example "},
        {"User": "  sam   OKAFOR ", "Email": ""},
        {"User": "Sam Okafor", "Email": "old-address@elsewhere.example"},
        {"User": "JO", "Email": ""},
    ]
    result = import_(people["alice"], toggl(*rows))
    assert result.stored == 4
    staff = [entry.staff.user.username for entry in Entry.objects.order_by("pk")]
    assert staff == ["alice", "sam", "sam", "jo"]


def test_clients_and_work_codes_match_whatever_the_case_and_spaces(people, client_a, work_codes):
    import_(people["alice"], toggl({"Client": " acme  WIDGETS", "Task": "TAX preparation "}))
    entry = Entry.objects.get()
    assert (entry.client, entry.work_code) == (client_a, work_codes["tax"])


def test_the_project_is_the_work_code_when_the_task_is_empty_and_neither_means_none(people):
    rows = [{"Task": "", "Project": "Bookkeeping"}, {"Task": "", "Project": ""}]
    import_(people["alice"], toggl(*rows))
    assert [e.work_code and e.work_code.name for e in Entry.objects.order_by("pk")] == [
        "Bookkeeping",
        None,
    ]


def test_unknown_names_are_listed_once_each_with_their_rows_and_store_nothing(people):
    rows = [
        {"User": "Jane Doe", "Email": "jane@ledger.example"},
        {"User": "Jane D.", "Email": "jane@ledger.example", "Client": "Globex"},
        {"Client": "globex ", "Task": "Audit"},
        {},
    ]
    result = import_(people["alice"], toggl(*rows))
    assert (result.stored, result.preview.unmatched) == (1, 3)
    listed = [(u.kind, u.key, u.label, u.rows, u.choice) for u in result.preview.unknown]
    assert listed == [
        (Kind.PERSON, "jane@ledger.example", "Jane Doe <jane@ledger.example>", 2, None),
        (Kind.CLIENT, "globex", "Globex", 2, None),
        (Kind.WORK_CODE, "audit", "Audit", 1, None),
    ]


def test_a_name_two_members_share_matches_neither(people, practice):
    name(testing.make_member(practice, "sam2"), "Sam", "Okafor")
    result = preview(people["alice"], toggl({"User": "Sam Okafor", "Email": ""}))
    assert (result.unmatched, [u.label for u in result.unknown]) == (1, ["Sam Okafor"])


def test_mapping_unknown_names_makes_their_rows_ready(people, client_a, work_codes):
    rows = [
        {"User": "Samuel O.", "Email": ""},
        {"Client": "Acme Ltd"},
        {"Task": "Tax prep"},
        {"Task": "Filing"},
        {"Client": "Private"},
    ]
    mappings = Mappings(
        person={"samuel o.": people["sam"].pk},
        client={"acme ltd": client_a.pk, "private": SKIP},
        work_code={"tax prep": work_codes["tax"].pk, "filing": NO_WORK_CODE},
    )
    result = import_(people["alice"], toggl(*rows), mappings)
    assert counts(result.preview) == {
        "rows": 5,
        "ready": 4,
        "already": 0,
        "unmatched": 0,
        "skipped": 1,
        "in_error": 0,
    }
    entries = Entry.objects.order_by("pk")
    assert [(e.staff.user.username, e.client, e.work_code) for e in entries] == [
        ("sam", client_a, work_codes["tax"]),
        ("alice", client_a, work_codes["tax"]),
        ("alice", client_a, work_codes["tax"]),
        ("alice", client_a, None),
    ]
    assert [u.choice for u in result.preview.unknown] == [
        people["sam"].pk,
        client_a.pk,
        SKIP,
        NO_WORK_CODE,
        work_codes["tax"].pk,
    ]


def test_another_practices_clients_are_never_matched_nor_chosen(people):
    other = testing.make_practice("Elsewhere")
    globex = testing.make_client(other, "Globex")
    result = preview(people["alice"], toggl({"Client": "Globex"}))
    assert (result.ready, result.unmatched) == (0, 1)
    for mappings in (
        Mappings(client={"globex": globex.pk}),
        Mappings(person={"x": testing.make_admin(other).pk}),
        Mappings(work_code={"x": "no such choice"}),
        Mappings(client={"x": NO_WORK_CODE}),
    ):
        with pytest.raises(InvalidInput, match="choose one of your practice's"):
            import_(people["alice"], toggl({"Client": "Globex"}), mappings)
    assert Entry.objects.count() == 0


# ---- the entry rules ------------------------------------------------------------------------


def test_someone_elses_time_needs_process_time(people):
    result = import_(people["sam"], toggl({}, SAM))
    assert (result.stored, result.preview.in_error) == (1, 1)
    assert errors(result.preview) == [
        (2, ("You need the “Process time” permission to import Alice Archer's time.",))
    ]
    assert Entry.objects.get().staff == people["sam"]
    # With it, anyone's.
    assert import_(people["alice"], toggl({}, SAM)).stored == 1


def test_a_day_counts_what_is_recorded_and_the_files_earlier_rows(people, record):
    record(people["alice"], 20 * 60)
    rows = [
        {"Duration": "03:00:00"},
        {"Duration": "01:01:00", "Description": "one minute too many"},
        {"Duration": "01:00:00", "Description": "fits exactly"},
        {**SAM, "Duration": "23:00:00"},
        {"Duration": "00:10:00", "Start date": (WEEK_AGO - datetime.timedelta(1)).isoformat()},
    ]
    result = import_(people["alice"], toggl(*rows))
    assert errors(result.preview) == [
        (
            3,
            (f"That makes 24:01 on {DAY}: a day has 24 hours (23:00 is recorded already).",),
        )
    ]
    assert result.stored == 4


@pytest.mark.parametrize(
    "cells, reasons",
    [
        (
            {"Start date": (timezone.localdate() + datetime.timedelta(days=40)).isoformat()},
            (
                "The date is too far ahead: the latest allowed is "
                f"{timezone.localdate() + datetime.timedelta(days=31):%Y-%m-%d}.",
            ),
        ),
        ({"Description": "x" * 1001}, ("A description has at most 1,000 characters.",)),
        ({"Task": "Old code"}, ("The work code Old code is no longer in use.",)),
        ({"Duration": "25:00:00"}, ('Duration "25:00:00" is more than 24 hours in one row',)),
    ],
)
def test_the_entry_rules_apply_to_each_row_with_its_line(people, admin_member, cells, reasons):
    old = rate_card.save_work_code(admin_member, rate_card.WorkCodeInput("Old code"))
    rate_card.save_work_code(
        admin_member, rate_card.WorkCodeInput("Old code", active=False), work_code_id=old.pk
    )
    result = import_(people["alice"], toggl({}, cells))
    assert errors(result.preview) == [(3, reasons)]
    assert result.stored == 1


def test_several_problems_of_a_row_are_all_said(people, admin_member):
    old = rate_card.save_work_code(admin_member, rate_card.WorkCodeInput("Old code"))
    rate_card.save_work_code(
        admin_member, rate_card.WorkCodeInput("Old code", active=False), work_code_id=old.pk
    )
    result = preview(people["alice"], toggl({"Task": "Old code", "Description": "x" * 1001}))
    assert errors(result) == [
        (
            2,
            (
                "The work code Old code is no longer in use.",
                "A description has at most 1,000 characters.",
            ),
        )
    ]


# ---- a file that cannot be imported stores nothing ------------------------------------------


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of two rows, so that rows are stored before a problem later in the file."""
    monkeypatch.setattr(store, "BATCH_ROWS", 2)


def test_a_row_past_the_limit_after_good_rows_stores_nothing(people, small_batches, monkeypatch):
    # The limit made small, with batches of two: rows stored in three batches are undone (the
    # real limit is met at the end of this module).
    monkeypatch.setattr(reader, "MAX_ROWS", 5)
    data = toggl(*({"Description": f"Row {n}"} for n in range(6)))
    with pytest.raises(ImportRefused, match="more than 5 rows"):
        import_(people["alice"], data)
    assert (Entry.objects.count(), EntryChange.objects.count()) == (0, 0)


def test_text_that_stops_being_utf8_late_in_the_file_stores_nothing(people, small_batches):
    data = toggl(*({"Description": f"Row {n}"} for n in range(6)), {"Client": "Café"})
    data = data.replace("Café".encode(), "Café".encode("cp1252"))
    with pytest.raises(ImportRefused, match="The file is not UTF-8 text"):
        import_(people["alice"], data)
    assert Entry.objects.count() == 0


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty; export the report again and choose that file"),
        (
            b"Date,Client,Hours\r\n2024-01-01,Acme,1\r\n",
            "The file is not a Toggl Track export: it has no Start date, User, Email, Project, "
            "Task, Description, Billable, Duration columns",
        ),
        (b"User,Client\xe9\r\n", "The file is not UTF-8 text (byte 0xE9 at position 11, line 1)"),
    ],
    ids=["empty", "wrong columns", "not utf-8"],
)
def test_a_file_that_is_not_an_export_is_refused_with_a_clear_message(people, data, message):
    for step in (preview, import_):
        with pytest.raises(ImportRefused) as refused:
            step(people["alice"], data)
        assert refused.value.message.startswith(message)
    assert Entry.objects.count() == 0


def test_rows_stored_by_someone_else_at_the_same_moment_store_nothing(people, monkeypatch):
    data = toggl({}, {"Description": "another"})
    import_(people["alice"], toggl({}))
    real = Entry.objects.filter

    def blind(*args, **kwargs):  # as if the first row were stored after the batch's look-up
        return real(*args, **kwargs).none() if "source_id__in" in kwargs else real(*args, **kwargs)

    monkeypatch.setattr(Entry.objects, "filter", blind)
    with pytest.raises(TransitionRefused, match="imported by someone else at the same time"):
        import_(people["alice"], data)
    monkeypatch.undo()
    assert Entry.objects.count() == 1


def test_queries_do_not_grow_with_the_rows(people):
    """Reading and checking costs the same few queries for a batch of rows, whatever their
    number; storing costs an INSERT per as many rows as the database takes in one."""

    def queries(rows: int) -> tuple[int, int]:
        data = toggl(*({"Description": f"Row {n}", "Duration": "00:05:00"} for n in range(rows)))
        with CaptureQueriesContext(connection) as captured:
            assert import_(people["alice"], data).stored == rows
        Entry.objects.all().delete()
        inserts = sum(q["sql"].startswith("INSERT") for q in captured)
        return len(captured) - inserts, inserts

    (few_reads, few_inserts), (many_reads, many_inserts) = queries(10), queries(200)
    assert few_reads == many_reads
    assert (few_inserts, many_inserts <= 200 / 25) == (2, True)


# ---- the import waiting for its confirmation (pending.py) -----------------------------------


def upload(member, data: bytes, file_name="march.csv") -> TimeImport:
    return pending.upload(member, file_name, "toggl", io.BytesIO(data))


def test_an_upload_is_kept_previewed_remapped_and_confirmed_once(people, client_a):
    alice = people["alice"]
    kept = upload(alice, toggl({}, {"Client": "Acme Ltd"}))
    assert (kept.file_name, kept.format, kept.confirmed_at) == ("march.csv", "toggl", None)
    assert pending.preview(alice, kept).unmatched == 1
    kept = pending.remap(alice, kept.pk, Mappings(client={"acme ltd": client_a.pk}))
    assert pending.preview(alice, kept).ready == 2
    assert Entry.objects.count() == 0

    result = pending.confirm(alice, kept.pk)
    assert result.stored == 2
    kept.refresh_from_db()
    assert (kept.rows, kept.stored, kept.already_imported, bytes(kept.content)) == (2, 2, 0, b"")
    assert kept.confirmed_at is not None
    with pytest.raises(TransitionRefused, match="march.csv is imported already"):
        pending.confirm(alice, kept.pk)
    assert Entry.objects.count() == 2


def test_an_upload_is_its_uploaders_alone(people):
    kept = upload(people["alice"], toggl({}))
    stranger = testing.make_admin(testing.make_practice())
    for member in (people["sam"], stranger):
        with pytest.raises(TimeImport.DoesNotExist):
            pending.get_import(member, kept.pk)
        with pytest.raises(TimeImport.DoesNotExist):
            pending.confirm(member, kept.pk)
    assert Entry.objects.count() == 0


def test_a_file_that_cannot_be_imported_is_refused_at_upload_and_not_kept(people, monkeypatch):
    late_error = toggl({}, {"Client": "Café"}).replace("Café".encode(), b"Caf\xe9")
    with pytest.raises(ImportRefused, match="not UTF-8"):
        upload(people["alice"], late_error)
    monkeypatch.setattr(pending, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(ImportRefused, match="larger than 0 MB") as refused:
        upload(people["alice"], toggl({}))
    assert refused.value.field_errors == {"file": [refused.value.message]}
    assert TimeImport.objects.count() == 0


def test_unconfirmed_uploads_over_a_day_old_are_deleted_when_one_is_made(people):
    old, confirmed = upload(people["alice"], toggl({})), upload(people["sam"], toggl(SAM))
    pending.confirm(people["sam"], confirmed.pk)
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    TimeImport.objects.update(created_at=two_days_ago)
    recent = upload(people["sam"], toggl({}))
    assert set(TimeImport.objects.values_list("pk", flat=True)) == {confirmed.pk, recent.pk}
    assert old.pk != recent.pk


def test_a_member_keeps_a_bounded_number_of_unconfirmed_uploads(people, monkeypatch):
    monkeypatch.setattr(pending, "PENDING_PER_MEMBER", 2)
    first, second, third = (upload(people["alice"], toggl({})) for _ in range(3))
    assert set(TimeImport.objects.values_list("pk", flat=True)) == {second.pk, third.pk}
    assert first.pk not in (second.pk, third.pk)


@pytest.mark.soak  # ~11 s; the path is covered in make test with a small limit and batches
def test_a_real_file_whose_50001st_row_comes_after_50000_good_ones_stores_nothing(people):
    """The 50,000 rows are stored in batches before the next one is met: all are undone."""
    rows = (
        {
            "Description": f"Row {n}",
            "Start date": (WEEK_AGO - datetime.timedelta(days=n // 200)).isoformat(),
            "Duration": "00:05:00",
        }
        for n in range(reader.MAX_ROWS + 1)
    )
    with pytest.raises(ImportRefused, match="more than 50,000 rows"):
        import_(people["alice"], toggl(*rows))
    assert (Entry.objects.count(), EntryChange.objects.count()) == (0, 0)
