"""A ``when`` condition (a JSON Schema fragment) as one Python expression, for the
exclusive gateways of the BPMN export that SpiffWorkflow's Python script engine evaluates.

The expression reads the applicant's data from one variable (``applicant``) and uses only
builtins, so a stock ``PythonScriptEngine`` runs it. It is true exactly when
``builder.spec.holds(condition, data)`` is: keywords apply to the JSON types they are
defined for (``minimum`` passes a string, ``required`` passes a number), booleans are
never numbers (``const: 1`` does not match ``true``). A keyword outside the translated
vocabulary (``$ref``, ``dependentSchemas``, ``format``…) makes the whole condition fall
back to ``jsonschema`` imported inside the expression, so the answer stays exact.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

# Keywords that never change validity.
_ANNOTATIONS = frozenset({"title", "description", "$comment", "default", "examples",
                          "deprecated", "readOnly", "writeOnly", "$schema", "$id"})
_NUMBER = "type({x}) in (int, float)"
_TYPES = {
    "string": "type({x}) is str",
    "boolean": "type({x}) is bool",
    "null": "{x} is None",
    "object": "type({x}) is dict",
    "array": "type({x}) is list",
    "number": _NUMBER,
    "integer": "(type({x}) is int or type({x}) is float and {x}.is_integer())",
}


class _Untranslatable(Exception):
    """A keyword or value the translation does not cover."""


def condition_expression(condition: Mapping[str, Any] | bool, variable: str = "applicant") -> str:
    """A Python expression true exactly when ``condition`` holds for ``variable``."""
    try:
        return _schema(condition, variable, 0)
    except _Untranslatable:
        literal = json.dumps(condition, ensure_ascii=False, sort_keys=True)
        return (f"__import__('jsonschema').Draft202012Validator("
                f"__import__('json').loads({literal!r})).is_valid({variable})")


def _schema(schema: Any, x: str, depth: int) -> str:
    if schema is True:
        return "True"
    if schema is False:
        return "False"
    if not isinstance(schema, Mapping):
        raise _Untranslatable(schema)
    parts: list[str] = []
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        keyword = _KEYWORDS.get(key)
        if keyword is None:
            raise _Untranslatable(key)
        parts.append(keyword(value, x, depth, schema))
    return _all(parts)


def _all(parts: list[str]) -> str:
    parts = [p for p in parts if p != "True"]
    if not parts:
        return "True"
    return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"


def _any(parts: list[str]) -> str:
    if not parts:
        return "False"
    return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"


def _only(kind: str, x: str, test: str) -> str:
    """``test`` applies to values of JSON type ``kind``; anything else passes."""
    return f"(not {_TYPES[kind].format(x=x)} or {test})"


def _literal(value: Any) -> str:
    """A Python literal of a JSON value (rejects what JSON equality would not match)."""
    if value is None or isinstance(value, bool | str):
        return repr(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return repr(value)
    raise _Untranslatable(value)


def _equals(value: Any, x: str) -> str:
    """``x`` equals the JSON value ``value`` (1 and 1.0 equal, true and 1 not)."""
    if value is None or isinstance(value, bool):
        return f"{x} is {value!r}"
    if isinstance(value, str):
        return f"{x} == {value!r}"
    if isinstance(value, int | float):
        return f"({_NUMBER.format(x=x)} and {x} == {_literal(value)})"
    raise _Untranslatable(value)


def _type(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    kinds = value if isinstance(value, list) else [value]
    if not all(isinstance(k, str) and k in _TYPES for k in kinds):
        raise _Untranslatable(value)
    return _any([_TYPES[k].format(x=x) for k in kinds])


def _const(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    return _equals(value, x)


def _enum(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    if not isinstance(value, list):
        raise _Untranslatable(value)
    return _any([_equals(v, x) for v in value])


def _bound(op: str) -> Callable[[Any, str, int, Mapping[str, Any]], str]:
    def keyword(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Untranslatable(value)
        return _only("number", x, f"{x} {op} {_literal(value)}")
    return keyword


def _length(kind: str, op: str) -> Callable[[Any, str, int, Mapping[str, Any]], str]:
    def keyword(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Untranslatable(value)
        return _only(kind, x, f"len({x}) {op} {value}")
    return keyword


def _properties(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    if not isinstance(value, Mapping):
        raise _Untranslatable(value)
    tests = [f"({key!r} not in {x} or {_schema(sub, f'{x}[{key!r}]', depth + 1)})"
             for key, sub in value.items()]
    inner = _all(tests)
    return "True" if inner == "True" else _only("object", x, inner)


def _required(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise _Untranslatable(value)
    return _only("object", x, _all([f"{key!r} in {x}" for key in value])) if value else "True"


def _subschemas(value: Any, x: str, depth: int) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _Untranslatable(value)
    return [_schema(sub, x, depth) for sub in value]


def _all_of(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    return _all(_subschemas(value, x, depth))


def _any_of(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    return _any(_subschemas(value, x, depth))


def _one_of(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    return f"(sum(1 for _ok in ({', '.join(_subschemas(value, x, depth))},) if _ok) == 1)"


def _not(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    return f"(not {_schema(value, x, depth)})"


def _if(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    test = _schema(value, x, depth)
    then = _schema(schema.get("then", True), x, depth)
    other = _schema(schema.get("else", True), x, depth)
    return f"({then} if {test} else {other})"


def _branch(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    return "True"  # then/else count only beside an if, which reads them


def _items(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    item = f"_item{depth}"
    return _only("array", x, f"all({_schema(value, item, depth + 1)} for {item} in {x})")


def _contains(value: Any, x: str, depth: int, schema: Mapping[str, Any]) -> str:
    if "minContains" in schema or "maxContains" in schema:
        raise _Untranslatable("minContains")
    item = f"_item{depth}"
    return _only("array", x, f"any({_schema(value, item, depth + 1)} for {item} in {x})")


_KEYWORDS: dict[str, Callable[[Any, str, int, Mapping[str, Any]], str]] = {
    "type": _type, "const": _const, "enum": _enum,
    "minimum": _bound(">="), "maximum": _bound("<="),
    "exclusiveMinimum": _bound(">"), "exclusiveMaximum": _bound("<"),
    "minLength": _length("string", ">="), "maxLength": _length("string", "<="),
    "minItems": _length("array", ">="), "maxItems": _length("array", "<="),
    "minProperties": _length("object", ">="), "maxProperties": _length("object", "<="),
    "properties": _properties, "required": _required,
    "allOf": _all_of, "anyOf": _any_of, "oneOf": _one_of, "not": _not,
    "if": _if, "then": _branch, "else": _branch,
    "items": _items, "contains": _contains,
}
