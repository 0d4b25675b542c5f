"""Time-driven behaviour: timeouts (超时默许) and the deadline lights."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from builder.spec import MatterSpec
from runtime.engine.actor import SYSTEM
from runtime.engine.calendar import Deadline, WorkCalendar
from runtime.engine.events import Document, Writer, iso
from runtime.engine.flow import finish_decision
from runtime.engine.moves import move_task, spec_of
from runtime.engine.states import CaseStatus, TaskAction, TaskStatus
from runtime.engine.tasks import decision
from runtime.engine.vocabulary import RUNNING_TASK

CLOCKED = RUNNING_TASK | {TaskStatus.SUSPENDED}
"""Tasks that hold a due time a calendar change may move."""

CONSENT_NOTE = "超时默许"


def tick(case: Document, matter: MatterSpec, now: datetime,
         calendar: WorkCalendar) -> Document:
    """Approve, as the system, running tasks past due on ``on_timeout: consent`` steps.

    Returns the very same object when nothing is due (cheap to call on every case).
    """
    if case["status"] != CaseStatus.IN_PROGRESS:
        return case
    spec = spec_of(case, matter)
    if not spec.consent:
        return case
    overdue = [i for i, t in enumerate(case["tasks"])
               if t["step"] in spec.consent and t["status"] in RUNNING_TASK
               and datetime.fromisoformat(t["due"]) < now]
    if not overdue:
        return case
    w = Writer(case, iso(now))
    for index in overdue:
        task = w.root["tasks"][index]
        if task["status"] not in RUNNING_TASK:
            continue  # the join was decided by an earlier timeout in this tick
        move_task(w, index, TaskAction.CONSENT, SYSTEM, CONSENT_NOTE)
        w.set(["tasks", index, "decision"],
              decision(TaskStatus.APPROVED, CONSENT_NOTE, None, {}, SYSTEM.id, w.at,
                       by_timeout=True))
        finish_decision(w, spec, task["step"], now, calendar)
    return w.result()


def consent_elsewhere(case: Document, matter: MatterSpec, now: datetime,
                      calendar: WorkCalendar, task_id: str, note: str = CONSENT_NOTE) -> Document:
    """Close a running task as 超时默许 because the centre that sent it applied the
    timeout there (跨中心协同): the same decision as `tick`'s, whatever this step's own
    ``on_timeout``. Raises when the task is no longer running (already decided here)."""
    spec = spec_of(case, matter)
    index = next((i for i, t in enumerate(case["tasks"]) if t["id"] == task_id), None)
    if index is None:
        raise ValueError(f"no task {task_id!r}")
    w = Writer(case, iso(now))
    step = w.root["tasks"][index]["step"]
    move_task(w, index, TaskAction.CONSENT, SYSTEM, note)
    w.set(["tasks", index, "decision"],
          decision(TaskStatus.APPROVED, note, None, {}, SYSTEM.id, w.at, by_timeout=True))
    finish_decision(w, spec, step, now, calendar)
    return w.result()


def due_from_start(task: Mapping[str, Any], calendar: WorkCalendar) -> Deadline | None:
    """A task's deadline computed again from its start and limit, moved by every ended
    suspension (an open one moves it on resume); None when it has no clock."""
    if not task.get("ready_at") or task.get("limit_days") is None or not task.get("due"):
        return None
    deadline = calendar.add(datetime.fromisoformat(task["ready_at"]), float(task["limit_days"]))
    provisional = deadline.provisional
    for pause in task.get("suspensions") or ():
        if pause.get("to"):
            lost = max(0.0, calendar.elapsed(datetime.fromisoformat(pause["from"]),
                                             datetime.fromisoformat(pause["to"])))
            deadline = calendar.extend(deadline.at, lost)
            provisional = provisional or deadline.provisional
    return Deadline(deadline.at, provisional)


def reschedule(case: Document, matter: MatterSpec, now: datetime,
               calendar: WorkCalendar) -> Document:
    """Recompute, as the system, the deadline of every running or suspended task with the
    (newly published) ``calendar``; one event per task whose due time moves.

    Returns the very same object when no deadline moves (a second run changes nothing).
    """
    spec_of(case, matter)
    w: Writer | None = None
    for index, task in enumerate(case.get("tasks") or ()):
        if task["status"] not in CLOCKED:
            continue
        found = due_from_start(task, calendar)
        if found is None:
            continue
        due = iso(found.at)
        if due == task["due"] and found.provisional == bool(task.get("provisional")):
            continue
        w = w or Writer(case, iso(now))
        note = f"工作日历变更：期限由 {_shown(task['due'])} 改为 {_shown(due)}"
        move_task(w, index, TaskAction.RESCHEDULE, SYSTEM, note)
        w.set(["tasks", index, "due"], due)
        w.set(["tasks", index, "provisional"], found.provisional)
    return case if w is None else w.result()


def _shown(moment: str) -> str:
    return moment[:16].replace("T", " ")


def light(task: Mapping[str, Any], now: datetime, calendar: WorkCalendar,
          yellow_days: float = 1.0, yellow_fraction: float = 0.2) -> str | None:
    """The task's deadline light: "green", "yellow", "red", or None when not running."""
    if task["status"] not in RUNNING_TASK or task.get("due") is None:
        return None
    shown = calendar.light(now, datetime.fromisoformat(task["due"]), task["limit_days"],
                           yellow_days, yellow_fraction)
    return shown.value
