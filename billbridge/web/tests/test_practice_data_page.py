"""Settings ▸ Your data: a member who manages settings downloads the practice's archive; anyone
else is told why not, and gets nothing."""

import io
import json
import zipfile

from django.urls import reverse
from django.utils import timezone

from billbridge.core import testing

PAGE = reverse("web:practice-data")
DOWNLOAD = reverse("web:practice-data-download")


def test_the_page_lists_what_the_archive_holds_and_offers_the_download(alice, client_a):
    page = alice.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Download all of Ledger &amp; Co's data" in html
    assert "<code>time_entries</code>" in html
    assert f'<form method="post" action="{DOWNLOAD}">' in html
    assert f'href="{PAGE}" aria-current="page">Your data</a>' in html


def test_the_download_is_a_zip_of_the_practice_s_own_data(
    alice, admin_member, client_a, other_practice_invoice
):
    testing.make_invoice(admin_member, client_a, "finalized")
    answer = alice.post(DOWNLOAD)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/zip"
    assert answer["Content-Disposition"] == (
        f'attachment; filename="billbridge-ledger-co-{timezone.now():%Y%m%d}.zip"'
    )
    with zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content))) as archive:
        clients = json.loads(archive.read("json/clients.json"))
        invoices = json.loads(archive.read("json/invoices.json"))
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert [c["name"] for c in clients] == ["Acme Widgets"]
    assert [i["client_name"] for i in invoices] == ["Acme Widgets"]
    assert b"Hidden Co" not in everything and b"Elsewhere LLP" not in everything


def test_a_member_without_manage_settings_is_refused_with_the_reason(browser_for, practice):
    viewer = browser_for(
        testing.make_member(practice, "vera", can_export=True, can_process_time=True)
    )
    for answer in (viewer.get(PAGE), viewer.post(DOWNLOAD)):
        assert answer.status_code == 403
        assert answer["Content-Type"].startswith("text/html")
        html = answer.content.decode()
        assert "You need the “Manage settings” permission to do this." in html
        assert f'href="{reverse("web:tax-settings")}">Back to the settings</a>' in html
    assert "Your data</a>" not in viewer.get(reverse("web:billing-list")).content.decode()


def test_the_download_takes_a_post_and_a_log_in(alice, client):
    assert alice.get(DOWNLOAD).status_code == 405
    answer = client.post(DOWNLOAD)
    assert answer.status_code == 302
    assert answer["Location"].startswith("/login/?next=")
