"""Export invoices to QuickBooks Online from the command line, as one member, and wait for the
outcome here: the queue is worked in this process (alongside any worker), with a progress bar."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Exists, OuterRef
from tqdm import tqdm

from billbridge.core.errors import ServiceError
from billbridge.invoicing.models import Invoice, InvoiceStatus
from billbridge.practice.models import Membership
from billbridge.quickbooks import export, services
from billbridge.quickbooks.models import (
    ConnectionStatus,
    ExportBatch,
    ExportState,
    InvoiceExport,
    QboConnection,
)

# How long to wait before draining again while rows sit out a back-off or QBO's minute of rest.
WAIT_SECONDS = 1.0

# An invoice whose current version is already exported, or on its way, would only be refused:
# --all-finalized leaves it out instead of listing every such refusal.
SETTLED_STATES = (
    ExportState.EXPORTED,
    ExportState.QUEUED,
    ExportState.SENDING,
    ExportState.UNKNOWN,
)


class Command(BaseCommand):
    help = (
        "Export finalized invoices to QuickBooks Online and wait for the outcome, working the "
        "queue in this process. Exits with status 1 when an invoice ends in error (or the "
        "export cannot go on until QuickBooks is reconnected)."
    )

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="*", help="Invoice numbers, such as INV-12.")
        parser.add_argument(
            "--user", required=True, help="The member whose practice and permissions apply."
        )
        parser.add_argument(
            "--all-finalized",
            action="store_true",
            help="Every finalized invoice not already in QuickBooks as it is now (nor on its way).",
        )
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="Only queue the export and print its batch id; the worker does the rest.",
        )

    def handle(self, *args, numbers, user, all_finalized, no_wait, **options):
        if bool(numbers) == all_finalized:
            raise CommandError("Give invoice numbers or --all-finalized (one of the two).")
        membership = self._membership(user)
        invoice_ids = (
            self._all_finalized(membership)
            if all_finalized
            else self._by_number(membership, numbers)
        )
        if not invoice_ids:
            self.stdout.write("No finalized invoice waits to be exported.")
            return
        try:
            batch = services.request_export(membership, invoice_ids)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        if no_wait:
            for refused in batch.refused:
                self.stderr.write(
                    f"Refused {refused['number'] or refused['id']}: {refused['message']}"
                )
            # The id alone on stdout, so that scripts can capture it.
            self.stdout.write(str(batch.pk))
            return
        progress = self._work(batch)
        self._summarize(batch, progress)

    def _membership(self, username: str) -> Membership:
        membership = (
            Membership.objects.select_related("practice", "user")
            .filter(user__username=username, user__is_active=True)
            .first()
        )
        if membership is None:
            raise CommandError(f"No active member named {username!r}.")
        return membership

    def _all_finalized(self, membership: Membership) -> list[int]:
        settled = InvoiceExport.objects.filter(
            invoice=OuterRef("pk"), invoice_version=OuterRef("version"), state__in=SETTLED_STATES
        )
        return list(
            Invoice.objects.for_practice(membership.practice)
            .filter(status=InvoiceStatus.FINALIZED)
            .exclude(Exists(settled))
            .order_by("issue_date", "pk")
            .values_list("pk", flat=True)
        )

    def _by_number(self, membership: Membership, numbers: list[str]) -> list[int]:
        found = dict(
            Invoice.objects.for_practice(membership.practice)
            .filter(number__in=numbers)
            .values_list("number", "pk")
        )
        unknown = [number for number in numbers if number not in found]
        if unknown:
            raise CommandError(
                f"No invoice numbered {', '.join(unknown)} in {membership.practice}; nothing was "
                "queued."
            )
        return [found[number] for number in numbers]

    def _work(self, batch: ExportBatch) -> services.Progress:
        """Drain until the batch is finished, or until QuickBooks needs reconnecting (then no
        drain can make progress: the rows wait, queued, for the reconnection)."""
        progress = services.batch_progress(batch)
        if progress.finished:  # every invoice was refused: nothing to wait for
            return progress
        realm_id = QboConnection.objects.get(practice_id=batch.practice_id).realm_id
        # The bar writes to the raw stream: Django's wrapper would end each redraw with a newline.
        with tqdm(total=progress.total, unit="invoice", file=self.stderr._out) as bar:
            while True:
                export.drain(realm_id)
                progress = services.batch_progress(batch)
                bar.update(progress.exported + progress.errors - bar.n)
                bar.set_postfix_str(progress.summary(), refresh=False)
                if progress.finished or not _connected(realm_id):
                    return progress
                time.sleep(WAIT_SECONDS)

    def _summarize(self, batch: ExportBatch, progress: services.Progress) -> None:
        self.stdout.write(progress.summary())
        for refused in batch.refused:
            self.stdout.write(
                _line(refused["number"] or f"#{refused['id']}", "Refused", "", refused["message"])
            )
        rows = batch.exports.select_related("invoice").order_by("invoice__number")
        for row in rows:
            if row.state == ExportState.EXPORTED:
                if row.warning:
                    self.stdout.write(_line(row.invoice.number, "Warning", "", row.warning))
                continue
            self.stdout.write(
                _line(
                    row.invoice.number,
                    row.get_state_display(),
                    row.error_code,
                    row.message,
                    row.advice,
                )
            )
        if not progress.finished:
            raise CommandError(
                "QuickBooks Online needs reconnecting: the queued invoices are exported once it "
                "is reconnected (Settings ▸ Integrations ▸ QuickBooks Online)."
            )
        if progress.errors:
            raise CommandError(f"{progress.errors} invoice(s) were not exported.")


def _connected(realm_id: str) -> bool:
    return QboConnection.objects.filter(
        realm_id=realm_id, status=ConnectionStatus.CONNECTED
    ).exists()


def _line(number: str, state: str, code: str, message: str, advice: str = "") -> str:
    parts = [number, state, f"code {code}" if code else "", message, advice]
    return "  ".join(part for part in parts if part)
