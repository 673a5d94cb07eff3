"""The small drains that follow an export: a company's rows of one kind (the PDFs attached to QBO
invoices, attachments.py; the credits applied to them, credit_application.py) worked one at a
time, each under a lease, in the order they fell due.

What they share is the claim: a due row, or one left SENDING by a worker that died between
marking it and recording QBO's answer (it becomes UNKNOWN, to be looked up in QBO before
anything is sent again), taken with SKIP LOCKED so that workers never share one. What a row
does once claimed is its module's own.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from billbridge.quickbooks.client import QboAuthFailed, QboClient, QboThrottled
from billbridge.quickbooks.connection import client_for
from billbridge.quickbooks.models import ConnectionStatus, QboConnection
from billbridge.quickbooks.tokens import ReconnectRequired

# A row is at most a few requests: a claim outlives them by far.
LEASE = timedelta(minutes=5)
# Refused before anything happened: the row waits QBO's minute, and it is not a try.
NOT_A_TRY = (ReconnectRequired, QboAuthFailed, QboThrottled)


@dataclass(frozen=True)
class RowDrain:
    model: type[models.Model]
    due_states: tuple[str, ...]
    sending: str
    unknown: str

    def next_due_at(self, realm_id: str):
        """When the company's first waiting row is due; None when none waits."""
        return (
            self.model.objects.filter(realm_id=realm_id)
            .filter(
                Q(state__in=self.due_states, next_attempt_at__isnull=False) | Q(state=self.sending)
            )
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)
            .first()
        )

    def drain(self, realm_id: str, work: Callable[[QboClient, models.Model], None]) -> int:
        """`work` on every due row of the company, one at a time; returns how many rows were
        worked on. A refusal of the company's access or a throttle stops the drain."""
        connection = QboConnection.objects.filter(realm_id=realm_id).first()
        if connection is None or connection.status != ConnectionStatus.CONNECTED:
            return 0
        worked = 0
        with client_for(connection) as client:
            while (row := self.claim(realm_id)) is not None:
                worked += 1
                try:
                    work(client, row)
                except NOT_A_TRY:
                    # Nothing was sent for it; the export drain says what the company needs.
                    self.release(row, delay=60)
                    break
        return worked

    def claim(self, realm_id: str):
        now = timezone.now()
        with transaction.atomic():
            row = (
                self.model.objects.select_for_update(skip_locked=True)
                .filter(realm_id=realm_id)
                .filter(
                    Q(state__in=self.due_states, next_attempt_at__lte=now) | Q(state=self.sending)
                )
                .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                .order_by("next_attempt_at", "id")
                .first()
            )
            if row is None:
                return None
            if row.state == self.sending:
                # Its worker died between marking it and recording QBO's answer.
                row.state = self.unknown
            row.lease_until = now + LEASE
            row.save(update_fields=["state", "lease_until", "updated_at"])
        return row

    def release(self, row, *, delay: float) -> None:
        self.model.objects.filter(pk=row.pk).update(
            lease_until=None, next_attempt_at=timezone.now() + timedelta(seconds=delay)
        )
