"""好差评: rate a decided case; the ratings with their rectification (整改)."""

from __future__ import annotations

from typing import Any

from runtime.web.api.operation import LIMIT, OFFSET, Call, Listing, Operation
from runtime.web.api.schemas import list_of, maybe, obj, text

NEW_RATING = obj(("level",), level={"type": "integer", "minimum": 1, "maximum": 5},
                 comment={"type": "string", "maxLength": 1000},
                 dimensions={"type": "object", "description": "optional detail: 1–5 per "
                             "dimension (attitude 服务态度, efficiency 办事效率, process 办事流程, "
                             "guide 办事指南, result 办理结果)",
                             "additionalProperties": {"type": "integer", "minimum": 1,
                                                      "maximum": 5}})
STEP = maybe("object")
RECTIFICATION = maybe("object", properties={
    "department": text(), "status": text("open, replied, appealed, closed, annulled"),
    "due": text(), "reply": STEP, "follow_up": STEP, "appeal": STEP})
RATING = obj(("level", "at"), closed=False, level={"type": "integer"}, comment=text(),
             at=text(), by=text(), rectification=RECTIFICATION)
ROW = obj(("case", "number", "level"), closed=False, case=text(), number=text(),
          matter_name=text(), department=text(), department_name=text(),
          level={"type": "integer"}, comment=text(), at=text(), rectification=RECTIFICATION)
STEP_BODY = obj(("text",), text={"type": "string", "maxLength": 1000})


def rate_case(call: Call) -> Any:
    """Rate once, after the decision; 1–2 (差评) opens a rectification."""
    return call.services.ratings.rate(call.user, call.path("case_id"), call.body["level"],
                                      call.body.get("comment"),
                                      dimensions=call.body.get("dimensions"))


def list_ratings(call: Call) -> Any:
    """Rated cases, newest first: the supervisor sees all, a department its own."""
    rows = call.services.ratings.listing(call.user)
    start = call.query["offset"]
    return Listing([r.to_json() for r in rows[start:start + call.query["limit"]]], len(rows))


def _step(action: str) -> Any:
    def handler(call: Call) -> Any:
        return call.services.ratings.act(call.user, call.path("case_id"), action,
                                         call.body["text"])
    handler.__name__ = f"rating_{action}"
    handler.__doc__ = f"Rectification step `{action}`."
    return handler


operations: list[Operation] = [
    Operation("POST", "/cases/{case_id}/rating", rate_case, "Rate a decided case (好差评)",
              "the case's applicant, once", RATING, "accountability", status=201,
              body=NEW_RATING, body_required=True, errors=(400, 401, 403, 404, 409, 413)),
    Operation("GET", "/ratings", list_ratings, "Ratings with their rectification",
              "supervisor (all), department (its own)", list_of(ROW), "accountability",
              query=(LIMIT, OFFSET), errors=(400, 401, 403),
              headers={"X-Total-Count": {"type": "integer"}}),
    *[Operation("POST", f"/cases/{{case_id}}/rating/{action}", _step(action),
                f"Rectification: {label}", who, RATING, "accountability", body=STEP_BODY,
                body_required=True, errors=(400, 401, 403, 404, 409, 413))
      for action, label, who in (
          ("reply", "reply with the measures (整改答复)", "the responsible department"),
          ("appeal", "appeal a malicious rating (申诉)", "the responsible department"),
          ("follow_up", "the follow-up result (回访)", "supervisor"),
          ("uphold_appeal", "uphold the appeal: the rating no longer counts", "supervisor"),
          ("dismiss_appeal", "dismiss the appeal", "supervisor"))],
]
