from django.core.management.base import BaseCommand, CommandError

from billbridge.practice.demo import DEMO_PASSWORD, DEMO_PRACTICE, DEMO_USERS, seed_demo
from billbridge.practice.models import Practice


class Command(BaseCommand):
    help = (
        "Build the demo practice: four users, about 25 clients, 200 invoices and three months "
        "of time, some of it invoiced."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the demo practice exists already (what `make run` uses).",
        )
        parser.add_argument("--invoices", type=int, default=200)

    def handle(self, *args, if_empty, invoices, **options):
        if Practice.objects.filter(name=DEMO_PRACTICE).exists():
            if if_empty:
                self.stdout.write("The demo practice exists already; leaving it as it is.")
                self._print_logins()
                return
            raise CommandError(
                "The demo practice exists already. Delete var/billbridge.sqlite3 (or the "
                "database) to start afresh, or pass --if-empty."
            )
        if invoices < 0:
            raise CommandError("--invoices cannot be negative.")
        seed_demo(invoice_count=invoices)
        self.stdout.write(self.style.SUCCESS(f"Built {DEMO_PRACTICE} with {invoices} invoices."))
        self._print_logins()

    def _print_logins(self):
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<8} {user.description}")
