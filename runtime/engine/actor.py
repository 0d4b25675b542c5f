"""Who acts: a user in a role (and, for department staff, a department)."""

from __future__ import annotations

from dataclasses import dataclass

from runtime.engine.states import Role


@dataclass(frozen=True)
class Actor:
    """The user performing an action; ``department`` is set for department staff."""

    id: str
    role: Role | str
    department: str | None = None
    name: str = ""
    point: str = ""  # an agent's service point (代办点), by name


SYSTEM = Actor(id="system", role=Role.SYSTEM, name="系统")
"""The actor of automatic consequences: releases, cancellations, timeouts, outcomes."""
