"""How API callers prove who they are: a personal token (`Authorization: Bearer …`), or the
session of a logged-in browser. Either way the request acts for the caller's membership, which
endpoints find in `request.auth`."""

import logging

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from billbridge.api.tokens import membership_for_token
from billbridge.practice.models import Membership

logger = logging.getLogger(__name__)

BAD_TOKEN_MESSAGE = (
    "That API token is not valid: it is unknown, revoked, or its user has no access."
)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Membership:
        membership = membership_for_token(token.strip())
        if membership is None:
            # A wrong token is an answer, not a reason to try the session: say so at once.
            # The log names the caller's address, never the token.
            logger.warning("API token refused from %s", request.META.get("REMOTE_ADDR", "?"))
            raise HttpError(401, BAD_TOKEN_MESSAGE)
        return membership


class PracticeSessionAuth(APIKeyCookie):
    """A logged-in member's browser session. CSRF is checked for unsafe methods, but only once
    the session is known to belong to a member, so that an anonymous caller gets 401."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        # CSRF is checked below, after the session is known to be a member's.
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> Membership | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        membership = Membership.objects.select_related("practice", "user").filter(user=user).first()
        if membership is None:
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
        return membership
