"""visible_when, visibility derived from if/then, pruning hidden answers."""

from __future__ import annotations

from typing import Any

from runtime.forms import build_fields, defaults, prune_hidden, validate, visible_paths
from tests.runtime.forms.dom import matter

# No visible_when anywhere: visibility of seal_count comes from the schema's if/then only.
DERIVED: dict[str, Any] = {
    "type": "object",
    "required": ["needs_seal"],
    "properties": {
        "needs_seal": {"type": "boolean", "title": "刻章"},
        "seal_count": {"type": "integer", "title": "印章数量", "minimum": 1},
        "reason": {"type": "string", "title": "不刻章原因"},
    },
    "allOf": [
        {"if": {"properties": {"needs_seal": {"const": True}}, "required": ["needs_seal"]},
         "then": {"required": ["seal_count"]},
         "else": {"required": ["reason"]}},
    ],
}


def field(schema: dict[str, Any], ui: Any, data: dict[str, Any], name: str) -> Any:
    found = {f.name: f for f in build_fields(schema, ui, data, None)}
    return found[name]


def test_if_then_required_derives_visibility_and_requiredness() -> None:
    on = field(DERIVED, None, {"needs_seal": True}, "seal_count")
    assert on.visible and on.required
    off = field(DERIVED, None, {"needs_seal": False}, "seal_count")
    assert not off.visible and not off.required
    assert field(DERIVED, None, {"needs_seal": False}, "reason").visible  # from else
    assert not field(DERIVED, None, {"needs_seal": True}, "reason").visible
    assert field(DERIVED, None, {}, "needs_seal").visible


def test_if_then_required_is_validated_only_when_it_applies() -> None:
    assert [e.message for e in validate(DERIVED, {"needs_seal": True})] == [
        "「印章数量」为必填项"]
    assert [e.pointer for e in validate(DERIVED, {"needs_seal": False})] == ["/reason"]
    # the answer of the hidden field is pruned, so its bad value is not reported
    assert [e.pointer for e in validate(DERIVED, {"needs_seal": False, "seal_count": 0,
                                                  "reason": "无"})] == []


def test_visible_when_hides_a_statically_required_field() -> None:
    schema = {"type": "object", "required": ["kind", "other"],
              "properties": {"kind": {"enum": ["a", "other"]}, "other": {"type": "string"}}}
    ui = {"fields": {"other": {"visible_when": {
        "properties": {"kind": {"const": "other"}}, "required": ["kind"]}}}}
    assert not field(schema, ui, {"kind": "a"}, "other").visible
    assert validate(schema, {"kind": "a", "other": "x"}, ui=ui) == []
    assert prune_hidden(schema, ui, {"kind": "a", "other": "x"}) == {"kind": "a"}
    assert [e.pointer for e in validate(schema, {"kind": "other"}, ui=ui)] == ["/other"]
    assert "other" in visible_paths(schema, ui, {"kind": "other"})


def test_pruning_repeats_until_stable_for_chained_visibility() -> None:
    schema = {"type": "object", "properties": {
        "a": {"type": "boolean"}, "b": {"type": "boolean"}, "c": {"type": "string"}}}
    ui = {"fields": {
        "b": {"visible_when": {"properties": {"a": {"const": True}}, "required": ["a"]}},
        "c": {"visible_when": {"properties": {"b": {"const": True}}, "required": ["b"]}},
    }}
    data = {"a": False, "b": True, "c": "x"}
    assert prune_hidden(schema, ui, data) == {"a": False}
    assert data == {"a": False, "b": True, "c": "x"}  # not mutated
    assert prune_hidden(schema, ui, {"a": True, "b": True, "c": "x"}) == {
        "a": True, "b": True, "c": "x"}


def test_conditions_inside_array_items_apply_per_row() -> None:
    schema = {"type": "object", "properties": {"people": {"type": "array", "items": {
        "type": "object",
        "properties": {"kind": {"enum": ["人", "公司"]}, "code": {"type": "string"}},
        "allOf": [{"if": {"properties": {"kind": {"const": "公司"}}, "required": ["kind"]},
                   "then": {"required": ["code"]}}],
    }}}}
    data = {"people": [{"kind": "人", "code": "1"}, {"kind": "公司"}]}
    assert visible_paths(schema, None, data) == [
        "people", "people.0.kind", "people.1.kind", "people.1.code"]
    assert prune_hidden(schema, None, data) == {"people": [{"kind": "人"}, {"kind": "公司"}]}
    assert [e.message for e in validate(schema, data)] == ["「people 第 2 项 · code」为必填项"]


def test_enterprise_agent_appears_only_for_an_entrusted_applicant() -> None:
    m = matter()
    schema, ui = m["form"], m["ui"]
    base = defaults(schema)
    assert "agent" not in visible_paths(schema, ui, base)
    assert "/agent" not in {e.pointer for e in validate(schema, base | {"agent": {}}, ui=ui)}
    entrusted = base | {"applicant_role": "委托代理人", "agent": {"name": "代"}}
    assert "agent.mobile" in visible_paths(schema, ui, entrusted)
    pointers = {e.pointer for e in validate(schema, entrusted, ui=ui)}
    assert {"/agent/id_no", "/agent/mobile"} <= pointers
    hidden_bank = base | {"bank_appointment": False, "bank": "x"}
    assert "bank" not in prune_hidden(schema, ui, hidden_bank)
    assert "/bank" not in {e.pointer for e in validate(schema, hidden_bank, ui=ui)}
