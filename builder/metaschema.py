"""Validate catalog documents against the shipped meta-schemas, in users' words.

jsonschema's own messages speak of instances and schemas; centre staff need "step
'seal': unknown key 'depends_on' (did you mean 'needs'?)" at the key's line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, NamedTuple

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from builder.errors import Problem
from builder.fastcheck import Check, compile_schema
from builder.formats import KNOWN_FORMATS, pattern_problem
from builder.names import closest, hint_text
from builder.source import Path_, Source

KINDS = ("matter", "departments", "centre", "calendar", "notifications")


@cache
def meta_schema(kind: str) -> dict[str, Any]:
    """The shipped meta-schema for a kind of catalog file."""
    text = resources.files("builder").joinpath(f"schemas/{kind}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(meta_schema(kind))


@cache
def _fast(kind: str) -> Check:
    return compile_schema(meta_schema(kind))


def check_document(src: Source, kind: str) -> list[Problem]:
    """Every meta-schema violation in ``src``, each at the offending key or value."""
    if _fast(kind)(src.value):
        return []
    problems: list[Problem] = []
    for error in _validator(kind).iter_errors(src.value):
        problems.extend(_translate(src, error))
    return sorted(set(problems))


Place = tuple[str, str | int, str]
"""Where something is in a matter, as data: ``("step", "seal", "when")`` (kind, id or
1-based number, the rest of the path) or ``("", "", "ui.order")``; see ``describe``."""

_ITEMS = {"steps": "step", "materials": "material", "departments": "department"}


def place(path: Path_, doc: Any) -> Place:
    """The ``Place`` of ``path`` in ``doc``, for messages in any language."""
    if len(path) >= 2 and path[0] in _ITEMS and isinstance(path[1], int):
        try:
            item_id = doc[path[0]][path[1]].get("id")
        except (AttributeError, IndexError, KeyError, TypeError):
            item_id = None
        item = item_id if isinstance(item_id, str) else path[1] + 1
        return (_ITEMS[str(path[0])], item, _dotted(path[2:]))
    return ("", "", _dotted(path))


def english(where: Place) -> str:
    """A place in English: ``step 'seal' when``, ``material #2``, ``the document``."""
    kind, item, rest = where
    if not kind:
        return rest or "the document"
    head = f"{kind} '{item}'" if isinstance(item, str) else f"{kind} #{item}"
    return f"{head} {rest}".rstrip() if rest else head


def describe(path: Path_, doc: Any) -> str:
    """A readable name for a place in a matter: ``step 'seal'``, ``material 'id-card'``."""
    return english(place(path, doc))


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class Said(NamedTuple):
    """What one meta-schema rule says of a value: a code, its params, the English text."""

    code: str
    text: str
    params: Mapping[str, Any]


def _translate(src: Source, error: ValidationError) -> Iterator[Problem]:
    path: Path_ = tuple(error.absolute_path)
    where = place(path, src.value)
    value = error.instance
    keyword = error.validator
    if keyword == "additionalProperties" and isinstance(value, dict):
        allowed = sorted(error.schema.get("properties", {}))
        for key in value:
            if key in allowed or (not allowed and isinstance(
                    error.schema.get("additionalProperties"), dict)):
                continue
            hint = closest(key, allowed)
            valid = f"; valid keys: {', '.join(allowed)}" if allowed else ""
            owner = "" if english(where) == "the document" else f"{english(where)}: "
            yield src.problem((*path, key), f"{owner}unknown key '{key}'{hint_text(hint)}{valid}",
                              key=True, code="unknown_key", params={
                                  "where": where, "key": key, "hint": hint,
                                  "valid": tuple(allowed)})
        return
    if keyword == "required" and isinstance(value, dict):
        for key in error.validator_value:
            if key not in value:
                yield src.problem(path, f"{english(where)}: missing required key '{key}'",
                                  key=True, code="missing_key", params={"where": where, "key": key})
        return
    said = _message(error)
    if path and isinstance(path[-1], str):
        parent = place(path[:-1], src.value)
        subject = f"'{path[-1]}'" if english(parent) == "the document" else \
            f"{english(parent)}: '{path[-1]}'"
        yield src.problem(path, f"{subject} {said.text}", key=True, code=said.code,
                          params={**said.params, "where": parent, "field": path[-1]})
        return
    yield src.problem(path, f"{english(where)}: {said.text}", key=bool(path), code=said.code,
                      params={**said.params, "where": where, "field": None})


_TYPE_NAMES = {"string": "text", "number": "a number", "integer": "a whole number",
               "boolean": "true or false", "object": "a mapping", "array": "a list",
               "null": "empty"}

_BOUNDS = {"minimum": "at least", "maximum": "at most",
           "exclusiveMinimum": "greater than", "exclusiveMaximum": "less than"}


def _got(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: ValidationError) -> Said:
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword == "type":
        names = (expected,) if isinstance(expected, str) else tuple(expected)
        return Said("wrong_type", f"must be {' or '.join(_TYPE_NAMES.get(n, n) for n in names)}, "
                                  f"got {_got(value)}", {"types": names, "got": _got(value)})
    if keyword == "enum":
        options = tuple(map(str, expected))
        return Said("not_one_of", f"must be one of: {', '.join(options)}; got {_got(value)}",
                    {"options": options, "got": _got(value)})
    if keyword == "const":
        return Said("not_const", f"must be {_got(expected)}, got {_got(value)}",
                    {"expected": _got(expected), "got": _got(value)})
    if keyword == "pattern":
        if expected == "^[a-z][a-z0-9-]*$":
            return Said("invalid_id", f"{_got(value)} is not a valid id: use lowercase letters, "
                                      "digits and '-', starting with a letter",
                        {"got": _got(value)})
        if "\\." in str(expected):
            return Said("invalid_output_ref", f"{_got(value)} must be STEP.OUTPUT, e.g. "
                                              "license.license_no", {"got": _got(value)})
        return Said("pattern_mismatch", f"{_got(value)} does not match the pattern {expected}",
                    {"got": _got(value), "pattern": expected})
    if keyword in _BOUNDS:
        return Said("out_of_bounds", f"must be {_BOUNDS[keyword]} {expected}, got {_got(value)}",
                    {"bound": keyword, "limit": expected, "got": _got(value)})
    if keyword in ("minItems", "maxItems"):
        word = "at least" if keyword == "minItems" else "at most"
        return Said("item_count", f"must list {word} {expected} item(s)",
                    {"bound": keyword, "limit": expected})
    if keyword == "minLength":
        return Said("empty", "must not be empty", {}) if expected == 1 else Said(
            "too_short", f"must have at least {expected} characters", {"limit": expected})
    if keyword == "maxLength":
        return Said("too_long", f"must have at most {expected} characters", {"limit": expected})
    if keyword == "uniqueItems":
        return Said("repeated_item", f"lists the same item twice: {_got(value)}",
                    {"got": _got(value)})
    if keyword == "format" and expected == "regex":
        reason = str(error.cause) if error.cause else ""
        return Said("invalid_regex", f"must be a valid regular expression, got {_got(value)}"
                                     + (f" ({reason})" if reason else ""),
                    {"got": _got(value), "reason": reason})
    if keyword == "oneOf":
        return _one_of_message(error)
    if keyword == "propertyNames":
        return Said("invalid_key_name", f"has an invalid key: {error.message}",
                    {"detail": error.message})
    return Said("schema_rule", error.message, {"keyword": keyword, "detail": error.message})


def _one_of_message(error: ValidationError) -> Said:
    schema_path = "/".join(str(p) for p in error.schema_path)
    got = _got(error.instance)
    if "need" in schema_path or (error.absolute_path and "needs" in error.absolute_path):
        return Said("need_form", f"a need must be a step id or {{step: ID, at: finish|preliminary}}"
                                 f", got {got}", {"got": got})
    if "certificate" in error.absolute_path:
        return Said("certificate_form", f"must be a name or {{name: ..., number: OUTPUT}}, got "
                                        f"{got}", {"got": got})
    if "holidays" in error.absolute_path:
        return Said("holiday_form", f"a holiday must be {{date: D, name: ...}} or {{from: D, to: "
                                    f"D, name: ...}}, got {got}", {"got": got})
    return Said("not_valid", f"is not valid: {got}", {"got": got})


_WHAT = {"form": "the form", "step_form": "the step form", "condition": "the condition"}


def check_json_schema(src: Source, path: Path_, what: str) -> list[Problem]:
    """Problems with a user-written JSON Schema at ``path``; ``what`` it is: ``form``,
    ``step_form`` or ``condition``."""
    schema = src.value
    for part in path:
        schema = schema[part]
    problems: list[Problem] = []
    errors = () if _simple_schema(schema) else _schema_errors(json.dumps(schema, sort_keys=True))
    where, name = place(path, src.value), _WHAT[what]
    for inner, said in errors:
        problems.append(src.problem(
            (*path, *inner), f"{english(where)}: {name} is not a valid JSON Schema: {said.text}",
            code="invalid_json_schema", params={"where": where, "what": what, "inner": said}))
    problems += _pattern_and_format_problems(src, schema, path, where, what)
    for ref_path, ref in _refs(schema, path):
        if not ref.startswith("#"):
            problems.append(src.problem(
                ref_path, f"{english(where)}: {name} may only use local '$ref' "
                          f"(starting with '#'), not {ref!r}: remote schemas are never fetched",
                code="remote_ref", params={"where": where, "what": what, "ref": ref}))
    return problems


@lru_cache(maxsize=4096)
def _schema_errors(text: str) -> tuple[tuple[Path_, Said], ...]:
    """(relative path, finding) of every meta-schema error; catalogs repeat the same
    conditions and small forms many times, so each distinct schema is judged once."""
    errors = sorted(_META.iter_errors(json.loads(text)),
                    key=lambda e: list(map(str, e.absolute_path)))
    return tuple((tuple(e.absolute_path), _schema_message(e)) for e in errors)


_JSON_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")

# As ``check_schema`` does: with the format checker, a 'pattern' must be a valid regex.
_META = Draft202012Validator(Draft202012Validator.META_SCHEMA,
                             format_checker=Draft202012Validator.FORMAT_CHECKER)

# The simple schema checks no URI syntax, and jsonschema does not either unless rfc3987
# is installed; should it be, every schema goes to ``_META``.
_URIS_UNCHECKED = "uri-reference" not in Draft202012Validator.FORMAT_CHECKER.checkers


@cache
def _simple() -> Check:
    return compile_schema(meta_schema("simple-schema"))


def _simple_schema(schema: Any) -> bool:
    """A fast yes for the schemas users normally write, some 70x cheaper than ``_META``;
    every schema it accepts ``_META`` accepts too (tests/builder/test_fastcheck.py)."""
    return _URIS_UNCHECKED and _simple()(schema)


def _schema_message(error: ValidationError) -> Said:
    if error.absolute_path and error.absolute_path[-1] == "type" and isinstance(
            error.instance, str):
        hint = closest(error.instance, _JSON_TYPES)
        return Said("not_a_type", f"'{error.instance}' is not a type; use one of "
                                  f"{', '.join(_JSON_TYPES)}{hint_text(hint)}",
                    MappingProxyType({"got": error.instance, "types": _JSON_TYPES, "hint": hint}))
    best = best_match(error.context) if error.context else error
    where = "/".join(str(p) for p in error.absolute_path)
    said = _message(best)
    # cached and shared by every problem it is put in: read-only
    return Said(said.code, f"'{where}' {said.text}" if where else said.text,
                MappingProxyType({**said.params, "at": where}))


def _refs(node: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                yield (*path, key), value
            else:
                yield from _refs(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _refs(value, (*path, i))


# Values that are data, not schemas: a "pattern" key inside them is no pattern.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})


def _keywords(node: Any, path: Path_) -> Iterator[tuple[Path_, str, Any]]:
    """(path, keyword, value) of every keyword in a user schema, subschemas included."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _DATA_KEYWORDS:
                continue
            yield (*path, key), key, value
            if key in ("properties", "patternProperties", "$defs", "dependentSchemas") and \
                    isinstance(value, dict):
                for name, sub in value.items():
                    yield from _keywords(sub, (*path, key, name))
            else:
                yield from _keywords(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _keywords(value, (*path, i))


def _pattern_and_format_problems(src: Source, schema: Any, path: Path_, where: Place,
                                 what: str) -> list[Problem]:
    """Patterns must run in RE2 (linear time on any answer); formats must be known."""
    problems: list[Problem] = []
    patterned, unevaluated = None, None
    for at, key, value in _keywords(schema, path):
        if key == "pattern" and isinstance(value, str):
            problems += _pattern(src, at, value, where, what, key=False)
        elif key == "patternProperties" and isinstance(value, dict):
            patterned = patterned or at
            for pattern in value:
                if isinstance(pattern, str):
                    problems += _pattern(src, (*at, pattern), pattern, where, what, key=True)
        elif key == "unevaluatedProperties":
            unevaluated = unevaluated or at
        elif key == "format" and isinstance(value, str) and value not in KNOWN_FORMATS:
            hint = closest(value, KNOWN_FORMATS)
            known = tuple(sorted(KNOWN_FORMATS))
            problems.append(src.problem(
                at, f"{english(where)}: unknown format '{value}'{hint_text(hint)}; "
                    f"known formats: {', '.join(known)}", key=False, code="unknown_format",
                params={"where": where, "what": what, "format": value, "hint": hint,
                        "known": known}))
    if patterned and unevaluated:
        problems.append(src.problem(
            unevaluated, f"{english(where)}: 'unevaluatedProperties' cannot be used "
                         "together with 'patternProperties'; use 'additionalProperties'",
            key=True, code="unevaluated_with_patterns", params={"where": where, "what": what}))
    return problems


def _pattern(src: Source, at: Path_, pattern: str, where: Place, what: str, *,
             key: bool) -> list[Problem]:
    try:
        re.compile(pattern)
    except re.error:
        return []  # not a regular expression at all: the meta-schema says so
    reason = pattern_problem(pattern)
    if reason is None:
        return []
    return [src.problem(at, f"{english(where)}: the pattern '{pattern}' cannot be used: {reason} "
                            "(patterns run in RE2, which answers in linear time: no "
                            "backreferences, lookahead or lookbehind)", key=key,
                        code="unsafe_pattern",
                        params={"where": where, "what": what, "pattern": pattern,
                                "reason": reason})]
