"""Settings ▸ Notices and the banner above every page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from billbridge.core import testing
from billbridge.documents.models import Notice, NoticeKind, NoticePreference

pytestmark = pytest.mark.django_db

PAGE = reverse("web:notice-settings")


@pytest.fixture
def notice(practice):
    return Notice.objects.create(
        practice=practice,
        kind=NoticeKind.RECONNECT,
        day=timezone.localdate(),
        title="QuickBooks Online needs reconnecting",
        body="Billbridge can no longer reach your company.",
        link="/settings/integrations/quickbooks/",
    )


def test_the_banner_shows_a_notice_until_dismissed(alice, notice):
    page = alice.get(reverse("web:billing-list")).content.decode()
    assert "QuickBooks Online needs reconnecting" in page
    assert 'href="/settings/integrations/quickbooks/"' in page

    answer = alice.post(reverse("web:notice-dismiss", args=[notice.pk]), {"next": "/clients/"})
    assert answer.status_code == 302 and answer["Location"] == "/clients/"
    assert "needs reconnecting" not in alice.get(reverse("web:billing-list")).content.decode()
    # Still listed on the Notices page.
    assert "needs reconnecting" in alice.get(PAGE).content.decode()


def test_a_dismissal_goes_back_only_to_this_site(alice, notice):
    answer = alice.post(
        reverse("web:notice-dismiss", args=[notice.pk]), {"next": "https://evil.example/"}
    )
    assert answer["Location"] == PAGE


def test_another_practices_notice_cannot_be_dismissed(browser_for, notice):
    other = testing.make_admin(testing.make_practice("Elsewhere LLP"), "mallory")
    answer = browser_for(other).post(reverse("web:notice-dismiss", args=[notice.pk]))
    assert answer.status_code == 404
    assert not notice.dismissals.exists()


def test_a_muted_member_sees_no_banner(alice, admin_member, notice):
    alice.post(reverse("web:notice-mute"), {"muted": "1"})
    assert NoticePreference.objects.get(membership=admin_member).muted
    assert "needs reconnecting" not in alice.get(reverse("web:billing-list")).content.decode()
    page = alice.get(PAGE).content.decode()
    assert "You muted notices" in page and "needs reconnecting" in page

    alice.post(reverse("web:notice-mute"), {"muted": "0"})
    assert "needs reconnecting" in alice.get(reverse("web:billing-list")).content.decode()


def test_members_who_may_not_export_do_not_receive_them_by_default(browser_for, practice, notice):
    clerk = testing.make_member(practice, "clerk")
    page = browser_for(clerk).get(reverse("web:billing-list")).content.decode()
    assert "needs reconnecting" not in page
    assert "You are not one of the members who receive notices" in (
        browser_for(clerk).get(PAGE).content.decode()
    )


def test_a_manager_chooses_who_receives_them(alice, browser_for, practice, admin_member, notice):
    clerk = testing.make_member(practice, "clerk")
    answer = alice.post(reverse("web:notice-recipients"), {"member": [clerk.pk]})
    assert answer.status_code == 302
    prefs = {p.membership_id: p.receives for p in NoticePreference.objects.all()}
    assert prefs == {clerk.pk: True, admin_member.pk: False}
    assert "needs reconnecting" in browser_for(clerk).get("/").content.decode()
    assert "needs reconnecting" not in alice.get("/").content.decode()


def test_choosing_recipients_needs_manage_settings(browser_for, practice, admin_member):
    clerk = testing.make_member(practice, "clerk", can_export=True)
    answer = browser_for(clerk).post(reverse("web:notice-recipients"), {"member": [clerk.pk]})
    assert answer.status_code == 403
    assert "Manage settings" in answer.content.decode()
    assert not NoticePreference.objects.exists()


def test_recipients_of_another_practice_are_refused(alice, admin_member):
    stranger = testing.make_member(testing.make_practice("Elsewhere LLP"), "mallory")
    answer = alice.post(reverse("web:notice-recipients"), {"member": [stranger.pk]})
    assert answer.status_code == 400
    assert "members of this practice" in answer.content.decode()
    assert not NoticePreference.objects.exists()


def test_a_forged_member_id_is_a_clear_400(alice):
    answer = alice.post(reverse("web:notice-recipients"), {"member": ["x"]})
    assert answer.status_code == 400
    assert "not understood" in answer.content.decode()


def test_old_notices_leave_the_banner(alice, practice, notice):
    Notice.objects.filter(pk=notice.pk).update(
        day=timezone.localdate() - datetime.timedelta(days=8)
    )
    assert "needs reconnecting" not in alice.get("/").content.decode()
