"""Checks of input data: JSON Schema forms and materials, reported with locations.

Each problem is a detail ``{pointer, message, keyword, params}``: ``message`` in English
for developers, ``keyword`` and ``params`` for whoever says it in Chinese (a pattern's
``pattern`` and the field's ``description``; a format's ``format``, ``reason`` and
``expected``, the latter already in Chinese). Details of formats, patterns and refused
text also carry ``message_zh``, what is wrong to follow the field's title. Before JSON
Schema sees the data, its text and shape are checked: no control characters or lone
surrogates, nesting at most ``MAX_DEPTH`` deep, and no key the form does not define.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from jsonschema import ValidationError

from builder.formats import FORMATS, FormatProblem, odd_text
from builder.spec import Material, Schema
from runtime.engine.compiled import Compiled, validator
from runtime.engine.errors import ValidationFailed

Detail = dict[str, Any]


def pointer(path: Iterable[str | int]) -> str:
    """A JSON pointer (RFC 6901) for a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


MAX_DEPTH = 32
"""The deepest nesting of objects and lists in case or task data (forms need about 4)."""

def problem(where: str, message: str, keyword: str,
            params: Mapping[str, Any] | None = None) -> Detail:
    """One detail of a `ValidationFailed` about an argument or a data location."""
    found: Detail = {"pointer": where, "message": message, "keyword": keyword}
    if params:
        found["params"] = dict(params)
    return found


def form_problems(schema: Schema | None, data: Any) -> list[Detail]:
    """Every way ``data`` breaks ``schema`` (no schema: only an empty object passes)."""
    shape = text_problems(data)
    if any(d["keyword"] == "depth" for d in shape):  # too deep for JSON Schema to walk
        return shape
    if schema is None:
        if data:
            return [*shape, problem("", "this step records no data", "form")]
        return shape
    found: dict[tuple[str, str], Detail] = {(d["pointer"], d["message"]): d for d in shape}
    for detail in _unknown_keys(schema, schema, data, ()):
        found.setdefault((detail["pointer"], detail["message"]), detail)
    for error in validator(schema).iter_errors(data):
        for detail in _details(error):
            found.setdefault((detail["pointer"], detail["message"]), detail)
    return sorted(found.values(), key=lambda d: (d["pointer"], d["message"]))


def text_problems(value: Any, *, limit: int = MAX_DEPTH) -> list[Detail]:
    """Strings (values and keys) with a control character or a lone surrogate, and places
    nested deeper than ``limit`` (see ``builder.formats.odd_text``)."""
    found: list[Detail] = []
    for odd in odd_text(value, limit):
        where, what = pointer(odd.path), "a key" if odd.key else "text"
        zh = "名称" if odd.key else "内容"
        if odd.kind == "depth":
            found.append({**problem(where, f"nested more than {limit} levels deep", "depth",
                                    {"limit": limit}), "message_zh": f"嵌套超过 {limit} 层"})
        elif odd.kind == "surrogate":
            found.append({**problem(where, f"{what} with a lone UTF-16 surrogate "
                                           f"({odd.character})", "surrogate",
                                    {"character": odd.character, "key": odd.key}),
                          "message_zh": f"{zh}含有无效的 Unicode 字符（{odd.character}）"})
        else:
            found.append({**problem(where, f"{what} with the control character "
                                           f"{odd.character}", "control_character",
                                    {"character": odd.character, "key": odd.key}),
                          "message_zh": f"{zh}含有不允许的控制字符（{odd.character}）"})
    return found


def _unknown_keys(root: Schema, schema: Any, data: Any,
                  path: tuple[str | int, ...]) -> Iterator[Detail]:
    """Keys of ``data`` the form does not define, where the form does not say that
    other keys are allowed (``additionalProperties``, ``patternProperties``)."""
    if isinstance(data, list):
        items = schema.get("items") if isinstance(schema, Mapping) else None
        for i, item in enumerate(data):
            yield from _unknown_keys(root, items, item, (*path, i))
        return
    if not isinstance(data, Mapping) or not isinstance(schema, Mapping):
        return
    defined = _defined(root, schema)
    if defined is None:
        return
    for key, value in data.items():
        where = (*path, key)
        if key not in defined:
            yield problem(pointer(where), f"{key!r} is not a field of the form",
                          "additionalProperties", {"property": key})
        else:
            for sub in defined[key]:
                yield from _unknown_keys(root, sub, value, where)


def _defined(root: Schema, schema: Mapping[str, Any],
             depth: int = 0) -> dict[str, list[Any]] | None:
    """The properties ``schema`` defines for an object, through ``allOf``/``anyOf``/
    ``oneOf``/``then``/``else`` and local ``$ref``; None when it allows any other key."""
    if depth > MAX_DEPTH or any(k in schema for k in (
            "additionalProperties", "patternProperties", "unevaluatedProperties")):
        return None
    if not any(k in schema for k in ("properties", "allOf", "anyOf", "oneOf", "then", "else",
                                     "$ref", "required")) and schema.get("type") != "object":
        return None  # not an object schema: nothing is said about keys
    found: dict[str, list[Any]] = {}
    props = schema.get("properties")
    for name, sub in (props.items() if isinstance(props, Mapping) else ()):
        found.setdefault(name, []).append(sub)
    parts: list[Any] = [schema.get("then"), schema.get("else"), _local(root, schema.get("$ref"))]
    for key in ("allOf", "anyOf", "oneOf"):
        listed = schema.get(key)
        parts += listed if isinstance(listed, list) else []
    for part in parts:
        if not isinstance(part, Mapping):
            continue
        more = _defined(root, part, depth + 1)
        if more is None and any(k in part for k in (
                "additionalProperties", "patternProperties", "unevaluatedProperties")):
            return None
        for name, subs in (more or {}).items():
            found.setdefault(name, []).extend(subs)
    return found


def _local(root: Schema, ref: Any) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return None
    node: Any = root
    for part in ref[2:].split("/"):
        node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(
            node, Mapping) else None
    return node


def _details(error: ValidationError) -> list[Detail]:
    base = list(error.absolute_path)
    instance = error.instance
    keyword = str(error.validator)
    if keyword == "required" and isinstance(instance, Mapping):
        return [problem(pointer([*base, name]), f"{name!r} is a required property", "required")
                for name in error.validator_value if name not in instance]
    if keyword == "additionalProperties" and isinstance(instance, Mapping):
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        extra = [k for k in instance if k not in known]
        if extra:
            return [problem(pointer([*base, k]), f"{k!r} is not a field of the form",
                            "additionalProperties", {"property": k}) for k in extra]
    found = problem(pointer(base), error.message, keyword, _params(error))
    said = _said(keyword, found.get("params", {}))
    if said:
        found["message_zh"] = said
    return [found]


def _said(keyword: str, params: Mapping[str, Any]) -> str:
    """What a format or pattern expects, in Chinese, to follow the field's title."""
    if keyword == "format":
        return str(params.get("expected") or "格式不正确")
    if keyword == "pattern":
        if params.get("description"):
            return f"格式不正确，应为：{params['description']}"
        if params.get("examples"):
            return f"格式不正确，应与示例一致，如：{params['examples'][0]}"
        return f"格式不正确，应符合规则：{params.get('pattern', '')}"
    return ""


def _params(error: ValidationError) -> dict[str, Any]:
    """What a renderer needs to explain the failed keyword (the expected value, mostly)."""
    keyword, expected = str(error.validator), error.validator_value
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if keyword == "format":
        cause = error.cause if isinstance(error.cause, FormatProblem) else None
        known = FORMATS.get(str(expected))
        return {"format": expected, "reason": cause.reason if cause else "format",
                "expected": cause.text if cause else (known.expected if known else "")}
    if keyword == "pattern":
        return {"pattern": expected, "description": schema.get("description", ""),
                "examples": list(schema.get("examples", []))[:1]}
    if keyword in ("enum", "const", "type", "minimum", "maximum", "exclusiveMinimum",
                   "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
                   "multipleOf", "uniqueItems", "minProperties", "maxProperties"):
        return {"expected": expected}
    return {}


def check_form(schema: Schema | None, data: Any) -> None:
    """Raise `ValidationFailed` listing every problem of ``data`` against ``schema``."""
    details = form_problems(schema, data)
    if details:
        raise ValidationFailed(details)


def material_problems(spec: Compiled, data: Mapping[str, Any], materials: Any,
                      excused: Callable[[Material], bool]) -> list[Detail]:
    """Unknown ids, bad file lists, and required applicable materials missing.

    ``excused(material)`` says whether a missing required material may stay missing
    (deferrable at submission, deferred at acceptance).
    """
    if not isinstance(materials, Mapping):
        return [problem("/materials", "materials must be an object of file-id lists", "type")]
    found: list[Detail] = []
    for material_id, files in materials.items():
        if material_id not in spec.materials:
            found.append(material_problem(material_id, "unknown material", "unknown"))
        elif not _file_list(files):
            found.append(material_problem(material_id, "must be a list of file ids", "type"))
    for material in spec.matter.applicable_materials(data):
        if material.required and not materials.get(material.id) and not excused(material):
            found.append(material_problem(material.id, f"{material.name} is required", "required"))
    return found


def material_problem(material_id: str, message: str, keyword: str) -> Detail:
    """One detail about a material: ``pointer`` is ``/materials/<id>`` as in the forms."""
    return {"pointer": pointer(["materials", material_id]), "material": material_id,
            "message": message, "keyword": keyword}


def _file_list(files: Any) -> bool:
    return isinstance(files, list) and all(isinstance(f, str) and f for f in files)


def require_text(name: str, value: Any) -> str:
    """A non-blank string argument (reason, opinion, note) or `ValidationFailed`."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed([problem("/" + name, f"{name} is required", "required")])
    odd = text_problems(value)
    if odd:
        raise ValidationFailed([{**d, "pointer": "/" + name} for d in odd])
    return value
