"""Applicant actions: create, save, submit, answer a supplement notice, withdraw.

Every action takes the case and returns a NEW case (the input is never modified).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from builder.spec import MatterSpec
from runtime.engine.actions import case_guard
from runtime.engine.actor import Actor
from runtime.engine.compiled import Compiled, compiled
from runtime.engine.errors import ValidationFailed
from runtime.engine.events import SCHEMA_VERSION, Document, Writer, clone, iso, new_id
from runtime.engine.flow import cancel_open
from runtime.engine.moves import check_case, move_case, spec_of
from runtime.engine.register import Entry, take, taken_materials
from runtime.engine.states import CASE, CaseAction, Role
from runtime.engine.validation import (
    Detail,
    form_problems,
    material_problem,
    material_problems,
    pointer,
    problem,
)


def new_case(matter: MatterSpec, actor: Actor, now: datetime, *,
             data: Mapping[str, Any] | None = None,
             materials: Mapping[str, Any] | None = None, applicant: str | None = None,
             on_behalf_of: Mapping[str, str] | None = None,
             agent_point: Mapping[str, Any] | None = None,
             forward: Mapping[str, Any] | None = None,
             new_id: Callable[[str], str] = new_id) -> Document:
    """A draft case of ``matter`` for the applicant ``actor``, or entered by the window
    ``actor`` for the walk-in ``applicant`` (窗口代录: the window may then fill it in), or
    by the agent ``actor`` for the person or company ``on_behalf_of`` (全程代办)."""
    CASE.check(None, CaseAction.CREATE, actor.role)
    if actor.role == Role.WINDOW and not applicant:
        raise ValidationFailed([problem("/applicant", "name the walk-in applicant", "required")])
    if (actor.role == Role.AGENT) != bool(on_behalf_of):
        raise ValidationFailed([problem("/on_behalf_of", "an agent, and only an agent, names "
                                        "whom it acts for", "required")])
    spec = compiled(matter)
    data, materials = _draft_input(spec, data or {}, materials or {})
    at = iso(now)
    w = Writer({}, at)
    move_case(w, CaseAction.CREATE, actor)
    fields: dict[str, Any] = {
        "schema": SCHEMA_VERSION, "id": new_id("c_"), "number": None, "matter": matter.id,
        "matter_version": matter.version,
        "applicant": applicant if actor.role == Role.WINDOW else actor.id,
        "entered_by": actor.id if actor.role == Role.WINDOW else None, "holder": "",
        "data": data, "materials": materials, "created_at": at, "submitted_at": None,
        "accepted_at": None, "decided_at": None, "closed_at": None, "supplement": None,
        "deferred": [], "outputs": {}, "certificates": [], "tasks": [], "notes": [],
    }
    if on_behalf_of:  # the agent, its service point and a village case's forwarding
        fields.update(agent=actor.id, on_behalf_of=dict(on_behalf_of))
        if agent_point:
            fields["agent_point"] = dict(agent_point)
        if forward:
            fields["forward"] = dict(forward)
    for key, value in fields.items():
        w.set([key], value)
    return w.result()


def save_draft(case: Document, matter: MatterSpec, actor: Actor, now: datetime, *,
               data: Mapping[str, Any] | None = None,
               materials: Mapping[str, Any] | None = None,
               on_behalf_of: Mapping[str, str] | None = None) -> Document:
    """Replace the draft's data and/or materials (checked only for shape and known ids);
    an agent's draft may name its principal anew (``on_behalf_of``, 全程代办)."""
    spec = spec_of(case, matter)
    check_case(case, CaseAction.SAVE_DRAFT, actor)
    if on_behalf_of is not None and (not case.get("agent") or not on_behalf_of):
        raise ValidationFailed([problem("/on_behalf_of", "only an agent's draft names whom "
                                        "it acts for", "required")])
    new_data, new_materials = _draft_input(
        spec, case["data"] if data is None else data,
        case["materials"] if materials is None else materials)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.SAVE_DRAFT, actor)
    if data is not None:
        w.set(["data"], new_data)
    if materials is not None:
        w.set(["materials"], new_materials)
    if on_behalf_of is not None and dict(on_behalf_of) != case.get("on_behalf_of"):
        w.set(["on_behalf_of"], dict(on_behalf_of))
    return w.result()


def submit(case: Document, matter: MatterSpec, actor: Actor, now: datetime, *,
           register: Mapping[str, Entry] | None = None,
           forward: Mapping[str, Any] | None = None) -> Document:
    """Submit the draft: data valid for the form, required materials present.

    Required materials that are ``deferrable`` may be missing: the window decides at
    acceptance whether to accept without them (容缺受理). ``register`` holds the holder's
    valid certificates by kind: what they satisfy needs no upload (免提交) and the fields
    they fill are locked (`runtime.engine.register`). ``forward`` is the 转报 a village
    agent's case starts when it is submitted (`runtime.engine.agency.forwarding`).
    """
    spec = spec_of(case, matter)
    check_case(case, CaseAction.SUBMIT, actor)
    data, taken = take(matter, case["data"], register or {})
    _check_submission(spec, data, case["materials"], _entrustment(case, case["materials"]),
                      taken)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.SUBMIT, actor)
    w.set(["submitted_at"], w.at)
    if forward and case.get("agent") and not case.get("forward"):
        w.set(["forward"], dict(forward))  # a village agent's draft: 转报 due from now
    if data is not case["data"]:
        w.set(["data"], data)
    if taken or case.get("register"):
        w.set(["register"], taken)
    w.set(["holder"], holder_of(spec, data))
    if case["matter_version"] != matter.version:
        w.set(["matter_version"], matter.version)
    return w.result()


def answer_supplement(case: Document, matter: MatterSpec, actor: Actor, now: datetime, *,
                      data: Mapping[str, Any] | None = None,
                      materials: Mapping[str, Any] | None = None,
                      register: Mapping[str, Entry] | None = None) -> Document:
    """Answer the supplement notice with the whole data / materials, changed only where
    the notice lists a field or material; the case goes back to submitted."""
    spec = spec_of(case, matter)
    check_case(case, CaseAction.ANSWER_SUPPLEMENT, actor)
    case_guard(case, CaseAction.ANSWER_SUPPLEMENT)
    items = case["supplement"]["items"]
    fields = {i["field"] for i in items if "field" in i}
    listed = {i["material"] for i in items if "material" in i}
    old_data, old_materials = case["data"], case["materials"]
    new_data = old_data if data is None else clone(data)
    new_materials = old_materials if materials is None else clone(materials)
    if not isinstance(new_data, dict):
        raise ValidationFailed([problem("", "data must be an object", "type")])
    unlisted: list[Detail] = [
        problem(pointer([key]), f"{key!r} is not listed in the supplement notice", "supplement")
        for key in _changed(old_data, new_data) if key not in fields]
    if isinstance(new_materials, dict):
        unlisted += [material_problem(key, f"{key!r} is not listed in the supplement notice",
                                      "supplement")
                     for key in _changed(old_materials, new_materials) if key not in listed]
    if unlisted:
        raise ValidationFailed(unlisted)
    new_data, taken = take(matter, new_data, register or {})
    _check_submission(spec, new_data, new_materials,
                      [*_unanswered(items, new_data, old_materials, new_materials),
                       *_entrustment(case, new_materials)], taken)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.ANSWER_SUPPLEMENT, actor)
    if new_data != old_data:
        w.set(["data"], new_data)
    if new_materials != old_materials:
        w.set(["materials"], new_materials)
    w.set(["supplement"], None)
    if taken != case.get("register"):
        w.set(["register"], taken)
    w.set(["holder"], holder_of(spec, new_data))
    return w.result()


def withdraw(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
             reason: str = "") -> Document:
    """The applicant withdraws the case; its open tasks become cancelled."""
    spec_of(case, matter)
    check_case(case, CaseAction.WITHDRAW, actor)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.WITHDRAW, actor, reason)
    w.set(["closed_at"], w.at)
    cancel_open(w, "申请人撤回申请")
    return w.result()


def _unanswered(items: list[Mapping[str, Any]], data: Mapping[str, Any],
                old_materials: Mapping[str, Any], materials: Any) -> list[Detail]:
    """Every item of the notice is answered: a listed field has a value, a listed
    material new files (the window asked for them: the old ones will not do)."""
    details: list[Detail] = []
    for item in items:
        if "field" in item and data.get(item["field"]) in (None, "", [], {}):
            details.append(problem(pointer([item["field"]]),
                                   f"{item['field']!r} is listed in the supplement notice",
                                   "answered"))
        if "material" in item:
            key = item["material"]
            given = materials.get(key) if isinstance(materials, Mapping) else None
            if not given or given == old_materials.get(key):
                details.append(material_problem(
                    key, f"{key!r} is listed in the supplement notice: upload a new file",
                    "answered"))
    return details


ENTRUSTMENT = "entrustment"
"""The material every matter accepts, and requires from an agent: the signed letter of
entrustment (授权委托书) naming the matter and the powers."""


def _entrustment(case: Mapping[str, Any], materials: Any) -> list[Detail]:
    if not case.get("agent"):
        return []
    if isinstance(materials, Mapping) and materials.get(ENTRUSTMENT):
        return []
    return [material_problem(ENTRUSTMENT, "an agent applies with the signed entrustment "
                                          "letter", "required")]


def holder_of(spec: Compiled, data: Mapping[str, Any]) -> str:
    """Who certificates are issued to: the first non-empty string field, in form order."""
    for name in spec.holder_fields:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _check_submission(spec: Compiled, data: Any, materials: Any,
                      details: list[Detail] | None = None,
                      taken: Mapping[str, Any] | None = None) -> None:
    details = [*(details or ()), *form_problems(spec.matter.form, data)]
    present = taken_materials({"register": taken})
    if isinstance(data, Mapping):
        details += material_problems(spec, data, materials,
                                     lambda m: m.deferrable or m.id in present)
    if details:
        raise ValidationFailed(details)


def _draft_input(spec: Compiled, data: Any, materials: Any) -> tuple[dict[str, Any],
                                                                     dict[str, Any]]:
    if not isinstance(data, Mapping):
        raise ValidationFailed([problem("", "data must be an object", "type")])
    details = material_problems(spec, {}, materials, lambda m: True)
    if details:
        raise ValidationFailed(details)
    return clone(data), clone(materials)


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    keys = [*old, *(k for k in new if k not in old)]
    return [k for k in keys if k not in old or k not in new or old[k] != new[k]]
