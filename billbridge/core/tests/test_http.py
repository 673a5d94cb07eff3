"""A malformed Content-Length is refused before any view reads the body, on every path."""

import pytest
from django.test import Client

from billbridge.core.http import BAD_LENGTH, TOO_LARGE


@pytest.mark.parametrize(
    ("declared", "status", "detail"),
    [("abc", 400, BAD_LENGTH), ("5_0", 400, BAD_LENGTH), ("9" * 5000, 413, TOO_LARGE)],
)
def test_pages_and_the_api_refuse_it_in_their_own_shape(db, declared, status, detail):
    page = Client().post(
        "/login/",
        data="username=a",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=declared,
    )
    assert (page.status_code, page.content.decode()) == (status, detail)
    api = Client().post(
        "/api/v1/invoices", data="{}", content_type="application/json", CONTENT_LENGTH=declared
    )
    assert (api.status_code, api.json()) == (status, {"detail": detail, "errors": {}})


def test_a_well_formed_length_goes_through(db):
    assert (
        Client().post("/api/v1/invoices", data="{}", content_type="application/json").status_code
        == 401
    )
