"""What follows a decision: joins, outputs, certificates, cascades, release, outcome.

A step has no status of its own: its state is derived from its tasks (one per
department). Everything here is done by the ``system`` actor except the outputs and
certificate of a step, which belong to the event of the approval that finished it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from builder.spec import At, Join, Step
from runtime.engine.actor import SYSTEM
from runtime.engine.calendar import WorkCalendar
from runtime.engine.compiled import Compiled
from runtime.engine.events import Writer, iso
from runtime.engine.moves import move_case, move_task
from runtime.engine.register import get_path
from runtime.engine.states import CaseAction, CaseStatus, TaskAction, TaskStatus
from runtime.engine.vocabulary import OPEN_TASK

Task = Mapping[str, Any]


class StepState(StrEnum):
    """A step's state, derived from its tasks."""

    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


def step_state(step: Step, tasks: Sequence[Task]) -> StepState:
    """会签 (all) approves when every task approved and rejects on any rejection;
    或签 (any) approves on the first approval and rejects when none can approve."""
    statuses = [t["status"] for t in tasks]
    if all(s == TaskStatus.SKIPPED for s in statuses):
        return StepState.SKIPPED
    still_open = any(s in OPEN_TASK for s in statuses)
    if step.join is Join.ALL:
        if TaskStatus.REJECTED in statuses:
            return StepState.REJECTED
        if all(s == TaskStatus.APPROVED for s in statuses):
            return StepState.APPROVED
    else:
        if TaskStatus.APPROVED in statuses:
            return StepState.APPROVED
        if not still_open and TaskStatus.REJECTED in statuses:
            return StepState.REJECTED
    return StepState.OPEN if still_open else StepState.CANCELLED


def preliminary_reached(step: Step, tasks: Sequence[Task]) -> bool:
    """Whether the step's preliminary opinion is out: every department's (会签) or any
    department's (或签) task has given one or approved. Once true, stays true."""
    given = (t["preliminary"] is not None or t["status"] == TaskStatus.APPROVED for t in tasks)
    return all(given) if step.join is Join.ALL else any(given)


def by_step(tasks: Sequence[Task]) -> dict[str, list[int]]:
    """Task indexes grouped by step id, in task order."""
    groups: dict[str, list[int]] = {}
    for index, task in enumerate(tasks):
        groups.setdefault(task["step"], []).append(index)
    return groups


def finish_decision(w: Writer, spec: Compiled, step_id: str, now: datetime,
                    calendar: WorkCalendar | None) -> None:
    """After a task of ``step_id`` was decided: settle the step, then the case.

    The current event must be the decision's: a step that is now approved publishes
    its outputs and certificate in it.
    """
    step = spec.steps[step_id]
    tasks = w.root["tasks"]
    indexes = [i for i, t in enumerate(tasks) if t["step"] == step_id]
    state = step_state(step, [tasks[i] for i in indexes])
    if state is StepState.APPROVED:
        _publish(w, spec, step, indexes)
        _cancel(w, indexes, f"{step.name}：或签已由其他部门同意")
    elif state is StepState.REJECTED:
        _cancel(w, indexes, f"{step.name}：会签有部门不予通过")
        below = spec.dependents[step_id]
        _cancel(w, [i for i, t in enumerate(w.root["tasks"])
                    if t["step"] in below and t["status"] == TaskStatus.WAITING],
                f"上游环节「{step.name}」未通过")
    settle(w, spec, now, calendar)


def settle(w: Writer, spec: Compiled, now: datetime, calendar: WorkCalendar | None) -> None:
    """Release what can run, then conclude the case when nothing is open.

    Without a calendar nothing is released: only approvals, preliminary opinions and
    skips release, and those actions pass one.
    """
    if calendar is not None:
        release(w, spec, now, calendar)
    conclude(w, spec)


def release(w: Writer, spec: Compiled, now: datetime, calendar: WorkCalendar) -> None:
    """Make ready every waiting task whose step's needs are all met."""
    tasks = w.root["tasks"]
    waiting = [i for i, t in enumerate(tasks) if t["status"] == TaskStatus.WAITING]
    if not waiting:
        return
    groups = by_step(tasks)
    # Releasing never changes whether a need is met, so each step is judged once, on
    # the tasks as they were before this release.
    reached: dict[tuple[str, At], bool] = {}

    def met(step_id: str, at: At) -> bool:
        if (step_id, at) not in reached:
            reached[step_id, at] = _need_met(spec, step_id, at, tasks, groups)
        return reached[step_id, at]

    at = iso(now)
    for step_id, indexes in groups.items():
        step = spec.steps[step_id]
        ready = [i for i in indexes if w.root["tasks"][i]["status"] == TaskStatus.WAITING]
        if not ready or not all(met(need.step, need.at) for need in step.needs):
            continue
        deadline = calendar.add(now, step.days)
        due = iso(deadline.at)
        for index in ready:
            move_task(w, index, TaskAction.RELEASE, SYSTEM)
            w.set(["tasks", index, "ready_at"], at)
            w.set(["tasks", index, "due"], due)
            w.set(["tasks", index, "provisional"], deadline.provisional)
            w.set(["tasks", index, "limit_days"], step.days)


def _need_met(spec: Compiled, step_id: str, at: At, tasks: Sequence[Task],
              groups: Mapping[str, list[int]]) -> bool:
    if step_id not in spec.steps:
        return True  # the builder refuses unknown steps; nothing to wait for
    step = spec.steps[step_id]
    mine = [tasks[i] for i in groups.get(step_id, ())]
    state = step_state(step, mine)
    if state is StepState.SKIPPED:
        # A step that does not apply passes its own prerequisites on: what needs it
        # still waits for what it needed (A -> B (skipped) -> C: C waits for A).
        return all(_need_met(spec, need.step, need.at, tasks, groups) for need in step.needs)
    if state is StepState.APPROVED:
        return True
    return at is At.PRELIMINARY and preliminary_reached(step, mine)


def conclude(w: Writer, spec: Compiled) -> None:
    """When no task is open, the case is approved if every applicable step approved."""
    if w.root["status"] != CaseStatus.IN_PROGRESS:
        return
    tasks = w.root["tasks"]
    if any(t["status"] in OPEN_TASK for t in tasks):
        return
    groups = by_step(tasks)
    approved = all(
        step_state(spec.steps[step_id], [tasks[i] for i in indexes])
        in (StepState.APPROVED, StepState.SKIPPED)
        for step_id, indexes in groups.items()
    )
    if approved:
        move_case(w, CaseAction.APPROVE, SYSTEM, "各环节均已通过")
    else:
        move_case(w, CaseAction.REJECT, SYSTEM, "有环节未通过")
    w.set(["decided_at"], w.at)


def cancel_open(w: Writer, note: str) -> None:
    """Cancel every open task of the case (after a withdrawal)."""
    _cancel(w, range(len(w.root["tasks"])), note)


def _cancel(w: Writer, indexes: Sequence[int] | range, note: str) -> None:
    tasks = w.root["tasks"]
    for index in indexes:
        if tasks[index]["status"] in OPEN_TASK:
            move_task(w, index, TaskAction.CANCEL, SYSTEM, note)


def _publish(w: Writer, spec: Compiled, step: Step, indexes: Sequence[int]) -> None:
    """Outputs (approving tasks' data merged in ``departments`` order) and certificate."""
    tasks = w.root["tasks"]
    rank = {d: n for n, d in enumerate(step.departments)}
    approving = sorted((tasks[i] for i in indexes if tasks[i]["status"] == TaskStatus.APPROVED),
                       key=lambda t: rank.get(t["department"], len(rank)))
    merged: dict[str, Any] = {}
    for task in approving:
        merged.update(task["decision"]["data"])
    outputs = {name: merged[name] for name in step.outputs if name in merged}
    if step.outputs:
        w.set(["outputs", step.id], outputs)
    if step.certificate is not None and approving:
        wanted = step.certificate.number
        number = outputs.get(wanted) if wanted else None
        if number is None or number == "":
            number = f"{w.root['number']}-{step.id}"
        entry = {
            "name": step.certificate.name, "number": str(number), "holder": w.root["holder"],
            "department": approving[0]["department"], "step": step.id, "issued_at": w.at,
        }
        kind, holder = step.certificate.kind, step.certificate.holder
        if kind:  # it enters the register (证照库) under the holder's credit code or ID
            value = outputs.get(holder) if holder in step.outputs else get_path(
                w.root["data"], holder)
            entry.update(kind=kind, holder_id="".join(str(value or "").split()).upper())
        w.append(["certificates"], entry)
