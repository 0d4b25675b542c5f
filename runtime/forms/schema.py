"""Reading form schemas: types, order, titles, names, ids, defaults and cached validators.

Naming rules used by every part of ``runtime.forms``:

* a field's *path* joins property names with "." and skips array indices
  (``legal_rep.name``, ``shareholders.name``): it is the key of ``ui.fields``;
* a field's *name* is the posted form name and keeps indices (``shareholders.0.name``);
* a field's *id* is ``"f-" + name`` with "." replaced by "-" (``f-shareholders-0-name``);
* a field's *pointer* is the RFC 6901 JSON pointer of its value (``/shareholders/0/name``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry

from builder.formats import FORMAT_CHECKER, SafeValidator

Schema = Mapping[str, Any]
Part = str | int

_NO_REMOTE = Registry()  # no ``retrieve``: a remote $ref fails instead of fetching
_CACHE_LIMIT = 512
_validators: dict[int, tuple[Schema, Draft202012Validator]] = {}


def validator_for(schema: Schema) -> Draft202012Validator:
    """A Draft 2020-12 validator, cached per schema object: patterns run in RE2, formats
    (date, email, 统一社会信用代码, 身份证号码, 手机号码, ...) are checked."""
    key = id(schema)
    hit = _validators.get(key)
    if hit is not None and hit[0] is schema:
        return hit[1]
    if len(_validators) >= _CACHE_LIMIT:
        _validators.clear()
    validator = SafeValidator(schema, format_checker=FORMAT_CHECKER, registry=_NO_REMOTE)
    # The schema object is kept alive by the cache so its id() cannot be reused.
    _validators[key] = (schema, validator)
    return validator


def holds(condition: Schema | bool, instance: Any) -> bool:
    """Whether ``instance`` satisfies the JSON Schema fragment ``condition``."""
    if isinstance(condition, bool):
        return condition
    return bool(validator_for(condition).is_valid(instance))


def schema_type(schema: Schema) -> str:
    """The field's JSON type: the first non-null ``type``, else inferred ("string" last)."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return kind
    if isinstance(kind, list):
        for item in kind:
            if item != "null":
                return str(item)
    if "properties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    choices = enum_values(schema)
    if choices and all(isinstance(c, bool) for c in choices):
        return "boolean"
    if choices and all(isinstance(c, int | float) and not isinstance(c, bool) for c in choices):
        return "number"
    return "string"


def enum_values(schema: Schema) -> list[Any] | None:
    """Allowed values: ``enum``, or a ``oneOf``/``anyOf`` list of ``const`` options."""
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list) and options and all(
            isinstance(o, Mapping) and "const" in o for o in options
        ):
            return [o["const"] for o in options]
    return None


def enum_labels(schema: Schema) -> list[tuple[Any, str]]:
    """(value, label) pairs of the allowed values; a ``const`` option's ``title`` is its label."""
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if "enum" not in schema and isinstance(options, list) and options and all(
            isinstance(o, Mapping) and "const" in o for o in options
        ):
            return [(o["const"], str(o.get("title", display(o["const"])))) for o in options]
    return [(v, display(v)) for v in enum_values(schema) or []]


def properties(schema: Schema) -> Mapping[str, Schema]:
    """The ``properties`` of an object schema (empty if none)."""
    props = schema.get("properties")
    return props if isinstance(props, Mapping) else {}


def items_schema(schema: Schema) -> Schema:
    """The ``items`` schema of an array schema (empty if none)."""
    items = schema.get("items")
    return items if isinstance(items, Mapping) else {}


def ordered_names(schema: Schema, order: Sequence[str] = ()) -> list[str]:
    """Property names: first those in ``order`` (if defined), then the rest in schema order."""
    props = properties(schema)
    names = [name for name in order if name in props]
    names += [name for name in props if name not in names]
    return names


def ui_order(ui: Schema | None) -> list[str]:
    """``ui.order`` as a list of names."""
    order = (ui or {}).get("order") or []
    return [str(name) for name in order]


def ui_fields(ui: Schema | None) -> Mapping[str, Schema]:
    """``ui.fields``: per-path presentation hints."""
    fields = (ui or {}).get("fields") or {}
    return fields if isinstance(fields, Mapping) else {}


def join(prefix: str, part: Part) -> str:
    """Join a dotted name and one more part."""
    return f"{prefix}.{part}" if prefix else str(part)


def field_id(name: str) -> str:
    """The HTML id of a field: ``"f-"`` + name with "." replaced by "-"."""
    return "f-" + name.replace(".", "-") if name else ""


def pointer(parts: Iterable[Part]) -> str:
    """The JSON pointer (RFC 6901) of a data path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def title(schema: Schema, name: str) -> str:
    """What a user calls a field: its ``title``, else its name."""
    label = schema.get("title")
    return str(label) if label else name


def row_label(array_schema: Schema, name: str, index: int) -> str:
    """The label of one array row: "股东 1" (item title) or "股东（发起人）第 1 项"."""
    item_title = items_schema(array_schema).get("title")
    if item_title:
        return f"{item_title} {index + 1}"
    return f"{title(array_schema, name)} 第 {index + 1} 项"


def locate(schema: Schema, parts: Sequence[Part]) -> tuple[list[Schema], list[str]]:
    """Walk a data path: the schema and the label at each step (an unknown part ends it)."""
    nodes: list[Schema] = []
    labels: list[str] = []
    node, last = schema, ""
    for part in parts:
        if isinstance(part, int) or (part.isdigit() and schema_type(node) == "array"):
            if labels:
                labels[-1] = row_label(node, last, int(part))
            node = items_schema(node)
        else:
            child = properties(node).get(part)
            if child is None:
                nodes.append({})
                labels.append(part)
                break
            node, last = child, part
            labels.append(title(node, part))
        nodes.append(node)
    return nodes, labels


def label_of(schema: Schema, parts: Sequence[Part]) -> str:
    """Full label of a data path: "法定代表人 · 居民身份证号码", "股东 1 · 证件号码"."""
    if not parts:
        return title(schema, "表单")
    return " · ".join(locate(schema, parts)[1])


def display(value: Any) -> str:
    """A value as shown to people: 是/否 for booleans, no trailing ".0" on numbers."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return str(int(value))
    return str(value)


def form_value(value: Any) -> str:
    """A value as written into a form control (what the browser posts back)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict | list):
        return ""
    return str(value)


def defaults(schema: Schema) -> dict[str, Any]:
    """Initial data of a new form: every ``default``, and ``minItems`` rows for arrays."""
    result = default_value(schema)
    return result if isinstance(result, dict) else {}


def default_value(schema: Schema) -> Any:
    """The initial value of one field (None when it has none)."""
    if "default" in schema:
        return copy.deepcopy(schema["default"])
    kind = schema_type(schema)
    if kind == "object":
        out: dict[str, Any] = {}
        for name, sub in properties(schema).items():
            value = default_value(sub)
            if value is not None and value != {}:
                out[name] = value
        return out
    if kind == "array" and schema_type(items_schema(schema)) == "object":
        count = int(schema.get("minItems", 0) or 0)
        if count:
            return [default_value(items_schema(schema)) for _ in range(count)]
    return None
