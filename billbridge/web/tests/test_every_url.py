"""A crawler over the whole URLconf. Every pattern in billbridge.urls (pages, the API, the
profile, log-in and the admin) is visited by each kind of caller, with GET, HEAD, POST, PUT,
PATCH and DELETE, with real, foreign, zero and out-of-range ids, with a hostile query string and
hostile htmx headers, and with a hostile form or JSON body. Whatever is sent:

- nothing answers a 5xx;
- each kind of caller gets the answer its kind should (log-in page, 403, 401, 404...);
- another practice's ids answer exactly like ids that do not exist, and no page names what
  belongs to another practice;
- no request changes anything, unless its caller may do everything (anonymous visitors,
  inactive users, users outside any practice, members without permissions, another practice's
  members, and requests without the CSRF token may not).
"""

import datetime
import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as Browser
from django.urls import URLResolver, get_resolver

from billbridge.api.models import ApiToken
from billbridge.clients.models import Client
from billbridge.core import testing
from billbridge.invoicing.models import Invoice, TaxSettings, TimelineEvent
from billbridge.time import rate_card, services
from billbridge.time.models import Entry, EntryChange, Rate, WorkCode

MAX_ID = 2**63 - 1
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
HOSTILE_QUERY = {
    "page": "-1",
    "page_size": "0",
    "status": "\x00",
    "q": "ü" * 500,  # five times the longest search; a far longer URL cannot even redirect
    "search": "\x00",
    "show_closed": "\xff",
    "include_closed": "perhaps",
    "next": "//evil.example/",
    "lines-TOTAL_FORMS": "9" * 25,
}
HTMX_HEADERS = {
    "HX-Request": "true",
    "HX-History-Restore-Request": "true",
    "HX-Target": "\x00",
    "HX-Current-URL": "%%%",
}


def route_patterns(patterns=None, prefix="") -> list[str]:
    """Every route of the URLconf as one string, includes joined."""
    routes = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            routes.extend(route_patterns(pattern.url_patterns, prefix + str(pattern.pattern)))
        else:
            routes.append(prefix + str(pattern.pattern))
    return routes


def concrete_paths(route: str, ids: list[int]) -> list[str]:
    """Paths that match `route`: one per id for routes that take ids, a sample for the rest."""
    path = re.sub(r"<slug:\w+>", "finalize", route)
    path = re.sub(r"<(path:|str:)?(?!int:)\w+>", "1", path)
    # The admin's regex routes and the API's catch-all.
    path = re.sub(r"\^\(\?P<app_label>(\w+)\|[^)]*\)/\$", r"\1/", path)
    path = path.replace("(?P<url>.*)$", "nowhere/").replace("^.*$", "no/such/endpoint")
    if "<int:" not in path:
        return ["/" + path]
    return ["/" + re.sub(r"<int:\w+>", str(value), path) for value in ids]


def kind_of(path: str) -> str:
    if path.rstrip("/") == "/quickbooks/webhooks":
        return "webhook"
    if path in ("/healthz", "/metrics"):
        return "monitor"
    if path.startswith("/api/v1/"):
        return "openapi" if path == "/api/v1/openapi.json" else "api"
    for kind in ("admin", "login", "logout", "profile"):
        if path.startswith(f"/{kind}/"):
            return kind
    return "page"


OBJECT_IN_PATH = re.compile(r"/(invoices|clients|entries|time-entries|work-codes)/(\d+)")
MODEL_IN_PATH = {
    "invoices": Invoice,
    "clients": Client,
    "entries": Entry,
    "time-entries": Entry,
    "work-codes": WorkCode,
}


def object_is_practices(path: str, practice) -> bool | None:
    """Whether the object the path names belongs to `practice` (None: it names none)."""
    found = OBJECT_IN_PATH.search(path)
    if found is None or path.startswith("/admin/"):
        return None
    pk = int(found.group(2))
    model = MODEL_IN_PATH[found.group(1)]
    return pk <= MAX_ID and model.objects.filter(pk=pk, practice=practice).exists()


@dataclass
class World:
    """Practice A (ours) and practice B (elsewhere), each with a client and invoices in every
    status, and names that must never show on the other practice's pages."""

    ours: object
    ours_admin: object
    ours_ids: list[int]
    elsewhere: object
    elsewhere_ids: list[int]
    secrets_of: dict  # practice pk -> words only that practice's pages may show


@pytest.fixture
def world(db) -> World:
    ours = testing.make_practice("Ours LLP")
    ours_admin = testing.make_admin(ours, "olga")
    elsewhere = testing.make_practice("Elsewhere LLP")
    elsewhere_admin = testing.make_admin(elsewhere, "mallory")
    made = {}
    for practice, member, name in (
        (ours, ours_admin, "Acme Widgets"),
        (elsewhere, elsewhere_admin, "Hidden Co"),
    ):
        client = testing.make_client(practice, name)
        testing.assign(member, client)
        invoices = [
            testing.make_invoice(member, client, status, number=f"{name[:4].upper()}-SECRET-{i}")
            for i, status in enumerate(("draft", "finalized", "closed"))
        ]
        code = rate_card.save_work_code(member, rate_card.WorkCodeInput(f"{name} work"))
        entry = services.record(
            member,
            services.EntryInput(
                client_id=client.pk,
                date=datetime.date(2026, 1, 5),
                minutes=30,
                work_code_id=code.pk,
            ),
        )
        made[practice.pk] = (client, invoices, (code.pk, entry.pk))
    ids = {
        pk: [client.pk, *(i.pk for i in invoices), *time_ids]
        for pk, (client, invoices, time_ids) in made.items()
    }
    secrets = {
        pk: {client.name, *(i.number for i in invoices)}
        for pk, (client, invoices, _) in made.items()
    }
    return World(ours, ours_admin, ids[ours.pk], elsewhere, ids[elsewhere.pk], secrets)


def everything(but=None):
    """What a request could change, for every practice `but` (the outsider's own practice: its
    admin may change its own time, which one of our ids can name, ids of time and invoices
    being counted apart)."""
    time = {"practice": but} if but is not None else {"pk__in": []}
    return (
        list(
            Invoice.objects.order_by("pk").values_list("pk", "status", "version", "number", "total")
        ),
        list(Client.objects.order_by("pk").values()),
        list(TaxSettings.objects.order_by("pk").values()),
        TimelineEvent.objects.count(),
        list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
        list(Entry.objects.exclude(**time).order_by("pk").values()),
        EntryChange.objects.exclude(**{f"entry__{k}": v for k, v in time.items()}).count(),
        list(WorkCode.objects.exclude(**time).order_by("pk").values()),
        list(Rate.objects.exclude(**time).order_by("pk").values()),
    )


def hostile_body(path: str, world: World, foreign_client: int) -> tuple[str, str]:
    """A body that every form and operation should refuse or find nothing in: our practice's
    ids (foreign to the outsider, beyond the viewer's permissions), a client of another practice,
    ids beyond any key, NUL bytes, overlong and out-of-range values, and a formset whose
    management form is absurd. Its bulk finalize names a real draft of ours, so that the CSRF
    check has something to protect."""
    fields = {
        "action": "finalize",
        "reason": "paid\x00",
        "name": "ü" * 300,
        "client": foreign_client,
        "issue_date": "2026-02-30",
        "primary_rate": "1e999",
        "token": "9" * 30,
        "version": "-1",
        "lines-TOTAL_FORMS": "9" * 25,
        "lines-INITIAL_FORMS": "-1",
    }
    if kind_of(path) in ("api", "openapi"):
        return json.dumps({**fields, "ids": [*world.ours_ids, 0]}), "application/json"
    fields["invoice"] = [*world.ours_ids, MAX_ID + 1]
    return urlencode(fields, doseq=True), "application/x-www-form-urlencoded"


def carries_input(method: str, path: str) -> bool:
    """Whether hostile input could reach our code this way. The other methods are refused
    before any view reads a thing, and the admin is Django's own."""
    if kind_of(path) == "admin":
        return False
    return method in ("GET", "POST") or (kind_of(path) == "api" and method in ("PUT", "PATCH"))


def visit(browser: Browser, method: str, path: str, world: World, foreign_client: int | None):
    """One request; hostile when given a client of another practice to slip in."""
    hostile = foreign_client is not None
    body, content_type = hostile_body(path, world, foreign_client) if hostile else ("", "")
    query = urlencode({**HOSTILE_QUERY, "client": foreign_client}) if hostile else ""
    return browser.generic(
        method,
        f"{path}?{query}" if query else path,
        body if method not in ("GET", "HEAD") else "",
        content_type=content_type,
        headers=HTMX_HEADERS if hostile else None,
    )


@dataclass(frozen=True)
class Caller:
    name: str
    membership: object | None = None  # the caller's place in a practice, if any
    user: object | None = None  # logged in as this user (None: anonymous)


def callers(world: World) -> dict[str, Caller]:
    users = get_user_model().objects
    inactive = testing.make_admin(world.ours, "gone")
    inactive.user.is_active = False
    inactive.user.save()
    viewer = testing.make_member(world.ours, "vera")
    outsider = world.elsewhere.memberships.get()
    return {
        "anonymous": Caller("anonymous"),
        "inactive": Caller("inactive", user=inactive.user),
        "no membership": Caller("no membership", user=users.create_user("drifter")),
        "viewer": Caller("viewer", viewer, viewer.user),
        "outsider": Caller("outsider", outsider, outsider.user),
        "admin": Caller("admin", world.ours_admin, world.ours_admin.user),
    }


def browser_of(caller: Caller, **options) -> Browser:
    browser = Browser(**options)
    if caller.user is not None:
        browser.force_login(caller.user)
    return browser


def redirected_to(response, prefix: str) -> bool:
    if response.status_code == 204 and "HX-Redirect" in response:
        # htmx is told to load the page whole rather than swap a redirect into the table.
        return response["HX-Redirect"].startswith(prefix)
    return response.status_code == 302 and response["Location"].startswith(prefix)


def wrong_answer(caller: Caller, method: str, path: str, response, owned) -> str | None:
    """Why `response` is not what this caller should get, or None when it is. `owned`: whether
    the object the path names was the caller's practice's before the request (a DELETE may
    have removed it since)."""
    status, kind = response.status_code, kind_of(path)
    if kind == "monitor":
        # For load balancers and Prometheus, no log-in: /healthz answers 503 here (no scheduler
        # has ticked), /metrics is off (404) without METRICS_TOKEN.
        allowed = (200, 405, 503) if path == "/healthz" else (404, 405)
        return None if status in allowed else "monitors need no log-in"
    if status >= 500:
        return "a server error"
    if kind == "openapi":
        return None if status in (200, 405) else "the OpenAPI document should be public"
    if kind == "webhook":
        # Intuit's, not a person's: no log-in, no CSRF token, only its signature lets it in.
        return None if status in (401, 405) else "the webhook needs Intuit's signature"
    if kind == "login":
        return None if status in (200, 405) else "the log-in page should answer everyone"
    if kind == "logout":
        return None if status in (302, 405) else "log-out should redirect"
    if kind == "admin":
        if path.startswith(("/admin/login/", "/admin/logout/")):
            return None if status in (200, 302, 405) else "the admin log-in should answer"
        return None if redirected_to(response, "/admin/login/") else "staff only"
    if kind == "api":
        if caller.membership is None:
            return None if status in (401, 404, 405) else "the API needs a member"
    elif caller.user is None or not caller.user.is_active:
        return None if redirected_to(response, "/login/?next=") else "pages need a log-in"
    elif caller.membership is None:
        if kind == "profile":
            return None if status in (200, 400, 405) else "the profile is for anyone logged in"
        refused = status == 403 and (
            method != "GET" or b"not part of a practice" in response.content
        )
        return None if refused else "pages need a membership"
    if owned is False:
        # Another practice's object, or none at all: the same answer, never a 403 or 409
        # that would confirm it exists.
        allowed = (404, 405) if kind == "page" else (400, 404, 405, 422)
        return None if status in allowed else "another practice's id must be not found"
    return None


def leaked(caller: Caller, response, world: World) -> set[str]:
    """Names of practices other than the caller's that the answer shows."""
    # A download (the practice's data archive) streams its body.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    content = body.decode(errors="replace")
    own = caller.membership.practice.pk if caller.membership else None
    return {
        secret
        for practice_pk, secrets in world.secrets_of.items()
        if practice_pk != own
        for secret in secrets
        if secret in content
    }


def refused_without_csrf(caller: Caller, method: str, path: str, response, owned) -> str | None:
    allowed = {
        "api": (403, 404, 405),
        "openapi": (403, 404, 405),
        "webhook": (401, 405),
        "monitor": (403, 405),  # they answer GET and HEAD only
    }.get(kind_of(path), (403,))
    return None if response.status_code in allowed else "let through without the CSRF token"


def crawl(caller: Caller, world: World, judge, *, methods=METHODS, **browser_options):
    """Visit everything as `caller`; the problems found, one line each."""
    # Ours (a client and an invoice in each status), the other practice's client and draft
    # (unless the caller belongs there: the outsider's own may change), and ids no practice
    # has: zero and one past the largest key.
    outsider = caller.membership is not None and caller.membership.practice == world.elsewhere
    ids = [*world.ours_ids, *([] if outsider else world.elsewhere_ids[:2]), 0, MAX_ID + 1]
    foreign_client = world.ours_ids[0] if outsider else world.elsewhere_ids[0]
    browser = browser_of(caller, **browser_options)
    problems = []
    for route in route_patterns():
        for path in concrete_paths(route, ids):
            for method in methods:
                for hostile in (False, True) if carries_input(method, path) else (False,):
                    owned = caller.membership and object_is_practices(
                        path, caller.membership.practice
                    )
                    response = visit(
                        browser, method, path, world, foreign_client if hostile else None
                    )
                    where = f"{caller.name} {method} {path}{' (hostile)' if hostile else ''}"
                    why = judge(caller, method, path, response, owned)
                    if why:
                        problems.append(f"{where}: {response.status_code}, {why}")
                    shown = leaked(caller, response, world)
                    if shown:
                        problems.append(f"{where}: shows {sorted(shown)}")
                    if "logout" in path and caller.user is not None:
                        browser.force_login(caller.user)  # log-out worked: carry on logged in
    return problems


@pytest.mark.parametrize(
    "caller_name", ["anonymous", "inactive", "no membership", "viewer", "outsider"]
)
def test_every_url_answers_each_caller_as_it_should_and_changes_nothing(world, caller_name):
    caller = callers(world)[caller_name]
    own = world.elsewhere if caller_name == "outsider" else None
    before = everything(own)
    problems = crawl(caller, world, wrong_answer)
    assert problems == []
    assert everything(own) == before


def test_every_url_takes_hostile_input_from_a_member_who_may_do_everything(world):
    """The admin gets past every permission check, so the hostile input reaches the forms and
    services; some of it may even be done (the bulk finalize names a real draft)."""
    assert crawl(callers(world)["admin"], world, wrong_answer) == []


def test_no_unsafe_request_without_the_csrf_token_gets_through(world):
    before = everything()
    problems = crawl(
        callers(world)["admin"],
        world,
        refused_without_csrf,
        methods=("POST", "PUT", "PATCH", "DELETE"),
        enforce_csrf_checks=True,
    )
    assert problems == []
    assert everything() == before


def test_the_crawler_reaches_every_kind_of_url():
    """Guards the crawler itself: the URLconf it walks holds pages, API operations, the
    profile, log-in, the admin, Intuit's webhook and the monitors' endpoints, and every route
    becomes at least one concrete path."""
    routes = route_patterns()
    paths = [path for route in routes for path in concrete_paths(route, [7])]
    assert len(paths) == len(routes)
    assert {kind_of(path) for path in paths} == {
        "page",
        "api",
        "openapi",
        "profile",
        "login",
        "logout",
        "admin",
        "webhook",
        "monitor",
    }
    assert "/invoices/7/finalize/" in paths
    assert "/api/v1/invoices/7/revert-to-draft" in paths
