"""Plain-Chinese descriptions of catalog conditions, for the one-time notice.

A ``when`` is a JSON Schema fragment; applicants need "注册资本 ≥ 5000 时需要". Common
shapes are described; anything else reads "视申请情况而定" rather than guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FALLBACK = "视申请情况而定"


def _title(form: Mapping[str, Any], name: str) -> str:
    prop = form.get("properties", {}).get(name, {})
    return str(prop.get("title", name)) if isinstance(prop, dict) else name


def _value(value: Any) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)


def _clause(title: str, rule: Mapping[str, Any]) -> str | None:
    parts = []
    if "const" in rule:
        const = rule["const"]
        parts.append(f"选择“{title}”" if const is True else
                     f"未选择“{title}”" if const is False else f"“{title}”为 {_value(const)}")
    if "enum" in rule and isinstance(rule["enum"], list):
        parts.append(f"“{title}”为 " + "、".join(_value(v) for v in rule["enum"]))
    for key, word in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"),
                      ("exclusiveMaximum", "<")):
        if key in rule:
            parts.append(f"“{title}” {word} {_value(rule[key])}")
    known = {"const", "enum", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum",
             "type", "title"}
    if not parts or set(rule) - known:
        return None
    return "且".join(parts)


def describe_condition(condition: Mapping[str, Any] | None, form: Mapping[str, Any]) -> str:
    """``""`` when there is no condition; else when it applies, in Chinese."""
    if not condition:
        return ""
    props = condition.get("properties")
    known = {"properties", "required", "type"}
    if not isinstance(props, dict) or set(condition) - known:
        return FALLBACK
    clauses = []
    for name, rule in props.items():
        clause = _clause(_title(form, name), rule) if isinstance(rule, dict) else None
        if clause is None:
            return FALLBACK
        clauses.append(clause)
    return "当" + "，且".join(clauses) + "时" if clauses else FALLBACK
