from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Beat(models.Model):
    """The last moment a long-running process said it was alive, by name (the scheduler's
    clock): what /healthz reads to tell a stopped scheduler from a quiet one (core/beats.py)."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S} on {self.host}"
