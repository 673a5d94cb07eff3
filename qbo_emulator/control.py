"""The control API under `/_emulator/`: JSON, no auth, loopback callers only.

Tests and demos use it to shape the world QBO would show: companies and their preferences, the
clock, the user's actions in QBO (payments, voids, deletes, edits — each firing webhooks),
injected faults, tokens, apps and webhook delivery. Every call is listed in README.md.
Bad input answers 400 `{"error": "..."}`; an unknown company or object 404.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import jsonbody
from .config import ConfigError
from .faults import QboFault, fault_body
from .store import SETTING_NAMES

if TYPE_CHECKING:
    from .app import Runtime

PREFIX = "/_emulator"
# Bounds on amounts typed into the control API and HTML view (QBO's own maximum is not known).
MAX_AMOUNT = Decimal("1000000000000")
CENT = Decimal("0.01")
LOOPBACK = {"127.0.0.1", "::1", "localhost", "testclient"}


class BadInput(Exception):
    status = 400


class NotFound(Exception):
    status = 404


def _render(data, status: int = 200) -> Response:
    # Money stays exact: Decimals are written as strings rather than through float.
    text = json.dumps(data, default=lambda value: str(value), separators=(",", ":"))
    return Response(text, status_code=status, media_type="application/json")


def endpoint(
    fn: Callable[..., Awaitable], now: Callable[[], datetime]
) -> Callable[[Request], Awaitable[Response]]:
    """Loopback check, JSON body parsing and the error mapping every control call shares."""

    async def handle(request: Request) -> Response:
        client = request.client.host if request.client else ""
        if client not in LOOPBACK:
            return _render({"error": "the control API answers loopback callers only"}, 403)
        body: dict = {}
        if request.method in ("POST", "PATCH", "PUT"):
            raw = await request.body()
            if raw.strip():
                try:
                    body = jsonbody.loads(raw)
                except ValueError:
                    return _render({"error": "the body is not valid JSON"}, 400)
                if not isinstance(body, dict):
                    return _render({"error": "the body must be a JSON object"}, 400)
        try:
            result = await fn(request, body)
        except (BadInput, NotFound) as exc:
            return _render({"error": str(exc)}, exc.status)
        except (ConfigError, ValueError, TypeError, OverflowError) as exc:
            # OverflowError: dates pushed past year 9999 (clock set/advance, huge seconds).
            return _render({"error": str(exc)}, 400)
        except QboFault as fault:
            return _render(fault_body(fault, now()), fault.status)
        if isinstance(result, Response):
            return result
        status, data = result if isinstance(result, tuple) else (200, result)
        return _render(data, status)

    return handle


def parse_amount(value) -> Decimal | None:
    """A payment amount typed by the person playing the QBO user; None/blank = whole balance."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadInput("the amount must be a number") from None
    if not amount.is_finite() or amount <= 0 or amount >= MAX_AMOUNT:
        raise BadInput(f"the amount must be positive and below {MAX_AMOUNT}")
    if amount != amount.quantize(CENT):
        raise BadInput("the amount must have at most two decimal places")
    return amount


def _string(body: dict, name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise BadInput(f"{name} is required")
        return None
    if not isinstance(value, str) or not value:
        raise BadInput(f"{name} must be a non-empty string")
    return value


def control_routes(runtime: Runtime) -> list[Route]:
    emulator = runtime.emulator

    def company(request: Request):
        realm = request.path_params["realm"]
        try:
            return emulator.company(realm)
        except KeyError:
            raise NotFound(f"no company with realmId {realm}") from None

    def describe(c) -> dict:
        return {
            "realm_id": c.realm_id,
            "name": c.name,
            "country": c.country,
            "preferences": {key: c.preference(key) for key in SETTING_NAMES},
            "ui": f"{PREFIX}/ui/{c.realm_id}",
        }

    # -- whole emulator ------------------------------------------------------------------------

    async def index(request, body):
        return {
            "calls": sorted({f"{' '.join(sorted(r.methods - {'HEAD'}))} {r.path}" for r in routes})
        }

    async def reset(request, body):
        await run_in_threadpool(runtime.reset)
        return {"reset": True}

    async def state(request, body):
        return await run_in_threadpool(runtime.snapshot)

    async def save(request, body):
        try:
            path = await run_in_threadpool(runtime.save, _string(body, "path"))
        except OSError as exc:
            raise BadInput(f"cannot write the state file: {exc.strerror or exc}") from None
        return {"saved": str(path)}

    # -- companies -----------------------------------------------------------------------------

    async def list_companies(request, body):
        return {"companies": [describe(c) for c in emulator.companies()]}

    async def create_company(request, body):
        preferences = body.get("preferences") or {}
        if not isinstance(preferences, dict):
            raise BadInput("preferences must be an object")
        created = emulator.create_company(
            name=_string(body, "name") or "Sandbox Company",
            country=_string(body, "country") or "US",
            seed=_string(body, "seed") or "sample",
            realm_id=_string(body, "realm_id"),
            **preferences,
        )
        return 201, describe(created)

    async def show_company(request, body):
        return describe(company(request))

    async def delete_company(request, body):
        emulator.remove_company(company(request).realm_id)
        return {"deleted": request.path_params["realm"]}

    async def reset_company(request, body):
        old = company(request)
        preferences = body.get("preferences") or {}
        if not isinstance(preferences, dict):
            raise BadInput("preferences must be an object")
        fresh = emulator.replace_company(
            old.realm_id,
            name=_string(body, "name") or old.name,
            country=_string(body, "country") or old.country,
            seed=_string(body, "seed") or "sample",
            **preferences,
        )
        return describe(fresh)

    async def set_preferences(request, body):
        target = company(request)
        if "country" in body:
            # A QBO company's country is fixed at sign-up; the emulator re-creates the company.
            raise BadInput("country is set when a company is created or reset (POST .../reset)")
        target.set_preferences(**body)
        return describe(target)

    async def list_emails(request, body):
        """The invoice e-mails QBO was asked to send (POST /invoice/{id}/send), oldest first."""
        target = company(request)
        with emulator.lock:
            return {"emails": [dict(e) for e in target.emails]}

    async def list_entity(request, body):
        target = company(request)
        entity = request.path_params["entity"]
        return {"entity": entity, "objects": target.list(entity)}

    # -- acting as the QBO user ----------------------------------------------------------------

    async def user_action(request, body):
        target = company(request)
        kind, action = request.path_params["kind"], request.path_params["action"]
        object_id = request.path_params["object_id"]
        if (kind, action) == ("invoices", "receive-payment"):
            amount = parse_amount(body.get("amount"))
            return 201, {"Payment": target.receive_payment(object_id, amount)}
        if (kind, action) == ("invoices", "edit"):
            changes = body.get("changes", body)
            if not isinstance(changes, dict) or not changes:
                raise BadInput("changes must be a non-empty object of invoice fields")
            return {"Invoice": target.edit_invoice(object_id, changes)}
        operations = {
            ("invoices", "void"): ("Invoice", target.void_invoice),
            ("invoices", "delete"): ("Invoice", target.delete_invoice),
            ("payments", "void"): ("Payment", target.void_payment),
            ("payments", "delete"): ("Payment", target.delete_payment),
            ("creditmemos", "void"): ("CreditMemo", target.void_credit_memo),
            ("creditmemos", "delete"): ("CreditMemo", target.delete_credit_memo),
        }
        if (kind, action) not in operations:
            raise NotFound(f"no action {action} on {kind}")
        entity, operation = operations[(kind, action)]
        return {entity: operation(object_id)}

    # -- clock and options ---------------------------------------------------------------------

    def clock_state() -> dict:
        return {"now": emulator.clock.now().isoformat(), "frozen": emulator.clock.frozen}

    async def show_clock(request, body):
        return clock_state()

    async def change_clock(request, body):
        unknown = set(body) - {"set", "advance", "freeze"}
        if unknown:
            raise BadInput(f"unknown clock field(s): {', '.join(sorted(unknown))}")
        if "freeze" in body and not isinstance(body["freeze"], bool):
            raise BadInput("freeze must be true or false")
        when = None
        if "set" in body:
            try:
                when = datetime.fromisoformat(str(body["set"]))
            except ValueError:
                raise BadInput("set must be an ISO 8601 date-time") from None
        advance = body.get("advance")
        if advance is not None and (
            isinstance(advance, bool) or not isinstance(advance, int | float)
        ):
            raise BadInput("advance must be a number of seconds")
        if when is not None:
            emulator.clock.set(when)
        if advance is not None:
            emulator.clock.advance(advance)
        if "freeze" in body:
            emulator.clock.freeze(body["freeze"])
        return clock_state()

    def options_state() -> dict:
        return {**runtime.config.options.public(), "honour_request_id": emulator.honour_request_id}

    async def show_options(request, body):
        return options_state()

    async def change_options(request, body):
        changes = dict(body)
        honour = changes.pop("honour_request_id", None)
        if honour is not None and not isinstance(honour, bool):
            raise BadInput("honour_request_id must be true or false")
        runtime.config.options.update(changes)
        if honour is not None:
            emulator.honour_request_id = honour
        return options_state()

    # -- faults and the request log ------------------------------------------------------------

    async def list_faults(request, body):
        return {"faults": runtime.faults.list()}

    async def add_fault(request, body):
        return 201, {"fault": asdict(runtime.faults.add(body))}

    async def clear_faults(request, body):
        return {"cleared": runtime.faults.clear()}

    async def clear_fault(request, body):
        try:
            fault_id = int(request.path_params["fault_id"])
        except ValueError:
            raise BadInput("fault id must be a number") from None
        if not runtime.faults.clear(fault_id):
            raise NotFound(f"no fault {fault_id}")
        return {"cleared": 1}

    async def list_requests(request, body):
        query = request.query_params
        try:
            status = int(query["status"]) if "status" in query else None
            limit = int(query["limit"]) if "limit" in query else None
        except ValueError:
            raise BadInput("status and limit must be numbers") from None
        if limit is not None and limit < 1:
            raise BadInput("limit must be at least 1")
        entries = runtime.requests.entries(
            method=query.get("method"),
            path=query.get("path"),
            status=status,
            realm=query.get("realm"),
            limit=limit,
        )
        return {"requests": entries}

    async def clear_requests(request, body):
        runtime.requests.clear()
        return {"cleared": True}

    # -- apps and tokens -----------------------------------------------------------------------

    def find_app(request: Request):
        found = runtime.config.app(request.path_params["client_id"])
        if found is None:
            raise NotFound(f"no app with client_id {request.path_params['client_id']}")
        return found

    async def list_apps(request, body):
        return {"apps": [app.public() for app in runtime.config.apps()]}

    async def register_app(request, body):
        return 201, runtime.config.app_from_dict(body).public()

    async def show_app(request, body):
        return find_app(request).public()

    async def change_app(request, body):
        return runtime.config.app_from_dict(body, existing=find_app(request)).public()

    async def remove_app(request, body):
        runtime.config.remove_app(find_app(request).client_id)
        return {"removed": request.path_params["client_id"]}

    async def list_tokens(request, body):
        return {"grants": runtime.tokens.grants()}

    async def connect(request, body):
        apps = runtime.config.apps()
        client_id = _string(body, "client_id") or (apps[0].client_id if apps else "")
        if runtime.config.app(client_id) is None:
            raise NotFound(f"no app with client_id {client_id}")
        realm = _string(body, "realm_id", required=True)
        try:
            emulator.company(realm)
        except KeyError:
            raise NotFound(f"no company with realmId {realm}") from None
        scopes = body.get("scopes")
        if scopes is not None and not (
            isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)
        ):
            raise BadInput("scopes must be a list of strings")
        return 201, runtime.tokens.issue_grant(client_id=client_id, realm_id=realm, scopes=scopes)

    def token_target(body: dict) -> dict:
        target = {name: _string(body, name) for name in ("token", "realm_id", "client_id")}
        if not any(target.values()):
            raise BadInput("name a token, a realm_id or a client_id")
        return target

    async def expire_tokens(request, body):
        which = body.get("which", "access")
        if which not in ("access", "refresh", "both"):
            raise BadInput("which must be access, refresh or both")
        return {"grants": runtime.tokens.expire(**token_target(body), which=which)}

    async def revoke_tokens(request, body):
        return {"grants": runtime.tokens.revoke_matching(**token_target(body))}

    # -- webhooks ------------------------------------------------------------------------------

    async def webhook_status(request, body):
        return runtime.webhooks.status()

    async def deliver_now(request, body):
        return {"attempts": await run_in_threadpool(runtime.webhooks.deliver_now)}

    async def inject_webhook(request, body):
        kind = _string(body, "kind", required=True)
        return {"injections": runtime.webhooks.inject(kind, body.get("count", 1))}

    async def clear_webhooks(request, body):
        runtime.webhooks.clear()
        return {"cleared": True}

    def route(path: str, fn, *methods: str) -> Route:
        return Route(PREFIX + path, endpoint(fn, emulator.clock.now), methods=list(methods))

    company_path = "/companies/{realm}"
    routes = [
        route("/", index, "GET"),
        route("/reset", reset, "POST"),
        route("/state", state, "GET"),
        route("/state/save", save, "POST"),
        route("/companies", list_companies, "GET"),
        route("/companies", create_company, "POST"),
        route(company_path, show_company, "GET"),
        route(company_path, delete_company, "DELETE"),
        route(company_path + "/reset", reset_company, "POST"),
        route(company_path + "/preferences", set_preferences, "PATCH", "POST"),
        route(company_path + "/{kind:str}/{object_id}/{action}", user_action, "POST"),
        route(company_path + "/emails", list_emails, "GET"),
        route(company_path + "/{entity}", list_entity, "GET"),
        route("/clock", show_clock, "GET"),
        route("/clock", change_clock, "POST"),
        route("/options", show_options, "GET"),
        route("/options", change_options, "PATCH", "POST"),
        route("/faults", list_faults, "GET"),
        route("/faults", add_fault, "POST"),
        route("/faults", clear_faults, "DELETE"),
        route("/faults/{fault_id}", clear_fault, "DELETE"),
        route("/requests", list_requests, "GET"),
        route("/requests", clear_requests, "DELETE"),
        route("/apps", list_apps, "GET"),
        route("/apps", register_app, "POST"),
        route("/apps/{client_id}", show_app, "GET"),
        route("/apps/{client_id}", change_app, "PATCH"),
        route("/apps/{client_id}", remove_app, "DELETE"),
        route("/tokens", list_tokens, "GET"),
        route("/tokens", connect, "POST"),
        route("/tokens/expire", expire_tokens, "POST"),
        route("/tokens/revoke", revoke_tokens, "POST"),
        route("/webhooks", webhook_status, "GET"),
        route("/webhooks", clear_webhooks, "DELETE"),
        route("/webhooks/deliver", deliver_now, "POST"),
        route("/webhooks/inject", inject_webhook, "POST"),
    ]
    return routes
