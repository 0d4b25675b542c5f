"""Copy-on-write edits of a case document that record themselves as events.

An action never mutates its input: `Writer` copies only the containers on the path
of each change (the case dict, the tasks list, the one task touched) and shares the
rest with the input. Every change is logged as ``[path, old, new]`` in the event
being written, so `replay` rebuilds the case from its events alone. Values put into a
case or a change are never modified afterwards; treat case documents as immutable.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from runtime.engine.actor import Actor
from runtime.engine.calendar import CHINA_TZ
from runtime.engine.errors import ValidationFailed

SCHEMA_VERSION = 1
"""Version of the case document's shape (``case["schema"]``)."""

Path = list[str | int]
_SCALARS = (str, int, float, bool, type(None))
Document = dict[str, Any]


def new_id(prefix: str) -> str:
    """A fresh id: ``prefix`` (``"c_"`` or ``"t_"``) + 12 random hex characters."""
    return prefix + uuid.uuid4().hex[:12]


def iso(moment: datetime) -> str:
    """An aware datetime as ISO 8601 in China time (``...+08:00``)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: give a timezone")
    return moment.astimezone(CHINA_TZ).isoformat()


CLONE_DEPTH = 64
"""The deepest value `clone` copies; input checks refuse deeper data long before (32)."""


def clone(value: Any, _depth: int = 0) -> Any:
    """A deep copy of a JSON-like value (dicts, lists, tuples become lists, scalars).
    Deeper than ``CLONE_DEPTH`` is `ValidationFailed`, never a RecursionError."""
    if isinstance(value, Mapping):
        if _depth >= CLONE_DEPTH:
            _too_deep()
        return {k: clone(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if _depth >= CLONE_DEPTH:
            _too_deep()
        return [clone(v, _depth + 1) for v in value]
    return value


def _too_deep() -> None:
    raise ValidationFailed([{"pointer": "", "message": f"data nested more than {CLONE_DEPTH} "
                                                       "levels deep", "keyword": "depth",
                             "params": {"limit": CLONE_DEPTH}}])


class Writer:
    """Edits of one action on a case; `result` returns the new case."""

    __slots__ = ("_base", "_changes", "_new", "_old_events", "_owned", "at", "root")

    def __init__(self, case: Mapping[str, Any], at: str) -> None:
        self.at = at
        self.root: Document = dict(case)
        # Containers copied by this writer (safe to modify), by id; holding them keeps
        # their ids unique for the writer's life.
        self._owned: dict[int, Any] = {id(self.root): self.root}
        self._old_events: Sequence[Document] = case.get("events") or ()
        self._base = len(self._old_events)
        self._new: list[Document] = []
        self._changes: list[list[Any]] | None = None

    # -- events ------------------------------------------------------------
    def begin(self, actor: Actor, action: str, *, entity: str, source: str | None,
              target: str | None, note: str = "", task: str | None = None,
              step: str | None = None) -> None:
        """Open a new event; the following changes belong to it."""
        changes: list[list[Any]] = []
        self._new.append({
            "seq": self._base + len(self._new) + 1, "at": self.at, "actor": actor.id,
            "role": str(actor.role), "action": str(action), "entity": entity,
            "task": task, "step": step, "from": source, "to": target, "note": note,
            "changes": changes,
        })
        self._changes = changes

    def result(self) -> Document:
        """The new case: the input with every change applied and the events appended."""
        if self._new:
            self.set(["updated_at"], self.at)
            self.root["events"] = [*self._old_events, *self._new]
        self._changes = None
        return self.root

    # -- changes -----------------------------------------------------------
    def set(self, path: Path, value: Any) -> None:
        """Put ``value`` at ``path`` (a dict key, or a list index up to its length).

        Writing the value already there is not a change and is not logged.
        """
        self._check_open()
        parent = self._own(path[:-1])
        key = path[-1]
        if isinstance(parent, list):
            assert isinstance(key, int)
            present = key < len(parent)
            old = parent[key] if present else None
        else:
            present = key in parent
            old = parent.get(key)
        if present and (old is value or (type(old) is type(value)
                                         and isinstance(value, _SCALARS) and old == value)):
            return
        if isinstance(parent, list) and not present:
            parent.append(value)
        else:
            parent[key] = value
        self._log(path, old, value)

    def append(self, path: Path, value: Any) -> None:
        """Append ``value`` to the list at ``path``."""
        self._check_open()
        target = self._own(path)
        self._log([*path, len(target)], None, value)
        target.append(value)

    def _check_open(self) -> None:
        if self._changes is None:
            raise RuntimeError("a change outside an event: call begin() first")

    def _log(self, path: Path, old: Any, new: Any) -> None:
        assert self._changes is not None
        self._changes.append([path, old, new])

    def _own(self, path: Iterable[str | int]) -> Any:
        """The container at ``path``, copied (once) along the way so it may be modified."""
        node: Any = self.root
        owned = self._owned
        for key in path:
            child = node[key]
            if id(child) not in owned:
                child = child.copy()
                node[key] = child
                owned[id(child)] = child
            node = child
        return node


def replay(events: Iterable[Mapping[str, Any]]) -> Document:
    """Rebuild a case (without its ``events``) by applying every change in order."""
    doc: Document = {}
    for event in events:
        for path, _old, new in event["changes"]:
            value = clone(new)
            parent: Any = doc
            for key in path[:-1]:
                parent = parent[key]
            key = path[-1]
            if isinstance(parent, list) and key == len(parent):
                parent.append(value)
            else:
                parent[key] = value
    return doc
