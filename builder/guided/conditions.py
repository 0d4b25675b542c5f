"""Conditions (``when``, ``visible_when``): the JSON Schema fragment, the simple
one-line kind the guided editor shows, and a condition in words."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from builder.guided.model import Condition, Op, SimpleCondition
from builder.guided.values import _is_number, _is_scalar, _same


def condition_schema(cond: Condition) -> dict[str, Any]:
    """The JSON Schema fragment of a condition (a raw one is returned as a copy)."""
    if not isinstance(cond, SimpleCondition):
        return copy.deepcopy(dict(cond))
    test: dict[str, Any]
    if cond.op == "one_of":
        test = {"enum": list(cond.value)}
    elif cond.op == "at_least":
        test = {"minimum": cond.value}
    elif cond.op == "at_most":
        test = {"maximum": cond.value}
    else:
        test = {"const": cond.value}
    schema = {"properties": {cond.field: test}, "required": [cond.field]}
    return {"not": schema} if cond.op == "not_equals" else schema


def parse_simple_condition(schema: Any) -> SimpleCondition | None:
    """The simple condition ``schema`` spells exactly, or None when it is not simple."""
    op: Op = "equals"
    body = schema
    if isinstance(schema, dict) and list(schema) == ["not"]:
        op, body = "not_equals", schema["not"]
    if not (isinstance(body, dict) and set(body) == {"properties", "required"}
            and isinstance(body["properties"], dict) and len(body["properties"]) == 1):
        return None
    (name, test), = body["properties"].items()
    if not isinstance(test, dict) or len(test) != 1:
        return None
    (key, value), = test.items()
    kinds: dict[str, Op] = {"const": "equals", "enum": "one_of", "minimum": "at_least",
                            "maximum": "at_most"}
    if key not in kinds or (op == "not_equals" and key != "const"):
        return None
    if key == "enum":
        if not isinstance(value, list) or not all(map(_is_scalar, value)):
            return None
        cond = SimpleCondition(name, "one_of", tuple(value))
    elif not _is_scalar(value) or (key != "const" and not _is_number(value)):
        return None
    else:
        cond = SimpleCondition(name, op if key == "const" else kinds[key], value)
    return cond if _same(condition_schema(cond), schema) else None


def condition_fields(schema: Any) -> set[str]:
    """Field names a condition fragment tests (through allOf/anyOf/oneOf/not/if)."""
    if isinstance(schema, SimpleCondition):
        return {schema.field}
    found: set[str] = set()
    if isinstance(schema, Mapping):
        props = schema.get("properties")
        found |= set(props) if isinstance(props, dict) else set()
        required = schema.get("required")
        found |= {n for n in required if isinstance(n, str)} if isinstance(required, list) \
            else set()
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(key) or []:
                found |= condition_fields(sub)
        for key in ("not", "if", "then", "else"):
            found |= condition_fields(schema.get(key))
    return found


def describe_condition(cond: Condition | None, titles: Mapping[str, str] | None = None) -> str:
    """A condition in plain Chinese: 「是否同步刻制印章」为“是”."""
    if cond is None:
        return "始终适用"
    titles = titles or {}
    simple = cond if isinstance(cond, SimpleCondition) else parse_simple_condition(cond)
    if simple is not None:
        label = f"「{titles.get(simple.field, simple.field)}」"
        if simple.op == "one_of":
            return f"{label}为{'、'.join(_value_text(v) for v in simple.value)}之一"
        verb = {"equals": "为", "not_equals": "不为", "at_least": "不小于",
                "at_most": "不大于"}[simple.op]
        text = _value_text(simple.value)
        return f"{label}{verb}{text if text[0] in '「“' else ' ' + text}"
    for key, joiner in (("allOf", "，且"), ("anyOf", "，或")):
        parts = cond.get(key) if isinstance(cond, Mapping) and len(cond) == 1 else None
        if isinstance(parts, list) and parts:
            return f"（{joiner.join(describe_condition(p, titles) for p in parts)}）"
    if isinstance(cond, Mapping) and list(cond) == ["not"] and isinstance(cond["not"], dict):
        return f"并非{describe_condition(cond['not'], titles)}"
    return "自定义条件（" + json.dumps(cond, ensure_ascii=False, sort_keys=True) + "）"


def _value_text(value: Any) -> str:
    if value is True:
        return "“是”"
    if value is False:
        return "“否”"
    if isinstance(value, str):
        return f"「{value}」"
    return json.dumps(value, ensure_ascii=False)
