"""网上投诉: file, list, assign, reply (a department answers, the supervisor closes), rate."""

from __future__ import annotations

from typing import Any

from runtime.web.api.operation import LIMIT, OFFSET, Call, Listing, Operation
from runtime.web.api.schemas import list_of, maybe, obj, text

NEW = obj(("text",), text={"type": "string", "maxLength": 2000},
          case=maybe("string", maxLength=64), department=maybe("string", maxLength=64))
STEP = maybe("object")
COMPLAINT = obj(("id", "status"), closed=False, id=text(), status=text(
    "submitted, assigned, answered, closed"), text=text(), case=maybe("string"),
    case_number=maybe("string"), department=maybe("string"), due=maybe("string"),
    answer=STEP, result=STEP, rating=STEP, created_at=text())
REPLY = obj(("text",), text={"type": "string", "maxLength": 2000},
            verdict={"enum": ["upheld", "not_upheld"],
                     "description": "closing (supervisor): 投诉属实 / 投诉不属实"},
            overturn={"type": "boolean", "description": "closing, upheld: overturn the "
                      "refusal or rejection of the complaint's case (recorded and scored)"})
ASSIGN = obj(("department",), department={"type": "string", "maxLength": 64})
RATE = obj(("level",), level={"type": "integer", "minimum": 1, "maximum": 5})


def file_complaint(call: Call) -> Any:
    """An applicant's complaint, about a case of theirs and/or a department."""
    return call.services.complaints.file(call.user, call.body["text"],
                                         case=call.body.get("case"),
                                         department=call.body.get("department"))


def list_complaints(call: Call) -> Any:
    """Supervisor all, a department those assigned to it, an applicant their own."""
    found = call.services.complaints.listing(call.user)
    start = call.query["offset"]
    return Listing(found[start:start + call.query["limit"]], len(found))


def assign_complaint(call: Call) -> Any:
    """The supervisor assigns the complaint to a department, with a time limit."""
    return call.services.complaints.assign(call.user, call.path("complaint_id"),
                                           call.body["department"])


def reply_complaint(call: Call) -> Any:
    """The assigned department answers; the supervisor closes with the result."""
    return call.services.complaints.reply(call.user, call.path("complaint_id"),
                                          call.body["text"], verdict=call.body.get("verdict"),
                                          overturn=bool(call.body.get("overturn")))


def rate_complaint(call: Call) -> Any:
    """The applicant rates the handling of a closed complaint, once."""
    return call.services.complaints.rate(call.user, call.path("complaint_id"),
                                         call.body["level"])


_ERRORS = (400, 401, 403, 404, 409, 413)
operations: list[Operation] = [
    Operation("POST", "/complaints", file_complaint, "File a complaint (网上投诉)", "applicant",
              COMPLAINT, "accountability", status=201, body=NEW, body_required=True,
              errors=_ERRORS),
    Operation("GET", "/complaints", list_complaints, "List complaints",
              "supervisor (all), department (assigned to it), applicant (own)",
              list_of(COMPLAINT), "accountability", query=(LIMIT, OFFSET),
              errors=(400, 401, 403), headers={"X-Total-Count": {"type": "integer"}}),
    Operation("POST", "/complaints/{complaint_id}/assign", assign_complaint,
              "Assign a complaint", "supervisor", COMPLAINT, "accountability", body=ASSIGN,
              body_required=True, errors=_ERRORS),
    Operation("POST", "/complaints/{complaint_id}/reply", reply_complaint,
              "Answer (department) or close with the result (supervisor)",
              "supervisor, the assigned department", COMPLAINT, "accountability", body=REPLY,
              body_required=True, errors=_ERRORS),
    Operation("POST", "/complaints/{complaint_id}/rating", rate_complaint,
              "Rate a closed complaint's handling", "its applicant, once", COMPLAINT,
              "accountability", body=RATE, body_required=True, errors=_ERRORS),
]
