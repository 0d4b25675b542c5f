"""Read models: what a page shows about a case, computed once here, never in a view.

Every value a person reads comes with its title (step, department, field, material,
officer) and every state with its one label; the actions offered are exactly the ones
the engine allows this user now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from builder import Material, MatterSpec, Step
from builder.plan import Plan, make_plan, number
from runtime import forms
from runtime.engine import WorkCalendar, rating
from runtime.engine.states import CaseAction
from runtime.engine.vocabulary import (
    DECIDED_CASE,
    DECIDED_TASK,
    LIGHT_RANK,
    TASK_FILL,
    WORKABLE_TASK,
    action_label,
    case_label,
    task_label,
)
from runtime.services.document_kinds import KINDS
from runtime.services.problems import Titles

Document = Mapping[str, Any]
Light = Callable[[Document], str | None]
NameOf = Callable[[str], str]


@dataclass(frozen=True)
class ProgressRow:
    """One task of a case: where it stands, its deadline, its result."""

    task: Document
    step_name: str
    department: str
    status_label: str
    light: str | None
    expected: datetime | None
    decision_label: str
    outputs: dict[str, Any]
    claimer: str


@dataclass(frozen=True)
class Progress:
    """Every task of a case, the promised date and who is working on it now."""

    rows: list[ProgressRow]
    plan: Plan
    promised: datetime | None
    working: list[str]
    departments: dict[str, str]
    lead_name: str

    def step_states(self) -> dict[str, tuple[str, str, str | None]]:
        """step -> (state, fill, light) for the plan picture; a fan-out step shows its
        worst light."""
        states: dict[str, tuple[str, str, str | None]] = {}
        for row in self.rows:
            task = row.task
            previous = states.get(task["step"])
            if previous is None or LIGHT_RANK[row.light] < LIGHT_RANK[previous[2]]:
                states[task["step"]] = (task["status"], TASK_FILL.get(task["status"], "#fff"),
                                        row.light)
        return states


@dataclass(frozen=True)
class SupplementItem:
    """One item of the supplement notice, titled."""

    kind: str  # "field" or "material"
    key: str
    title: str
    reason: str


@dataclass(frozen=True)
class OwedMaterial:
    """A material accepted as missing (容缺) and when it is due."""

    material: str
    name: str
    due: datetime | None
    due_text: str
    supplied: bool
    overdue: bool


@dataclass(frozen=True)
class MaterialState:
    """The window's view of the materials: what applies, what is missing, what may wait."""

    applicable: list[Material]
    missing: list[Material]
    deferrable: list[Material]
    owed: list[OwedMaterial]


@dataclass(frozen=True)
class TimelineEntry:
    """One event as people read it."""

    seq: int
    at: str
    actor: str
    role: str
    action: str
    step: str
    note: str
    source: str
    target: str
    changes: list[tuple[str, Any, Any]]
    subject: str = "办件"
    """What the event is about, for the audit's 环节 column: the step, 好差评, or 办件."""


@dataclass(frozen=True)
class CaseView:
    """A case as one user sees it, with the actions they may take now."""

    case: Document
    matter: MatterSpec
    status_label: str
    actions: frozenset[str]
    progress: Progress
    materials: MaterialState
    supplement: list[SupplementItem]
    timeline: list[TimelineEntry]
    applicant: str
    entered_by: str
    files: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    task_actions: dict[str, frozenset[str]] = field(default_factory=dict)
    documents: list[tuple[str, str]] = field(default_factory=list)
    """Formal documents issued on the case: (kind, title), in print order."""
    owed: list[Any] = field(default_factory=list)
    """What the matter's fees come to for these answers (offered when issuing a notice)."""
    cashier: bool = False
    """The reader takes payments (收费窗口)."""
    agency: dict[str, Any] | None = None
    """全程代办 as pages show it (`runtime.services.forwarding.agency_view`)."""

    def may_on(self, task_id: str, action: str) -> bool:
        """Whether the user may take ``action`` on one of the case's tasks now."""
        return action in self.task_actions.get(task_id, frozenset())

    def may(self, action: str) -> bool:
        """Whether the user may take ``action`` now."""
        return action in self.actions

    def title_of(self, dotted: str) -> str:
        """A (nested) form field by its titles: ``建设单位·单位名称``."""
        return path_title(self.matter, dotted)

    @property
    def unpaid(self) -> bool:
        """A payment notice waits to be paid (delivery waits for it)."""
        return any(not n.get("paid") for n in self.case.get("fees") or ())

    @property
    def decided(self) -> bool:
        """The outcome is known and waits at the window (待出件)."""
        return self.case["status"] in DECIDED_CASE

    @property
    def answers(self) -> list[forms.Field]:
        """The applicant's answers as read-only fields with their titles."""
        return forms.build_fields(self.matter.form, self.matter.ui, self.case["data"])


@dataclass(frozen=True)
class ReadValue:
    """An upstream output a step reads (质监 sees the licence number)."""

    step: str
    title: str
    value: Any


@dataclass(frozen=True)
class TaskView:
    """A task page: the case, the task, what it reads, its pre-filled form, its actions."""

    view: CaseView
    task: Document
    step: Step
    light: str | None
    remaining: float | None
    actions: frozenset[str]
    reads: list[ReadValue]
    prefill: dict[str, Any]
    upstream: list[ProgressRow]
    colleagues: list[Any]
    claimer: str
    mine: bool

    def may(self, action: str) -> bool:
        """Whether the user may take ``action`` on this task now."""
        return action in self.actions


def path_title(matter: MatterSpec, dotted: str) -> str:
    """The titles along a dotted form path, joined by ``·``; ids where there is none."""
    node: Any = matter.form
    titles = []
    for part in dotted.split("."):
        props = node.get("properties") if isinstance(node, Mapping) else None
        node = props.get(part) if isinstance(props, Mapping) else None
        titles.append(str(node.get("title", part)) if isinstance(node, Mapping) else part)
    return "·".join(titles)


def field_title(matter: MatterSpec, name: str) -> str:
    """A top-level form field's title."""
    prop = matter.form.get("properties", {}).get(name, {})
    return str(prop.get("title", name)) if isinstance(prop, Mapping) else name


def titled_outputs(step: Step | None, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs keyed by their field titles (统一社会信用代码, not license_no)."""
    props = (step.form or {}).get("properties", {}) if step is not None else {}
    return {props.get(name, {}).get("title", name): value for name, value in outputs.items()}


def progress(matter: MatterSpec, case: Document, calendar: WorkCalendar, light: Light,
             departments: Mapping[str, str], name_of: NameOf) -> Progress:
    """Rows per task (step, department, state, dates, light, decision)."""
    steps = {s.id: s for s in matter.steps}
    plan = make_plan(matter, case["data"])
    accepted = case.get("accepted_at")
    start = datetime.fromisoformat(accepted) if accepted else None
    rows = []
    for task in case.get("tasks", ()):
        step = steps.get(task["step"])
        expected = None
        if start is not None and task["step"] in plan.steps:
            expected = calendar.add(start, float(number(plan.steps[task["step"]].finish))).at
        decision = task.get("decision") or {}
        rows.append(ProgressRow(
            task=task, step_name=step.name if step else task["step"],
            department=departments.get(task["department"], task["department"]),
            status_label=task_label(task["status"]), light=light(task), expected=expected,
            decision_label=task_label(decision["result"]) if decision else "",
            outputs=titled_outputs(step, case.get("outputs", {}).get(task["step"], {})),
            claimer=name_of(task["claimed_by"]) if task.get("claimed_by") else ""))
    promised = calendar.add(start, float(matter.time_limit)).at if start else None
    working = sorted({r.department for r in rows if r.task["status"] in WORKABLE_TASK})
    return Progress(rows, plan, promised, working, dict(departments),
                    departments.get(matter.lead, matter.lead))


def material_state(matter: MatterSpec, case: Document, now: datetime) -> MaterialState:
    """What applies, what is missing, what may be deferred and what is still owed."""
    present = {k for k, v in case["materials"].items() if v}
    present |= set((case.get("register") or {}).get("materials") or ())  # 免提交
    applicable = forms.applicable_materials(matter.materials, case["data"])
    names = {m.id: m.name for m in matter.materials}
    owed = []
    for entry in case.get("deferred") or ():
        due, text = _owed_due(matter, case, entry)
        owed.append(OwedMaterial(
            entry["material"], names.get(entry["material"], entry["material"]), due, text,
            entry["supplied"], bool(due and not entry["supplied"] and due < now)))
    return MaterialState(
        applicable=applicable,
        missing=[m for m in applicable if m.required and m.id not in present
                 and not m.deferrable],
        deferrable=[m for m in applicable if m.deferrable and m.id not in present],
        owed=owed)


def deferred_due(matter: MatterSpec, case: Document,
                 entry: Mapping[str, Any]) -> datetime | None:
    """When a deferred material (容缺) is due, or None while its step is undecided."""
    return _owed_due(matter, case, entry)[0]


def _owed_due(matter: MatterSpec, case: Document,
              entry: Mapping[str, Any]) -> tuple[datetime | None, str]:
    """When a deferred material is due, and how to say it: a date, or "N 日内" after a
    step that has not been decided yet (the notice's 营业执照核发后 30 日内)."""
    if entry.get("due"):
        due = datetime.fromisoformat(entry["due"])
        return due, f"{due:%Y-%m-%d} 前"
    after, days = entry.get("after"), entry.get("days")
    if not after or not days:
        return None, "按一次性告知的期限"
    decided = [datetime.fromisoformat(t["decision"]["at"]) for t in case.get("tasks", ())
               if t["step"] == after and t.get("decision")
               and t["status"] in DECIDED_TASK]
    if decided:
        due = max(decided) + timedelta(days=days)
        return due, f"{due:%Y-%m-%d} 前"
    return None, f"“{Titles(matter).step(after)}”办结后 {days} 日内"


def supplement_items(matter: MatterSpec, notice: Document | None) -> list[SupplementItem]:
    """The supplement notice's items with titles."""
    if not notice:
        return []
    titles = Titles(matter)
    out = []
    for item in notice.get("items", ()):
        if "field" in item:
            out.append(SupplementItem("field", item["field"],
                                      field_title(matter, item["field"]), item["reason"]))
        else:
            out.append(SupplementItem("material", item["material"],
                                      titles.material(item["material"]), item["reason"]))
    return out


def timeline(matter: MatterSpec, case: Document, name_of: NameOf,
             role_label: Callable[[str], str]) -> list[TimelineEntry]:
    """Events, newest first, with officers' names and old/new values by title."""
    titles = Titles(matter)
    out = []
    for e in reversed(case.get("events") or ()):
        entity = e.get("entity", "case")
        action, label = _labels(entity)
        out.append(TimelineEntry(
            seq=e["seq"], at=e["at"], actor=name_of(e["actor"]), role=role_label(e["role"]),
            action=action(e["action"]),
            step=titles.step(e["step"]) if e.get("step") else "",
            note=_note(e, titles),
            source=label(e.get("from")) if e.get("from") else "—",
            target=label(e.get("to")) if e.get("to") else "—",
            changes=_changes(e.get("changes") or (), titles),
            subject=(titles.step(e["step"]) if e.get("step")
                     else "好差评" if entity == "rating" else "办件")))
    return out


def _labels(entity: str) -> tuple[Callable[[str], str], Callable[[str | None], str]]:
    """How an event of this entity names its action and its states in Chinese: a
    rating's (评价, 整改答复 …; 待整改 …) are its own machine's, not the case's."""
    if entity == "rating":
        return ((lambda a: rating.ACTION_LABELS.get(a, a)),
                (lambda s: rating.RECTIFICATION_LABELS.get(str(s), str(s or "—"))))
    return ((lambda a: action_label(entity, a)),
            task_label if entity == "task" else case_label)


def _note(event: Mapping[str, Any], titles: Titles) -> str:
    """An event's note as people read it: a document or a deferred material by its title
    (those events note the id)."""
    note = str(event.get("note") or "")
    if event.get("entity", "case") != "case" or not note:
        return note
    if event["action"] == CaseAction.ISSUE_DOCUMENT:
        return KINDS[note].title if note in KINDS else note
    if event["action"] == CaseAction.SUPPLY_DEFERRED:
        return titles.material(note)
    return note


def _changes(changes: Sequence[Sequence[Any]], titles: Titles) -> list[tuple[str, Any, Any]]:
    """The changes people care about, by title, as people read values: answers (nested
    ones flattened, 法定代表人·姓名), materials and the data recorded with a decision."""
    out: list[tuple[str, Any, Any]] = []
    for path, old, new in changes:
        path = list(path)
        if path[:1] == ["data"]:
            _flatten(out, titles, "/" + "/".join(str(p) for p in path[1:]), old, new)
        elif path[:1] == ["materials"] and len(path) == 2:
            out.append((titles.material(str(path[1])), _shown(old), _shown(new)))
        elif len(path) == 3 and path[0] == "tasks" and path[2] == "decision" and \
                isinstance(new, Mapping):
            for key, value in (new.get("data") or {}).items():
                out.append((key, None, _shown(value)))
    return out


def _flatten(out: list[tuple[str, Any, Any]], titles: Titles, pointer: str, old: Any,
             new: Any) -> None:
    if isinstance(new, Mapping) or isinstance(old, Mapping):
        before = old if isinstance(old, Mapping) else {}
        after = new if isinstance(new, Mapping) else {}
        for key in dict.fromkeys([*before, *after]):
            if before.get(key) != after.get(key):
                _flatten(out, titles, f"{pointer}/{key}".replace("//", "/"), before.get(key),
                         after.get(key))
        return
    if (isinstance(new, list) and any(isinstance(v, Mapping) for v in new)) or \
            (isinstance(old, list) and any(isinstance(v, Mapping) for v in old)):
        rows_before = old if isinstance(old, list) else []
        rows_after = new if isinstance(new, list) else []
        for n in range(max(len(rows_before), len(rows_after))):
            _flatten(out, titles, f"{pointer}/{n}",
                     rows_before[n] if n < len(rows_before) else None,
                     rows_after[n] if n < len(rows_after) else None)
        return
    if old in (None, "", [], {}) and new in (None, "", [], {}):
        return
    out.append((titles.field(pointer), _shown(old), _shown(new)))


def _shown(value: Any) -> Any:
    """A value as people read it: 是/否, lists joined, nothing for empty."""
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "、".join(str(_shown(v)) for v in value) or None
    if value in ("", {}):
        return None
    return value


def upstream(progress_: Progress) -> list[ProgressRow]:
    """Every step that has given an opinion or decided, in plan order."""
    return [r for r in progress_.rows
            if r.task.get("decision") or r.task.get("preliminary")]


def reads(matter: MatterSpec, step: Step, case: Document) -> list[ReadValue]:
    """What the step reads from upstream steps, titled."""
    steps = {s.id: s for s in matter.steps}
    out = []
    for ref in step.reads:
        up, _, name = ref.partition(".")
        up_step = steps.get(up)
        title = ((up_step.form or {}).get("properties", {}).get(name, {}).get("title", name)
                 if up_step else name)
        out.append(ReadValue(up_step.name if up_step else up, title,
                             case.get("outputs", {}).get(up, {}).get(name)))
    return out


def prefill(step: Step, case: Document) -> dict[str, Any]:
    """The step's form data: defaults, then every field an upstream output feeds."""
    if not step.form:
        return {}
    data = dict(forms.defaults(step.form))
    for ref in step.reads:
        up, _, name = ref.partition(".")
        value = case.get("outputs", {}).get(up, {}).get(name)
        if value is not None and name in step.form.get("properties", {}):
            data[name] = value
    return data
