"""Which notifications a case change causes: a pure function of the case before and
after the change (the events it appended), the matter and the department names.

No I/O and no clock: `derive` returns `Draft`s naming an audience (the applicant, a
department's officers, one person, the lead department); `runtime.services.notices`
resolves them to people and writes them in the same batch as the change. The key of
a draft is its case id, the event's ``seq`` and its kind, so a change derived twice
yields the same keys (and the store the same rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from builder import MatterSpec
from runtime.engine.states import CaseAction, TaskAction, TaskStatus
from runtime.engine.timing import CLOCKED
from runtime.services.problems import Titles
from runtime.services.reading import supplement_items

Document = dict[str, Any]
NameOf = Callable[[str], str]
"""A department's name by id."""

APPLICANT, DEPARTMENT, PERSON, LEAD, ROLE = "applicant", "department", "person", "lead", "role"
DECISIONS = {TaskAction.APPROVE: "准予通过", TaskAction.REJECT: "不予通过",
             TaskAction.CONSENT: "超时默许（视为同意）"}


@dataclass(frozen=True)
class Audience:
    """Who a draft is for: the case's applicant (or agent), every officer of a
    department, one person, or the lead department's officers."""

    kind: str
    ref: str = ""


@dataclass(frozen=True)
class Draft:
    """One notification to write: its kind, audience, the values its template fills,
    when, and the key that makes it idempotent; ``exclude`` is who caused it."""

    key: str
    kind: str
    audience: Audience
    case: str
    seq: int
    at: str
    values: Mapping[str, str] = field(default_factory=dict)
    exclude: str = ""
    scope: str = ""  # for notices not caused by an event: what makes the id unique


def due_text(iso: str | None) -> str:
    """A due time as people read it: ``2026-12-01 12:00``."""
    return "" if not iso else iso[:16].replace("T", " ")


def new_events(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[Document]:
    """The events ``new`` appended to ``old``."""
    before = len((old or {}).get("events") or ())
    return list((new.get("events") or [])[before:])


def derive(old: Mapping[str, Any] | None, new: Mapping[str, Any], matter: MatterSpec,
           department_name: NameOf) -> list[Draft]:
    """Every notification the change from ``old`` to ``new`` causes, in event order."""
    titles = Titles(matter)
    case_values = {"matter": matter.name, "number": new.get("number") or "",
                   "query_code": new.get("query_code") or ""}
    tasks = {t["id"]: t for t in new.get("tasks") or ()}
    before = {t["id"]: t for t in (old or {}).get("tasks") or ()}
    out: list[Draft] = []
    for event in new_events(old, new):
        seq = int(event["seq"])
        base = f"{new['id']}/{seq}"
        at, actor = event["at"], event.get("actor") or ""

        def draft(kind: str, audience: Audience, values: Mapping[str, str],
                  suffix: str = "", *, base: str = base, at: str = at,
                  actor: str = actor, seq: int = seq) -> Draft:
            return Draft(f"{base}/{kind}{suffix}", kind, audience, new["id"], seq, at,
                         {**case_values, **values}, actor)

        if event.get("entity") == "task":
            task = tasks.get(event.get("task") or "")
            if task is None:
                continue
            values = {"step": titles.step(task["step"]),
                      "department": department_name(task["department"]),
                      "due": due_text(task.get("due")), "note": event.get("note") or ""}
            if event["action"] == TaskAction.RESCHEDULE:
                values["old_due"] = due_text((before.get(task["id"]) or {}).get("due"))
            out += _task_drafts(event, task, values, matter, draft)
        else:
            out += _case_drafts(event, new, matter, draft)
    moved = [d for d in out if d.kind == "deadline_moved"]
    if moved and promised(old) != promised(new):  # the applicant's end date moves
        last = moved[-1]
        out.append(Draft(f"{new['id']}/{last.seq}/case_deadline_moved", "case_deadline_moved",
                         Audience(APPLICANT), new["id"], last.seq, last.at,
                         {**case_values, "due": due_text(promised(new)),
                          "old_due": due_text(promised(old))}))
    return out


def promised(case: Mapping[str, Any] | None) -> str | None:
    """When the case should end as its running deadlines say: the latest of them."""
    dues = [t["due"] for t in (case or {}).get("tasks") or ()
            if t.get("due") and t["status"] in CLOCKED]
    return max(dues, key=datetime.fromisoformat) if dues else None


Make = Callable[..., Draft]


def _task_drafts(event: Mapping[str, Any], task: Mapping[str, Any], values: dict[str, str],
                 matter: MatterSpec, draft: Make) -> Iterable[Draft]:
    action, department = event["action"], task["department"]
    if action == TaskAction.RELEASE:
        yield draft("task_ready", Audience(DEPARTMENT, department), values)
    elif action == TaskAction.URGE:
        holder = task.get("claimed_by")
        who = Audience(PERSON, holder) if holder else Audience(DEPARTMENT, department)
        yield draft("task_urged", who, values)
    elif action == TaskAction.TRANSFER and task.get("claimed_by"):
        yield draft("task_transferred", Audience(PERSON, task["claimed_by"]), values)
    elif action == TaskAction.RESCHEDULE:
        yield draft("deadline_moved", Audience(DEPARTMENT, department), values)
    elif action in DECISIONS:
        decided = {**values, "decision": DECISIONS[TaskAction(action)]}
        yield draft("step_decided", Audience(APPLICANT), decided)
        if action == TaskAction.REJECT:
            yield draft("lead_rejected", Audience(LEAD, matter.lead),
                        {**values, "reason": event.get("note") or ""})


def _case_drafts(event: Mapping[str, Any], case: Mapping[str, Any], matter: MatterSpec,
                 draft: Make) -> Iterable[Draft]:
    action = event["action"]
    applicant = Audience(APPLICANT)
    if action == CaseAction.ACCEPT:
        yield draft("accepted", applicant, {})
    elif action == CaseAction.REQUEST_SUPPLEMENT:
        items = supplement_items(matter, case.get("supplement"))
        text = "；".join(f"{i + 1}. {item.title}：{item.reason}" for i, item in enumerate(items))
        yield draft("supplement_requested", applicant, {"items": text})
    elif action == CaseAction.REFUSE:
        yield draft("refused", applicant, {"reason": event.get("note") or ""})
    elif action == CaseAction.APPROVE:
        yield draft("approved", applicant, {})
        names = _certificates(case, matter)
        if names:
            yield draft("certificates_ready", applicant, {"certificates": "、".join(names)})
    elif action == CaseAction.REJECT:
        yield draft("rejected", applicant, {"reason": _reasons(case)})
    elif action == CaseAction.DELIVER:
        yield draft("delivered", applicant, {})


def _certificates(case: Mapping[str, Any], matter: MatterSpec) -> list[str]:
    """The certificates (证照) of the approved steps, once each, in step order."""
    approved = {t["step"] for t in case.get("tasks") or () if t["status"] == TaskStatus.APPROVED}
    names: list[str] = []
    for step in matter.steps:
        if step.id in approved and step.certificate and step.certificate.name not in names:
            names.append(step.certificate.name)
    return names


def _reasons(case: Mapping[str, Any]) -> str:
    """The reasons the rejected tasks gave."""
    found = [str((t.get("decision") or {}).get("opinion") or "")
             for t in case.get("tasks") or () if t["status"] == TaskStatus.REJECTED]
    return "；".join(r for r in found if r) or "见办件详情"
