"""Reports. Any member of the practice may read them, as they may look at its billing
(docs/decisions/0003-permissions.md)."""

from django.http import HttpRequest
from ninja import Query, Router

from billbridge.api.errors import error_responses
from billbridge.api.time_schemas import RealizationOut, RealizationQuery
from billbridge.time.realization import Scope, realization

router = Router(tags=["reports"])


@router.get(
    "/realization",
    response={200: RealizationOut, **error_responses(401, 422)},
    summary="Realization: from work's standard value to money billed and collected",
    description="The work that left WIP (billed on a finalized or closed invoice, or written "
    "off), dated in the period, grouped; each entry bills its share of its line and collects "
    "its share of what is paid on the invoice. Filters naming another practice's objects "
    "match nothing.",
)
def get_realization(request: HttpRequest, query: Query[RealizationQuery]):
    return realization(
        request.auth,
        Scope(
            group_by=query.group_by,
            date_from=query.date_from,
            date_to=query.date_to,
            client_id=query.client,
            staff_id=query.staff,
            work_code_id=query.work_code,
        ),
    )
