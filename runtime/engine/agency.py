"""Full-process proxy (全程代办) actions on a case: the town point forwards a village
point's case (转报, due within 2 working days, with a light), the agent records a
home-visit intake (上门受理) and, after delivery, the follow-up visit (回访).
Each returns a NEW case with one event."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from builder.spec import MatterSpec
from runtime.engine.actor import Actor
from runtime.engine.calendar import WorkCalendar
from runtime.engine.errors import TransitionNotAllowed, ValidationFailed
from runtime.engine.events import Document, Writer, iso
from runtime.engine.moves import check_case, move_case, spec_of
from runtime.engine.states import CaseAction
from runtime.engine.validation import problem, require_text

LEVELS = {"village": "村级代办点", "town": "乡镇代办点", "county": "县级代办中心"}
"""Service point levels (代办点层级), lowest first."""
FORWARD_DAYS = 2
"""Working days a town point has to forward a village point's case (转报)."""
FOLLOW_UP_RESULTS = ("满意", "基本满意", "不满意")
MAX_NOTE = 500


def forwarding(point: Mapping[str, Any] | None, now: datetime,
               calendar: WorkCalendar) -> dict[str, Any] | None:
    """The forwarding a new case of an agent at ``point`` starts: a village point's case
    is due at its town point within `FORWARD_DAYS` working days; others none."""
    if not point or point.get("level") != "village":
        return None
    due = calendar.add(now, FORWARD_DAYS).at
    return {"to": point.get("town") or "", "due": iso(due), "limit_days": FORWARD_DAYS,
            "at": None, "by": None, "note": ""}


def forward_light(case: Mapping[str, Any], now: datetime, calendar: WorkCalendar,
                  yellow_days: float = 1.0, yellow_fraction: float = 0.2) -> str | None:
    """The forwarding deadline's light, as a task's: None once forwarded or closed."""
    forward = case.get("forward")
    if not forward or forward.get("at") or case.get("closed_at"):
        return None
    return calendar.light(now, datetime.fromisoformat(forward["due"]), forward["limit_days"],
                          yellow_days, yellow_fraction).value


def forward(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
            note: str = "") -> Document:
    """The town point forwards a village point's case (转报), once."""
    spec_of(case, matter)
    check_case(case, CaseAction.FORWARD, actor)
    pending = case.get("forward")
    if not pending or pending.get("at"):
        raise TransitionNotAllowed("case", case["status"], CaseAction.FORWARD,
                                   "no forwarding awaited")
    text = _note(note, required=False)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.FORWARD, actor, text)
    w.set(["forward"], {**pending, "at": w.at, "by": actor.id, "note": text})
    return w.result()


def home_visit(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
               note: str) -> Document:
    """The agent took the application at the applicant's home (上门受理), with a note
    (who was visited, why: elderly, disabled)."""
    spec_of(case, matter)
    check_case(case, CaseAction.HOME_VISIT, actor)
    text = _note(note, required=True)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.HOME_VISIT, actor, text)
    entry = {"by": actor.id, "at": w.at, "note": text}
    w.set(["home_visits"], [*(case.get("home_visits") or ()), entry])
    return w.result()


def follow_up(case: Document, matter: MatterSpec, actor: Actor, now: datetime,
              result: str, note: str = "") -> Document:
    """The agent's follow-up visit after delivery (回访): the result, once."""
    spec_of(case, matter)
    check_case(case, CaseAction.FOLLOW_UP, actor)
    if case.get("follow_up"):
        raise TransitionNotAllowed("case", case["status"], CaseAction.FOLLOW_UP,
                                   "the follow-up visit is already recorded")
    if result not in FOLLOW_UP_RESULTS:
        raise ValidationFailed([problem("/result", "one of " + ", ".join(FOLLOW_UP_RESULTS),
                                        "enum", {"options": FOLLOW_UP_RESULTS})])
    text = _note(note, required=False)
    w = Writer(case, iso(now))
    move_case(w, CaseAction.FOLLOW_UP, actor, result)
    w.set(["follow_up"], {"by": actor.id, "at": w.at, "result": result, "note": text})
    return w.result()


def _note(note: Any, *, required: bool) -> str:
    if not required and (note is None or note == ""):
        return ""
    text = require_text("note", note).strip()
    if len(text) > MAX_NOTE:
        raise ValidationFailed([problem("/note", f"at most {MAX_NOTE} characters",
                                        "maxLength", {"limit": MAX_NOTE})])
    return text
