"""Test helpers for the API: callers holding a member's token, and a check of every response
against the OpenAPI document the API serves (as zulip checks its responses against its spec)."""

import functools
import json
from urllib.parse import urlsplit

import pytest
from django.test import Client
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from billbridge.api.tokens import issue_token


@functools.cache
def served_document() -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


@functools.cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(served_document())


def assert_documented(method: str, url: str, response) -> None:
    """The status is one the document lists for this operation and the body matches its
    schema; openapi-core raises otherwise."""
    openapi().validate_response(
        MockRequest("http://testserver", method, urlsplit(url).path),
        MockResponse(
            response.content,
            status_code=response.status_code,
            content_type=response["Content-Type"].split(";")[0],
        ),
    )


class ApiCaller:
    """Calls the API as one token holder (or anonymously) and checks each answer against the
    served OpenAPI document, unless told the call is meant to miss the document."""

    def __init__(self, token: str | None = None, client: Client | None = None):
        self.token = token
        # Django's test client skips CSRF checks unless asked; a script has no CSRF token, and
        # skipping them once hid HTML refusals of API paths.
        self.client = client or Client(enforce_csrf_checks=True)

    def call(self, method, url, body=None, *, raw=None, headers=None, documented=True):
        headers = dict(headers or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        response = self.client.generic(
            method, url, data, content_type="application/json", headers=headers
        )
        if documented:
            assert_documented(method, url, response)
        return response

    def get(self, url, **kwargs):
        return self.call("GET", url, **kwargs)

    def post(self, url, body=None, **kwargs):
        return self.call("POST", url, body, **kwargs)

    def put(self, url, body=None, **kwargs):
        return self.call("PUT", url, body, **kwargs)

    def patch(self, url, body=None, **kwargs):
        return self.call("PATCH", url, body, **kwargs)


def caller_for(membership) -> ApiCaller:
    return ApiCaller(issue_token(membership.user, "tests")[1])


@pytest.fixture
def as_member():
    """as_member(membership) -> an ApiCaller holding a fresh token of that member."""
    return caller_for


@pytest.fixture
def admin_api(admin_member):
    return caller_for(admin_member)
