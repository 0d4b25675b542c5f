"""Form data checks: details carry a keyword and the params a renderer needs."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.engine.errors import ValidationFailed
from runtime.engine.events import CLONE_DEPTH, clone
from runtime.engine.validation import MAX_DEPTH, form_problems

FORM: dict[str, Any] = {
    "type": "object",
    "$defs": {"person": {"type": "object", "properties": {"name": {"type": "string"}}}},
    "properties": {
        "licence": {"type": "string", "format": "uscc"},
        "code": {"type": "string", "pattern": "^[A-Z]+$", "description": "大写字母"},
        "owner": {"$ref": "#/$defs/person"},
        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "rows": {"type": "array", "items": {"type": "object",
                                            "properties": {"n": {"type": "integer"}}}},
        "kind": {"enum": ["a", "b"]},
    },
    "allOf": [{"if": {"properties": {"kind": {"const": "b"}}},
               "then": {"properties": {"extra": {"type": "string"}}}}],
}


def _by_pointer(data: Any) -> dict[str, dict[str, Any]]:
    return {d["pointer"]: d for d in form_problems(FORM, data)}


def test_a_format_detail_says_which_format_why_and_what_is_expected_in_chinese() -> None:
    detail = _by_pointer({"licence": "91530100MA6K0000AX"})["/licence"]
    assert detail["keyword"] == "format"
    assert detail["params"] == {"format": "uscc", "reason": "checksum",
                                "expected": "应为 18 位统一社会信用代码，末位校验码不正确"}
    assert detail["message_zh"] == "应为 18 位统一社会信用代码，末位校验码不正确"
    assert _by_pointer({"licence": "91530100MA6K0000AY"}) == {}


def test_a_pattern_detail_carries_the_pattern_and_the_field_description() -> None:
    detail = _by_pointer({"code": "abc"})["/code"]
    assert detail["keyword"] == "pattern"
    assert detail["params"] == {"pattern": "^[A-Z]+$", "description": "大写字母", "examples": []}
    assert detail["message_zh"] == "格式不正确，应为：大写字母"


def test_keys_the_form_does_not_define_are_refused_where_they_are() -> None:
    found = _by_pointer({"owner": {"name": "甲", "age": 3}, "rows": [{"n": 1, "x": 2}],
                         "tags": {"any": "allowed"}, "extra": "defined by then",
                         "sneaky": True})
    assert set(found) == {"/owner/age", "/rows/0/x", "/sneaky"}
    assert found["/sneaky"] == {"pointer": "/sneaky", "keyword": "additionalProperties",
                                "message": "'sneaky' is not a field of the form",
                                "params": {"property": "sneaky"}}


@pytest.mark.parametrize(("text", "keyword", "character"), [
    ("a\x00b", "control_character", "U+0000"), ("\x1b[2J", "control_character", "U+001B"),
    ("\x85", "control_character", "U+0085"), ("x\ud800", "surrogate", "U+D800"),
])
def test_control_characters_and_lone_surrogates_are_refused(text: str, keyword: str,
                                                             character: str) -> None:
    detail = _by_pointer({"code": text})["/code"]
    assert (detail["keyword"], detail["params"]["character"]) == (keyword, character)
    assert _by_pointer({"code": "ABC\n\tDEF\r\n"}).get("/code", {}).get("keyword") == "pattern"


def test_data_nested_900_levels_is_one_located_problem_not_a_recursion_error() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(900):
        node["k"] = {}
        node = node["k"]
    assert form_problems(FORM, {"tags": deep}) == [{
        "pointer": "/tags" + "/k" * (MAX_DEPTH - 1), "keyword": "depth",
        "message": f"nested more than {MAX_DEPTH} levels deep", "params": {"limit": MAX_DEPTH},
        "message_zh": f"嵌套超过 {MAX_DEPTH} 层"}]
    with pytest.raises(ValidationFailed) as err:
        clone(deep)
    assert err.value.details[0]["params"] == {"limit": CLONE_DEPTH}
