"""What the practice's billing contacts must hear about QuickBooks, raised by the sweep.

A connection that needs reconnecting and a refresh token expiring within TOKEN_WARNING_DAYS are
said as soon as the sweep sees them; exports that ended in Error or Needs review are gathered in
one digest a day, from NOTICES_DIGEST_HOUR on. documents/notices.py keeps each notice, shows it
and mails it, at most once per kind per practice per day.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from billbridge.documents import notices
from billbridge.documents.models import NoticeKind
from billbridge.quickbooks.models import ConnectionStatus, ExportState, InvoiceExport, QboConnection

TOKEN_WARNING_DAYS = 14
PROBLEM_STATES = (ExportState.FAILED, ExportState.NEEDS_REVIEW)
# The digest names this many invoices, then says how many more there are.
DIGEST_LISTED = 20


def check(now: datetime | None = None) -> dict:
    """Raise the notices due now for every connected (or disconnected) practice."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    raised = {kind: 0 for kind in NoticeKind.values}
    for connection in QboConnection.objects.select_related("practice"):
        for kind, title, body, link in _due(connection, now):
            if notices.raise_notice(
                connection.practice, kind, title=title, body=body, link=link, day=today
            ):
                raised[kind] += 1
    return raised


def _due(connection: QboConnection, now: datetime):
    settings_page = reverse("web:quickbooks-settings")
    if connection.status == ConnectionStatus.RECONNECT:
        yield (
            NoticeKind.RECONNECT,
            "QuickBooks Online needs reconnecting",
            "Billbridge can no longer reach your QuickBooks Online company"
            + (f" ({connection.status_reason})" if connection.status_reason else "")
            + ". Exports and paid-status updates wait until someone reconnects it in "
            "Settings ▸ Integrations ▸ QuickBooks Online.",
            settings_page,
        )
    elif _expires_soon(connection, now):
        expires = timezone.localtime(connection.refresh_token_expires_at)
        yield (
            NoticeKind.TOKEN_EXPIRING,
            f"The QuickBooks Online connection expires on {expires:%Y-%m-%d}",
            f"Intuit's permission for Billbridge to reach your QuickBooks Online company ends on "
            f"{expires:%Y-%m-%d %H:%M}. Reconnect before then in Settings ▸ Integrations ▸ "
            "QuickBooks Online, or exports will stop.",
            settings_page,
        )
    if timezone.localtime(now).hour >= settings.NOTICES_DIGEST_HOUR:
        digest = _export_problems(connection, now)
        if digest:
            yield digest


def _expires_soon(connection: QboConnection, now: datetime) -> bool:
    expires = connection.refresh_token_expires_at
    return expires is not None and expires <= now + timedelta(days=TOKEN_WARNING_DAYS)


def _export_problems(connection: QboConnection, now: datetime):
    """The digest of the invoices whose latest export ended in Error or Needs review in the
    last day; None when there are none."""
    newest = InvoiceExport.objects.filter(invoice=OuterRef("invoice")).order_by("-id")
    problems = list(
        InvoiceExport.objects.filter(
            practice=connection.practice_id,
            state__in=PROBLEM_STATES,
            finished_at__gte=now - timedelta(days=1),
            pk=Subquery(newest.values("pk")[:1]),
        )
        .select_related("invoice")
        .order_by("invoice__number")
    )
    if not problems:
        return None
    lines = [
        f"- {row.invoice.number}: {row.get_state_display()}"
        + (f" — {row.message}" if row.message else "")
        + f"\n  {settings.PUBLIC_URL}{reverse('web:invoice-detail', args=[row.invoice_id])}"
        for row in problems[:DIGEST_LISTED]
    ]
    if len(problems) > DIGEST_LISTED:
        lines.append(f"… and {len(problems) - DIGEST_LISTED} more on the Billing list.")
    count = len(problems)
    return (
        NoticeKind.EXPORT_PROBLEMS,
        f"{count} invoice{'s' if count != 1 else ''} did not export to QuickBooks Online",
        "These exports ended in Error or Needs review in the last day; each invoice's "
        "QuickBooks Export column says what to do:\n\n" + "\n".join(lines),
        reverse("web:billing-list"),
    )
