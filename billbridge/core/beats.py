"""A process's heartbeat in the database, so that any web process on any host can tell whether
the scheduler still runs (operations/health.py)."""

import os
import socket
from datetime import datetime

from django.utils import timezone

from billbridge.core.models import Beat

SCHEDULER = "scheduler"


def beat(name: str) -> None:
    Beat.objects.update_or_create(
        name=name,
        defaults={"at": timezone.now(), "host": socket.gethostname(), "pid": os.getpid()},
    )


def last(name: str) -> datetime | None:
    return Beat.objects.filter(name=name).values_list("at", flat=True).first()
