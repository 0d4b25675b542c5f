"""网上咨询: ask about a matter; the lead department answers; the public FAQ."""

from __future__ import annotations

from typing import Any

from runtime.web.api.operation import LIMIT, OFFSET, Call, Listing, Operation, Param
from runtime.web.api.schemas import list_of, maybe, obj, text

QUESTION = obj(("id", "matter", "question", "status"), closed=False, id=text(),
               matter=text(), question=text(), status=text("asked or answered"),
               answer=maybe("object"), published={"type": "boolean"})
ASK = obj(("matter", "question"), matter={"type": "string", "maxLength": 64},
          question={"type": "string", "maxLength": 2000})
ANSWER = obj(("answer",), answer={"type": "string", "maxLength": 2000},
             publish={"type": "boolean"})
MATTER = Param("matter", "a published matter's id", pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
FAQ = obj(("question", "answer", "date"), question=text(), answer=text(), date=text())


def ask_question(call: Call) -> Any:
    """An applicant's question on a matter, for its lead department."""
    return call.services.consultations.ask(call.user, call.body["matter"],
                                           call.body["question"])


def list_questions(call: Call) -> Any:
    """An applicant's own questions, a lead department's, or all (supervisor)."""
    found = call.services.consultations.listing(call.user)
    start = call.query["offset"]
    return Listing(found[start:start + call.query["limit"]], len(found))


def answer_question(call: Call) -> Any:
    """The lead department answers; ``publish`` puts it in the matter's public FAQ."""
    return call.services.consultations.answer(call.user, call.path("question_id"),
                                              call.body["answer"],
                                              bool(call.body.get("publish", False)))


def public_faq(call: Call) -> Any:
    """A matter's published questions and answers (no names)."""
    return call.services.consultations.faq(call.query["matter"] or "")


operations: list[Operation] = [
    Operation("POST", "/consultations", ask_question, "Ask about a matter (网上咨询)",
              "applicant", QUESTION, "accountability", status=201, body=ASK,
              body_required=True, errors=(400, 401, 403, 404, 413)),
    Operation("GET", "/consultations", list_questions, "List questions",
              "applicant (own), department (its matters), supervisor (all)",
              list_of(QUESTION), "accountability", query=(LIMIT, OFFSET),
              errors=(400, 401), headers={"X-Total-Count": {"type": "integer"}}),
    Operation("POST", "/consultations/{question_id}/answer", answer_question,
              "Answer a question", "the matter's lead department", QUESTION,
              "accountability", body=ANSWER, body_required=True,
              errors=(400, 401, 403, 404, 409, 413)),
    Operation("GET", "/public/faq", public_faq, "A matter's public FAQ", "anyone, no token",
              list_of(FAQ), "public", query=(MATTER,), public=True, errors=(400,)),
]
