"""Stored documents as the API shows them: internal fields dropped, tasks with their light."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runtime.services import MatterSpec
from runtime.services.pages import Pages
from runtime.services.tasks import TaskView

Light = Callable[[Mapping[str, Any]], str | None]
INTERNAL = frozenset({"rev", "schema", "planned"})  # planned: the worker's bookkeeping
SUMMARY = ("id", "number", "matter", "matter_version", "status", "holder", "updated_at")
FILE_FIELDS = ("id", "sha256", "name", "size", "content_type", "uploaded_at")


def task_json(task: Mapping[str, Any], light: str | None,
              case: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A task with its deadline light, and a small summary of its case when given."""
    out = {k: v for k, v in task.items() if k not in INTERNAL}
    out["light"] = light
    if case is not None:
        out["case_summary"] = {k: case.get(k) for k in SUMMARY}
    return out


def row_json(view: TaskView) -> dict[str, Any]:
    """A worklist row."""
    return task_json(view.task, view.light, view.case)


def case_json(case: Mapping[str, Any], light: Light, *, events: bool = True) -> dict[str, Any]:
    """A case; lists leave out the event log, which only ``GET /cases/{id}`` carries."""
    out = {k: v for k, v in case.items() if k not in INTERNAL and (events or k != "events")}
    out["tasks"] = [task_json(t, light(t)) for t in case.get("tasks", ())]
    return out


def matter_json(spec: MatterSpec) -> dict[str, Any]:
    """A published matter in a list."""
    return {"id": spec.id, "name": spec.name, "version": spec.version,
            "category": spec.category}


def matter_detail(spec: MatterSpec) -> dict[str, Any]:
    """A published matter with its catalog document and its plan."""
    return {**matter_json(spec), "definition": dict(spec.source),
            "plan": Pages.plan_json(spec)}


def file_json(meta: Mapping[str, Any]) -> dict[str, Any]:
    """An uploaded file's metadata (who uploaded it stays internal)."""
    return {k: meta.get(k) for k in FILE_FIELDS}
