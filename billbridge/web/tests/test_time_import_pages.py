"""Time ▸ Import: upload, the preview with its counts, drop-downs and errors, choices sent as a
form or by htmx, the confirmation and its summary; refusals that store nothing; an import is
its uploader's alone."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as Browser
from django.urls import reverse

from billbridge.core import testing
from billbridge.time.imports import pending, store
from billbridge.time.models import Entry, TimeImport
from billbridge.time.tests.test_import_store import SAM, toggl
from billbridge.web.tests.test_accessibility import problems_in
from billbridge.web.tests.test_quickbooks_pages import text_of

UPLOAD = reverse("web:time-import")


def preview_page(time_import) -> str:
    return reverse("web:time-import-preview", args=[time_import.pk])


def confirm_page(time_import) -> str:
    return reverse("web:time-import-confirm", args=[time_import.pk])


def browser_of(member) -> Browser:
    browser = Browser()
    browser.force_login(member.user)
    return browser


@pytest.fixture
def alice(people):
    return browser_of(people["alice"])


def send(browser, data: bytes, fmt: str = "toggl", name: str = "march.csv"):
    return browser.post(UPLOAD, {"file": SimpleUploadedFile(name, data), "format": fmt})


def uploaded(browser, data: bytes) -> TimeImport:
    response = send(browser, data)
    assert response.status_code == 302, text_of(response)
    time_import = TimeImport.objects.latest("pk")
    assert response["Location"] == preview_page(time_import)
    return time_import


def test_the_upload_form_has_labelled_fields(alice):
    response = alice.get(UPLOAD)
    assert response.status_code == 200
    assert problems_in(response.content.decode()) == []
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert re.findall(r'<option value="(\w+)"', html) == ["harvest", "toggl", "clockify"]


def test_a_preview_shows_the_counts_the_names_to_choose_and_the_errors_and_stores_nothing(
    alice, people
):
    time_import = uploaded(alice, toggl({}, {"Start date": ""}, {"Client": "Globex"}, {}))
    response = alice.get(preview_page(time_import))
    assert response.status_code == 200
    text = text_of(response)
    assert (
        "Rows 4 Ready 2 (3.00 hours, worth 600.00 at the rates in force) Already imported 0 "
        "Names to choose 1 row Skipped 0 In error 1"
    ) in text
    assert "Globex Client 1" in text
    assert "3 Start date is empty" in text
    assert "Import 2 entries" in text
    assert problems_in(response.content.decode()) == []
    assert Entry.objects.count() == 0


def test_choosing_a_client_for_an_unknown_name_makes_its_rows_ready(alice, client_a):
    time_import = uploaded(alice, toggl({"Client": "Globex"}))
    page = alice.get(preview_page(time_import)).content.decode()
    assert '<select id="map-0" name="client:globex">' in page
    assert f'<option value="{client_a.pk}">Acme Widgets</option>' in page
    choice = {"client:globex": str(client_a.pk)}

    plain = alice.post(preview_page(time_import), choice)
    assert (plain.status_code, plain["Location"]) == (302, preview_page(time_import))
    by_htmx = alice.post(preview_page(time_import), choice, headers={"HX-Request": "true"})
    assert by_htmx.status_code == 200
    html = by_htmx.content.decode()
    assert html.startswith('\n<div id="import-preview">')
    assert f'<option value="{client_a.pk}" selected>Acme Widgets</option>' in html
    assert "Import 1 entry" in text_of(by_htmx)
    assert problems_in(html) == []
    assert Entry.objects.count() == 0


def test_skipping_and_no_work_code_are_choices(alice):
    time_import = uploaded(alice, toggl({"Client": "Private"}, {"Task": "Filing"}))
    alice.post(
        preview_page(time_import),
        {"client:private": "skip", "work_code:filing": "none"},
    )
    assert "Skipped 1" in text_of(alice.get(preview_page(time_import)))
    alice.post(confirm_page(time_import))
    assert Entry.objects.get().work_code is None


def test_confirming_stores_the_ready_rows_and_shows_what_was_stored(alice):
    time_import = uploaded(alice, toggl({}, SAM, {"Start date": ""}))
    response = alice.post(confirm_page(time_import), follow=True)
    assert response.status_code == 200
    assert Entry.objects.count() == 2
    text = text_of(response)
    assert "Imported 2 entries." in text
    assert "Rows 3 Entries stored 2 Already imported 0 Not stored 1" in text
    assert reverse("web:entry-list") in response.content.decode()
    assert problems_in(response.content.decode()) == []

    again = alice.post(confirm_page(time_import))
    assert again.status_code == 409
    assert "march.csv is imported already (2 entries stored)" in text_of(again)
    assert Entry.objects.count() == 2


def test_the_same_file_uploaded_again_says_its_rows_are_already_imported(alice):
    alice.post(confirm_page(uploaded(alice, toggl({}, SAM))))
    text = text_of(alice.get(preview_page(uploaded(alice, toggl({}, SAM)))))
    assert "Ready 0 Already imported 2 (these add nothing)" in text
    assert "Nothing in this file is ready to import." in text


@pytest.mark.parametrize(
    "data, fmt, message",
    [
        (b"", "toggl", "The file is empty"),
        (toggl({}), "harvest", "This looks like a Toggl Track export; import it as Toggl Track"),
        (toggl({}, {"User": "Zoë"}).replace("ë".encode(), b"\xeb"), "toggl", "not UTF-8 text"),
    ],
    ids=["empty", "another tool's", "not utf-8"],
)
def test_a_file_that_cannot_be_imported_is_refused_at_upload(alice, data, fmt, message):
    response = send(alice, data, fmt)
    assert response.status_code == 400
    assert message in text_of(response)
    assert problems_in(response.content.decode()) == []
    assert TimeImport.objects.count() == 0


def test_a_file_too_large_is_refused_next_to_its_field(alice, monkeypatch):
    monkeypatch.setattr(pending, "MAX_UPLOAD_BYTES", 2 * 2**20)
    response = send(alice, toggl({}) + b"\r\n" * 2**20)
    assert response.status_code == 400
    assert "The file is larger than 2 MB; export a shorter period and import each part" in (
        text_of(response)
    )
    assert TimeImport.objects.count() == 0


def test_no_file_or_format_is_a_clear_400(alice):
    response = alice.post(UPLOAD, {"format": "excel"})
    assert response.status_code == 400
    assert "This field is required." in text_of(response)
    assert "Select a valid choice" in text_of(response)


def test_someone_elses_time_is_an_error_without_process_time(people):
    sam = browser_of(people["sam"])
    time_import = uploaded(sam, toggl({}, SAM))
    text = text_of(sam.get(preview_page(time_import)))
    assert "2 You need the “Process time” permission to import Alice Archer's time." in text
    sam.post(confirm_page(time_import))
    assert list(Entry.objects.values_list("staff", flat=True)) == [people["sam"].pk]


def test_a_choice_of_another_practices_client_is_refused_and_changes_nothing(alice, client_a):
    time_import = uploaded(alice, toggl({"Client": "Globex"}))
    foreign = testing.make_client(testing.make_practice(), "Globex")
    for value in (str(foreign.pk), "nonsense", "-1"):
        response = alice.post(
            preview_page(time_import),
            {"client:globex": value},
        )
        assert response.status_code == 400
        assert "choose one of your practice's clients" in text_of(response)
    bad_kind = alice.post(preview_page(time_import), {"customer:globex": str(client_a.pk)})
    assert bad_kind.status_code == 400
    in_place = alice.post(
        preview_page(time_import), {"client:globex": "-1"}, headers={"HX-Request": "true"}
    )
    assert in_place.status_code == 400
    assert in_place.content.decode().startswith('\n<div id="import-preview">')
    assert "For the client “globex”, choose one of your practice's clients" in text_of(in_place)
    assert "Names to choose 1 row" in text_of(in_place)
    time_import.refresh_from_db()
    assert time_import.mappings == {}


def test_an_import_is_its_uploaders_alone(alice, people):
    time_import = uploaded(alice, toggl({}))
    for member in (people["sam"], testing.make_admin(testing.make_practice())):
        other = browser_of(member)
        assert other.get(preview_page(time_import)).status_code == 404
        assert other.post(confirm_page(time_import)).status_code == 404
        assert other.post(preview_page(time_import), {}).status_code == 404
    assert Entry.objects.count() == 0


def test_the_errors_table_shows_the_first_200_and_counts_the_rest(alice, monkeypatch):
    monkeypatch.setattr(store, "ERRORS_KEPT", 2)
    time_import = uploaded(alice, toggl(*({"Start date": ""} for _ in range(5))))
    text = text_of(alice.get(preview_page(time_import)))
    assert "… and 3 more rows in error." in text


def test_signed_out_visitors_are_sent_to_log_in(people):
    response = Browser().get(UPLOAD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
