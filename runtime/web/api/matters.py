"""Published matters (事项) and their plans."""

from __future__ import annotations

from typing import Any

from runtime.web.api.operation import Call, Operation
from runtime.web.api.present import matter_detail, matter_json
from runtime.web.api.schemas import list_of, ref


def list_matters(call: Call) -> Any:
    """Every published matter."""
    return [matter_json(m) for m in call.services.matters.published()]


def get_matter(call: Call) -> Any:
    """The published definition and its plan."""
    return matter_detail(call.services.matters.current(call.path("matter_id")))


operations = [
    Operation("GET", "/matters", list_matters, "List published matters", "anyone signed in",
              list_of(ref("Matter")), "matters"),
    Operation("GET", "/matters/{matter_id}", get_matter,
              "A published matter's definition and its plan", "anyone signed in",
              ref("MatterDetail"), "matters", errors=(401, 404)),
]
