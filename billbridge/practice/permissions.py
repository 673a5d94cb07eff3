"""The permission checks used by services. Pages and the API show what these allow; only
services enforce it."""

from billbridge.clients.models import ClientAssignment, ClientRole
from billbridge.core.errors import PermissionRefused
from billbridge.practice.models import Membership, Permission


def require(membership: Membership, permission: Permission) -> None:
    if not membership.has(permission):
        raise PermissionRefused(f"You need the “{permission.label}” permission to do this.")


def is_client_owner(membership: Membership, client_id: int) -> bool:
    return ClientAssignment.objects.filter(
        membership=membership, client_id=client_id, role=ClientRole.OWNER
    ).exists()


def require_client_owner(membership: Membership, client_id: int) -> None:
    if not is_client_owner(membership, client_id):
        raise PermissionRefused("You need the Owner role on this client to do this.")
