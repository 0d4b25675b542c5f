"""The edits the guided editor makes; each returns a new model in canonical form."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Literal

from builder.guided.conditions import condition_fields
from builder.guided.document import from_doc, to_doc
from builder.guided.model import (
    GuidedError,
    GuidedField,
    GuidedMaterial,
    GuidedMatter,
    GuidedStep,
)


def _canonical(g: GuidedMatter) -> GuidedMatter:
    return from_doc(to_doc(g))


def _index(items: Iterable[Any], key: str, value: str, what: str) -> int:
    for i, item in enumerate(items):
        if getattr(item, key) == value:
            return i
    raise GuidedError(f"没有{what}「{value}」")


def _insert(items: tuple[Any, ...], item: Any, after: str | None, key: str,
            what: str) -> tuple[Any, ...]:
    if any(getattr(i, key) == getattr(item, key) for i in items):
        raise GuidedError(f"{what}「{getattr(item, key)}」已存在，请换一个标识")
    at = len(items) if after is None else _index(items, key, after, what) + 1
    return (*items[:at], item, *items[at:])


def _moved(names: list[str], name: str, direction: Literal["up", "down"]) -> list[str]:
    i = names.index(name)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(names):
        names[i], names[j] = names[j], names[i]
    return names


def add_field(g: GuidedMatter, f: GuidedField, after: str | None = None) -> GuidedMatter:
    """Add a field to the applicant form (at the end, or after the field ``after``)."""
    fields = _insert(g.fields, f, after, "name", "字段")
    order = g.field_order
    if order is not None:
        at = order.index(after) + 1 if after in order else len(order)
        order = (*order[:at], f.name, *order[at:])
    return _canonical(replace(g, fields=fields, field_order=order))


def update_field(g: GuidedMatter, name: str, **changes: Any) -> GuidedMatter:
    """Change attributes of a field (use ``rename_field`` for its name)."""
    if changes.get("name", name) != name:
        raise GuidedError("修改字段标识请使用 rename_field")
    i = _index(g.fields, "name", name, "字段")
    return _canonical(replace(g, fields=_replaced(g.fields, i, replace(g.fields[i], **changes))))


def field_references(g: GuidedMatter, name: str) -> list[str]:
    """Where a field is used by a condition, in words (empty when it is unused)."""
    refs = [f"字段「{f.label}」的显示条件" for f in g.fields
            if f.name != name and name in condition_fields(f.visible_when)]
    refs += [f"材料「{m.name}」的收取条件" for m in g.materials if name in condition_fields(m.when)]
    refs += [f"环节「{s.name}」的办理条件" for s in g.steps if name in condition_fields(s.when)]
    return refs


def remove_field(g: GuidedMatter, name: str) -> GuidedMatter:
    """Remove a field with its hints and its ``allOf`` rules; refused while a condition
    of another field, a material or a step still tests it."""
    i = _index(g.fields, "name", name, "字段")
    refs = field_references(g, name)
    if refs:
        raise GuidedError(f"字段「{g.fields[i].label}」仍被{'、'.join(refs)}使用，请先修改这些条件")
    form_extra = dict(g.form_extra)
    if isinstance(form_extra.get("required"), list):
        form_extra["required"] = [n for n in form_extra["required"] if n != name]
    if isinstance(form_extra.get("allOf"), list):
        rules = [r for r in (_without(rule, name) for rule in form_extra["allOf"]) if r]
        if rules:
            form_extra["allOf"] = rules
        else:
            del form_extra["allOf"]
    order = g.field_order and tuple(n for n in g.field_order if n != name)
    hints = {p: h for p, h in g.hints_extra.items() if p.split(".")[0] != name}
    return _canonical(replace(g, fields=g.fields[:i] + g.fields[i + 1:], field_order=order,
                              form_extra=form_extra, hints_extra=hints))


def _without(rule: Any, name: str) -> Any:
    """An ``allOf`` rule without ``name``: None when the rule tests it or only it is left."""
    if not isinstance(rule, dict) or name not in condition_fields(rule):
        return rule
    if name in condition_fields(rule.get("if")):
        return None
    out = copy.deepcopy(rule)
    for key in ("then", "else"):
        part = out.get(key)
        if isinstance(part, dict) and isinstance(part.get("required"), list):
            part["required"] = [n for n in part["required"] if n != name]
            if not part["required"]:
                del part["required"]
    return out if any(out.get(k) for k in ("then", "else")) else None


def rename_field(g: GuidedMatter, old: str, new: str) -> GuidedMatter:
    """Rename a field everywhere: order, hints, required, conditions and rules."""
    _index(g.fields, "name", old, "字段")
    if any(f.name == new for f in g.fields):
        raise GuidedError(f"字段「{new}」已存在，请换一个标识")
    doc = to_doc(g)
    form, ui = doc["form"], doc.get("ui", {})
    form["properties"] = {new if k == old else k: v for k, v in form["properties"].items()}
    if isinstance(form.get("required"), list):
        form["required"] = [new if n == old else n for n in form["required"]]
    for rule in form.get("allOf", []):
        _rename_in(rule, old, new)
    if isinstance(ui.get("order"), list):
        ui["order"] = [new if n == old else n for n in ui["order"]]
    if isinstance(ui.get("fields"), dict):
        ui["fields"] = {_renamed_path(p, old, new): h for p, h in ui["fields"].items()}
        for hint in ui["fields"].values():
            _rename_in(hint.get("visible_when") if isinstance(hint, dict) else None, old, new)
    for item in [*doc.get("materials", []), *doc["steps"]]:
        _rename_in(item.get("when"), old, new)
    return from_doc(doc)


def _renamed_path(path: str, old: str, new: str) -> str:
    head, dot, rest = path.partition(".")
    return f"{new}{dot}{rest}" if head == old else path


def _rename_in(schema: Any, old: str, new: str) -> None:
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("properties"), dict) and old in schema["properties"]:
        schema["properties"] = {new if k == old else k: v
                                for k, v in schema["properties"].items()}
    if isinstance(schema.get("required"), list):
        schema["required"] = [new if n == old else n for n in schema["required"]]
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            _rename_in(sub, old, new)
    for key in ("not", "if", "then", "else"):
        _rename_in(schema.get(key), old, new)


def move_field(g: GuidedMatter, name: str, direction: Literal["up", "down"]) -> GuidedMatter:
    """Move a field one place up or down in the order the applicant sees."""
    _index(g.fields, "name", name, "字段")
    order = _moved(list(g.display_order), name, direction)
    rank = {n: i for i, n in enumerate(order)}
    fields = tuple(sorted(g.fields, key=lambda f: rank[f.name]))
    field_order = None if g.field_order is None else tuple(
        [n for n in order if n in g.field_order or n == name]
        + [n for n in g.field_order if n not in rank])
    return _canonical(replace(g, fields=fields, field_order=field_order))


def add_material(g: GuidedMatter, m: GuidedMaterial, after: str | None = None) -> GuidedMatter:
    """Add a material to the checklist."""
    return _canonical(replace(g, materials=_insert(g.materials, m, after, "id", "材料")))


def update_material(g: GuidedMatter, material_id: str, **changes: Any) -> GuidedMatter:
    """Change a material; a new id is also changed in the steps that use it."""
    i = _index(g.materials, "id", material_id, "材料")
    new_id = changes.get("id", material_id)
    if new_id != material_id and any(m.id == new_id for m in g.materials):
        raise GuidedError(f"材料「{new_id}」已存在，请换一个标识")
    steps = tuple(replace(s, materials=tuple(new_id if x == material_id else x
                                             for x in s.materials)) for s in g.steps)
    materials = _replaced(g.materials, i, replace(g.materials[i], **changes))
    return _canonical(replace(g, materials=materials, steps=steps))


def remove_material(g: GuidedMatter, material_id: str) -> GuidedMatter:
    """Remove a material, also from the steps that use it."""
    i = _index(g.materials, "id", material_id, "材料")
    steps = tuple(replace(s, materials=tuple(x for x in s.materials if x != material_id))
                  for s in g.steps)
    return _canonical(replace(g, materials=g.materials[:i] + g.materials[i + 1:], steps=steps))


def add_step(g: GuidedMatter, s: GuidedStep, after: str | None = None) -> GuidedMatter:
    """Add a step (at the end, or after the step ``after``)."""
    return _canonical(replace(g, steps=_insert(g.steps, s, after, "id", "环节")))


def update_step(g: GuidedMatter, step_id: str, **changes: Any) -> GuidedMatter:
    """Change a step's attributes (use ``rename_step`` for its id)."""
    if changes.get("id", step_id) != step_id:
        raise GuidedError("修改环节标识请使用 rename_step")
    i = _index(g.steps, "id", step_id, "环节")
    step = replace(g.steps[i], **changes)
    if "fields" in changes:  # a written order of required/outputs no longer applies
        step = replace(step, form_extra={k: v for k, v in step.form_extra.items()
                                         if k != "required"},
                       extra={k: v for k, v in step.extra.items() if k != "outputs"})
    return _canonical(replace(g, steps=_replaced(g.steps, i, step)))


def remove_step(g: GuidedMatter, step_id: str) -> GuidedMatter:
    """Remove a step and every need and read that points at it."""
    i = _index(g.steps, "id", step_id, "环节")
    steps = tuple(replace(s, needs=tuple(n for n in s.needs if n.step != step_id),
                          reads=tuple(r for r in s.reads if r.split(".")[0] != step_id))
                  for s in g.steps[:i] + g.steps[i + 1:])
    return _canonical(replace(g, steps=steps))


def rename_step(g: GuidedMatter, old: str, new: str) -> GuidedMatter:
    """Give a step a new id; needs and reads follow."""
    i = _index(g.steps, "id", old, "环节")
    if any(s.id == new for s in g.steps):
        raise GuidedError(f"环节「{new}」已存在，请换一个标识")

    def read(ref: str) -> str:
        up, dot, out = ref.partition(".")
        return f"{new}{dot}{out}" if up == old else ref

    steps = tuple(replace(s, id=new if j == i else s.id,
                          needs=tuple(replace(n, step=new) if n.step == old else n
                                      for n in s.needs),
                          reads=tuple(map(read, s.reads))) for j, s in enumerate(g.steps))
    return _canonical(replace(g, steps=steps))


def move_step(g: GuidedMatter, step_id: str, direction: Literal["up", "down"]) -> GuidedMatter:
    """Move a step one place up or down in the list (the plan follows ``needs``)."""
    _index(g.steps, "id", step_id, "环节")
    order = _moved([s.id for s in g.steps], step_id, direction)
    return _canonical(replace(g, steps=tuple(sorted(g.steps, key=lambda s: order.index(s.id)))))


def _replaced(items: tuple[Any, ...], i: int, item: Any) -> tuple[Any, ...]:
    return (*items[:i], item, *items[i + 1:])
