"""Full-process proxy (全程代办) actions: forward (转报), home visit (上门受理), follow-up
visit (回访), and a town point's list of village cases to forward."""

from __future__ import annotations

from typing import Any

from runtime.web.api.cases import CASE_ACTION_ERRORS, _case
from runtime.web.api.operation import Call, Listing, Operation
from runtime.web.api.present import case_json
from runtime.web.api.schemas import list_of, obj, ref, text


def forward(call: Call) -> Any:
    """The town point forwards a village point's case (转报)."""
    return _case(call, call.services.agency.forward(call.user, call.path("case_id"),
                                                    call.body.get("note", "")))


def home_visit(call: Call) -> Any:
    """The agent records a home-visit intake (上门受理) with a note."""
    return _case(call, call.services.agency.home_visit(call.user, call.path("case_id"),
                                                       call.body["note"]))


def follow_up(call: Call) -> Any:
    """The agent records the follow-up visit after delivery (回访)."""
    return _case(call, call.services.agency.follow_up(
        call.user, call.path("case_id"), call.body["result"], call.body.get("note", "")))


def to_forward(call: Call) -> Any:
    """A town point's village cases still to forward, earliest due first."""
    agency = call.services.agency
    rows = agency.to_forward(call.user)
    return Listing([{**case_json(p.case, call.services.tasks.light, events=False),
                     "forward_light": p.light} for p in rows], len(rows))


def _action(path: str, handler: Any, summary: str, body: dict[str, Any], who: str = "agent",
            required: bool = True) -> Operation:
    return Operation("POST", f"/cases/{{case_id}}/{path}", handler, summary, who, ref("Case"),
                     "cases", body=body, body_required=required, errors=CASE_ACTION_ERRORS)


operations = [
    _action("forward", forward, "Forward a village point's case (转报)", obj(note=text()),
            who="agent of the town point the case goes to (`forward.to`)", required=False),
    _action("home-visit", home_visit, "Record a home-visit intake (上门受理)",
            obj(("note",), note=text("who was visited and why (elderly, disabled)"))),
    _action("follow-up", follow_up, "Record the follow-up visit after delivery (回访)",
            obj(("result",), result={"enum": ["满意", "基本满意", "不满意"]}, note=text())),
    Operation("GET", "/forwarding", to_forward, "Village cases to forward (转报)",
              "agent at a town point (its own); supervisor, admin (every point's)",
              list_of(ref("Case")), "cases", errors=(401, 403)),
]
