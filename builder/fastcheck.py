"""A fast yes/no check of catalog documents against the meta-schemas.

jsonschema stays the judge of *what* is wrong (its errors become the located
messages); this only answers *whether* anything is, about 20x faster, so a valid
10,000-step matter does not pay for error reporting it does not need. It compiles the
small subset of JSON Schema the meta-schemas use into closures, and refuses any
keyword it does not know, so a meta-schema change cannot make it silently lenient.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}
_IGNORED = {"$schema", "$id", "title", "description", "$defs", "default", "examples"}


class Unsupported(ValueError):
    """The schema uses a keyword this checker does not implement."""


def compile_schema(root: Mapping[str, Any]) -> Check:
    """A function that is True exactly when jsonschema would find no error."""
    refs: dict[str, Check] = {}

    def ref(target: str) -> Check:
        if target not in refs:
            if not target.startswith("#/"):
                raise Unsupported(f"only local $ref: {target}")
            node: Any = root
            for part in target[2:].split("/"):
                node = node[part]
            refs[target] = lambda v: False  # placeholder while compiling recursion
            compiled = build(node)
            refs[target] = compiled
        return lambda v: refs[target](v)

    def build(schema: Any) -> Check:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        checks: list[Check] = []
        for key, arg in schema.items():
            if key in _IGNORED:
                continue
            checks.append(keyword(key, arg, schema))
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(check(v) for check in checks)

    def keyword(key: str, arg: Any, schema: Mapping[str, Any]) -> Check:
        if key == "$ref":
            return ref(arg)
        if key == "type":
            names = [arg] if isinstance(arg, str) else list(arg)
            tests = [_TYPES[n] for n in names]
            return lambda v: any(t(v) for t in tests)
        if key == "enum":
            return lambda v: any(_same(v, option) for option in arg)
        if key == "const":
            return lambda v: _same(v, arg)
        if key == "pattern":
            regex = re.compile(arg)
            return lambda v: not isinstance(v, str) or regex.search(v) is not None
        if key in _BOUNDS:
            compare = _BOUNDS[key]
            return lambda v: not _is_number(v) or compare(v, arg)
        if key == "minLength":
            return lambda v: not isinstance(v, str) or len(v) >= arg
        if key == "maxLength":
            return lambda v: not isinstance(v, str) or len(v) <= arg
        if key == "minItems":
            return lambda v: not isinstance(v, list) or len(v) >= arg
        if key == "maxItems":
            return lambda v: not isinstance(v, list) or len(v) <= arg
        if key == "uniqueItems":
            return (lambda v: not isinstance(v, list) or _unique(v)) if arg else (
                lambda v: True)
        if key == "required":
            return lambda v: not isinstance(v, dict) or all(k in v for k in arg)
        if key == "properties":
            props = {name: build(sub) for name, sub in arg.items()}
            return lambda v: not isinstance(v, dict) or all(
                props[k](v[k]) for k in props if k in v)
        if key == "additionalProperties":
            known = set(schema.get("properties", {}))
            if arg is False:
                return lambda v: not isinstance(v, dict) or all(k in known for k in v)
            extra = build(arg)
            return lambda v: not isinstance(v, dict) or all(
                extra(item) for k, item in v.items() if k not in known)
        if key == "propertyNames":
            names = build(arg)
            return lambda v: not isinstance(v, dict) or all(names(k) for k in v)
        if key == "items":
            item = build(arg)
            return lambda v: not isinstance(v, list) or all(item(x) for x in v)
        if key == "oneOf":
            options = [build(sub) for sub in arg]
            return lambda v: sum(1 for option in options if option(v)) == 1
        raise Unsupported(f"keyword {key!r}")

    return build(root)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": lambda v, a: v >= a, "maximum": lambda v, a: v <= a,
    "exclusiveMinimum": lambda v, a: v > a, "exclusiveMaximum": lambda v, a: v < a,
}


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def _unique(items: list[Any]) -> bool:
    seen: list[Any] = []
    for item in items:
        if any(_same(item, other) for other in seen):
            return False
        seen.append(item)
    return True
