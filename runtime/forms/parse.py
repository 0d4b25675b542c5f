"""Posted form fields (all strings) to typed JSON data, driven by the schema.

``parse`` never raises on what a browser (or an attacker) posts: a value that cannot be
converted stays a string, so ``validate`` reports it against its field. Keys the schema
does not describe (file inputs ``material:<id>``, buttons, ``_csrf``) are not data.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from runtime.forms.schema import (
    Schema,
    default_value,
    enum_values,
    form_value,
    items_schema,
    properties,
    schema_type,
)

FormData = Mapping[str, Any] | Iterable[tuple[str, Any]]

_ABSENT = object()
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


class _Node:
    __slots__ = ("children", "values")

    def __init__(self) -> None:
        self.values: list[str] = []
        self.children: dict[str, _Node] = {}


def pairs(formdata: FormData) -> list[tuple[str, str]]:
    """(name, value) pairs of posted data, string values only (files are skipped)."""
    raw: Iterable[tuple[str, Any]]
    multi = getattr(formdata, "multi_items", None)
    if callable(multi):  # starlette FormData / multidicts
        raw = multi()
    elif isinstance(formdata, Mapping):
        raw = [
            (k, v)
            for k, vs in formdata.items()
            for v in (vs if isinstance(vs, list | tuple) else [vs])
        ]
    else:
        raw = formdata
    return [(str(k), v) for k, v in raw if isinstance(v, str)]


def _tree(formdata: FormData, prefix: str) -> _Node:
    root = _Node()
    for key, value in pairs(formdata):
        if prefix:
            if not key.startswith(prefix + "."):
                continue
            key = key[len(prefix) + 1 :]
        if not key or key.startswith("_"):
            continue
        node = root
        for part in key.split("."):
            node = node.children.setdefault(part, _Node())
        node.values.append(value)
    return root


def parse(schema: Schema, formdata: FormData, *, prefix: str = "") -> dict[str, Any]:
    """Typed data from posted ``(name, value)`` pairs (or a mapping of name to values).

    Names are dotted paths (``legal_rep.name``, ``shareholders.0.name``); empty strings are
    absent; array rows are taken in index order with gaps closed; for repeated names the
    last value wins (a checkbox posts "false" then "true").
    """
    value = _convert(schema, _tree(formdata, prefix))
    return value if isinstance(value, dict) else {}


def _convert(schema: Schema, node: _Node) -> Any:
    kind = schema_type(schema)
    if kind == "object":
        out: dict[str, Any] = {}
        for name, sub in properties(schema).items():
            child = node.children.get(name)
            if child is not None:
                value = _convert(sub, child)
                if value is not _ABSENT:
                    out[name] = value
        return out
    if kind == "array":
        items = items_schema(schema)
        rows = sorted((int(k), v) for k, v in node.children.items() if k.isdigit())
        values = [_convert(items, child) for _, child in rows]
        if not rows:  # a scalar list posted as repeated names
            values = [_scalar(items, v) for v in node.values]
        return [v for v in values if v is not _ABSENT]
    if not node.values:
        return _ABSENT
    return _scalar(schema, node.values[-1])


def _scalar(schema: Schema, text: str) -> Any:
    if text.strip() == "":
        return _ABSENT
    choices = enum_values(schema)
    if choices is not None:
        for choice in choices:
            if form_value(choice) == text:
                return copy.deepcopy(choice)
    kind = schema_type(schema)
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "on"):
            return True
        if lowered == "false":
            return False
        return text
    if kind == "integer":
        return _integer(text)
    if kind == "number":
        return _number(text)
    return text


def _integer(text: str) -> Any:
    if _INTEGER.fullmatch(text):
        return int(text)
    number = _number(text)
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return text


def _number(text: str) -> Any:
    if _INTEGER.fullmatch(text):
        return int(text)
    if "_" in text:  # float() would read "1_000" as 1000
        return text
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return number


def row_action(formdata: FormData) -> tuple[str, str] | None:
    """The row button pressed, if any: ("add", "shareholders") or ("remove", "shareholders.0")."""
    found = None
    for key, value in pairs(formdata):
        if key in ("_add", "_remove") and value:
            found = (key[1:], value)
    return found


def apply_row_action(
    schema: Schema, data: Mapping[str, Any], action: tuple[str, str] | None
) -> dict[str, Any]:
    """A copy of ``data`` with one row added or removed (minItems/maxItems respected)."""
    result: dict[str, Any] = copy.deepcopy(dict(data))
    if action is None:
        return result
    verb, name = action
    parts = name.split(".")
    if verb == "remove":
        if len(parts) < 2 or not parts[-1].isdigit():
            return result
        array_parts, index = parts[:-1], int(parts[-1])
    else:
        array_parts, index = parts, -1
    node: Any = result
    sub: Schema = schema
    for part in array_parts[:-1]:
        if part.isdigit() and isinstance(node, list) and int(part) < len(node):
            node, sub = node[int(part)], items_schema(sub)
        elif isinstance(node, dict):
            node, sub = node.setdefault(part, {}), properties(sub).get(part, {})
        else:
            return result
    last = array_parts[-1]
    array = properties(sub).get(last, {})
    if not isinstance(node, dict) or schema_type(array) != "array":
        return result
    rows = node.get(last)
    rows = rows if isinstance(rows, list) else []
    low = int(array.get("minItems", 0) or 0)
    high = array.get("maxItems")
    if verb == "remove" and 0 <= index < len(rows) and len(rows) > low:
        del rows[index]
    elif verb == "add" and (not isinstance(high, int) or len(rows) < high):
        item = default_value(items_schema(array))
        rows.append({} if item is None and schema_type(items_schema(array)) == "object" else item)
    node[last] = rows
    return result
