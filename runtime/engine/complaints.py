"""网上投诉: a complaint's state machine. Pure: each action returns a NEW document.

A complaint is a record of its own (it may name no case): the applicant files it, the
supervisor assigns it to a department with a due date, the department answers, the
supervisor closes it with the result the applicant sees and may rate once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from runtime.engine.actor import Actor
from runtime.engine.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from runtime.engine.events import iso
from runtime.engine.states import Machine, Role, Transition
from runtime.engine.validation import problem

MAX_TEXT = 2000


class ComplaintStatus(StrEnum):
    """States of a complaint."""

    SUBMITTED = "submitted"  # waits for the supervisor to assign it
    ASSIGNED = "assigned"  # the department must answer by the due date
    ANSWERED = "answered"  # answered; the supervisor closes it with the result
    CLOSED = "closed"  # the result is out; the applicant may rate it


class ComplaintAction(StrEnum):
    """Actions on a complaint."""

    FILE = "file"
    ASSIGN = "assign"
    ANSWER = "answer"
    CLOSE = "close"
    RATE = "rate"


_S, _A, _R = ComplaintStatus, ComplaintAction, Role
COMPLAINT = Machine("complaint", (
    Transition(None, _A.FILE, _S.SUBMITTED, frozenset([_R.APPLICANT]), "text given"),
    Transition(_S.SUBMITTED, _A.ASSIGN, _S.ASSIGNED, frozenset([_R.SUPERVISOR]),
               "a department; due after the time limit"),
    Transition(_S.ASSIGNED, _A.ASSIGN, _S.ASSIGNED, frozenset([_R.SUPERVISOR]),
               "to another department"),
    Transition(_S.ASSIGNED, _A.ANSWER, _S.ANSWERED, frozenset([_R.DEPARTMENT]),
               "the assigned department"),
    Transition(_S.SUBMITTED, _A.CLOSE, _S.CLOSED, frozenset([_R.SUPERVISOR]),
               "answered by the supervisor directly"),
    Transition(_S.ASSIGNED, _A.CLOSE, _S.CLOSED, frozenset([_R.SUPERVISOR]), "the result"),
    Transition(_S.ANSWERED, _A.CLOSE, _S.CLOSED, frozenset([_R.SUPERVISOR]), "the result"),
    Transition(_S.CLOSED, _A.RATE, _S.CLOSED, frozenset([_R.APPLICANT]),
               "its applicant, once"),
))
"""The complaint table."""
LABELS: Mapping[str, str] = {_S.SUBMITTED: "待分派", _S.ASSIGNED: "待部门答复",
                             _S.ANSWERED: "已答复待办结", _S.CLOSED: "已办结"}


UPHELD, NOT_UPHELD = "upheld", "not_upheld"
#: A closing's verdict (投诉属实 / 投诉不属实), with its label.
VERDICTS: Mapping[str, str] = {UPHELD: "投诉属实", NOT_UPHELD: "投诉不属实"}


def text_of(name: str, value: Any) -> str:
    """A required text of at most `MAX_TEXT` characters."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed([problem(f"/{name}", f"{name} is required", "required")])
    if len(value) > MAX_TEXT:
        raise ValidationFailed([problem(f"/{name}", f"at most {MAX_TEXT} characters",
                                        "maxLength", {"limit": MAX_TEXT})])
    return value.strip()


def _entry(actor: Actor, now: datetime, action: str, note: str) -> dict[str, Any]:
    return {"at": iso(now), "by": actor.id, "role": str(actor.role), "action": str(action),
            "note": note}


def _verdict(verdict: Any, overturned: Mapping[str, Any] | None) -> dict[str, Any]:
    if verdict is None or verdict == "":
        verdict = None
    elif verdict not in VERDICTS:
        raise ValidationFailed([problem("/verdict", "verdict must be upheld or not_upheld",
                                        "enum")])
    if overturned is not None and verdict != UPHELD:
        raise ValidationFailed([problem("/overturn", "only an upheld complaint overturns",
                                        "const")])
    found: dict[str, Any] = {"verdict": verdict}
    if overturned is not None:
        found["overturned"] = dict(overturned)
    return found


def file(complaint_id: str, actor: Actor, now: datetime, text: Any, *, case: str | None,
         case_number: str | None, department: str | None) -> dict[str, Any]:
    """A new complaint by the applicant ``actor``."""
    COMPLAINT.check(None, ComplaintAction.FILE, actor.role)
    body = text_of("text", text)
    return {"id": complaint_id, "applicant": actor.id, "text": body, "case": case,
            "case_number": case_number, "department": department,
            "status": str(ComplaintStatus.SUBMITTED), "created_at": iso(now), "due": None,
            "answer": None, "result": None, "rating": None,
            "history": [_entry(actor, now, ComplaintAction.FILE, body)]}


def act(doc: Mapping[str, Any], actor: Actor, now: datetime, action: str, *,
        text: Any = None, department: str | None = None, due: datetime | None = None,
        level: Any = None, verdict: Any = None,
        overturned: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One step: assign (with ``department`` and ``due``), answer, close, rate.

    Closing may carry a ``verdict`` (`VERDICTS`) and, with ``upheld``, the refusal or
    rejection of the complaint's case that it overturns (``overturned``: the case, the
    deciding event's ``seq``, ``at``, department and officer, as the service found it).
    """
    row = COMPLAINT.check(doc["status"], action, actor.role)
    if action == ComplaintAction.ANSWER and actor.department != doc.get("department"):
        raise NotPermitted(action, "only the assigned department answers")
    if action == ComplaintAction.RATE:
        if actor.id != doc["applicant"]:
            raise NotPermitted(action, "only its applicant rates it")
        if doc.get("rating"):
            raise TransitionNotAllowed("complaint", doc["status"], action, "already rated")
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
            raise ValidationFailed([problem("/level", "level must be 1 to 5", "enum")])
    new = dict(doc)
    new["status"] = str(row.target)
    note = ""
    if action == ComplaintAction.ASSIGN:
        if not department:
            raise ValidationFailed([problem("/department", "department is required",
                                            "required")])
        new["department"], new["due"] = department, iso(due) if due else None
        note = department
    elif action in (ComplaintAction.ANSWER, ComplaintAction.CLOSE):
        note = text_of("text", text)
        key = "answer" if action == ComplaintAction.ANSWER else "result"
        new[key] = {"text": note, "by": actor.id, "at": iso(now)}
        if action == ComplaintAction.CLOSE:
            new["result"].update(_verdict(verdict, overturned))
    elif action == ComplaintAction.RATE:
        new["rating"] = {"level": level, "at": iso(now)}
        note = str(level)
    new["history"] = [*doc.get("history", ()), _entry(actor, now, action, note)]
    return new
