"""网上咨询: a question on a matter before applying, answered by the matter's lead
department, which may publish the answer in the matter's public FAQ. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from runtime.engine.actor import Actor
from runtime.engine.errors import NotPermitted
from runtime.engine.events import iso
from runtime.engine.states import Machine, Role, Transition
from runtime.engine.validation import require_text


class ConsultationStatus(StrEnum):
    """States of a question."""

    ASKED = "asked"
    ANSWERED = "answered"


class ConsultationAction(StrEnum):
    """Actions on a question."""

    ASK = "ask"
    ANSWER = "answer"


_S, _A = ConsultationStatus, ConsultationAction
CONSULTATION = Machine("consultation", (
    Transition(None, _A.ASK, _S.ASKED, frozenset([Role.APPLICANT]), "a matter and a question"),
    Transition(_S.ASKED, _A.ANSWER, _S.ANSWERED, frozenset([Role.DEPARTMENT]),
               "the matter's lead department; may be published in the FAQ"),
))
"""The consultation table."""
LABELS: Mapping[str, str] = {_S.ASKED: "待答复", _S.ANSWERED: "已答复"}


def ask(question_id: str, actor: Actor, now: datetime, matter: str, lead: str,
        text: str) -> dict[str, Any]:
    """A new question on ``matter`` for its ``lead`` department."""
    CONSULTATION.check(None, ConsultationAction.ASK, actor.role)
    require_text("question", text)
    return {"id": question_id, "applicant": actor.id, "matter": matter, "department": lead,
            "question": text.strip(), "asked_at": iso(now),
            "status": str(ConsultationStatus.ASKED), "answer": None, "published": False}


def answer(doc: Mapping[str, Any], actor: Actor, now: datetime, text: str,
           publish: bool) -> dict[str, Any]:
    """The lead department answers; ``publish`` puts the pair in the public FAQ."""
    row = CONSULTATION.check(doc["status"], ConsultationAction.ANSWER, actor.role)
    if actor.department != doc["department"]:
        raise NotPermitted(ConsultationAction.ANSWER, "only the matter's lead department")
    require_text("answer", text)
    return {**doc, "status": str(row.target), "published": bool(publish),
            "answer": {"text": text.strip(), "by": actor.id, "at": iso(now)}}
