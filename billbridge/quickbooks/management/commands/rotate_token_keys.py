from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from billbridge.quickbooks import crypto
from billbridge.quickbooks.models import QboConnection


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored QuickBooks token under the newest key of QBO_TOKEN_KEYS, so "
        "that older keys can then be removed. All or nothing: one unreadable token changes "
        "nothing."
    )

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                connections = QboConnection.objects.select_for_update().order_by("pk")
                rotated = 0
                for connection in connections:
                    connection.access_token_encrypted = crypto.rotate(
                        connection.access_token_encrypted
                    )
                    connection.refresh_token_encrypted = crypto.rotate(
                        connection.refresh_token_encrypted
                    )
                    connection.save(
                        update_fields=["access_token_encrypted", "refresh_token_encrypted"]
                    )
                    rotated += 1
        except crypto.TokenDecryptionError as exc:
            raise CommandError(
                f"Nothing was changed: the tokens of QuickBooks connection {connection.pk} "
                f"(realm {connection.realm_id}) cannot be decrypted with any key in "
                "QBO_TOKEN_KEYS. Put back the key they were encrypted with and run this again."
            ) from exc
        self.stdout.write(f"Re-encrypted the tokens of {rotated} QuickBooks connection(s).")
