"""Notices mailed to the billing contacts through a real SMTP server on loopback: once per
notice, to those who receive them and did not mute them; a refusing server leaves the reason."""

import pytest
from django.utils import timezone

from billbridge.core import testing
from billbridge.documents import notices
from billbridge.documents.models import Notice, NoticeKind

pytestmark = pytest.mark.django_db


def member(practice, username, **permissions):
    membership = testing.make_member(practice, username, **permissions)
    membership.user.email = f"{username}@ledger.example"
    membership.user.save()
    return membership


def raise_reconnect(practice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return notices.raise_notice(
            practice,
            NoticeKind.RECONNECT,
            title="QuickBooks Online needs reconnecting",
            body="Billbridge can no longer reach your company.",
            link="/settings/integrations/quickbooks/",
            day=timezone.localdate(),
        )


def test_one_mail_to_those_who_receive_them(
    practice, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_URL = "https://billing.ledger.example"
    exporter = member(practice, "erin", can_export=True)
    member(practice, "clerk", can_process_time=True)  # may not export: not by default
    muted = member(practice, "mo", can_export=True)
    notices.set_muted(muted, True)

    notice = raise_reconnect(practice, django_capture_on_commit_callbacks)

    [mail] = smtp_server.messages()
    assert mail["To"] == exporter.user.email
    assert mail["Subject"] == "[Billbridge] QuickBooks Online needs reconnecting"
    body = mail.get_content()
    assert "can no longer reach your company" in body
    assert "https://billing.ledger.example/settings/integrations/quickbooks/" in body
    notice.refresh_from_db()
    assert notice.mailed_at is not None and notice.mail_error == ""


def test_the_same_kind_the_same_day_is_not_raised_or_mailed_again(
    practice, smtp_server, django_capture_on_commit_callbacks
):
    member(practice, "erin", can_export=True)
    assert raise_reconnect(practice, django_capture_on_commit_callbacks) is not None
    assert raise_reconnect(practice, django_capture_on_commit_callbacks) is None
    assert len(smtp_server.messages()) == 1
    assert Notice.objects.count() == 1


def test_a_notice_is_mailed_once_whoever_asks(
    practice, smtp_server, django_capture_on_commit_callbacks
):
    member(practice, "erin", can_export=True)
    notice = raise_reconnect(practice, django_capture_on_commit_callbacks)
    # A retried task, or a second worker: the claim stamped before the mail left says no.
    assert notices.mail_notice(notice.pk) == "already mailed"
    assert len(smtp_server.messages()) == 1


def test_a_refusing_server_leaves_the_reason_on_the_notice(
    practice, smtp_refusing, django_capture_on_commit_callbacks
):
    member(practice, "erin", can_export=True)
    notice = raise_reconnect(practice, django_capture_on_commit_callbacks)
    notice.refresh_from_db()
    assert notice.mail_error.startswith("The mail server did not take it")
    assert "550" in notice.mail_error


def test_nobody_to_mail_is_said(practice, smtp_server, django_capture_on_commit_callbacks):
    testing.make_member(practice, "noaddress", can_export=True)  # no email address
    notice = raise_reconnect(practice, django_capture_on_commit_callbacks)
    notice.refresh_from_db()
    assert notice.mail_error == "Nobody receives notices by mail."
    assert smtp_server.messages() == []
