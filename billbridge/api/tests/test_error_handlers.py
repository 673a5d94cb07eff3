"""The handlers for failures that the services do not normally raise still answer in the one
error shape, with the right status, and are documented."""

import pytest
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import IntegrityError

from billbridge.clients import services


@pytest.mark.parametrize(
    ("raised", "status", "body"),
    [
        (
            ValidationError({"name": ["Too odd."]}),
            400,
            {"detail": "Too odd.", "errors": {"name": ["Too odd."]}},
        ),
        (
            IntegrityError("UNIQUE constraint failed"),
            409,
            {"detail": "This conflicts with a change made at the same time.", "errors": {}},
        ),
        (
            SuspiciousOperation("odd"),
            400,
            {"detail": "The request was refused as malformed.", "errors": {}},
        ),
    ],
)
def test_unusual_failures_answer_in_the_error_shape(admin_api, monkeypatch, raised, status, body):
    def failing(*args, **kwargs):
        raise raised

    monkeypatch.setattr(services, "create_client", failing)
    response = admin_api.post("/api/v1/clients", {"name": "Acme"})
    assert (response.status_code, response.json()) == (status, body)
