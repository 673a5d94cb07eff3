"""Which notices the sweep raises about QuickBooks, and that it raises each once a day."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from billbridge.core import testing
from billbridge.documents.models import Notice, NoticeKind
from billbridge.invoicing.models import InvoiceStatus
from billbridge.quickbooks import notices
from billbridge.quickbooks.models import ConnectionStatus, ExportState, InvoiceExport, QboConnection

pytestmark = pytest.mark.django_db


def _at(hour: int) -> datetime:
    """A moment of today, local time, at `hour` o'clock."""
    return timezone.localtime().replace(hour=hour, minute=5, second=0, microsecond=0)


@pytest.fixture
def connection(practice):
    return QboConnection.objects.create(
        practice=practice,
        realm_id="9130",
        refresh_token_expires_at=timezone.now() + timedelta(days=90),
    )


def _problem(member, client, state, *, finished_at, message="Customer is inactive"):
    invoice = testing.make_invoice(member, client, InvoiceStatus.FINALIZED)
    return InvoiceExport.objects.create(
        invoice=invoice,
        invoice_version=invoice.version,
        practice=invoice.practice,
        realm_id="9130",
        state=state,
        request_id=f"r{invoice.pk}",
        next_attempt_at=finished_at,
        finished_at=finished_at,
        message=message,
    )


def test_a_healthy_connection_raises_nothing(connection):
    assert notices.check(_at(12)) == {kind: 0 for kind in NoticeKind.values}
    assert not Notice.objects.exists()


def test_a_connection_to_reconnect_is_said_once_a_day(connection):
    connection.status = ConnectionStatus.RECONNECT
    connection.status_reason = "Intuit refused the refresh token (invalid_grant)"
    connection.save()

    assert notices.check(_at(1))[NoticeKind.RECONNECT] == 1
    assert notices.check(_at(2))[NoticeKind.RECONNECT] == 0  # the same day: said already
    notice = Notice.objects.get()
    assert notice.kind == NoticeKind.RECONNECT
    assert "invalid_grant" in notice.body
    assert notice.link == "/settings/integrations/quickbooks/"


def test_a_refresh_token_within_fourteen_days_is_said(connection):
    connection.refresh_token_expires_at = timezone.now() + timedelta(days=13)
    connection.save()
    assert notices.check(_at(12))[NoticeKind.TOKEN_EXPIRING] == 1
    expires = timezone.localtime(connection.refresh_token_expires_at)
    assert Notice.objects.get().title.endswith(f"{expires:%Y-%m-%d}")


def test_a_refresh_token_further_away_is_not(connection):
    connection.refresh_token_expires_at = timezone.now() + timedelta(days=15)
    connection.save()
    assert notices.check(_at(12))[NoticeKind.TOKEN_EXPIRING] == 0


def test_export_problems_come_as_one_digest_after_its_hour(
    connection, admin_member, client_a, settings
):
    settings.NOTICES_DIGEST_HOUR = 7
    now = _at(8)
    failed = _problem(admin_member, client_a, ExportState.FAILED, finished_at=now)
    review = _problem(
        admin_member, client_a, ExportState.NEEDS_REVIEW, finished_at=now, message="Tax differs"
    )
    _problem(admin_member, client_a, ExportState.EXPORTED, finished_at=now, message="")
    # Two days old: an earlier digest named it.
    _problem(admin_member, client_a, ExportState.FAILED, finished_at=now - timedelta(days=2))

    assert notices.check(_at(6))[NoticeKind.EXPORT_PROBLEMS] == 0  # before the digest's hour
    assert notices.check(now)[NoticeKind.EXPORT_PROBLEMS] == 1
    assert notices.check(now + timedelta(minutes=30))[NoticeKind.EXPORT_PROBLEMS] == 0

    digest = Notice.objects.get(kind=NoticeKind.EXPORT_PROBLEMS)
    assert digest.title == "2 invoices did not export to QuickBooks Online"
    assert f"{failed.invoice.number}: Error — Customer is inactive" in digest.body
    assert f"{review.invoice.number}: Needs review — Tax differs" in digest.body
    assert f"/invoices/{failed.invoice_id}/" in digest.body
    assert digest.link == "/"


def test_an_invoice_exported_again_since_its_error_is_left_out(connection, admin_member, client_a):
    now = _at(12)
    failed = _problem(admin_member, client_a, ExportState.FAILED, finished_at=now)
    InvoiceExport.objects.create(
        invoice=failed.invoice,
        invoice_version=failed.invoice_version + 1,
        practice=failed.practice,
        realm_id="9130",
        state=ExportState.EXPORTED,
        request_id="again",
        next_attempt_at=now,
        finished_at=now,
    )
    assert notices.check(now)[NoticeKind.EXPORT_PROBLEMS] == 0


def test_each_practice_hears_of_its_own(connection, admin_member, client_a):
    other = testing.make_practice("Other & Co")
    QboConnection.objects.create(practice=other, realm_id="777", status=ConnectionStatus.RECONNECT)
    _problem(admin_member, client_a, ExportState.FAILED, finished_at=_at(12))
    notices.check(_at(12))
    assert set(Notice.objects.filter(practice=other).values_list("kind", flat=True)) == {
        NoticeKind.RECONNECT
    }
    assert set(
        Notice.objects.filter(practice=connection.practice).values_list("kind", flat=True)
    ) == {NoticeKind.EXPORT_PROBLEMS}
