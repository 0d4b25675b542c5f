"""Deltas between case versions: exact reconstruction, and the copies reads hand out."""

from __future__ import annotations

import enum
import json
import marshal
import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.services import LIFECYCLE
from runtime.store import StoreError
from runtime.store.delta import Version, apply, diff
from runtime.store.index import case_facts, dumps
from tests.runtime.store.conftest import make_case


def version(doc: dict[str, Any]) -> Version:
    """A committed version, exactly as the store keeps one (parsed from its JSON)."""
    parsed = json.loads(dumps(doc))
    return Version(parsed, case_facts(parsed, (), LIFECYCLE))


def replayed(base: Version, doc: dict[str, Any]) -> dict[str, Any]:
    """What a delta from ``base`` to ``doc`` rebuilds, through its JSON as on disk."""
    found = diff(base, doc)
    assert found is not None
    return apply(base.doc, json.loads(dumps(found[0])))


def identical(a: Any, b: Any) -> bool:
    """Equal including types (1 is not 1.0 is not true) and key order."""
    return marshal.dumps(a, 2) == marshal.dumps(b, 2)


def test_a_delta_holds_only_what_changed() -> None:
    base = version({**make_case(1, departments=("d1", "d2")), "rev": 1})
    doc = base.copy()
    doc["rev"] = 2
    doc["tasks"][1]["status"] = "claimed"
    doc["events"].append({"at": "2026-11-28T10:00:00", "kind": "claimed"})
    found = diff(base, doc)
    assert found is not None
    delta, tasks = found
    assert delta == {
        "from": 1, "set": {"rev": 2},
        "edit": {"tasks": [[1, doc["tasks"][1]]]},
        "add": {"events": [{"at": "2026-11-28T10:00:00", "kind": "claimed"}]},
    }
    assert tasks == {1}
    assert identical(replayed(base, doc), doc)


@pytest.mark.parametrize("new", [1.0, True, -0.0, "1", [1], None])
def test_a_change_of_type_alone_is_a_change(new: Any) -> None:
    base = version({**make_case(1, data={"x": 1, "nested": [{"y": 0.0}]}), "rev": 1})
    doc = base.copy()
    doc["data"]["x"] = new
    doc["data"]["nested"][0]["y"] = new
    assert identical(replayed(base, doc), doc)
    doc = base.copy()
    doc["tasks"][0]["extra"] = new
    assert identical(replayed(base, doc), doc)


def test_a_list_equal_by_python_equality_may_still_have_changed() -> None:
    base = version({**make_case(1), "rev": 1, "tags": [0, 1.0, 0.0, {"n": 1}]})
    doc = base.copy()
    doc["tags"] = [False, 1, -0.0, {"n": True}]  # == the old list, item by item
    assert doc["tags"] == base.doc["tags"]
    assert identical(replayed(base, doc), doc)


def test_dropped_fields_shrunk_lists_and_new_fields() -> None:
    base = version({**make_case(1, departments=("d1", "d2", "d3")), "rev": 1, "notes": [1, 2]})
    doc = base.copy()
    del doc["outputs"]
    doc["tasks"] = doc["tasks"][:1]
    doc["notes"] = []
    doc["added"] = {"k": "中文"}
    found = diff(base, doc)
    assert found is not None and found[1] is None  # every task may have changed
    assert identical(replayed(base, doc), doc)


def test_rewritten_history_is_recorded() -> None:
    base = version({**make_case(1), "rev": 1, "events": [{"kind": "a"}, {"kind": "b"}]})
    doc = base.copy()
    doc["events"][0]["kind"] = "rewritten"
    doc["events"].append({"kind": "c"})
    assert identical(replayed(base, doc), doc)


def test_reordered_fields_or_odd_keys_need_a_full_image() -> None:
    base = version({**make_case(1), "rev": 1})
    doc = base.copy()
    assert diff(base, dict(reversed(list(doc.items())))) is None
    assert diff(base, {**doc, 7: "x"}) is None


def test_values_json_would_change_are_normalised_like_a_reopen() -> None:
    class Colour(enum.Enum):
        RED = "red"

    class Level(enum.IntEnum):
        HIGH = 3

    base = version({**make_case(1), "rev": 1})
    doc = base.copy()
    doc["data"] = {"t": ("a", "b"), "level": Level.HIGH, "keys": {1: "one"}}
    doc["tasks"][0]["tags"] = ("x",)
    rebuilt = replayed(base, doc)
    assert identical(rebuilt, json.loads(dumps(doc)))
    doc["data"] = {"c": Colour.RED}
    with pytest.raises(StoreError):
        dumps(diff(base, doc))


def test_apply_refuses_a_delta_for_another_rev() -> None:
    base = version({**make_case(1), "rev": 3})
    with pytest.raises(StoreError, match="rev"):
        apply(base.doc, {"from": 2, "set": {"rev": 3}})
    with pytest.raises(StoreError, match="fit"):
        apply(base.doc, {"from": 3, "edit": {"tasks": [[9, {}]]}})


def test_copies_are_fresh_exact_and_keep_key_order() -> None:
    doc = {**make_case(1, data={"f": 1.0, "b": True, "z": -0.0, "s": "é"}), "rev": 1}
    kept = version(doc)
    first = kept.copy()
    assert identical(first, json.loads(dumps(doc)))
    assert list(first) == list(doc)
    first["tasks"][0]["status"] = "changed"
    first["events"].append({"kind": "mine"})
    first["data"]["f"] = 2
    assert identical(kept.copy(), json.loads(dumps(doc)))


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner,
                                                               max_size=4),
    max_leaves=12,
)


@settings(max_examples=int(os.environ.get("STORE_DELTA_EXAMPLES", "300")), deadline=None)
@given(
    fields=st.dictionaries(st.sampled_from(["a", "b", "c", "events", "tasks", "data"]),
                           json_values, max_size=6),
    edits=st.lists(st.tuples(st.sampled_from(["a", "b", "c", "events", "tasks", "data"]),
                             st.sampled_from(["set", "drop", "append", "item"]), json_values),
                   max_size=6),
)
def test_any_edit_is_rebuilt_exactly(fields: dict[str, Any], edits: list[Any]) -> None:
    base_doc = {**make_case(1), "tasks": [], "rev": 1, **fields}
    base_doc["tasks"] = [] if not isinstance(base_doc["tasks"], list) else base_doc["tasks"]
    facts = case_facts({**make_case(1), "rev": 1}, (), LIFECYCLE)
    base = Version(json.loads(dumps(base_doc)), facts)
    doc = base.copy()
    for key, how, value in edits:
        if how == "set":
            doc[key] = value
        elif how == "drop":
            doc.pop(key, None)
        elif isinstance(doc.get(key), list):
            if how == "append" or not doc[key]:
                doc[key].append(value)
            else:
                doc[key][len(doc[key]) // 2] = value
    found = diff(base, doc)
    if found is None:
        return  # fields reordered: the store writes a full image instead
    assert identical(apply(base.doc, json.loads(dumps(found[0]))), doc)
