"""A ``when`` condition translated to Python for the BPMN gateways decides exactly as
``builder.spec.holds`` (jsonschema) does, on every value, evaluated by SpiffWorkflow's
own script engine."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from builder.bpmn_conditions import condition_expression
from builder.spec import holds

ENGINE = PythonScriptEngine()

SCHEMAS: list[Any] = [
    {"properties": {"needs_seal": {"const": True}}, "required": ["needs_seal"]},
    {"properties": {"underground_area": {"minimum": 1000}}, "required": ["underground_area"]},
    {"properties": {"role": {"enum": ["委托代理人", "法定代表人", 3, None]}}},
    {"properties": {"n": {"const": 1}}, "required": ["n"]},
    {"properties": {"n": {"exclusiveMinimum": 0, "exclusiveMaximum": 10, "maximum": 9.5}}},
    {"properties": {"n": {"type": "integer"}}, "required": ["n"]},
    {"properties": {"n": {"type": ["string", "null"], "minLength": 2, "maxLength": 3}}},
    {"anyOf": [{"required": ["a"]}, {"properties": {"b": {"const": False}},
                                     "required": ["b"]}]},
    {"allOf": [{"required": ["a"]}, {"not": {"required": ["b"]}}]},
    {"oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
    {"if": {"required": ["a"]}, "then": {"required": ["b"]}, "else": {"required": ["n"]}},
    {"properties": {"tags": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                             "contains": {"const": "x"}}}},
    {"properties": {"o": {"type": "object", "required": ["k"], "maxProperties": 1,
                          "properties": {"k": {"type": "number"}}}}},
    {"title": "带标题", "type": "object", "minProperties": 2},
    True,
    False,
    {},
    # Outside the translated vocabulary: the expression asks jsonschema itself.
    {"properties": {"n": {"type": "string", "pattern": "^[0-9]+$"}}, "required": ["n"]},
    {"dependentRequired": {"a": ["b"]}},
]

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2000) | st.sampled_from([0.5, 1.0, 9.5, 10.0])
    | st.sampled_from(["", "x", "ab", "abc", "123", "委托代理人"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["k", "x"]), inner, max_size=2),
    max_leaves=5)
DATA = st.dictionaries(
    st.sampled_from(["a", "b", "n", "needs_seal", "underground_area", "role", "tags", "o"]),
    VALUES, max_size=4)


def evaluate(schema: Any, data: Any) -> bool:
    """The expression's answer, as SpiffWorkflow's gateway computes it."""
    return bool(ENGINE.environment.evaluate(condition_expression(schema), {"applicant": data}))


@pytest.mark.parametrize("schema", SCHEMAS, ids=range(len(SCHEMAS)))
@settings(max_examples=60, deadline=None)
@given(data=DATA)
def test_the_expression_decides_as_jsonschema(schema: Any, data: dict[str, Any]) -> None:
    assert evaluate(schema, data) is holds(schema, data)


@pytest.mark.parametrize(("schema", "data", "expected"), [
    ({"properties": {"n": {"const": 1}}, "required": ["n"]}, {"n": True}, False),
    ({"properties": {"n": {"const": 1}}, "required": ["n"]}, {"n": 1.0}, True),
    ({"properties": {"n": {"const": True}}, "required": ["n"]}, {"n": 1}, False),
    ({"properties": {"n": {"minimum": 5}}}, {"n": "a string"}, True),
    ({"properties": {"n": {"minimum": 5}}}, {"n": False}, True),
    ({"properties": {"n": {"type": "integer"}}}, {"n": 2.0}, True),
    ({"properties": {"n": {"type": "number"}}}, {"n": True}, False),
    ({"required": ["n"]}, {}, False),
])
def test_json_types_are_not_python_types(schema: Any, data: Any, expected: bool) -> None:
    assert holds(schema, data) is expected
    assert evaluate(schema, data) is expected


def test_translated_conditions_use_only_builtins() -> None:
    for schema in SCHEMAS[:-2]:
        assert "__import__" not in condition_expression(schema)
    assert "jsonschema" in condition_expression(SCHEMAS[-1])
    assert condition_expression(True) == "True" and condition_expression({}) == "True"
