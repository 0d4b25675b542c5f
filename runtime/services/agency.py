"""Full-process proxy (全程代办) use cases beyond applying: a town point forwards the
cases of its village points (转报, within 2 working days, with a light), the agent
records a home-visit intake (上门受理) and the follow-up visit after delivery (回访).

A village case waiting to be forwarded is also kept as a small ``forwarding`` record,
written with the case (same batch) and removed when it is forwarded or closed, so a
town point's list reads only what is pending, never every case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runtime import engine
from runtime.engine.agency import FOLLOW_UP_RESULTS, LEVELS
from runtime.engine.states import Role
from runtime.services.accounts import User
from runtime.services.cases import Cases, actor_of
from runtime.services.errors import Forbidden, Invalid
from runtime.services.forwarding import KIND

__all__ = ["FOLLOW_UP_RESULTS", "Agency", "Pending", "check_point"]


def check_point(raw: Any, role: str) -> dict[str, str]:
    """A user's ``service_point`` checked: ``{name, level, town?}``, agents only; a
    village point names the town point that forwards its cases."""
    if role != Role.AGENT:
        raise Invalid("只有代办员属于代办点", [{"pointer": "/service_point",
                                         "message": "只有代办员可以设置代办点"}])
    if not isinstance(raw, Mapping):
        raise Invalid("代办点须为 {name, level, town}", [{"pointer": "/service_point",
                                                      "message": "格式不正确"}])
    details = []
    name, level, town = (str(raw.get(k) or "").strip() for k in ("name", "level", "town"))
    if not name:
        details.append({"pointer": "/service_point/name", "message": "请填写代办点名称"})
    if level not in LEVELS:
        details.append({"pointer": "/service_point/level", "message":
                        "层级须为 village（村级）、town（乡镇）或 county（县级）"})
    if level == "village" and not town:
        details.append({"pointer": "/service_point/town", "message":
                        "村级代办点须写明负责转报的乡镇代办点"})
    extra = sorted(set(raw) - {"name", "level", "town"})
    details += [{"pointer": f"/service_point/{k}", "message": "不支持的字段"} for k in extra]
    if details:
        raise Invalid("代办点信息有误：" + "；".join(d["message"] for d in details), details)
    return {"name": name[:100], "level": level, **({"town": town[:100]} if town else {})}


@dataclass(frozen=True)
class Pending:
    """A village point's case waiting for its town point to forward it."""

    case: Mapping[str, Any]
    due: datetime
    light: str | None


class Agency:
    """Agent actions and the town point's forwarding list."""

    def __init__(self, cases: Cases, yellow: tuple[float, float]) -> None:
        self.cases = cases
        self.yellow = yellow

    def light(self, case: Mapping[str, Any]) -> str | None:
        """The forwarding deadline's light now (None: nothing to forward)."""
        return engine.forward_light(case, self.cases.clock(), self.cases.calendar,
                                    *self.yellow)

    def to_forward(self, user: User) -> list[Pending]:
        """A town point's cases to forward (a supervisor's or admin's: every point's),
        the earliest due first."""
        watches = user.role in (Role.SUPERVISOR, Role.ADMIN)
        if not watches and (user.role != Role.AGENT or user.point[1] != "town"):
            raise Forbidden("只有乡镇代办点的代办员转报村级代办点的办件")
        out = []
        for record in self.cases.store.list_records(KIND):
            if not watches and record.get("to") != user.point[0]:
                continue
            case = self.cases.store.get_case(record["case"])
            if case is not None:
                out.append(Pending(case, datetime.fromisoformat(record["due"]),
                                   self.light(case)))
        return sorted(out, key=lambda p: p.due)

    def forward(self, user: User, case_id: str, note: str = "") -> dict[str, Any]:
        """The town point forwards a village point's case (转报)."""
        return self.cases.change(user, case_id, lambda case, matter, _: engine.forward(
            case, matter, actor_of(user), self.cases.clock(), note))

    def home_visit(self, user: User, case_id: str, note: str) -> dict[str, Any]:
        """The agent records that it took the application at home (上门受理)."""
        return self.cases.change(user, case_id, lambda case, matter, _: engine.home_visit(
            case, matter, actor_of(user), self.cases.clock(), note))

    def follow_up(self, user: User, case_id: str, result: str,
                  note: str = "") -> dict[str, Any]:
        """The agent records the follow-up visit after delivery (回访)."""
        return self.cases.change(user, case_id, lambda case, matter, _: engine.follow_up(
            case, matter, actor_of(user), self.cases.clock(), result, note))
