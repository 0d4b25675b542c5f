"""Public answers, no token: a case's progress by number and code, the results announcement."""

from __future__ import annotations

from typing import Any

from runtime.web.api.operation import LIMIT, OFFSET, Call, Listing, Operation, Param
from runtime.web.api.schemas import list_of, maybe, obj, text
from runtime.web.auth import client_address

CODE = Param("code", "the query code printed on the receipt", pattern=r"^[0-9A-Za-z]{1,40}$")
MATTER = Param("matter", "an announced matter's id", pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
MONTH = Param("month", "the month of the decision, YYYY-MM", pattern=r"^[0-9]{4}-[0-9]{2}$")
STEP = obj(("name", "department", "status"), closed=False, name=text("step title"),
           department=text("department name"), status=text(), status_label=text())
PROGRESS = obj(("number", "matter", "status", "steps"), closed=False, number=text(),
               matter=text("matter id"), matter_name=text(), status=text(),
               status_label=text(), accepted_at=maybe("string"), decided_at=maybe("string"),
               steps=list_of(STEP))
RESULT = obj(("number", "matter", "holder", "result", "date"), closed=False, number=text(),
             matter=text("matter id"), matter_name=text(),
             holder=text("masked, e.g. 云川市青禾**有限公司"), result=text("准予许可 or 不予许可"),
             date=text("YYYY-MM-DD"))


def public_case(call: Call) -> Any:
    """A case's state and each step's progress; no personal data. A wrong code is 404."""
    return call.services.public.case(call.path("number"), call.query["code"] or "",
                                     client_address(call.request))


def public_results(call: Call) -> Any:
    """Finished cases of the matters the centre announces, newest first."""
    rows, total = call.services.public.results(matter=call.query["matter"],
                                               month=call.query["month"],
                                               limit=call.query["limit"],
                                               offset=call.query["offset"])
    return Listing([r.to_json() for r in rows], total)


operations: list[Operation] = [
    Operation("GET", "/public/cases/{number}", public_case, "Query a case by number and code",
              "anyone, no token", PROGRESS, "public", query=(CODE,), public=True,
              errors=(400, 404, 429)),
    Operation("GET", "/public/results", public_results, "Results announcement (办件结果公告)",
              "anyone, no token", list_of(RESULT), "public", public=True,
              query=(MATTER, MONTH, LIMIT, OFFSET), errors=(400,),
              headers={"X-Total-Count": {"type": "integer"}}),
]
