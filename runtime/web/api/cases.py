"""Cases (办件): applying, reading, and the applicant's and the window's actions."""

from __future__ import annotations

from typing import Any

from runtime.services.errors import Invalid
from runtime.web.api.operation import LIMIT, OFFSET, Call, Listing, Operation, Param
from runtime.web.api.present import case_json
from runtime.web.api.schemas import (
    ANY_OBJECT,
    CASE_STATUSES,
    MATERIALS,
    list_of,
    obj,
    ref,
    text,
)

CASE_ACTION_ERRORS = (400, 401, 403, 404, 409, 413)
STATUS = Param("status", "only cases in these states (repeat the parameter or separate "
               "with commas)", choices=CASE_STATUSES)


def _case(call: Call, case: dict[str, Any]) -> dict[str, Any]:
    return case_json(case, call.services.tasks.light)


def create_case(call: Call) -> Any:
    """Apply: create and submit in one go (the window names the walk-in applicant)."""
    applicant = None
    ref_ = call.body.get("applicant")
    if ref_ is not None:
        applicant = call.services.accounts.find(ref_)
        if applicant is None:
            raise Invalid("没有这个申请人账号", [{"pointer": "/applicant",
                                          "message": "没有这个用户"}])
    case = call.services.cases.apply(call.user, call.body["matter"], call.body["data"],
                                     call.body.get("materials", {}), applicant=applicant,
                                     on_behalf_of=call.body.get("on_behalf_of"))
    return _case(call, case)


def list_cases(call: Call) -> Any:
    """Cases for the window, supervisors and admins; an applicant's own and those agents
    submitted for it (全程代办: they carry ``agent`` and ``on_behalf_of``), newest first."""
    cases = call.services.cases
    status, limit, offset = call.query["status"], call.query["limit"], call.query["offset"]
    entrusted = [c for c in cases.entrusted(call.user)
                 if not status or c["status"] in status]
    if not entrusted:
        items = cases.list(call.user, status=status, limit=limit, offset=offset)
    else:  # the principal's index is small: merge it with the first offset+limit own
        own = cases.list(call.user, status=status, limit=offset + limit)
        merged = sorted([*own, *entrusted], key=lambda c: c["updated_at"], reverse=True)
        items = merged[offset:offset + limit]
    return Listing([case_json(c, call.services.tasks.light, events=False) for c in items],
                   cases.count(call.user, status=status) + len(entrusted))


def get_case(call: Call) -> Any:
    """One case with its tasks, outputs, certificates and events."""
    return _case(call, call.services.cases.get(call.user, call.path("case_id")))


def accept_case(call: Call) -> Any:
    """Accept (受理): number the case and release its first tasks."""
    return _case(call, call.services.cases.accept(call.user, call.path("case_id"),
                                                  deferred=call.body.get("deferred", ())))


def request_supplement(call: Call) -> Any:
    """One notice listing everything to correct (一次性告知补正)."""
    return _case(call, call.services.cases.request_supplement(
        call.user, call.path("case_id"), call.body["items"]))


def refuse_case(call: Call) -> Any:
    """Refuse to accept (不予受理)."""
    return _case(call, call.services.cases.refuse(call.user, call.path("case_id"),
                                                  call.body["reason"]))


def deliver_case(call: Call) -> Any:
    """Hand over the outcome and certificates (出件)."""
    return _case(call, call.services.cases.deliver(call.user, call.path("case_id")))


def pre_review_case(call: Call) -> Any:
    """Record the window's pre-review note (预审)."""
    return _case(call, call.services.cases.pre_review(call.user, call.path("case_id"),
                                                      call.body["note"]))


def withdraw_case(call: Call) -> Any:
    """The applicant withdraws (撤回)."""
    return _case(call, call.services.cases.withdraw(call.user, call.path("case_id"),
                                                    call.body.get("reason", "")))


def answer_supplement(call: Call) -> Any:
    """Correct what the supplement notice listed."""
    return _case(call, call.services.cases.answer_supplement(
        call.user, call.path("case_id"), data=call.body.get("data"),
        materials=call.body.get("materials")))


def verify_original(call: Call) -> Any:
    """Record that the window saw a material's original (原件核验): who, when, which."""
    material = call.body["material"]
    case = call.services.cases.verify_original(call.user, call.path("case_id"), material)
    seen = case["originals"][material]
    name = call.services.cases.spec(case).material(material).name
    return {"case": case["id"], "material": material, "material_name": name,
            "by": seen["by"], "by_name": call.services.accounts.name_of(seen["by"]),
            "at": seen["at"]}


ORIGINAL = obj(("case", "material", "by", "at"), case=text("the case id"),
               material=text("the material id"), material_name=text("its title"),
               by=text("the window clerk's user id"), by_name=text("the clerk's name"),
               at={"type": "string", "format": "date-time"})


def _action(path: str, handler: Any, summary: str, who: str, body: dict[str, Any],
            required: bool = True) -> Operation:
    return Operation("POST", f"/cases/{{case_id}}/{path}", handler, summary, who, ref("Case"),
                     "cases", body=body, body_required=required, errors=CASE_ACTION_ERRORS)


NEW_CASE = obj(("matter", "data"), matter=text("a published matter id"),
               data=dict(ANY_OBJECT, description="answers to the matter's form"),
               materials=MATERIALS,
               applicant=text("window only: the walk-in applicant's user name or id"),
               on_behalf_of={**obj(("name", "id_number", "phone"), name=text(),
                                   id_number=text("居民身份证号码 or 统一社会信用代码"),
                                   phone=text("mobile number")),
                             "description": "agent only (全程代办): whom it applies for; "
                             "the material `entrustment` is then required"})
SUPPLEMENT_ITEM = obj(("reason",), material=text("a material id"),
                      field=text("a top-level form field"), reason=text())

operations = [
    Operation("POST", "/cases", create_case, "Apply (create and submit a case)",
              "applicant; window for a walk-in applicant; agent (with `on_behalf_of`)",
              ref("Case"), "cases", status=201,
              body=NEW_CASE, body_required=True, errors=(400, 401, 403, 404, 413),
              description="Validated against the matter's form and material list; the new "
              "case is `submitted`."),
    Operation("GET", "/cases", list_cases, "List cases (without their events)",
              "window, supervisor, admin; an applicant sees their own", list_of(ref("Case")),
              "cases", query=(STATUS, LIMIT, OFFSET), errors=(400, 401, 403),
              headers={"X-Total-Count": {"type": "string", "pattern": "^[0-9]+$"}}),
    Operation("GET", "/cases/{case_id}", get_case, "Read a case",
              "its applicant, window, supervisor, admin, a department with a task on it",
              ref("Case"), "cases", errors=(401, 404)),
    _action("accept", accept_case, "Accept (受理)", "window",
            obj(deferred=list_of(text("a deferrable material id (容缺)"))), required=False),
    _action("supplement", request_supplement, "Ask for corrections (补正)", "window",
            obj(("items",), items=list_of(SUPPLEMENT_ITEM))),
    _action("refuse", refuse_case, "Refuse to accept (不予受理)", "window",
            obj(("reason",), reason=text())),
    _action("deliver", deliver_case, "Deliver the outcome (出件)", "window", obj(),
            required=False),
    _action("pre-review", pre_review_case, "Pre-review note (预审)", "window",
            obj(("note",), note=text())),
    _action("withdraw", withdraw_case, "Withdraw (撤回)", "applicant",
            obj(reason=text()), required=False),
    _action("supplement-answer", answer_supplement, "Answer a supplement notice",
            "applicant; window for a walk-in applicant",
            obj(data=ANY_OBJECT, materials=MATERIALS)),
    Operation("POST", "/cases/{case_id}/originals", verify_original,
              "Record an original checked (原件核验)", "window", ORIGINAL, "cases",
              status=201, body=obj(("material",), material=text(
                  "a material marked `original: true`, supplied, not checked yet")),
              body_required=True, errors=CASE_ACTION_ERRORS,
              description="Once per material; the case keeps `originals[material] = "
              "{by, at}` and its events a `verify_original`."),
]
