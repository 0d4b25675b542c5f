"""考核: scores per department and officer; annulling a deduction."""

from __future__ import annotations

from typing import Any

from runtime.web.api.operation import Call, Operation, Param
from runtime.web.api.schemas import list_of, obj, text

PERIOD = Param("period", "YYYY-MM (a month) or YYYY (a year); default this month",
               pattern=r"^[0-9]{4}(-[0-9]{2})?$")
ITEM = obj(("rule", "count", "points"), closed=False, rule=text(), name=text(),
           count={"type": "integer"}, points={"type": "number"},
           events=list_of(obj(closed=False, key=text(), number=text(), at=text())))
SUBJECT = obj(("score", "items"), closed=False, score={"type": "number"}, grade=text(),
              items=list_of(ITEM))
REPORT = obj(("departments", "staff"), closed=False, period=text(),
             departments=list_of(SUBJECT), staff=list_of(SUBJECT))
ANNUL = obj(("key", "reason"), key={"type": "string", "maxLength": 200},
            reason={"type": "string", "maxLength": 1000})


def scores(call: Call) -> Any:
    """Scores of the period under catalog/scoring.yaml, each point with its events."""
    found = call.services.scores
    return found.to_json(found.report(call.user, call.query["period"]))


def annul_deduction(call: Call) -> Any:
    """Annul one deduction (its event key from the scores) with a reason."""
    return call.services.scores.annul(call.user, call.body["key"], call.body["reason"])


operations: list[Operation] = [
    Operation("GET", "/scores", scores, "Scores (考核) per department and officer",
              "supervisor, admin; a department (itself and its officers)", REPORT,
              "accountability", query=(PERIOD,), errors=(400, 401, 403, 404)),
    Operation("POST", "/scores/annul", annul_deduction, "Annul a deduction, with a reason",
              "supervisor", obj(("key", "reason"), closed=False, key=text(), reason=text()),
              "accountability", body=ANNUL, body_required=True,
              errors=(400, 401, 403, 409, 413)),
]
