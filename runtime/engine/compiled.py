"""What the engine derives once per matter spec (and per JSON Schema), cached.

Specs are immutable, so everything here is computed on first use and reused; the
caches are keyed by identity and hold the object itself so the key cannot be reused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from builder.formats import FORMAT_CHECKER, SafeValidator
from builder.spec import Material, MatterSpec, OnTimeout, Step

_LIMIT = 512  # distinct specs/schemas kept; a running app has a handful


@dataclass(frozen=True)
class Compiled:
    """Lookups the engine needs about one matter spec."""

    matter: MatterSpec
    steps: Mapping[str, Step]
    order: Mapping[str, int]
    materials: Mapping[str, Material]
    dependents: Mapping[str, frozenset[str]]  # steps that need it, transitively
    consent: frozenset[str]  # steps with on_timeout: consent
    fields: tuple[str, ...]  # top-level form fields, ui.order first
    holder_fields: tuple[str, ...]  # the string fields among them


_COMPILED: dict[int, Compiled] = {}
_VALIDATORS: dict[int, tuple[Any, Draft202012Validator]] = {}


def compiled(matter: MatterSpec) -> Compiled:
    """The cached `Compiled` of this spec object."""
    hit = _COMPILED.get(id(matter))
    if hit is not None and hit.matter is matter:
        return hit
    if len(_COMPILED) >= _LIMIT:
        _COMPILED.clear()
    built = _COMPILED[id(matter)] = _compile(matter)
    return built


def validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    """A Draft 2020-12 validator for this schema object, built once: patterns run in RE2,
    formats are checked, the Chinese ones included (``builder.formats``)."""
    hit = _VALIDATORS.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    if len(_VALIDATORS) >= _LIMIT:
        _VALIDATORS.clear()
    built = SafeValidator(schema, format_checker=FORMAT_CHECKER)
    _VALIDATORS[id(schema)] = (schema, built)
    return built


def _compile(matter: MatterSpec) -> Compiled:
    steps = {s.id: s for s in matter.steps}
    children: dict[str, list[str]] = {s: [] for s in steps}
    for step in matter.steps:
        for need in step.needs:
            if need.step in children:
                children[need.step].append(step.id)
    dependents: dict[str, frozenset[str]] = {}

    def below(step_id: str) -> frozenset[str]:
        # The builder guarantees the needs graph is acyclic.
        if step_id not in dependents:
            found: set[str] = set()
            for child in children[step_id]:
                found.add(child)
                found |= below(child)
            dependents[step_id] = frozenset(found)
        return dependents[step_id]

    for step_id in steps:
        below(step_id)
    properties = matter.form.get("properties") or {}
    order = [f for f in (matter.ui.get("order") or ()) if f in properties]
    fields = (*order, *(f for f in properties if f not in order))
    holder = tuple(f for f in fields if _is_string(properties[f]))
    return Compiled(
        matter=matter,
        steps=steps,
        order={s.id: i for i, s in enumerate(matter.steps)},
        materials={m.id: m for m in matter.materials},
        dependents=dependents,
        consent=frozenset(s.id for s in matter.steps if s.on_timeout is OnTimeout.CONSENT),
        fields=fields,
        holder_fields=holder,
    )


def _is_string(schema: Any) -> bool:
    if not isinstance(schema, Mapping):
        return False
    kind = schema.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)
