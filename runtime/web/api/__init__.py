"""The JSON API under ``/api/v1`` (see CONTRACT.md and docs/api.md)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from runtime.web.api import (
    agency,
    cases,
    complaints,
    consultations,
    documents,
    exchange,
    fees,
    files,
    matters,
    notifications,
    public,
    ratings,
    register,
    scores,
    stats,
    tasks,
    users,
)
from runtime.web.api.openapi import BASE, document
from runtime.web.api.operation import Call, Operation

__all__ = ["BASE", "operations", "routes"]

def openapi(call: Call) -> Any:
    """This document."""
    return document(operations)

operations: list[Operation] = [
    *matters.operations,
    *files.operations,
    *cases.operations,
    *documents.operations,
    *fees.operations,
    *agency.operations,
    *register.operations,
    *tasks.operations,
    *users.operations,
    *notifications.operations,
    *stats.operations,
    *public.operations,
    *ratings.operations,
    *complaints.operations,
    *scores.operations,
    *consultations.operations,
    *exchange.operations,
    Operation("GET", "/openapi.json", openapi, "This OpenAPI document", "anyone",
              {"type": "object"}, "meta", public=True, errors=()),
]

routes: list[BaseRoute] = [Mount(BASE, routes=[op.route() for op in operations])]
