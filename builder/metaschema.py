"""Validate catalog documents against the shipped meta-schemas, in users' words.

jsonschema's own messages speak of instances and schemas; centre staff need "step
'seal': unknown key 'depends_on' (did you mean 'needs'?)" at the key's line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from builder.errors import Problem
from builder.fastcheck import Check, compile_schema
from builder.names import did_you_mean
from builder.source import Path_, Source

KINDS = ("matter", "departments", "centre", "calendar")


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


def describe(path: Path_, doc: Any) -> str:
    """A readable name for a place in a matter: ``step 'seal'``, ``material 'id-card'``."""
    if len(path) >= 2 and path[0] in ("steps", "materials", "departments") and isinstance(
            path[1], int):
        kind = {"steps": "step", "materials": "material", "departments": "department"}[
            str(path[0])]
        try:
            item_id = doc[path[0]][path[1]].get("id")
        except (AttributeError, IndexError, KeyError, TypeError):
            item_id = None
        head = f"{kind} '{item_id}'" if isinstance(item_id, str) else f"{kind} #{path[1] + 1}"
        rest = _dotted(path[2:])
        return f"{head} {rest}".rstrip() if rest else head
    return _dotted(path) or "the document"


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _translate(src: Source, error: ValidationError) -> Iterator[Problem]:
    path: Path_ = tuple(error.absolute_path)
    where = describe(path, src.value)
    value = error.instance
    keyword = error.validator
    if keyword == "additionalProperties" and isinstance(value, dict):
        allowed = sorted(error.schema.get("properties", {}))
        for key in value:
            if key in allowed or (not allowed and isinstance(
                    error.schema.get("additionalProperties"), dict)):
                continue
            hint = did_you_mean(key, allowed)
            valid = f"; valid keys: {', '.join(allowed)}" if allowed else ""
            owner = "" if where == "the document" else f"{where}: "
            yield src.problem((*path, key), f"{owner}unknown key '{key}'{hint}{valid}",
                              key=True)
        return
    if keyword == "required" and isinstance(value, dict):
        for key in error.validator_value:
            if key not in value:
                yield src.problem(path, f"{where}: missing required key '{key}'", key=True)
        return
    if path and isinstance(path[-1], str):
        owner = describe(path[:-1], src.value)
        subject = f"'{path[-1]}'" if owner == "the document" else f"{owner}: '{path[-1]}'"
        yield src.problem(path, f"{subject} {_message(error)}", key=True)
        return
    yield src.problem(path, f"{where}: {_message(error)}", key=bool(path))


_TYPE_NAMES = {"string": "text", "number": "a number", "integer": "a whole number",
               "boolean": "true or false", "object": "a mapping", "array": "a list",
               "null": "empty"}


def _got(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: ValidationError) -> str:
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        return (f"must be {' or '.join(_TYPE_NAMES.get(n, n) for n in names)}, "
                f"got {_got(value)}")
    if keyword == "enum":
        return f"must be one of: {', '.join(map(str, expected))}; got {_got(value)}"
    if keyword == "const":
        return f"must be {_got(expected)}, got {_got(value)}"
    if keyword == "pattern":
        if expected == "^[a-z][a-z0-9-]*$":
            return (f"{_got(value)} is not a valid id: use lowercase letters, digits and '-', "
                    "starting with a letter")
        if "\\." in str(expected):
            return f"{_got(value)} must be STEP.OUTPUT, e.g. license.license_no"
        return f"{_got(value)} does not match the pattern {expected}"
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {"minimum": "at least", "maximum": "at most",
                 "exclusiveMinimum": "greater than", "exclusiveMaximum": "less than"}
        return f"must be {words[keyword]} {expected}, got {_got(value)}"
    if keyword in ("minItems", "maxItems"):
        word = "at least" if keyword == "minItems" else "at most"
        return f"must list {word} {expected} item(s)"
    if keyword == "minLength":
        return "must not be empty" if expected == 1 else f"must have at least {expected} characters"
    if keyword == "maxLength":
        return f"must have at most {expected} characters"
    if keyword == "uniqueItems":
        return f"lists the same item twice: {_got(value)}"
    if keyword == "format" and expected == "regex":
        reason = f" ({error.cause})" if error.cause else ""
        return f"must be a valid regular expression, got {_got(value)}{reason}"
    if keyword == "oneOf":
        return _one_of_message(error)
    if keyword == "propertyNames":
        return f"has an invalid key: {error.message}"
    return error.message


def _one_of_message(error: ValidationError) -> str:
    schema_path = "/".join(str(p) for p in error.schema_path)
    value = error.instance
    if "need" in schema_path or (error.absolute_path and "needs" in error.absolute_path):
        return (f"a need must be a step id or {{step: ID, at: finish|preliminary}}, "
                f"got {_got(value)}")
    if "certificate" in error.absolute_path:
        return f"must be a name or {{name: ..., number: OUTPUT}}, got {_got(value)}"
    if "holidays" in error.absolute_path:
        return f"a holiday must be {{date: D, name: ...}} or {{from: D, to: D, name: ...}}, " \
               f"got {_got(value)}"
    return f"is not valid: {_got(value)}"


def check_json_schema(src: Source, path: Path_, what: str) -> list[Problem]:
    """Problems with a user-written JSON Schema (a form or a condition) at ``path``."""
    schema = src.value
    for part in path:
        schema = schema[part]
    problems: list[Problem] = []
    errors = () if _simple_schema(schema) else _schema_errors(json.dumps(schema, sort_keys=True))
    for inner, message in errors:
        problems.append(src.problem(
            (*path, *inner), f"{describe(path, src.value)}: {what} is not a valid JSON "
                             f"Schema: {message}"))
    for ref_path, ref in _refs(schema, path):
        if not ref.startswith("#"):
            problems.append(src.problem(
                ref_path, f"{describe(path, src.value)}: {what} may only use local '$ref' "
                          f"(starting with '#'), not {ref!r}: remote schemas are never fetched"))
    return problems


@lru_cache(maxsize=4096)
def _schema_errors(text: str) -> tuple[tuple[Path_, str], ...]:
    """(relative path, message) of every meta-schema error; catalogs repeat the same
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


def _schema_message(error: ValidationError) -> str:
    if error.absolute_path and error.absolute_path[-1] == "type" and isinstance(
            error.instance, str):
        return (f"'{error.instance}' is not a type; use one of {', '.join(_JSON_TYPES)}"
                f"{did_you_mean(error.instance, _JSON_TYPES)}")
    best = best_match(error.context) if error.context else error
    where = "/".join(str(p) for p in error.absolute_path)
    return f"'{where}' {_message(best)}" if where else _message(best)


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
