"""YAML is read with positions, safely, and every syntax problem is located."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

from builder.source import MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES, load_source, read_source


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


def _bomb(levels: int) -> str:
    """An "alias bomb": nested anchors, each a list of nine aliases of the one before."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_its_line_in_memory_proportional_to_the_file() -> None:
    tracemalloc.start()
    try:
        started = time.perf_counter()
        src, problems = load_source(_bomb(9), "bomb.yaml")  # 9**9 values if expanded
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert src is None
    assert [str(p) for p in problems] == [
        f"bomb.yaml:6:5: error: invalid YAML: aliases (*name) repeat more than "
        f"{MAX_ALIAS_NODES:,} values; write the values out or use fewer nested anchors"]
    assert problems[0].code == "yaml_alias_bomb"
    assert peak < 20_000_000 and elapsed < 2


def test_aliases_share_their_anchor_s_value_and_are_located_where_they_are_used() -> None:
    src, problems = load_source("base: &b {x: 1, y: [2, 3]}\none: *b\nlist:\n  - *b\n", "a.yaml")
    assert problems == [] and src is not None
    assert src.value == {"base": {"x": 1, "y": [2, 3]}, "one": {"x": 1, "y": [2, 3]},
                         "list": [{"x": 1, "y": [2, 3]}]}
    assert src.where(("one",)) == (2, 1) and src.where(("one", "y", 1)) == (2, 1)
    assert src.where(("list", 0, "x")) == (4, 3)
    assert ("one", "y", 1) not in src.positions  # aliases are not expanded in positions


def test_a_recursive_alias_and_deep_nesting_are_located_problems_not_tracebacks() -> None:
    assert [str(p) for p in load_source("a: &a\n  - *a\n", "r.yaml")[1]] == [
        "r.yaml:1:4: error: invalid YAML: an alias refers to the anchor it is inside "
        "(a recursive alias)"]
    deep = "\n".join(" " * i + "k:" for i in range(990)) + " 1\n"
    assert [str(p) for p in load_source(deep, "d.yaml")[1]] == [
        f"d.yaml:{MAX_DEPTH + 1}:{MAX_DEPTH + 1}: error: the document is nested more than "
        f"{MAX_DEPTH} levels deep"]
    # an alias may not carry nesting past the limit either
    nested = "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n"
    assert "nested more than" in str(load_source(nested, "n.yaml")[1][0])


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("name: " + "长" * (MAX_FILE_BYTES // 3) + "\n", encoding="utf-8")
    src, problems = read_source(big)
    size = big.stat().st_size
    assert src is None and [str(p) for p in problems] == [
        f"{big}:1:1: error: the file is {size:,} bytes; a catalog file may have at most "
        f"{MAX_FILE_BYTES:,} bytes"]
    assert load_source(big.read_text("utf-8"), "draft.yaml")[1][0].code == "file_too_large"
