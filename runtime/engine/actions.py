"""What may this actor do now: answered from the transition tables and the same checks
the actions run, so a page never offers a button that the engine then refuses.

The checks here are the ones that depend on the state and on who acts; input (a reason,
form data) is checked only when the action is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.spec import MatterSpec
from runtime.engine.actor import Actor
from runtime.engine.errors import EngineError, TransitionNotAllowed
from runtime.engine.moves import check_case, check_task, spec_of
from runtime.engine.states import (
    CASE_TRANSITIONS,
    TASK_TRANSITIONS,
    CaseAction,
    CaseStatus,
    Role,
    TaskAction,
)

_NOT_BUTTONS = frozenset({CaseAction.START, CaseAction.ISSUE_DOCUMENT})
"""Actions no one asks for: each follows another action (acceptance starts the case; a
document is recorded with the action that issues it)."""
_CASE_ORDER = tuple(dict.fromkeys(row.action for row in CASE_TRANSITIONS
                                  if row.who != {Role.SYSTEM} and row.source is not None
                                  and row.action not in _NOT_BUTTONS))
_TASK_ORDER = tuple(dict.fromkeys(row.action for row in TASK_TRANSITIONS
                                  if Role.SYSTEM not in row.who and row.source is not None))


def case_guard(case: Mapping[str, Any], action: str) -> None:
    """The conditions of a case action beyond its table row (raise when unmet)."""
    status = case.get("status")
    if action == CaseAction.DELIVER and status == CaseStatus.APPROVED:
        missing = unsupplied(case)
        if missing:
            raise TransitionNotAllowed("case", status, action,
                                       "deferred materials not supplied: " + ", ".join(missing))
    if action == CaseAction.SUPPLY_DEFERRED and not unsupplied(case):
        raise TransitionNotAllowed("case", status, action, "no deferred material is awaited")
    if action == CaseAction.ANSWER_SUPPLEMENT and not case.get("supplement"):
        raise TransitionNotAllowed("case", status, action, "no supplement notice")
    if action == CaseAction.DELIVER and unpaid(case):
        raise TransitionNotAllowed("case", status, action, "an issued fee notice is unpaid")
    if action == CaseAction.RECORD_PAYMENT and not unpaid(case):
        raise TransitionNotAllowed("case", status, action, "no unpaid fee notice")
    if action == CaseAction.ISSUE_FEES and unpaid(case):
        raise TransitionNotAllowed("case", status, action, "a fee notice is already unpaid")
    pending = case.get("forward") or {}
    if action == CaseAction.FORWARD and (not pending.get("due") or pending.get("at")):
        raise TransitionNotAllowed("case", status, action, "no forwarding awaited")
    if action == CaseAction.FOLLOW_UP and case.get("follow_up"):
        raise TransitionNotAllowed("case", status, action, "already recorded")
    if action == CaseAction.REFUND and not any(
            n.get("paid") and not n.get("refund") for n in case.get("fees") or ()):
        raise TransitionNotAllowed("case", status, action, "no paid fee notice to refund")


def unsupplied(case: Mapping[str, Any]) -> list[str]:
    """Deferred materials (容缺) not yet supplied."""
    return [d["material"] for d in case.get("deferred") or () if not d["supplied"]]


def unpaid(case: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Issued fee notices (缴款通知书) not yet paid."""
    return [n for n in case.get("fees") or () if not n.get("paid")]


def case_actions(case: Mapping[str, Any], actor: Actor) -> tuple[CaseAction, ...]:
    """The case actions ``actor`` may take now, in table order."""
    allowed = []
    for action in _CASE_ORDER:
        try:
            check_case(case, action, actor)
            case_guard(case, action)
        except EngineError:
            continue
        allowed.append(CaseAction(action))
    return tuple(allowed)


def task_actions(case: Mapping[str, Any], matter: MatterSpec, task_id: str,
                 actor: Actor) -> tuple[TaskAction, ...]:
    """The actions ``actor`` may take now on one task, in table order."""
    spec_of(case, matter)
    allowed = []
    for action in _TASK_ORDER:
        try:
            check_task(case, task_id, action, actor)
        except EngineError:
            continue
        allowed.append(TaskAction(action))
    return tuple(allowed)
