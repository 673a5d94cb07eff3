"""What every page's layout needs beyond the request: the notices banner (documents/notices.py).
Read only for a signed-in member; a page for anyone else pays nothing."""

from billbridge.documents import notices
from billbridge.practice.models import Membership


def notice_banner(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        membership = user.membership
    except Membership.DoesNotExist:
        return {}
    return {"banner_notices": notices.banner_notices(membership)}
