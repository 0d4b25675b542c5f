"""Statistics from the event history (no I/O, no counters that can drift).

Every figure is recomputed from the events each case carries: when a task was
released, suspended, resumed and decided, when the case was accepted, sent back for
supplement, refused and decided. Each case is read under the matter version it is
pinned to (its promised days), and working days come from the work calendar passed in,
so a case that spans versions or a calendar change is counted by its own rules.

A figure belongs to a period by the date (China time) of the event that makes it:
a task is *done* in the period of its decision, a case *accepted* in that of its
acceptance and *finished* in that of its decision. ``overdue_now`` looks at ``now``.
See docs/accountability.md for the definitions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from builder.spec import MatterSpec
from runtime.engine.calendar import CHINA_TZ, WorkCalendar
from runtime.engine.states import CaseAction, TaskAction, TaskStatus
from runtime.engine.vocabulary import RUNNING_TASK

SpecOf = Callable[[str, int], MatterSpec | None]
_DECIDING = {TaskAction.APPROVE: TaskStatus.APPROVED, TaskAction.CONSENT: TaskStatus.APPROVED,
             TaskAction.REJECT: TaskStatus.REJECTED}


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both dates included (China time)."""

    start: date
    end: date

    def holds(self, moment: datetime | None) -> bool:
        """Whether ``moment`` falls on a date of the period."""
        return moment is not None and self.start <= moment.astimezone(CHINA_TZ).date() <= self.end


@dataclass
class TaskFact:
    """One task as its events tell it."""

    department: str
    step: str
    promised: float
    ready_at: datetime | None = None
    decided_at: datetime | None = None
    result: str | None = None
    due: datetime | None = None
    days: float | None = None  # working days ready -> decided, suspended time left out
    suspensions: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    overdue_now: bool = False

    @property
    def on_time(self) -> bool:
        """Decided by its due time (the due moved by every suspension)."""
        return self.decided_at is not None and (self.due is None or self.decided_at <= self.due)


@dataclass
class CaseFact:
    """One case as its events tell it."""

    matter: str
    promised: float
    accepted_at: datetime | None = None
    decided_at: datetime | None = None
    result: str | None = None
    refused_at: datetime | None = None
    supplements: list[datetime] = field(default_factory=list)
    days: float | None = None  # working days accepted -> decided, time all suspended left out
    serial_days: float | None = None  # the steps that ran, one after the other
    tasks: list[TaskFact] = field(default_factory=list)

    @property
    def on_time(self) -> bool:
        """Decided within the matter's promised days (承诺时限)."""
        return self.days is not None and self.days <= self.promised + 1e-9

    @property
    def overdue_now(self) -> bool:
        """Some task of the case runs past its due time now."""
        return any(t.overdue_now for t in self.tasks)


def _at(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def case_facts(case: Mapping[str, Any], spec: MatterSpec | None, calendar: WorkCalendar,
               now: datetime) -> CaseFact:
    """The facts of one case, read from its events (``spec`` is its pinned version)."""
    days_of = {s.id: s.days for s in spec.steps} if spec else {}
    fact = CaseFact(case["matter"], spec.time_limit if spec else 0.0)
    tasks: dict[str, TaskFact] = {}
    for task in case.get("tasks") or ():
        due = _at(task.get("due"))
        tasks[task["id"]] = TaskFact(
            task["department"], task["step"],
            float(task.get("limit_days") or days_of.get(task["step"], 0)), due=due,
            overdue_now=task["status"] in RUNNING_TASK and due is not None and due < now)
    for event in case.get("events") or ():
        at = _at(event["at"])
        action = event["action"]
        if event["entity"] == "task":
            task_fact = tasks.get(event.get("task") or "")
            if task_fact is None or at is None:
                continue
            if action == TaskAction.RELEASE:
                task_fact.ready_at = at
            elif action == TaskAction.SUSPEND:
                task_fact.suspensions.append((at, None))
            elif action == TaskAction.RESUME and task_fact.suspensions:
                task_fact.suspensions[-1] = (task_fact.suspensions[-1][0], at)
            elif action in _DECIDING:
                task_fact.decided_at, task_fact.result = at, str(_DECIDING[action])
            continue
        if action == CaseAction.ACCEPT:
            fact.accepted_at = at
        elif action in (CaseAction.APPROVE, CaseAction.REJECT):
            fact.decided_at, fact.result = at, action
        elif action == CaseAction.REFUSE:
            fact.refused_at = at
        elif action == CaseAction.REQUEST_SUPPLEMENT and at is not None:
            fact.supplements.append(at)
    for task_fact in tasks.values():
        if task_fact.ready_at and task_fact.decided_at:
            held = sum(calendar.elapsed(a, b or task_fact.decided_at)
                       for a, b in task_fact.suspensions)
            task_fact.days = max(0.0, calendar.elapsed(task_fact.ready_at,
                                                       task_fact.decided_at) - held)
    fact.tasks = list(tasks.values())
    if fact.accepted_at and fact.decided_at:
        stopped = _merged([(a, b or fact.decided_at) for t in fact.tasks
                           for a, b in t.suspensions])
        fact.days = max(0.0, calendar.elapsed(fact.accepted_at, fact.decided_at)
                        - sum(calendar.elapsed(a, b) for a, b in stopped))
        steps: dict[str, float] = {}
        for t in fact.tasks:
            if t.days is not None:  # a 会签 step lasts as long as its slowest department
                steps[t.step] = max(steps.get(t.step, 0.0), t.days)
        fact.serial_days = sum(steps.values())
    return fact


def _merged(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping spans joined: the case's clock stops while any task is suspended."""
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def p90(values: Sequence[float]) -> float | None:
    """The 90th percentile by nearest rank (the smallest value with 90% at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def department_rows(facts: Iterable[CaseFact], period: Period,
                    names: Mapping[str, str]) -> list[dict[str, Any]]:
    """One row per department with tasks in the period (or overdue now), by name."""
    grouped: dict[str, list[TaskFact]] = {}
    for fact in facts:
        for t in fact.tasks:
            grouped.setdefault(t.department, []).append(t)
    rows = []
    for key, tasks in grouped.items():
        done = [t for t in tasks if period.holds(t.decided_at)]
        on_time = sum(1 for t in done if t.on_time)
        days = [t.days for t in done if t.days is not None]
        suspended = [(a, b) for t in tasks for a, b in t.suspensions if period.holds(a)]
        row = {
            "key": key, "name": names.get(key, key),
            "tasks_received": sum(1 for t in tasks if period.holds(t.ready_at)),
            "tasks_done": len(done), "on_time": on_time, "overdue": len(done) - on_time,
            "on_time_rate": _rate(on_time, len(done)), "avg_days": _mean(days),
            "p90_days": _round(p90(days)), "promised_days": _mean([t.promised for t in done]),
            "rejected": sum(1 for t in done if t.result == TaskStatus.REJECTED),
            "suspended": len(suspended),
            "overdue_now": sum(1 for t in tasks if t.overdue_now),
        }
        if row["tasks_received"] or row["tasks_done"] or row["suspended"] or row["overdue_now"]:
            rows.append(row)
    return sorted(rows, key=lambda r: (r["name"], r["key"]))


def matter_rows(facts: Iterable[CaseFact], period: Period,
                names: Mapping[str, str]) -> list[dict[str, Any]]:
    """One row per matter with cases in the period (or overdue now), by name."""
    grouped: dict[str, list[CaseFact]] = {}
    for fact in facts:
        grouped.setdefault(fact.matter, []).append(fact)
    rows = []
    for key, cases in grouped.items():
        finished = [c for c in cases if period.holds(c.decided_at)]
        on_time = sum(1 for c in finished if c.on_time)
        days = [c.days for c in finished if c.days is not None]
        serial = [c.serial_days for c in finished if c.serial_days is not None]
        saved = [c.serial_days - c.days for c in finished
                 if c.serial_days is not None and c.days is not None]
        row = {
            "key": key, "name": names.get(key, key),
            "cases_accepted": sum(1 for c in cases if period.holds(c.accepted_at)),
            "cases_finished": len(finished), "on_time": on_time,
            "on_time_rate": _rate(on_time, len(finished)), "avg_days": _mean(days),
            "p90_days": _round(p90(days)),
            "promised_days": _mean([c.promised for c in finished]),
            "serial_days": _mean(serial), "saved_days": _mean(saved),
            "saved_days_total": _round(sum(saved)) if saved else None,
            "supplements": sum(1 for c in cases for at in c.supplements if period.holds(at)),
            "refused": sum(1 for c in cases if period.holds(c.refused_at)),
            "rejected": sum(1 for c in finished if c.result == CaseAction.REJECT),
            "overdue_now": sum(1 for c in cases if c.overdue_now),
        }
        if any(row[k] for k in ("cases_accepted", "cases_finished", "supplements", "refused",
                                "overdue_now")):
            rows.append(row)
    return sorted(rows, key=lambda r: (r["name"], r["key"]))


def facts_of(cases: Iterable[Mapping[str, Any]], spec_of: SpecOf, calendar: WorkCalendar,
             now: datetime) -> list[CaseFact]:
    """The facts of many cases, each under its pinned matter version."""
    return [case_facts(c, spec_of(c["matter"], c["matter_version"]), calendar, now)
            for c in cases]
