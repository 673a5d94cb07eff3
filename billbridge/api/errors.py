"""One error shape for the whole API, and the handlers that turn every failure into it.

Every error answers `{"detail": "<a sentence for a person>", "errors": {"<field>": ["…"]}}`,
`errors` being empty when no single field is at fault. Services raise ServiceError subclasses
carrying their status; ninja's own validation errors are reshaped; anything unexpected is logged
and answers a generic 500 that reveals nothing.
"""

import functools
import logging

from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestValidationError
from pydantic import Field

from billbridge.clients.models import Client
from billbridge.core.errors import InvalidInput, ServiceError
from billbridge.invoicing.models import Invoice
from billbridge.time.models import Entry

logger = logging.getLogger(__name__)

NOT_FOUND = "Not found."
NOT_FOUND_MESSAGES = {
    Invoice.DoesNotExist: "No such invoice.",
    Client.DoesNotExist: "No such client.",
    Entry.DoesNotExist: "No such time entry.",
}
SERVER_FAULT = "Something went wrong on our side. It has been logged; please try again later."


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in a sentence meant for a person.")
    errors: dict[str, list[str]] = Field(
        description="Problems by field; nested fields as dotted paths (`lines.0.quantity`).",
    )


def error_responses(*codes: int) -> dict[int, type[ErrorOut]]:
    """The error part of an operation's `response=`, so that the OpenAPI document lists them.
    Every operation may also answer the last-resort 500."""
    return dict.fromkeys((*codes, 500), ErrorOut)


def _answer(
    api: NinjaAPI, request: HttpRequest, status: int, detail: str, errors=None
) -> HttpResponse:
    response = api.create_response(
        request, {"detail": detail, "errors": errors or {}}, status=status
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="billbridge"'
    return response


def _field_path(loc: tuple) -> str:
    # ninja reports ("body", "<parameter name>", field, …) or ("query", field, …); callers know
    # fields by their own names.
    source, *rest = loc
    if source == "body" and rest:
        rest = rest[1:]
    return ".".join(str(part) for part in rest) or source


def _request_invalid(request, exc: RequestValidationError, api: NinjaAPI) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        path = _field_path(tuple(error.get("loc", ("body",))))
        errors.setdefault(path, []).append(str(error.get("msg", "Not valid.")))
    first_path, first_messages = next(iter(errors.items()), ("body", ["Not valid."]))
    return _answer(
        api, request, 422, f"The request is not valid: {first_path}: {first_messages[0]}", errors
    )


def _service_error(request, exc: ServiceError, api: NinjaAPI) -> HttpResponse:
    errors = exc.field_errors if isinstance(exc, InvalidInput) else {}
    return _answer(api, request, exc.status_code, exc.message, errors)


def _model_invalid(request, exc: ValidationError, api: NinjaAPI) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return _answer(api, request, 400, next(iter(errors.values()))[0], errors)


def _not_found(request, exc: Exception, api: NinjaAPI) -> HttpResponse:
    # Unknown ids and other practices' ids raise the same DoesNotExist (every lookup starts from
    # the caller's practice), so they get the same answer and nothing about another practice
    # leaks.
    message = next(
        (message for model, message in NOT_FOUND_MESSAGES.items() if isinstance(exc, model)),
        NOT_FOUND,
    )
    return _answer(api, request, 404, message)


# ninja's own terse messages, said in full.
NINJA_MESSAGES = {
    "Unauthorized": "Authentication needed: send a personal API token as "
    "'Authorization: Bearer <token>'.",
    "Cannot parse request body": "The request body is not valid JSON.",
}


def _http_error(request, exc: HttpError, api: NinjaAPI) -> HttpResponse:
    return _answer(api, request, exc.status_code, NINJA_MESSAGES.get(exc.message, exc.message))


def _too_big(request, exc: RequestDataTooBig, api: NinjaAPI) -> HttpResponse:
    return _answer(api, request, 413, "The request body is too large.")


def _suspicious(request, exc: SuspiciousOperation, api: NinjaAPI) -> HttpResponse:
    logger.warning("Suspicious API request refused: %s", type(exc).__name__)
    return _answer(api, request, 400, "The request was refused as malformed.")


def _conflict(request, exc: IntegrityError, api: NinjaAPI) -> HttpResponse:
    # Two requests raced for the same unique value; the loser may simply try again.
    logger.info("API write lost a race: %r", str(exc))
    return _answer(api, request, 409, "This conflicts with a change made at the same time.")


def _server_fault(request, exc: Exception, api: NinjaAPI) -> HttpResponse:
    logger.exception("Unhandled error in API %s %r", request.method, request.path)
    return _answer(api, request, 500, SERVER_FAULT)


def install_error_handlers(api: NinjaAPI) -> None:
    handlers = {
        Exception: _server_fault,
        RequestValidationError: _request_invalid,
        ServiceError: _service_error,
        ValidationError: _model_invalid,
        ObjectDoesNotExist: _not_found,
        Http404: _not_found,
        HttpError: _http_error,
        RequestDataTooBig: _too_big,
        SuspiciousOperation: _suspicious,
        IntegrityError: _conflict,
    }
    for exception_class, handler in handlers.items():
        api.add_exception_handler(exception_class, functools.partial(handler, api=api))


@csrf_exempt
def unknown_endpoint(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Paths under the API's prefix that match no operation (including ids that are not
    numbers) answer a JSON 404 like every other API error, whatever the method. Exempt from
    CSRF like ninja's own views (those check it for sessions in PracticeSessionAuth): this view
    changes nothing, and the check would answer a script's POST with the pages' HTML 403."""
    return JsonResponse({"detail": "No such API endpoint.", "errors": {}}, status=404)


def json_method_not_allowed(view):
    """Wrap one of ninja's path views so that a method the path does not offer answers 405 in
    the API's error shape (ninja answers plain text), keeping the Allow header."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        allowed = response.get("Allow", "")
        answer = JsonResponse(
            {"detail": f"{request.method} is not allowed here; use {allowed}.", "errors": {}},
            status=405,
        )
        answer["Allow"] = allowed
        return answer

    return wrapped
