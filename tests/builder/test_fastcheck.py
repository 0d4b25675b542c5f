"""The fast meta-schema check agrees with jsonschema: never lenient, never strict."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from builder.fastcheck import Unsupported, compile_schema
from builder.metaschema import KINDS, meta_schema

ROOT = Path(__file__).parents[2]


def _load(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError:
        return None  # the syntax-error fixture


DOCS = [_load(p) for p in sorted([*(ROOT / "catalog" / "matters").glob("*.yaml"),
                                  *(ROOT / "tests" / "fixtures" / "matters").rglob("*.yaml")])]
DOCS = [d for d in DOCS if isinstance(d, dict) and "steps" in d]


def _agree(kind: str, doc: Any) -> None:
    expected = Draft202012Validator(meta_schema(kind)).is_valid(doc)
    assert compile_schema(meta_schema(kind))(doc) is expected


@pytest.mark.parametrize("index", range(len(DOCS)))
def test_agrees_on_every_catalog_and_fixture_matter(index: int) -> None:
    _agree("matter", DOCS[index])


JUNK = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2)
                    | st.sampled_from(["", "a", "amr", "x.y", "finish", "preliminary", "all",
                                       "pdf", "Gif", "1", "license.license_no"]),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(
                        ["id", "name", "days", "needs", "step", "at", "department", "join",
                         "accept", "type", "extra", "reads", "certificate", "when"]),
                        inner, max_size=4), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, 10_000), path_choice=st.integers(0, 10_000), junk=JUNK)
def test_agrees_on_mutated_matters(index: int, path_choice: int, junk: Any) -> None:
    doc = copy.deepcopy(DOCS[index % len(DOCS)])
    paths: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in list(node):
                paths.append((node, key))
                walk(node[key])
        elif isinstance(node, list):
            for i in range(len(node)):
                paths.append((node, i))
                walk(node[i])

    walk(doc)
    parent, key = paths[path_choice % len(paths)]
    parent[key] = junk
    _agree("matter", doc)


@pytest.mark.parametrize("kind", KINDS)
def test_every_meta_schema_compiles(kind: str) -> None:
    assert callable(compile_schema(meta_schema(kind)))


def test_unknown_keywords_are_refused() -> None:
    with pytest.raises(Unsupported):
        compile_schema({"type": "object", "dependentRequired": {}})


def test_format_regex_is_asserted_as_jsonschema_does() -> None:
    check = compile_schema({"format": "regex"})
    assert check("^[0-9]+$") and check(5) and not check("^[0-9") and not check("(?i)a(?u)")
    with pytest.raises(Unsupported):
        compile_schema({"format": "email"})


# -- the simple-schema fast path for user forms and conditions -------------------------

META = Draft202012Validator(Draft202012Validator.META_SCHEMA,
                            format_checker=Draft202012Validator.FORMAT_CHECKER)
SIMPLE = compile_schema(meta_schema("simple-schema"))

TYPE_NAMES = st.sampled_from(["string", "number", "integer", "boolean", "object", "array",
                              "null", "strng", "Object"])
NUMBERS = st.integers(-2, 3) | st.floats(-1.5, 2.5) | st.sampled_from([0.0, 1.0, 1e300])
REGEXES = st.sampled_from(["^[0-9]{6}$", "^[0-9", "(?i)a(?u)", "a{2,3}", "\\d+", "(", ""])
SCALARS = st.none() | st.booleans() | NUMBERS | st.sampled_from(["", "a", "b", "#/x"])
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=2)
                      | st.dictionaries(st.sampled_from(["a", "type"]), inner, max_size=2),
                      max_leaves=4)
COUNTS = st.integers(-1, 3) | st.sampled_from([0.0, 2.0, 1.5, True])
KEYWORDS = ("type", "title", "description", "$comment", "default", "const", "examples",
            "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
            "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "minProperties",
            "maxProperties", "pattern", "format", "required", "properties", "$defs", "items",
            "additionalProperties", "not", "if", "then", "else", "allOf", "anyOf", "oneOf",
            "$ref", "uniqueItems", "patternProperties", "$schema", "deprecated", "x-widget")


BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
SIZES = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
SUBSCHEMA = ("items", "additionalProperties", "not", "if", "then", "else")
TEXTS = st.sampled_from(["", "a", "#/$defs/a", "email", "https://x/y"])


def _keyword(key: str, schema: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly what the meta-schema allows for ``key``, sometimes anything at all."""
    specific: dict[str, st.SearchStrategy[Any]] = {
        "type": TYPE_NAMES | st.lists(TYPE_NAMES, max_size=3),
        "examples": st.lists(VALUES, max_size=2), "enum": st.lists(VALUES, max_size=2),
        "multipleOf": NUMBERS, "pattern": REGEXES,
        "required": st.lists(st.sampled_from(["a", "b", 1]), max_size=3),
        "properties": st.dictionaries(st.sampled_from(["a", "b"]), schema, max_size=2),
        "$defs": st.dictionaries(st.sampled_from(["a", "b"]), schema, max_size=2),
        "patternProperties": st.dictionaries(REGEXES, schema, max_size=2),
        "allOf": st.lists(schema, max_size=2), "anyOf": st.lists(schema, max_size=2),
        "oneOf": st.lists(schema, max_size=2),
        "uniqueItems": st.booleans(), "deprecated": st.booleans(),
    }
    if key in specific:
        right = specific[key]
    elif key in BOUNDS:
        right = NUMBERS
    elif key in SIZES:
        right = COUNTS
    elif key in SUBSCHEMA:
        right = schema
    else:
        right = TEXTS
    return right | right | VALUES


SCHEMAS = st.recursive(
    st.booleans() | st.just({}),
    lambda inner: st.lists(st.sampled_from(KEYWORDS), max_size=3, unique=True).flatmap(
        lambda keys: st.fixed_dictionaries({key: _keyword(key, inner) for key in keys})),
    max_leaves=6)


@settings(max_examples=1000, deadline=None)
@given(schema=SCHEMAS)
@example(schema={"required": ["a", "a"]})
@example(schema={"type": ["string", "string"]})
@example(schema={"type": []})
@example(schema={"anyOf": []})
@example(schema={"examples": 5})
@example(schema={"multipleOf": 0})
@example(schema={"minLength": 1.5})
@example(schema={"maxItems": True})
@example(schema={"properties": {"a": {"pattern": "^[0-9"}}})
def test_simple_schema_never_accepts_what_jsonschema_refuses(schema: Any) -> None:
    if SIMPLE(schema):
        assert META.is_valid(schema), schema


def test_simple_schema_accepts_what_forms_normally_use() -> None:
    form = {"type": "object", "required": ["no"], "title": "表", "properties": {
        "no": {"type": "string", "pattern": "^[A-Z0-9-]{6,20}$", "maxLength": 20},
        "n": {"type": ["integer", "null"], "minimum": 0, "multipleOf": 1},
        "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": True}},
        "allOf": [{"if": {"properties": {"n": {"const": 1}}}, "then": {"required": ["tags"]}}]}
    assert SIMPLE(form) and SIMPLE(True)
    assert META.is_valid(meta_schema("simple-schema"))
    assert not SIMPLE({"type": "object", "properties": {"no": {"pattern": "^[0-9"}}})
    assert not SIMPLE({"examples": 5}) and not SIMPLE({"x-widget": "textarea"})
