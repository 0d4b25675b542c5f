"""Conditions read as plain Chinese on the one-time notice."""

from __future__ import annotations

from runtime.services.describe import FALLBACK, describe_condition

FORM = {"properties": {"needs_seal": {"type": "boolean", "title": "申请刻制印章"},
                       "capital": {"type": "number", "title": "注册资本（万元）"},
                       "kind": {"type": "string", "title": "企业类型"}}}


def test_common_shapes() -> None:
    assert describe_condition(None, FORM) == ""
    assert describe_condition({"required": ["needs_seal"],
                               "properties": {"needs_seal": {"const": True}}},
                              FORM) == "当选择“申请刻制印章”时"
    assert describe_condition({"properties": {"capital": {"minimum": 5000}}},
                              FORM) == "当“注册资本（万元）” ≥ 5000时"
    assert describe_condition({"properties": {"kind": {"enum": ["股份有限公司", "外资"]},
                                              "needs_seal": {"const": False}}},
                              FORM) == "当“企业类型”为 股份有限公司、外资，且未选择“申请刻制印章”时"


def test_anything_else_is_not_guessed() -> None:
    assert describe_condition({"anyOf": [{}]}, FORM) == FALLBACK
    assert describe_condition({"properties": {"kind": {"pattern": "^a"}}}, FORM) == FALLBACK
