"""Errors that services raise and that pages, the API and commands turn into messages.

A ServiceError carries a sentence meant for the user; callers show it as is.
"""


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PermissionRefused(ServiceError):
    status_code = 403


class TransitionRefused(ServiceError):
    status_code = 409


class InvalidInput(ServiceError):
    status_code = 400

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.field_errors = field_errors or {}
