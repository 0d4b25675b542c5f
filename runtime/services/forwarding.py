"""The ``forwarding`` records: a village point's case waiting for its town point to
forward it (转报), kept in step with the case in the case's own batch."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runtime.store import WriteBatch

KIND = "forwarding"


def track_forwarding(tx: WriteBatch, old: Mapping[str, Any] | None,
                     new: Mapping[str, Any]) -> None:
    """Keep the ``forwarding`` record of a case in step with it (same batch)."""
    pending = new.get("forward") or {}
    waiting = bool(pending.get("due")) and not pending.get("at") and not new.get("closed_at")
    before = (old or {}).get("forward") or {}
    was = bool(before.get("due")) and not before.get("at") and not (old or {}).get("closed_at")
    if waiting and not was:
        tx.put_record(KIND, new["id"], {"case": new["id"], "to": pending.get("to") or "",
                                        "due": pending["due"], "agent": new.get("agent")})
    elif was and not waiting:
        tx.put_record(KIND, new["id"], None)


LEVEL_NAMES = {"village": "村级代办点", "town": "乡镇代办点", "county": "县级代办中心"}


def agency_view(case: Mapping[str, Any], light: str | None,
                name_of: Callable[[str], str]) -> dict[str, Any] | None:
    """What a case page shows of 全程代办: the principal, the agent and its point, the
    forwarding deadline with its light, home visits and the follow-up visit."""
    if not case.get("agent"):
        return None
    point = case.get("agent_point") or {}
    forward = dict(case.get("forward") or {})
    if forward:
        forward["light"] = light
        forward["by_name"] = name_of(forward["by"]) if forward.get("by") else ""
    follow = dict(case.get("follow_up") or {})
    if follow:
        follow["by_name"] = name_of(follow["by"])
    return {
        "principal": case.get("on_behalf_of") or {},
        "agent": name_of(case["agent"]),
        "point": point, "level": LEVEL_NAMES.get(point.get("level", ""), ""),
        "forward": forward,
        "home_visits": [{**v, "by_name": name_of(v["by"])} for v in case.get("home_visits") or ()],
        "follow_up": follow,
    }
