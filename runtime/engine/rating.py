"""好差评: the applicant's rating of a decided case, and the rectification (整改) a 差评
opens for the responsible department. Pure: each action returns a NEW case.

The rating lives in the case document (``case["rating"]``) and every step is an event
(entity ``rating``), so scoring can trace each point to the event that caused it. The
rectification has its own state machine; the case's status never changes here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from runtime.engine.actor import Actor
from runtime.engine.calendar import WorkCalendar
from runtime.engine.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from runtime.engine.events import Document, Writer, iso
from runtime.engine.states import Machine, Role, Transition
from runtime.engine.validation import problem
from runtime.engine.vocabulary import RATEABLE_CASE

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
"""The five levels of the national 好差评 system."""
BAD = frozenset({1, 2})
"""差评 levels: they open a rectification."""
DEFAULT_LEVEL = 3
"""What a case not rated in time counts as (基本满意)."""
MAX_TEXT = 1000


class Rectification(StrEnum):
    """States of a rectification (整改)."""

    OPEN = "open"  # the department must answer by the due date
    REPLIED = "replied"  # answered; waits for the supervisor's 回访
    APPEALED = "appealed"  # the department says the rating is malicious
    CLOSED = "closed"  # 回访 done
    ANNULLED = "annulled"  # the appeal upheld: the rating does not count


class RatingAction(StrEnum):
    """Actions on a rating and its rectification."""

    RATE = "rate"
    REPLY = "reply"
    FOLLOW_UP = "follow_up"
    APPEAL = "appeal"
    UPHOLD = "uphold_appeal"
    DISMISS = "dismiss_appeal"


_R, _A, _W = Rectification, RatingAction, Role
RECTIFICATION = Machine("rectification", (
    Transition(_R.OPEN, _A.REPLY, _R.REPLIED, frozenset([_W.DEPARTMENT]),
               "the responsible department; the measures and the reply to the applicant"),
    Transition(_R.OPEN, _A.APPEAL, _R.APPEALED, frozenset([_W.DEPARTMENT]),
               "the responsible department; why the rating is malicious"),
    Transition(_R.REPLIED, _A.FOLLOW_UP, _R.CLOSED, frozenset([_W.SUPERVISOR]),
               "the 回访 result"),
    Transition(_R.APPEALED, _A.UPHOLD, _R.ANNULLED, frozenset([_W.SUPERVISOR]),
               "the rating is malicious: it no longer counts"),
    Transition(_R.APPEALED, _A.DISMISS, _R.OPEN, frozenset([_W.SUPERVISOR]),
               "the department must still answer"),
))
"""The rectification table."""
RECTIFICATION_LABELS: Mapping[str, str] = {
    _R.OPEN: "待整改", _R.REPLIED: "已整改待回访", _R.APPEALED: "申诉中",
    _R.CLOSED: "已回访办结", _R.ANNULLED: "申诉成立（不计差评）",
}
ACTION_LABELS: Mapping[str, str] = {
    _A.RATE: "评价", _A.REPLY: "整改答复", _A.FOLLOW_UP: "回访", _A.APPEAL: "申诉",
    _A.UPHOLD: "申诉成立", _A.DISMISS: "驳回申诉",
}


def _text(name: str, value: Any, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationFailed([problem(f"/{name}", f"{name} is required", "required")])
    if len(value) > MAX_TEXT:
        raise ValidationFailed([problem(f"/{name}", f"at most {MAX_TEXT} characters",
                                        "maxLength", {"limit": MAX_TEXT})])
    return value.strip()


#: The national 好差评 rating dimensions, each optionally rated 1–5 beside the level.
DIMENSIONS: Mapping[str, str] = {
    "attitude": "服务态度", "efficiency": "办事效率", "process": "办事流程",
    "guide": "办事指南", "result": "办理结果",
}


def dimensions_of(value: Any) -> dict[str, int]:
    """Optional detail: ``{dimension: level}`` for known dimensions, levels 1–5."""
    if value is None or value == {}:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationFailed([problem("/dimensions", "dimensions must be an object",
                                        "type")])
    found = {}
    for key, level in value.items():
        if key not in DIMENSIONS:
            raise ValidationFailed([problem(f"/dimensions/{key}", "unknown dimension",
                                            "additionalProperties")])
        if not isinstance(level, int) or isinstance(level, bool) or level not in LEVELS:
            raise ValidationFailed([problem(f"/dimensions/{key}",
                                            "level must be an integer from 1 to 5", "enum")])
        found[key] = level
    return found


def rate(case: Document, actor: Actor, now: datetime, level: Any, comment: Any, *,
         department: str, calendar: WorkCalendar, rectify_days: float,
         dimensions: Any = None, device: bool = False) -> Document:
    """The applicant rates a decided case once; a 差评 opens a rectification for
    ``department`` (the matter's lead), due ``rectify_days`` working days later.

    ``device``: rated at the window's rating device (一次一评), in a session the window
    officer ``actor`` started for this case; the applicant does not sign in."""
    if device:
        if actor.role != Role.WINDOW:
            raise NotPermitted(RatingAction.RATE, "the window starts a device rating")
    elif actor.role != Role.APPLICANT or actor.id != case.get("applicant"):
        raise NotPermitted(RatingAction.RATE, "only the case's applicant rates it")
    if case.get("status") not in RATEABLE_CASE:
        raise TransitionNotAllowed("case", case.get("status"), RatingAction.RATE,
                                   "rated after the decision only")
    if case.get("rating"):
        raise TransitionNotAllowed("case", case.get("status"), RatingAction.RATE,
                                   "already rated (一事一评)")
    if not isinstance(level, int) or isinstance(level, bool) or level not in LEVELS:
        raise ValidationFailed([problem("/level", "level must be an integer from 1 to 5",
                                        "enum")])
    note = _text("comment", comment, required=False)
    detail = dimensions_of(dimensions)
    w = Writer(case, iso(now))
    w.begin(actor, RatingAction.RATE, entity="rating", source=None, target=None, note=note)
    rectification = None
    if level in BAD:
        rectification = {"department": department, "status": str(Rectification.OPEN),
                         "due": iso(calendar.add(now, rectify_days).at), "reply": None,
                         "follow_up": None, "appeal": None}
    w.set(["rating"], {"level": level, "comment": note, "at": w.at, "by": actor.id,
                       "department": department, "rectification": rectification,
                       "dimensions": detail, "source": "device" if device else "online"})
    return w.result()


def rectify(case: Document, actor: Actor, now: datetime, action: str, text: Any) -> Document:
    """A step of the rectification: reply or appeal (the department), 回访 or ruling on
    the appeal (the supervisor)."""
    rating = case.get("rating") or {}
    current = rating.get("rectification")
    if current is None:
        raise TransitionNotAllowed("rectification", None, action, "no rectification")
    row = RECTIFICATION.check(current["status"], action, actor.role)
    if actor.role == Role.DEPARTMENT and actor.department != current["department"]:
        raise NotPermitted(action, "only the responsible department")
    note = _text("text", text, required=True)
    w = Writer(case, iso(now))
    target = str(row.target)
    w.begin(actor, action, entity="rating", source=current["status"], target=target, note=note)
    path: list[str | int] = ["rating", "rectification"]
    w.set([*path, "status"], target)
    entry = {"text": note, "by": actor.id, "at": w.at}
    if action == RatingAction.REPLY:
        w.set([*path, "reply"], entry)
    elif action == RatingAction.FOLLOW_UP:
        w.set([*path, "follow_up"], entry)
    elif action == RatingAction.APPEAL:
        w.set([*path, "appeal"], {**entry, "ruling": None})
    else:
        w.set([*path, "appeal", "ruling"], {**entry, "upheld": action == RatingAction.UPHOLD})
    return w.result()


def rectify_actions(case: Mapping[str, Any], actor: Actor) -> tuple[RatingAction, ...]:
    """The rectification actions ``actor`` may take now."""
    current = (case.get("rating") or {}).get("rectification")
    if current is None:
        return ()
    found = []
    for action in (RatingAction.REPLY, RatingAction.APPEAL, RatingAction.FOLLOW_UP,
                   RatingAction.UPHOLD, RatingAction.DISMISS):
        if not RECTIFICATION.allows(current["status"], action):
            continue
        try:
            RECTIFICATION.check_role(action, actor.role)
        except NotPermitted:
            continue
        if actor.role == Role.DEPARTMENT and actor.department != current["department"]:
            continue
        found.append(action)
    return tuple(found)


def counted_level(case: Mapping[str, Any], now: datetime, default_days: float) -> int | None:
    """The level a case counts with: its rating (None when the appeal was upheld), or
    基本满意 once ``default_days`` have passed since the decision without one."""
    rating = case.get("rating")
    if rating:
        rectification = rating.get("rectification") or {}
        return None if rectification.get("status") == Rectification.ANNULLED else rating["level"]
    decided = case.get("decided_at") or case.get("closed_at")
    if case.get("status") not in RATEABLE_CASE or not decided:
        return None
    passed = (now - datetime.fromisoformat(decided)).total_seconds() / 86400
    return DEFAULT_LEVEL if passed >= default_days else None
