"""Notices to the practice's billing contacts: in the app until dismissed, and one mail each.

What raises a notice lives where the fact is known (quickbooks/notices.py: a connection to
reconnect, a refresh token about to expire, exports that ended in Error or Needs review); this
module only keeps them and delivers them. At most one notice per kind per practice per day (the
table's unique constraint), so a sweep that runs every minute mails once a day at most.

Who receives them is a setting of the practice (a member who manages settings picks them); a
member without a choice recorded receives them when they may export, the people who act on
QuickBooks' problems. Each member can mute them for themself: no mail, no banner; the Notices
page still lists them (docs/decisions/0026-notices.md).
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from billbridge.core.errors import InvalidInput
from billbridge.documents.models import Notice, NoticeDismissal, NoticeKind, NoticePreference
from billbridge.practice.models import Membership, Permission, Practice
from billbridge.practice.permissions import require

log = logging.getLogger(__name__)

# How long a notice stays in the banner when nobody dismisses it.
BANNER_DAYS = 7


@dataclass(frozen=True)
class Recipient:
    membership: Membership
    receives: bool
    muted: bool

    @property
    def is_mailed(self) -> bool:
        return self.receives and not self.muted and bool(self.membership.user.email)


def _preferences(practice: Practice) -> dict[int, NoticePreference]:
    return {
        pref.membership_id: pref
        for pref in NoticePreference.objects.filter(membership__practice=practice)
    }


def recipients(practice: Practice) -> list[Recipient]:
    """Every active member of the practice, with whether they receive notices and muted them."""
    preferences = _preferences(practice)
    members = (
        Membership.objects.filter(practice=practice, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    listed = []
    for membership in members:
        pref = preferences.get(membership.pk)
        receives = pref.receives if pref else membership.can_export
        listed.append(Recipient(membership, receives, bool(pref and pref.muted)))
    return listed


def receives(membership: Membership) -> Recipient:
    return next(r for r in recipients(membership.practice) if r.membership.pk == membership.pk)


def choose_recipients(membership: Membership, member_ids: set[int]) -> None:
    """Settings ▸ Notices: the members who receive notices, chosen by one who manages settings."""
    require(membership, Permission.MANAGE_SETTINGS)
    practice_members = set(
        Membership.objects.filter(practice=membership.practice).values_list("pk", flat=True)
    )
    unknown = member_ids - practice_members
    if unknown:
        raise InvalidInput("Choose members of this practice only.")
    with transaction.atomic():
        for member_id in practice_members:
            NoticePreference.objects.update_or_create(
                membership_id=member_id, defaults={"receives": member_id in member_ids}
            )


def set_muted(membership: Membership, muted: bool) -> None:
    """A member mutes (or hears again) the notices for themself; anyone may."""
    pref, created = NoticePreference.objects.get_or_create(
        membership=membership,
        defaults={"receives": membership.can_export, "muted": muted},
    )
    if not created and pref.muted != muted:
        pref.muted = muted
        pref.save(update_fields=["muted"])


def raise_notice(
    practice: Practice, kind: NoticeKind, *, title: str, body: str, link: str, day: date
) -> Notice | None:
    """The practice's notice of this kind for `day`, made and mailed unless one exists already
    (then None: the day's notice was given)."""
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                practice=practice, kind=kind, day=day, title=title, body=body, link=link
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: mail.enqueue(notice.pk))
    return notice


@task()
def mail(notice_id: int) -> str:
    return mail_notice(notice_id)


def mail_notice(notice_id: int) -> str:
    """Mail a notice to its practice's recipients, once: the notice is claimed by stamping
    mailed_at before the mail leaves, so two workers (or a retried task) never mail it twice.
    A failure is kept on the notice for the Notices page; the notice itself stays in the app."""
    claimed = Notice.objects.filter(pk=notice_id, mailed_at__isnull=True).update(
        mailed_at=timezone.now()
    )
    if not claimed:
        return "already mailed"
    notice = Notice.objects.select_related("practice").get(pk=notice_id)
    to = [r.membership.user.email for r in recipients(notice.practice) if r.is_mailed]
    if not to:
        Notice.objects.filter(pk=notice_id).update(mail_error="Nobody receives notices by mail.")
        return "nobody to mail"
    link = f"{settings.PUBLIC_URL}{notice.link}" if notice.link.startswith("/") else notice.link
    message = EmailMessage(
        subject=f"[Billbridge] {notice.title}",
        body=f"{notice.body}\n\n{link}\n\nMute these notices in Billbridge: "
        f"{settings.PUBLIC_URL}/settings/notices/\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("Notice %s not mailed: %s", notice_id, exc)
        Notice.objects.filter(pk=notice_id).update(
            mail_error=f"The mail server did not take it: {exc}"[:500]
        )
        return "failed"
    return "mailed"


def banner_notices(membership: Membership) -> list[Notice]:
    """The notices shown above every page to a member who receives them and has not muted
    them: this week's, not dismissed by them. One query on every page when there are none."""
    since = timezone.localdate() - timedelta(days=BANNER_DAYS)
    shown = list(
        Notice.objects.filter(practice=membership.practice_id, day__gte=since)
        .exclude(dismissals__membership=membership)
        .order_by("-created_at")[:5]
    )
    if not shown:
        return []
    pref = NoticePreference.objects.filter(membership=membership).first()
    hears = (pref.receives and not pref.muted) if pref else membership.can_export
    return shown if hears else []


def recent_notices(practice: Practice, days: int = 30) -> list[Notice]:
    since = timezone.localdate() - timedelta(days=days)
    return list(Notice.objects.filter(practice=practice, day__gte=since))


def dismiss(membership: Membership, notice_id: int) -> None:
    notice = Notice.objects.filter(practice=membership.practice, pk=notice_id).first()
    if notice is None:
        raise InvalidInput("That notice is not one of your practice's.")
    NoticeDismissal.objects.get_or_create(notice=notice, membership=membership)
