"""The only code that writes a status: table lookups, permission checks, events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.spec import MatterSpec
from runtime.engine.actor import Actor
from runtime.engine.compiled import Compiled, compiled
from runtime.engine.errors import NotPermitted, SpecMismatch, TransitionNotAllowed, UnknownTask
from runtime.engine.events import Writer
from runtime.engine.states import CASE, TASK, CaseAction, CaseStatus, Role, TaskAction, Transition


def spec_of(case: Mapping[str, Any], matter: MatterSpec) -> Compiled:
    """The compiled spec, after checking it is the one the case runs under.

    Before acceptance a case follows the matter's current version (submit and accept
    pin it); from acceptance on, the version is fixed.
    """
    if case["matter"] != matter.id:
        raise SpecMismatch(case["id"], case["matter"], matter.id)
    if case.get("accepted_at") is not None and case["matter_version"] != matter.version:
        raise SpecMismatch(case["id"], f"{case['matter']} v{case['matter_version']}",
                           f"{matter.id} v{matter.version}")
    return compiled(matter)


APPLICANT_ACTIONS = frozenset({CaseAction.SAVE_DRAFT, CaseAction.SUBMIT,
                               CaseAction.ANSWER_SUPPLEMENT})
"""What the window may do only on a case it entered for a walk-in applicant (窗口代录)."""


def check_case(case: Mapping[str, Any], action: str, actor: Actor) -> Transition:
    """The table row for ``action`` on this case by this actor, or an error."""
    CASE.check_role(action, actor.role)
    if actor.role == Role.APPLICANT and actor.id != case.get("applicant"):
        raise NotPermitted(action, "only the case's applicant may do this")
    if actor.role == Role.AGENT and action == CaseAction.FORWARD:
        if not actor.point or (case.get("forward") or {}).get("to") != actor.point:
            raise NotPermitted(action, "only the town point the case goes to forwards it")
    elif actor.role == Role.AGENT and case.get("agent") != actor.id:
        raise NotPermitted(action, "only the agent the case is entrusted to may do this")
    if actor.role == Role.WINDOW and action in APPLICANT_ACTIONS and not case.get("entered_by"):
        raise NotPermitted(action, "the window edits only cases it entered for an applicant")
    return CASE.check(case.get("status"), action, actor.role)


def move_case(w: Writer, action: str, actor: Actor, note: str = "") -> None:
    """Open the event of a case transition and write the new status."""
    source = w.root.get("status")
    target = _plain(CASE.check(source, action, actor.role).target)
    w.begin(actor, action, entity="case", source=source, target=target, note=note)
    if target != source:
        w.set(["status"], target)


def find_task(case: Mapping[str, Any], task_id: str) -> tuple[int, Mapping[str, Any]]:
    """The index and document of a task of the case (`UnknownTask` if none)."""
    for index, task in enumerate(case.get("tasks") or ()):
        if task["id"] == task_id:
            return index, task
    raise UnknownTask(str(case.get("id")), task_id)


def check_task(case: Mapping[str, Any], task_id: str, action: str,
               actor: Actor) -> tuple[int, Mapping[str, Any]]:
    """Find the task and check that ``actor`` may do ``action`` on it now.

    Order: role (403), department (403), the case and task states (409), claimer (403).
    """
    TASK.check_role(action, actor.role)
    index, task = find_task(case, task_id)
    if actor.role == Role.DEPARTMENT and actor.department != task["department"]:
        raise NotPermitted(action, f"the task belongs to department {task['department']}")
    if case["status"] != CaseStatus.IN_PROGRESS:
        raise TransitionNotAllowed("case", case["status"], action)
    TASK.check(task["status"], action, actor.role)
    claimer = task.get("claimed_by")
    if (actor.role == Role.DEPARTMENT and claimer is not None and action != TaskAction.CLAIM
            and actor.id != claimer):
        raise NotPermitted(action, "only the reviewer who claimed the task may do this")
    return index, task


def move_task(w: Writer, index: int, action: str, actor: Actor, note: str = "") -> str:
    """Open the event of a task transition, write the new status and return it."""
    task = w.root["tasks"][index]
    source = task["status"]
    row = TASK.check(source, action, actor.role)
    target = _plain(row.target if row.target is not None else task["previous"])
    w.begin(actor, action, entity="task", source=source, target=target, note=note,
            task=task["id"], step=task["step"])
    if target != source:
        w.set(["tasks", index, "status"], target)
    return str(target)


def _plain(state: str | None) -> str | None:
    """A state as a plain ``str``: documents hold JSON values, not Enum members."""
    return None if state is None else str(state)
