from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from billbridge.api.tokens import issue_token
from billbridge.core.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Make a personal API token for a user and print it once. Only its hash is kept, so "
        "copy it now; revoke it on the user's profile page."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Command line", help="What the token is for.")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            row, token = issue_token(user, name)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"Token {row.name!r} ({row.display_prefix}) made for {username}. It is shown only "
            "this once: store it somewhere safe."
        )
        # The token alone on stdout, so that scripts can capture it.
        self.stdout.write(token)
