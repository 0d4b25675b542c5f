"""Validation of form data with messages in Simplified Chinese, placed at the right field.

Hidden fields are pruned first and never reported. Each jsonschema error becomes one
``FieldError`` per field at fault: a missing property is reported at the missing
field's pointer, not at its parent object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

from builder.formats import FORMATS, FormatProblem, odd_text
from runtime.forms.errors import FieldError
from runtime.forms.schema import (
    Part,
    Schema,
    display,
    enum_labels,
    enum_values,
    field_id,
    items_schema,
    label_of,
    ordered_names,
    pointer,
    properties,
    ui_order,
    validator_for,
)
from runtime.forms.text import MAX_DEPTH, text_message
from runtime.forms.visibility import hidden_paths, prune_hidden

_TYPE_WORDS = {
    "number": "数字",
    "integer": "整数",
    "string": "文字",
    "boolean": "是或否",
    "object": "一组信息",
    "array": "列表",
    "null": "空",
}
_FORMAT_WORDS = {
    "date": "请输入有效的日期（如 2026-01-31）",
    "email": "请输入有效的电子邮箱",
    "date-time": "请输入有效的日期和时间",
    "time": "请输入有效的时间",
    "uri": "请输入有效的网址",
}

_Message = Callable[[str, Any], str]
_SIMPLE: dict[str, _Message] = {
    "minimum": lambda lab, v: f"{lab}不能小于 {display(v)}",
    "maximum": lambda lab, v: f"{lab}不能大于 {display(v)}",
    "exclusiveMinimum": lambda lab, v: f"{lab}必须大于 {display(v)}",
    "exclusiveMaximum": lambda lab, v: f"{lab}必须小于 {display(v)}",
    "minLength": lambda lab, v: f"{lab}不能少于 {v} 个字符",
    "maxLength": lambda lab, v: f"{lab}不能超过 {v} 个字符",
    "minItems": lambda lab, v: f"{lab}至少填写 {v} 项",
    "maxItems": lambda lab, v: f"{lab}最多 {v} 项",
    "multipleOf": lambda lab, v: f"{lab}应为 {display(v)} 的整数倍",
    "uniqueItems": lambda lab, v: f"{lab}不能有重复项",
}


def validate(
    schema: Schema,
    data: Mapping[str, Any],
    *,
    ui: Schema | None = None,
    prefix: str = "",
) -> list[FieldError]:
    """Every problem with ``data``, in form order; answers of hidden fields are ignored.

    ``prefix`` must match the one given to ``build_fields`` so that ``field_id`` links work.
    """
    pruned = prune_hidden(schema, ui, data)
    hidden = set(hidden_paths(schema, ui, pruned))
    found: dict[tuple[str, str], tuple[tuple[int, ...], FieldError]] = {}
    odds = odd_text(pruned, MAX_DEPTH)
    odd = [(list(o.path), f"{_quoted(schema, list(o.path))}{text_message(o)}") for o in odds]
    too_deep = any(o.kind == "depth" for o in odds)  # JSON Schema would recurse that deep
    errors = () if too_deep else validator_for(schema).iter_errors(pruned)
    for parts, message in [*odd, *(pair for e in errors for pair in _translate(schema, e))]:
        names = [".".join(str(p) for p in parts[: i + 1]) for i in range(len(parts))]
        if any(name in hidden for name in names):
            continue
        dotted = ".".join(str(p) for p in parts)
        where = pointer(parts)
        full = f"{prefix}.{dotted}" if prefix and dotted else dotted
        item = FieldError(where, field_id(full), message)
        found.setdefault((where, message), (_order(schema, ui, parts), item))
    return [item for _, item in sorted(found.values(), key=lambda pair: pair[0])]


def _order(schema: Schema, ui: Schema | None, parts: Sequence[Part]) -> tuple[int, ...]:
    key: list[int] = []
    node, top = schema, True
    for part in parts:
        if isinstance(part, int):
            key.append(part)
            node = items_schema(node)
            continue
        names = ordered_names(node, ui_order(ui) if top else ())
        key.append(names.index(part) if part in names else len(names))
        node, top = properties(node).get(part, {}), False
    return tuple(key)


def _quoted(schema: Schema, parts: Sequence[Part]) -> str:
    return f"「{label_of(schema, parts)}」"


def _translate(root: Schema, error: ValidationError) -> list[tuple[list[Part], str]]:
    parts: list[Part] = list(error.absolute_path)
    keyword = str(error.validator)
    value = error.validator_value
    instance = error.instance
    sub = error.schema if isinstance(error.schema, Mapping) else {}
    if keyword in ("required", "dependentRequired") and isinstance(instance, Mapping):
        if keyword == "required":
            wanted = list(value)
        else:
            wanted = [d for k, deps in value.items() if k in instance for d in deps]
        return [
            ([*parts, name], f"{_quoted(root, [*parts, name])}为必填项")
            for name in wanted
            if name not in instance
        ]
    label = _quoted(root, parts)
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        known = properties(sub)
        extras = [k for k in instance if k not in known] if isinstance(instance, Mapping) else []
        where = f"{label}中" if parts else ""
        return [(parts, f"{where}不允许的字段：{'、'.join(str(k) for k in extras)}")]
    if keyword in ("anyOf", "oneOf"):
        if enum_values(sub) is not None:
            return [(parts, _enum_message(label, sub))]
        if error.context:
            inner = best_match(error.context)
            if inner is not None:
                return _translate(root, inner)
    if keyword == "type":
        kinds = [value] if isinstance(value, str) else [k for k in value if k != "null"]
        word = _TYPE_WORDS.get(str(kinds[0]) if kinds else "null", "正确的类型")
        return [(parts, f"{label}应为{word}")]
    if keyword == "enum":
        return [(parts, _enum_message(label, sub))]
    if keyword == "const":
        expected = "必须选择“是”" if value is True else f"应为「{display(value)}」"
        return [(parts, f"{label}{expected}")]
    if keyword == "format":
        return [(parts, _format_message(label, str(value), error.cause))]
    if keyword == "pattern":
        return [(parts, _pattern_message(label, sub))]
    simple = _SIMPLE.get(keyword)
    if simple is not None:
        return [(parts, simple(label, value))]
    return [(parts, f"{label}填写内容不符合要求")]


def _enum_message(label: str, schema: Schema) -> str:
    choices = "、".join(text for _, text in enum_labels(schema))
    return f"{label}请从以下选项中选择：{choices}"


def _format_message(label: str, fmt: str, cause: BaseException | None) -> str:
    """What the answer should look like: why a Chinese format failed, or its example."""
    if isinstance(cause, FormatProblem):
        return f"{label}{cause.text}"
    if fmt in FORMATS:
        return f"{label}{FORMATS[fmt].expected}"
    return f"{label}{_FORMAT_WORDS.get(fmt, '格式不正确')}"


def _pattern_message(label: str, schema: Schema) -> str:
    """A pattern means nothing to an applicant: say the field's description or example."""
    description = schema.get("description")
    if isinstance(description, str) and description.strip():
        return f"{label}格式不正确，应为：{description.strip()}"
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return f"{label}格式不正确，应与示例一致，如：{display(examples[0])}"
    return f"{label}格式不正确，应符合规则：{schema.get('pattern', '')}"
