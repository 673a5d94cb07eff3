"""The REST API: one NinjaAPI under /api/v1, its authentication, routers and error handlers."""

import json
from decimal import Decimal

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.parser import Parser

from billbridge.api.auth import PracticeSessionAuth, TokenAuth
from billbridge.api.errors import install_error_handlers
from billbridge.api.routers import (
    clients,
    exports,
    invoices,
    reports,
    tax_settings,
    time_entries,
    wip,
)

DESCRIPTION = """\
Billbridge's REST API: clients, invoices and their status transitions, tax settings, exports
of invoices to QuickBooks Online, time entries and expenses, work in progress (WIP) and the
invoices made from it, and the realization report, for the practice of the token's owner. The
same rules and permissions apply as in the pages.

**Authentication**: make a personal API token on your profile page (or with
`manage.py create_api_token`) and send it as `Authorization: Bearer <token>`.
A logged-in browser session also works; unsafe methods then need the `X-CSRFToken` header.

**Conventions**: money, quantities and tax rates are decimal strings (`"650.00"`); dates are
ISO dates (`"2026-11-02"`); durations are whole minutes; invoice statuses are `draft`,
`finalized` and `closed`. Ids of another practice's objects answer 404, exactly like ids that
do not exist.

**Errors** always answer `{"detail": "…", "errors": {"field": ["…"]}}`: 400 input a rule
refused (this document states each rule where JSON Schema can, and in the field's description
where it cannot, as for rules across fields), 401 no or bad token, 403 missing permission,
404 not found (also for paths that are not operations), 405 a method the path does not offer,
409 a refused status change or a conflicting change, 413 body too large, 422 a request whose
types, syntax or lengths do not match this document (a body is always a JSON object).
"""


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON.")


class DecimalJsonParser(Parser):
    """Reads JSON numbers as Decimals, so an amount sent as a number never passes through a
    float, and refuses Python's NaN and Infinity extensions, which are not JSON."""

    def parse_body(self, request: HttpRequest):
        return json.loads(request.body, parse_float=Decimal, parse_constant=_refuse_constant)


class BillbridgeAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # Short, stable ids ("create_invoice") for generated clients; view names are unique.
        return operation.view_func.__name__


api = BillbridgeAPI(
    title="Billbridge API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[TokenAuth(), PracticeSessionAuth()],
    parser=DecimalJsonParser(),
    # The interactive docs page would load its scripts from a CDN; the document itself is
    # enough for clients and tools (docs/decisions/0004-api-tokens.md).
    docs_url=None,
)
install_error_handlers(api)
api.add_router("/clients", clients.router)
api.add_router("/invoices", invoices.router)
api.add_router("/tax-settings", tax_settings.router)
# Its paths sit under /invoices (the actions) and /exports (the batches they start).
api.add_router("", exports.router)
api.add_router("/time-entries", time_entries.router)
# Its paths sit under /clients/{id}: a client's WIP and the invoices made from it.
api.add_router("", wip.router)
api.add_router("/reports", reports.router)
