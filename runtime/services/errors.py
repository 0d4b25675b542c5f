"""The service layer's exceptions; each carries the HTTP status the edge will use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ServiceError(Exception):
    """Base: a use case refused; ``code`` is the API error code, ``message`` is Chinese."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)


class Invalid(ServiceError):
    """Input that fails validation; ``details`` lists ``{pointer, message}`` per field."""

    status, code = 400, "invalid"


class NotAuthenticated(ServiceError):
    """No valid sign-in or token."""

    status, code = 401, "not_authenticated"


class Forbidden(ServiceError):
    """Signed in, but this role may not do this."""

    status, code = 403, "forbidden"


class NotFound(ServiceError):
    """No such thing — or one the caller may not know exists."""

    status, code = 404, "not_found"


class Conflict(ServiceError):
    """The current state does not allow this (a transition, a taken name)."""

    status, code = 409, "conflict"


class TooLarge(ServiceError):
    """An upload over the size limit."""

    status, code = 413, "too_large"


class UnsupportedType(ServiceError):
    """An upload whose real type is not accepted."""

    status, code = 415, "unsupported_type"


class TooManyAttempts(ServiceError):
    """Too many failed sign-ins; wait before trying again."""

    status, code = 429, "too_many_attempts"
