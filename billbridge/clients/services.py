"""Creating and editing clients. Needs the Process time permission (see the decision note on
permissions); the name must be one QuickBooks accepts."""

from django.core.exceptions import ValidationError
from django.db import transaction

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput
from billbridge.practice.models import Membership, Permission
from billbridge.practice.permissions import require

EDITABLE_FIELDS = (
    "name",
    "email",
    "billing_emails",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "notes",
)


def _validated_save(client: Client) -> Client:
    try:
        client.full_clean()
    except ValidationError as exc:
        errors = exc.message_dict
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, errors) from exc
    client.save()
    return client


@transaction.atomic
def create_client(membership: Membership, **fields) -> Client:
    require(membership, Permission.PROCESS_TIME)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown client fields: {', '.join(sorted(unknown))}.")
    return _validated_save(Client(practice=membership.practice, **fields))


@transaction.atomic
def update_client(membership: Membership, client: Client, **fields) -> Client:
    require(membership, Permission.PROCESS_TIME)
    if client.practice_id != membership.practice_id:
        raise InvalidInput("No such client.")
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise InvalidInput(f"Unknown client field: {name}.")
        setattr(client, name, value)
    return _validated_save(client)
