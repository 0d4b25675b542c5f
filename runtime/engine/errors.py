"""The engine's exceptions; each carries the HTTP ``status`` the web edge answers with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    status = 400


class TransitionNotAllowed(EngineError):
    """The entity's state (or a condition of the transition) does not allow the action."""

    status = 409

    def __init__(self, entity: str, state: str | None, action: str, reason: str = "") -> None:
        self.entity = entity
        self.state = None if state is None else str(state)
        self.action = str(action)
        self.reason = reason
        message = f"{entity} in state {self.state!r} does not allow {self.action!r}"
        super().__init__(f"{message}: {reason}" if reason else message)


class NotPermitted(EngineError):
    """The actor's role, department or identity may not perform the action."""

    status = 403

    def __init__(self, action: str, reason: str) -> None:
        self.action = str(action)
        self.reason = reason
        super().__init__(f"{self.action}: {reason}")


class ValidationFailed(EngineError):
    """Input data broke a rule; ``details`` lists every problem with its location.

    Each detail is ``{"pointer": "/legal_rep/name", "message": ..., "keyword": ...}``:
    the pointer is into the form data, or names the action's argument (``/reason``,
    ``/items/0/field``); a material's detail has ``"pointer": "/materials/<id>"`` and
    also ``"material": id``.
    """

    status = 422

    def __init__(self, details: Sequence[Mapping[str, Any]]) -> None:
        self.details = [dict(d) for d in details]
        lines = [f"{d.get('pointer', '')}: {d['message']}" for d in details]
        super().__init__("invalid input: " + "; ".join(lines))


class UnknownTask(EngineError):
    """The case has no task with that id."""

    status = 404

    def __init__(self, case_id: str, task_id: str) -> None:
        self.case_id = case_id
        self.task_id = task_id
        super().__init__(f"case {case_id} has no task {task_id}")


class SpecMismatch(EngineError):
    """The matter spec passed in is not the one the case runs under."""

    status = 409

    def __init__(self, case_id: str, expected: str, got: str) -> None:
        super().__init__(f"case {case_id} runs under {expected}, not {got}")
