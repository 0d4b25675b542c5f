"""Time-driven behaviour: timeouts (超时默许) and the deadline lights."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from builder.spec import MatterSpec
from runtime.engine.actor import SYSTEM
from runtime.engine.calendar import WorkCalendar
from runtime.engine.events import Document, Writer, iso
from runtime.engine.flow import finish_decision
from runtime.engine.moves import move_task, spec_of
from runtime.engine.states import CaseStatus, TaskAction, TaskStatus
from runtime.engine.tasks import decision
from runtime.engine.vocabulary import RUNNING_TASK

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


def light(task: Mapping[str, Any], now: datetime, calendar: WorkCalendar,
          yellow_days: float = 1.0, yellow_fraction: float = 0.2) -> str | None:
    """The task's deadline light: "green", "yellow", "red", or None when not running."""
    if task["status"] not in RUNNING_TASK or task.get("due") is None:
        return None
    shown = calendar.light(now, datetime.fromisoformat(task["due"]), task["limit_days"],
                           yellow_days, yellow_fraction)
    return shown.value
