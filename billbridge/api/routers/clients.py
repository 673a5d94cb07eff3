from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Status

from billbridge.api.errors import error_responses
from billbridge.api.paging import paginate
from billbridge.api.schemas import (
    ClientFilters,
    ClientIn,
    ClientOut,
    ClientPage,
    ClientPatch,
    PageQuery,
)
from billbridge.clients import services
from billbridge.clients.models import Client
from billbridge.practice.models import Membership

router = Router(tags=["clients"])


def client_of(membership: Membership, client_id: int) -> Client:
    return Client.objects.for_practice(membership.practice).get(pk=client_id)


@router.get(
    "",
    response={200: ClientPage, **error_responses(401, 422)},
    summary="List clients",
    description="The practice's clients by name, a page at a time.",
)
def list_clients(request: HttpRequest, filters: Query[ClientFilters], page: Query[PageQuery]):
    clients = Client.objects.for_practice(request.auth.practice)
    if filters.search:
        clients = clients.filter(
            Q(name__icontains=filters.search) | Q(email__icontains=filters.search)
        )
    return paginate(clients.order_by("name", "id"), page)


@router.post(
    "",
    response={201: ClientOut, **error_responses(400, 401, 403, 404, 409, 413, 422)},
    summary="Create a client",
    description="Needs the Process time permission. The name must be one QuickBooks accepts.",
)
def create_client(request: HttpRequest, payload: ClientIn):
    return Status(201, services.create_client(request.auth, **payload.dict()))


@router.get(
    "/{int:client_id}",
    response={200: ClientOut, **error_responses(401, 404, 422)},
    summary="Get a client",
)
def get_client(request: HttpRequest, client_id: int):
    return client_of(request.auth, client_id)


@router.patch(
    "/{int:client_id}",
    response={200: ClientOut, **error_responses(400, 401, 403, 404, 409, 413, 422)},
    summary="Update a client",
    description="Changes only the fields sent. Needs the Process time permission.",
)
def update_client(request: HttpRequest, client_id: int, payload: ClientPatch):
    client = client_of(request.auth, client_id)
    return services.update_client(request.auth, client, **payload.dict(exclude_unset=True))
