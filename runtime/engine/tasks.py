"""Department and supervisor actions on one task. Each returns a NEW case.

A ready task must be claimed (取件) first; a claimed task is worked only by its claimer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from builder.spec import MatterSpec
from runtime.engine.actor import Actor
from runtime.engine.calendar import WorkCalendar
from runtime.engine.errors import ValidationFailed
from runtime.engine.events import Document, Writer, clone, iso
from runtime.engine.flow import finish_decision, settle
from runtime.engine.moves import check_task, move_task, spec_of
from runtime.engine.states import TaskAction, TaskStatus
from runtime.engine.validation import check_form, problem, require_text


def claim(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
          task_id: str) -> Document:
    """Take a ready task of the actor's department (取件)."""
    spec_of(case, matter)
    index, _ = check_task(case, task_id, TaskAction.CLAIM, actor)
    w = Writer(case, iso(now))
    move_task(w, index, TaskAction.CLAIM, actor)
    w.set(["tasks", index, "claimed_by"], actor.id)
    return w.result()


def unclaim(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
            task_id: str) -> Document:
    """Put a claimed task back in the department's queue."""
    spec_of(case, matter)
    index, _ = check_task(case, task_id, TaskAction.UNCLAIM, actor)
    w = Writer(case, iso(now))
    move_task(w, index, TaskAction.UNCLAIM, actor)
    w.set(["tasks", index, "claimed_by"], None)
    return w.result()


def transfer(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
             task_id: str, to_user: str) -> Document:
    """Hand a claimed task to a colleague (the service checks they are in the department)."""
    spec_of(case, matter)
    index, task = check_task(case, task_id, TaskAction.TRANSFER, actor)
    if not isinstance(to_user, str) or not to_user or to_user == task["claimed_by"]:
        raise ValidationFailed([problem("/to_user", "name another user", "required")])
    w = Writer(case, iso(now))
    move_task(w, index, TaskAction.TRANSFER, actor, f"转交 {to_user}")
    w.set(["tasks", index, "claimed_by"], to_user)
    return w.result()


def preliminary(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
                task_id: str, opinion: str, *, calendar: WorkCalendar) -> Document:
    """Give the preliminary opinion (初审意见); releases steps that need it ``at: preliminary``."""
    spec = spec_of(case, matter)
    index, _ = check_task(case, task_id, TaskAction.PRELIMINARY, actor)
    require_text("opinion", opinion)
    w = Writer(case, iso(now))
    move_task(w, index, TaskAction.PRELIMINARY, actor, opinion)
    w.set(["tasks", index, "preliminary"], {"opinion": opinion, "by": actor.id, "at": w.at})
    settle(w, spec, now, calendar)
    return w.result()


def approve(case: Document, matter: MatterSpec, actor: Actor, now: datetime, task_id: str, *,
            calendar: WorkCalendar, data: Mapping[str, Any] | None = None,
            opinion: str = "", reply: str | None = None) -> Document:
    """Approve with the step's form data; publishes outputs when the step is approved."""
    spec = spec_of(case, matter)
    index, task = check_task(case, task_id, TaskAction.APPROVE, actor)
    step = spec.steps[task["step"]]
    record = clone(data) if data is not None else {}
    check_form(step.form, record)
    _check_reply(step.reply_options, reply, required=True)
    w = Writer(case, iso(now))
    move_task(w, index, TaskAction.APPROVE, actor, opinion)
    w.set(["tasks", index, "decision"],
          decision(TaskStatus.APPROVED, opinion, reply, record, actor.id, w.at))
    finish_decision(w, spec, step.id, now, calendar)
    return w.result()


def reject(case: Document, matter: MatterSpec, actor: Actor, now: datetime, task_id: str,
           reason: str, *, reply: str | None = None) -> Document:
    """Reject with a reason: dependent steps' waiting tasks become cancelled.

    No calendar is needed: a rejection never releases anything.
    """
    spec = spec_of(case, matter)
    index, task = check_task(case, task_id, TaskAction.REJECT, actor)
    step = spec.steps[task["step"]]
    require_text("reason", reason)
    _check_reply(step.reply_options, reply, required=False)
    w = Writer(case, iso(now))
    move_task(w, index, TaskAction.REJECT, actor, reason)
    w.set(["tasks", index, "decision"],
          decision(TaskStatus.REJECTED, reason, reply, {}, actor.id, w.at))
    finish_decision(w, spec, step.id, now, None)
    return w.result()


def suspend(case: Document, matter: MatterSpec, actor: Actor, now: datetime, task_id: str,
            reason: str) -> Document:
    """Stop the task's clock (特别程序: inspection, hearing, expert review)."""
    spec_of(case, matter)
    index, task = check_task(case, task_id, TaskAction.SUSPEND, actor)
    require_text("reason", reason)
    w = Writer(case, iso(now))
    move_task(w, index, TaskAction.SUSPEND, actor, reason)
    w.set(["tasks", index, "previous"], task["status"])
    w.append(["tasks", index, "suspensions"], {"reason": reason, "from": w.at, "to": None})
    return w.result()


def resume(case: Document, matter: MatterSpec, actor: Actor, now: datetime, task_id: str, *,
           calendar: WorkCalendar) -> Document:
    """Restart the clock: back to the previous state, due moved by the working time lost."""
    spec_of(case, matter)
    index, task = check_task(case, task_id, TaskAction.RESUME, actor)
    last = len(task["suspensions"]) - 1
    lost = max(0.0, calendar.elapsed(datetime.fromisoformat(task["suspensions"][last]["from"]),
                                     now))
    deadline = calendar.extend(datetime.fromisoformat(task["due"]), lost)
    w = Writer(case, iso(now))
    move_task(w, index, TaskAction.RESUME, actor)
    w.set(["tasks", index, "previous"], None)
    w.set(["tasks", index, "suspensions", last, "to"], w.at)
    w.set(["tasks", index, "due"], iso(deadline.at))
    if deadline.provisional and not task["provisional"]:
        w.set(["tasks", index, "provisional"], True)
    return w.result()


def urge(case: Document, matter: MatterSpec, actor: Actor, now: datetime, task_id: str,
         note: str = "") -> Document:
    """Urge a running or suspended task (督办); the status does not change."""
    spec_of(case, matter)
    index, _ = check_task(case, task_id, TaskAction.URGE, actor)
    require_text("note", note)
    w = Writer(case, iso(now))
    move_task(w, index, TaskAction.URGE, actor, note)
    w.append(["tasks", index, "urges"], {"by": actor.id, "at": w.at, "note": note})
    return w.result()


def decision(result: str, opinion: str, reply: str | None, data: dict[str, Any], by: str,
             at: str, by_timeout: bool = False) -> dict[str, Any]:
    """A task's ``decision`` document."""
    return {"result": str(result), "opinion": opinion, "reply": reply, "data": data, "by": by,
            "at": at, "by_timeout": by_timeout}


def _check_reply(options: tuple[str, ...], reply: str | None, required: bool) -> None:
    if options and (reply is not None or required) and reply not in options:
        raise ValidationFailed([problem("/reply", "choose one of: " + "、".join(options),
                                        "enum")])
    if reply is not None and not isinstance(reply, str):
        raise ValidationFailed([problem("/reply", "reply must be a string", "type")])

