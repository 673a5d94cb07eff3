from django.conf import settings
from django.db import models


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token. Only the SHA-256 hash of the token is kept: the token itself is
    shown once, when it is made, and cannot be recovered (docs/decisions/0004-api-tokens.md)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The public part of the token, shown in lists so that a user can tell tokens apart, and
    # the key by which a presented token is found before its hash is compared.
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField("SHA-256 of the token", max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Revoked tokens are kept, not deleted, so that the profile and the logs can still say
    # which token it was.
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        return f"{self.prefix}…"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
