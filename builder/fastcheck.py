"""A fast yes/no check of documents against a small subset of JSON Schema.

jsonschema stays the judge of *what* is wrong (its errors become the located
messages); this only answers *whether* anything is, some 25x faster, so a valid
10,000-step matter does not pay for error reporting it does not need. It compiles the
small subset of JSON Schema the meta-schemas use into closures, and refuses any
keyword it does not know, so a meta-schema change cannot make it silently lenient.
``format`` is asserted, as jsonschema's ``FORMAT_CHECKER`` does, and only ``regex`` is
known (valid when ``re.compile`` accepts it); any other format is refused too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]


def _yes(value: Any) -> bool:
    return True


def _no(value: Any) -> bool:
    return False


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}
_IGNORED = {"$schema", "$id", "title", "description", "$comment", "$defs", "default",
            "examples"}
_MEMBERS = ("properties", "additionalProperties")  # checked together, in one pass


class Unsupported(ValueError):
    """The schema uses a keyword this checker does not implement."""


def compile_schema(root: Mapping[str, Any]) -> Check:
    """A function that is True exactly when jsonschema would find no error."""
    refs: dict[str, Check] = {}
    building: set[str] = set()

    def ref(target: str) -> Check:
        if target in building:  # a recursive schema: look the check up when it runs
            return lambda v: refs[target](v)
        if target not in refs:
            if not target.startswith("#/"):
                raise Unsupported(f"only local $ref: {target}")
            node: Any = root
            for part in target[2:].split("/"):
                node = node[part]
            building.add(target)
            refs[target] = build(node)
            building.discard(target)
        return refs[target]

    def build(schema: Any) -> Check:
        if schema is True:
            return _yes
        if schema is False:
            return _no
        checks = [keyword(key, arg) for key, arg in schema.items()
                  if key not in _IGNORED and key not in _MEMBERS]
        if any(key in schema for key in _MEMBERS):
            checks.append(members(schema.get("properties", {}),
                                  schema.get("additionalProperties", True)))
        return _all(checks)

    def members(properties: Mapping[str, Any], additional: Any) -> Check:
        known = {name: build(sub) for name, sub in properties.items()}
        other = build(additional)

        def check(v: Any) -> bool:
            if isinstance(v, dict):
                for key, item in v.items():
                    if not known.get(key, other)(item):
                        return False
            return True
        return check

    def keyword(key: str, arg: Any) -> Check:
        if key == "$ref":
            return ref(arg)
        if key == "type":
            tests = [_TYPES[n] for n in ([arg] if isinstance(arg, str) else arg)]
            return tests[0] if len(tests) == 1 else lambda v: any(t(v) for t in tests)
        if key == "enum":
            if all(isinstance(option, str) for option in arg):
                texts = frozenset(arg)
                return lambda v: isinstance(v, str) and v in texts
            return lambda v: any(_same(v, option) for option in arg)
        if key == "const":
            return lambda v: _same(v, arg)
        if key == "pattern":
            regex = re.compile(arg)
            return lambda v: not isinstance(v, str) or regex.search(v) is not None
        if key == "format":
            if arg != "regex":
                raise Unsupported(f"format {arg!r}")
            return lambda v: not isinstance(v, str) or _is_regex(v)
        if key in _BOUNDS:
            compare = _BOUNDS[key]
            return lambda v: not _is_number(v) or compare(v, arg)
        if key in _SIZES:
            kind, size, at_least = _SIZES[key]
            if at_least:
                return lambda v: not isinstance(v, kind) or size(v) >= arg
            return lambda v: not isinstance(v, kind) or size(v) <= arg
        if key == "uniqueItems":
            return (lambda v: not isinstance(v, list) or _unique(v)) if arg else _yes
        if key == "required":
            return _required(arg)
        if key == "propertyNames":
            names = build(arg)
            return lambda v: not isinstance(v, dict) or all(names(k) for k in v)
        if key == "items":
            return _each(build(arg))
        if key == "oneOf":
            return _exactly_one([build(sub) for sub in arg])
        raise Unsupported(f"keyword {key!r}")

    return build(root)


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _yes
    if len(checks) == 1:
        return checks[0]

    def check(v: Any) -> bool:
        # A plain loop: all() over a generator costs twice as much on this hot path.
        for one in checks:  # noqa: SIM110
            if not one(v):
                return False
        return True
    return check


def _required(keys: list[str]) -> Check:
    def check(v: Any) -> bool:
        if isinstance(v, dict):
            for key in keys:
                if key not in v:
                    return False
        return True
    return check


def _each(item: Check) -> Check:
    def check(v: Any) -> bool:
        if isinstance(v, list):
            for x in v:
                if not item(x):
                    return False
        return True
    return check


def _exactly_one(options: list[Check]) -> Check:
    def check(v: Any) -> bool:
        found = False
        for option in options:
            if option(v):
                if found:
                    return False
                found = True
        return found
    return check


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": lambda v, a: v >= a, "maximum": lambda v, a: v <= a,
    "exclusiveMinimum": lambda v, a: v > a, "exclusiveMaximum": lambda v, a: v < a,
}
# keyword: (the type it applies to, its size, whether it is a lower bound)
_SIZES: dict[str, tuple[type, Callable[[Any], int], bool]] = {
    "minLength": (str, len, True), "maxLength": (str, len, False),
    "minItems": (list, len, True), "maxItems": (list, len, False),
}


def _is_regex(text: str) -> bool:
    """What jsonschema's ``FORMAT_CHECKER`` asserts for ``format: regex``."""
    try:
        re.compile(text)
    except re.error:
        return False
    return True


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def _unique(items: list[Any]) -> bool:
    if len(items) < 2:
        return True
    if all(isinstance(item, str) for item in items):
        return len(set(items)) == len(items)
    seen: list[Any] = []
    for item in items:
        if any(_same(item, other) for other in seen):
            return False
        seen.append(item)
    return True
