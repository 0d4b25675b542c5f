"""YAML is read with positions, safely, and every syntax problem is located."""

from __future__ import annotations

from builder.source import load_source


def test_positions_of_keys_and_values() -> None:
    src, problems = load_source("a: 1\nsteps:\n  - id: x\n    days: 2\n", "m.yaml")
    assert problems == [] and src is not None
    assert src.value == {"a": 1, "steps": [{"id": "x", "days": 2}]}
    assert src.where(("steps", 0, "days")) == (4, 11)
    assert src.where(("steps", 0, "days"), key=True) == (4, 5)
    assert src.where(("steps", 0, "missing"), key=True) == (3, 5)


def test_duplicate_keys_are_reported_not_silently_overwritten() -> None:
    src, problems = load_source("a: 1\nb: 2\na: 3\n", "m.yaml")
    assert src is not None and src.value == {"a": 1, "b": 2}
    assert [str(p) for p in problems] == [
        "m.yaml:3:1: error: duplicate key 'a' (first defined on line 1)"]


def test_syntax_error_is_located() -> None:
    src, problems = load_source("a: [1, 2\nb: 3\n", "m.yaml")
    assert src is None
    assert str(problems[0]).startswith("m.yaml:2:2: error: invalid YAML:")


def test_unsafe_tags_are_refused() -> None:
    src, problems = load_source("a: !!python/object/apply:os.system ['true']\n", "m.yaml")
    assert src is None or problems
    assert any("invalid YAML" in str(p) for p in problems)


def test_dates_become_iso_strings_and_empty_file_is_an_error() -> None:
    src, _ = load_source("d: 2027-01-01\n2027: x\n", "c.yaml")
    assert src is not None and src.value == {"d": "2027-01-01", "2027": "x"}
    assert [str(p) for p in load_source("", "e.yaml")[1]] == ["e.yaml:1:1: error: the file is "
                                                              "empty"]


def test_non_scalar_key_is_an_error() -> None:
    _, problems = load_source("? [a, b]\n: 1\n", "k.yaml")
    assert "a key must be a plain name" in str(problems[0])


def test_a_value_that_does_not_fit_its_tag_is_a_located_problem() -> None:
    src, problems = load_source("a: !!int x\nb: !!map text\nc: !!bool maybe\nd: !!float 1\n",
                                "t.yaml")
    assert src is not None and src.value == {"a": None, "b": None, "c": None, "d": 1.0}
    assert [str(p) for p in problems] == [
        "t.yaml:1:4: error: invalid YAML: 'x' cannot be read as !!int",
        "t.yaml:2:4: error: invalid YAML: 'text' cannot be read as !!map",
        "t.yaml:3:4: error: invalid YAML: 'maybe' cannot be read as !!bool"]
