"""The services: the only door from the web layer and the CLI into onewindow.

Views and API handlers import from here (and from ``runtime.forms`` and
``runtime.settings``) only: never the store, the engine or builder editing code.
"""

from builder import MatterSpec
from runtime.engine import vocabulary as labels
from runtime.engine.states import CaseAction, TaskAction
from runtime.services.accounts import User
from runtime.services.admin import DRAFT
from runtime.services.container import LIFECYCLE, Services
from runtime.services.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    ServiceError,
    TooLarge,
    TooManyAttempts,
    Unavailable,
    UnsupportedType,
    unavailable,
)

__all__ = [
    "DRAFT",
    "LIFECYCLE",
    "CaseAction",
    "Conflict",
    "Forbidden",
    "Invalid",
    "MatterSpec",
    "NotAuthenticated",
    "NotFound",
    "ServiceError",
    "Services",
    "TaskAction",
    "TooLarge",
    "TooManyAttempts",
    "Unavailable",
    "UnsupportedType",
    "User",
    "labels",
    "unavailable",
]
