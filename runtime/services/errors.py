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


class Unavailable(ServiceError):
    """The database cannot be reached now (restarting, or every connection busy):
    try again shortly (``Retry-After``)."""

    status, code = 503, "unavailable"
    retry_after = 5


def unavailable(exc: BaseException) -> Unavailable | None:
    """The service error for a store that is away, else None (any other error)."""
    # Imported here: the store's error family stays out of the views' imports.
    from runtime.store.postgres.connection import Unavailable as StoreUnavailable

    if isinstance(exc, StoreUnavailable):
        return Unavailable("数据库暂时无法访问，请稍后重试")
    return None
