"""Run the QuickBooks sweep every QBO_SWEEP_SECONDS: the clock beside `manage.py worker`. Each
tick is recorded (core/beats.py), so /healthz can tell when the clock has stopped."""

import signal
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from billbridge.core import beats
from billbridge.quickbooks.automatic_export import export_daily
from billbridge.quickbooks.tasks import sweep


class Command(BaseCommand):
    help = (
        "Queue the QuickBooks sweep periodically (stuck exports, lost wake-ups, duplicates) "
        "and the daily automatic exports that are due."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Queue one sweep and stop.")

    def handle(self, *args, once: bool = False, **options):
        # Stopped mid-tick loses nothing: each write is atomic, and the next tick makes good a sweep
        # not queued.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while True:
            sweep.enqueue()
            export_daily.enqueue()  # practices whose daily automatic export is due
            beats.beat(beats.SCHEDULER)
            if once:
                return
            time.sleep(settings.QBO_SWEEP_SECONDS)
