"""Window actions (综合窗口): pre-review, supplement notice, refuse, accept, deferred
materials, delivery. Each returns a NEW case."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from builder.spec import MatterSpec
from runtime.engine.actions import case_guard
from runtime.engine.actor import SYSTEM, Actor
from runtime.engine.calendar import WorkCalendar
from runtime.engine.compiled import Compiled
from runtime.engine.errors import ValidationFailed
from runtime.engine.events import Document, Writer, iso, new_id
from runtime.engine.flow import settle
from runtime.engine.moves import check_case, move_case, move_task, spec_of
from runtime.engine.register import taken_materials
from runtime.engine.states import TASK, CaseAction, TaskAction, TaskStatus
from runtime.engine.validation import (
    Detail,
    form_problems,
    material_problems,
    problem,
    require_text,
)

Deferral = str | tuple[str, datetime]
"""A deferred material: its id (due at the matter's time limit) or (id, due)."""


def pre_review(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
               note: str) -> Document:
    """Record the window's pre-review note (预审) on a submitted case."""
    spec_of(case, matter)
    check_case(case, CaseAction.PRE_REVIEW, actor)
    require_text("note", note)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.PRE_REVIEW, actor, note)
    w.append(["notes"], {"by": actor.id, "at": w.at, "note": note})
    return w.result()


def request_supplement(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
                       items: Sequence[Mapping[str, Any]]) -> Document:
    """Ask for corrections in ONE notice (一次性告知) listing every item with its reason."""
    spec = spec_of(case, matter)
    check_case(case, CaseAction.REQUEST_SUPPLEMENT, actor)
    notice = _notice_items(spec, items)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.REQUEST_SUPPLEMENT, actor,
              "；".join(i["reason"] for i in notice))
    w.set(["supplement"], {"items": notice, "requested_at": w.at, "requested_by": actor.id})
    return w.result()


def refuse(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
           reason: str) -> Document:
    """Refuse the application (不予受理) with a reason."""
    spec_of(case, matter)
    check_case(case, CaseAction.REFUSE, actor)
    require_text("reason", reason)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.REFUSE, actor, reason)
    if case["supplement"] is not None:
        w.set(["supplement"], None)
    w.set(["closed_at"], w.at)
    return w.result()


def accept(case: Document, matter: MatterSpec, actor: Actor, now: datetime, *,
           number: str, calendar: WorkCalendar, deferred: Iterable[Deferral] = (),
           new_id: Callable[[str], str] = new_id, query_code: str | None = None) -> Document:
    """Accept (受理) under ``number`` and start: one task per applicable step × department.

    ``deferred`` lists required materials accepted as missing (容缺受理); each must be
    ``deferrable`` and is due at the matter's time limit unless a due date is given.
    ``query_code`` is the code printed on the receipt for the public query (网上查询).
    """
    spec = spec_of(case, matter)
    check_case(case, CaseAction.ACCEPT, actor)
    if not isinstance(number, str) or not number.strip():
        raise ValidationFailed([problem("/number", "number is required", "required")])
    data, materials = case["data"], case["materials"]
    later = _deferrals(spec, data, materials, deferred, now, calendar)
    details = form_problems(matter.form, data)
    taken = taken_materials(case)
    details += material_problems(spec, data, materials, lambda m: m.id in later or m.id in taken)
    if details:
        raise ValidationFailed(details)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.ACCEPT, actor, number)
    w.set(["number"], number)
    if query_code is not None:
        w.set(["query_code"], query_code)
    w.set(["accepted_at"], w.at)
    if case["matter_version"] != matter.version:
        w.set(["matter_version"], matter.version)
    if later:
        w.set(["deferred"], [_owed(spec, m, due) for m, due in later.items()])
    move_case(w, CaseAction.START, actor)
    TASK.check(None, TaskAction.CREATE, actor.role)
    applicable = {s.id for s in matter.applicable_steps(data)}
    tasks = [_task(new_id("t_"), case["id"], step.id, department)
             for step in matter.steps for department in step.departments]
    w.set(["tasks"], tasks)
    for index, task in enumerate(tasks):
        if task["step"] not in applicable:
            move_task(w, index, TaskAction.SKIP, SYSTEM, "本案不适用该环节")
    settle(w, spec, now, calendar)
    return w.result()


def supply_deferred(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
                    material: str, file_ids: Sequence[str]) -> Document:
    """Record a deferred material as supplied (容缺补齐)."""
    spec_of(case, matter)
    check_case(case, CaseAction.SUPPLY_DEFERRED, actor)
    case_guard(case, CaseAction.SUPPLY_DEFERRED)
    index = next((i for i, d in enumerate(case["deferred"])
                  if d["material"] == material and not d["supplied"]), None)
    if index is None:
        raise ValidationFailed([problem("/material", f"{material!r} is not awaiting supply",
                                        "deferred")])
    files = list(file_ids) if not isinstance(file_ids, str) else []
    if not files or not all(isinstance(f, str) and f for f in files):
        raise ValidationFailed([problem("/file_ids", "give at least one file id", "required")])
    w = Writer(case, iso(now))
    move_case(w, CaseAction.SUPPLY_DEFERRED, actor, material)
    w.set(["materials", material], files)
    w.set(["deferred", index, "supplied"], True)
    return w.result()


def deliver(case: Document, matter: MatterSpec, actor: Actor, now: datetime) -> Document:
    """Hand over the result (送达); an approval only once every deferred material is in."""
    spec_of(case, matter)
    check_case(case, CaseAction.DELIVER, actor)
    case_guard(case, CaseAction.DELIVER)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.DELIVER, actor)
    w.set(["closed_at"], w.at)
    return w.result()


def _owed(spec: Compiled, material_id: str, due: str | None) -> Document:
    """A deferred material's entry; due after a step's decision (``after``, ``days``)
    when the catalog says so, its date then known only once that step is decided."""
    entry: Document = {"material": material_id, "due": due, "supplied": False}
    material = spec.materials[material_id]
    if due is None and material.deferred_after:
        entry.update(after=material.deferred_after, days=material.deferred_days)
    return entry


def _task(task_id: str, case_id: str, step_id: str, department: str) -> Document:
    return {
        "id": task_id, "case": case_id, "step": step_id, "department": department,
        "status": TaskStatus.WAITING.value, "previous": None, "ready_at": None, "due": None,
        "provisional": False, "limit_days": None, "claimed_by": None, "preliminary": None,
        "decision": None, "suspensions": [], "urges": [],
    }


def _notice_items(spec: Compiled, items: Sequence[Mapping[str, Any]]) -> list[Document]:
    if isinstance(items, Mapping | str) or not items:
        raise ValidationFailed([problem("/items", "list at least one item", "minItems")])
    # each field and material at most once: a notice longer than that is no notice
    limit = len(spec.fields) + len(spec.materials)
    if len(items) > limit:
        raise ValidationFailed([problem("/items", f"list at most {limit} items (the matter's "
                                                  "fields and materials)", "maxItems",
                                        {"limit": limit})])
    details: list[Detail] = []
    notice: list[Document] = []
    for n, item in enumerate(items):
        here = f"/items/{n}"
        if not isinstance(item, Mapping):
            details.append(problem(here, "an item is {field|material, reason}", "type"))
            continue
        kinds = [k for k in ("field", "material") if k in item]
        reason = item.get("reason")
        extra = sorted(set(item) - {"field", "material", "reason"})
        if len(kinds) != 1:
            details.append(problem(here, "name exactly one field or material", "oneOf"))
        elif kinds[0] == "field" and item["field"] not in spec.fields:
            details.append(problem(f"{here}/field", f"no form field {item['field']!r}", "enum"))
        elif kinds[0] == "material" and item["material"] not in spec.materials:
            details.append(problem(f"{here}/material", f"no material {item['material']!r}",
                                   "enum"))
        if not isinstance(reason, str) or not reason.strip():
            details.append(problem(f"{here}/reason", "reason is required", "required"))
        details += [problem(f"{here}/{k}", f"unknown key {k!r}", "additionalProperties")
                    for k in extra]
        if len(kinds) == 1:
            notice.append({kinds[0]: item[kinds[0]], "reason": reason})
    if details:
        raise ValidationFailed(details)
    return notice


def _deferrals(spec: Compiled, data: Mapping[str, Any], materials: Mapping[str, Any],
               deferred: Iterable[Deferral], now: datetime,
               calendar: WorkCalendar) -> dict[str, str | None]:
    applicable = {m.id for m in spec.matter.applicable_materials(data)}
    later: dict[str, str | None] = {}
    details: list[Detail] = []
    default_due: str | None = None
    for n, entry in enumerate(deferred):
        material_id, due = (entry, None) if isinstance(entry, str) else entry
        here = f"/deferred/{n}"
        material = spec.materials.get(material_id)
        if material is None:
            details.append(problem(here, f"no material {material_id!r}", "enum"))
        elif not material.deferrable:
            details.append(problem(here, f"{material.name} may not be deferred", "deferrable"))
        elif material_id not in applicable:
            details.append(problem(here, f"{material.name} does not apply", "applicable"))
        elif materials.get(material_id):
            details.append(problem(here, f"{material.name} is already supplied", "supplied"))
        elif material_id in later:
            details.append(problem(here, f"{material.name} listed twice", "uniqueItems"))
        elif due is not None:
            later[material_id] = iso(due)
        elif material.deferred_after:
            later[material_id] = None  # due `days` after that step is decided
        elif material.deferred_days:
            later[material_id] = iso(now + timedelta(days=material.deferred_days))
        else:
            if default_due is None:
                default_due = iso(calendar.add(now, spec.matter.time_limit).at)
            later[material_id] = default_due
    if details:
        raise ValidationFailed(details)
    return later
