"""Conditional visibility: ``ui.fields[path].visible_when`` plus conditions derived from the schema.

A field is visible when its parent is visible and

* its ``visible_when`` (a JSON Schema fragment) holds for the whole form data, and
* if it is not statically required but some ``if``/``then`` (or ``else``) of its object
  requires it, at least one of those conditions holds for the enclosing object.

So authors need not repeat an ``allOf: [{if, then: {required}}]`` as ``visible_when``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from runtime.forms.schema import (
    Schema,
    holds,
    items_schema,
    join,
    ordered_names,
    properties,
    schema_type,
    ui_fields,
    ui_order,
)


@dataclass(frozen=True)
class FieldState:
    """A field's own visibility and requiredness (the parent's visibility not included)."""

    visible: bool
    required: bool
    condition: Schema | None  # the whole-data condition, for display and debugging


def _derived(obj_schema: Schema, prop: str) -> list[tuple[Schema | bool, bool]]:
    """(if-schema, negated) pairs under which the object's if/then/else requires ``prop``."""
    blocks = [obj_schema]
    blocks += [b for b in obj_schema.get("allOf") or [] if isinstance(b, Mapping)]
    found: list[tuple[Schema | bool, bool]] = []
    for block in blocks:
        cond = block.get("if")
        if not isinstance(cond, Mapping | bool):
            continue
        for key, negated in (("then", False), ("else", True)):
            branch = block.get(key)
            if isinstance(branch, Mapping) and prop in (branch.get("required") or []):
                found.append((cond, negated))
    return found


def _scoped(condition: Schema | bool, parts: list[str]) -> Schema | bool:
    """Wrap a condition on a nested object so it reads the whole form data."""
    for part in reversed(parts):
        if part.isdigit():
            condition = {"prefixItems": [True] * int(part) + [condition]}
        else:
            condition = {"properties": {part: condition}}
    return condition


def field_state(
    ui: Schema | None,
    root_data: Any,
    obj_schema: Schema,
    local: Any,
    prop: str,
    *,
    path: str,
    name: str,
) -> FieldState:
    """Visibility and requiredness of property ``prop`` of an object whose value is ``local``."""
    static = prop in (obj_schema.get("required") or [])
    hint = ui_fields(ui).get(path) or {}
    visible_when = hint.get("visible_when")
    parts: list[Schema | bool] = []
    visible = True
    if isinstance(visible_when, Mapping | bool):
        parts.append(visible_when)
        visible = holds(visible_when, root_data)
    required = static
    derived = [] if static else _derived(obj_schema, prop)
    if derived:
        instance = local if isinstance(local, Mapping) else {}
        met = any(holds(cond, instance) != negated for cond, negated in derived)
        visible = visible and met
        required = met
        scope = name.split(".")[:-1]
        options = [c if not neg else {"not": c} for c, neg in derived]
        either: Schema | bool = options[0] if len(options) == 1 else {"anyOf": options}
        parts.append(_scoped(either, scope))
    condition: Schema | None = None
    if len(parts) == 1:
        only = parts[0]
        condition = only if isinstance(only, Mapping) else ({} if only else {"not": {}})
    elif parts:
        condition = {"allOf": parts}
    return FieldState(visible=visible, required=required, condition=condition)


def _walk(
    schema: Schema, ui: Schema | None, data: Any
) -> tuple[list[str], list[str]]:
    """Names of visible and hidden fields, in form order (array rows as present in data)."""
    visible: list[str] = []
    hidden: list[str] = []

    def visit(obj: Schema, local: Any, name: str, path: str, shown: bool, top: bool) -> None:
        values = local if isinstance(local, Mapping) else {}
        for prop in ordered_names(obj, ui_order(ui) if top else ()):
            sub = properties(obj)[prop]
            sub_name, sub_path = join(name, prop), join(path, prop)
            state = field_state(ui, data, obj, values, prop, path=sub_path, name=sub_name)
            on = shown and state.visible
            (visible if on else hidden).append(sub_name)
            kind = schema_type(sub)
            value = values.get(prop)
            if kind == "object":
                visit(sub, value, sub_name, sub_path, on, False)
            elif kind == "array" and isinstance(value, list):
                item = items_schema(sub)
                if schema_type(item) == "object":
                    for index, row in enumerate(value):
                        visit(item, row, join(sub_name, index), sub_path, on, False)

    visit(schema, data, "", "", True, True)
    return visible, hidden


def visible_paths(schema: Schema, ui: Schema | None, data: Any) -> list[str]:
    """Names (``shareholders.0.name``) of the fields visible for ``data``, in form order."""
    return _walk(schema, ui, data)[0]


def hidden_paths(schema: Schema, ui: Schema | None, data: Any) -> list[str]:
    """Names of the fields hidden for ``data``, in form order."""
    return _walk(schema, ui, data)[1]


def _remove(data: Any, parts: list[str]) -> bool:
    node = data
    for part in parts[:-1]:
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    if isinstance(node, dict) and parts[-1] in node:
        del node[parts[-1]]
        return True
    return False


def prune_hidden(schema: Schema, ui: Schema | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` without the answers of hidden fields (repeated until stable)."""
    current: dict[str, Any] = copy.deepcopy(dict(data))
    while True:
        removed = False
        for name in hidden_paths(schema, ui, current):
            removed = _remove(current, name.split(".")) or removed
        if not removed:
            return current


def condition_fields(schema: Schema, ui: Schema | None,
                     extra: Iterable[Schema | None] = ()) -> list[str]:
    """Top-level fields that some condition reads: ``visible_when``, the form's own
    ``if`` clauses, and ``extra`` conditions (e.g. materials' ``when``)."""
    conditions: list[Any] = [hint.get("visible_when") for hint in ui_fields(ui).values()
                             if isinstance(hint, Mapping)]
    for block in schema.get("allOf", []) if isinstance(schema.get("allOf"), list) else []:
        if isinstance(block, Mapping):
            conditions.append(block.get("if"))
    conditions.extend(extra)
    names: list[str] = []
    for condition in conditions:
        for name in _read_names(condition):
            if name not in names:
                names.append(name)
    return names


def _read_names(condition: Any) -> list[str]:
    if not isinstance(condition, Mapping):
        return []
    names = list(condition.get("properties", {})) if isinstance(
        condition.get("properties"), Mapping) else []
    names += [n for n in condition.get("required", []) if isinstance(n, str)] if isinstance(
        condition.get("required"), list) else []
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in condition.get(key, []) if isinstance(condition.get(key), list) else []:
            names += _read_names(sub)
    if isinstance(condition.get("not"), Mapping):
        names += _read_names(condition["not"])
    return names
