"""Personal API tokens: making, revoking and checking them.

A token reads `bb_<8 characters>_<43 characters>`. The first part (`bb_` and eight characters)
is the public prefix: it is stored as is, shown in lists and used to find the token. The whole
token is stored only as its SHA-256 hash. The secret part carries 256 random bits, so a fast
hash is enough: there is nothing to guess that a slow hash would protect
(docs/decisions/0004-api-tokens.md).
"""

import datetime
import hashlib
import hmac
import logging
import re
import secrets
import string

from django.db import IntegrityError, transaction
from django.utils import timezone

from billbridge.api.models import ApiToken
from billbridge.core.errors import InvalidInput
from billbridge.practice.models import Membership

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "bb_"
PREFIX_ALPHABET = string.ascii_lowercase + string.digits
PREFIX_RANDOM_LENGTH = 8
TOKEN_SHAPE = re.compile(r"(bb_[a-z0-9]{8})_[A-Za-z0-9_-]{43}")
MAX_NAME_LENGTH = ApiToken._meta.get_field("name").max_length
# Recording every use would turn each read into a write; a minute's precision is plenty for
# "last used".
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_prefix() -> str:
    return TOKEN_PREFIX + "".join(
        secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_RANDOM_LENGTH)
    )


def issue_token(user, name: str) -> tuple[ApiToken, str]:
    """Make a token for `user`. Returns the row and the token itself, which the caller shows
    once and must not store."""
    name = name.strip()
    if not name:
        raise InvalidInput("Give the token a name.", {"name": ["A name is needed."]})
    if "\x00" in name:
        raise InvalidInput("A token name cannot contain NUL characters.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"A token name can have at most {MAX_NAME_LENGTH} characters.",
            {"name": [f"At most {MAX_NAME_LENGTH} characters."]},
        )
    if not user.is_active or not Membership.objects.filter(user=user).exists():
        raise InvalidInput("API tokens are for active members of a practice.")
    # A clash of two random prefixes is very unlikely; a few tries make it impossible in practice.
    for _attempt in range(5):
        prefix = _new_prefix()
        token = f"{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                row = ApiToken.objects.create(
                    user=user, name=name, prefix=prefix, secret_hash=hash_token(token)
                )
        except IntegrityError:
            continue
        logger.info("API token %s made for user %s", row.prefix, user.pk)
        return row, token
    raise RuntimeError("Could not find a free token prefix.")


def revoke_token(user, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens. Another user's token looks like a missing one."""
    row = ApiToken.objects.active().filter(user=user, pk=token_id).first()
    if row is None:
        raise InvalidInput("No such token.")
    row.revoked_at = timezone.now()
    row.save(update_fields=["revoked_at"])
    logger.info("API token %s of user %s revoked", row.prefix, user.pk)
    return row


def membership_for_token(token: str) -> Membership | None:
    """The membership a presented token acts for, or None when the token is malformed,
    unknown, revoked, or its user is inactive or no longer a member."""
    shape = TOKEN_SHAPE.fullmatch(token)
    if shape is None:
        return None
    row = (
        ApiToken.objects.active()
        .select_related("user__membership__practice")
        .filter(prefix=shape.group(1))
        .first()
    )
    if row is None or not hmac.compare_digest(row.secret_hash, hash_token(token)):
        return None
    user = row.user
    membership = getattr(user, "membership", None) if user.is_active else None
    if membership is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return membership
