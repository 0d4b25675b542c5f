"""The fast meta-schema check agrees with jsonschema: never lenient, never strict."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
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
