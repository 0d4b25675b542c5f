"""Checks of input data: JSON Schema forms and materials, reported with locations."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jsonschema import ValidationError

from builder.spec import Material, Schema
from runtime.engine.compiled import Compiled, validator
from runtime.engine.errors import ValidationFailed

Detail = dict[str, Any]


def pointer(path: Iterable[str | int]) -> str:
    """A JSON pointer (RFC 6901) for a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def problem(where: str, message: str, keyword: str) -> Detail:
    """One detail of a `ValidationFailed` about an argument or a data location."""
    return {"pointer": where, "message": message, "keyword": keyword}


def form_problems(schema: Schema | None, data: Any) -> list[Detail]:
    """Every way ``data`` breaks ``schema`` (no schema: only an empty object passes)."""
    if schema is None:
        if data:
            return [problem("", "this step records no data", "form")]
        return []
    found: dict[tuple[str, str], Detail] = {}
    for error in validator(schema).iter_errors(data):
        for detail in _details(error):
            found.setdefault((detail["pointer"], detail["message"]), detail)
    return sorted(found.values(), key=lambda d: (d["pointer"], d["message"]))


def _details(error: ValidationError) -> list[Detail]:
    base = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, Mapping):
        return [problem(pointer([*base, name]), f"{name!r} is a required property", "required")
                for name in error.validator_value if name not in instance]
    if error.validator == "additionalProperties" and isinstance(instance, Mapping):
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        extra = [k for k in instance if k not in known]
        if extra:
            return [problem(pointer([*base, k]), f"{k!r} is not an allowed property",
                            "additionalProperties") for k in extra]
    return [problem(pointer(base), error.message, str(error.validator))]


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
    return value
