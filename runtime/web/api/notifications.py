"""Every caller's own notifications (我的通知)."""

from __future__ import annotations

from typing import Any

from runtime.web.api.operation import LIMIT, OFFSET, Call, Listing, Operation
from runtime.web.api.schemas import list_of, obj, text

NOTICE = obj(("id", "kind", "case", "title", "body", "at", "read"), id=text(),
             kind=text("what happened: accepted, supplement_requested, task_ready, …"),
             case=text("the case it is about"), title=text(), body=text(),
             at=text("when (ISO 8601)"), read={"type": "boolean"})


def my_notifications(call: Call) -> Any:
    """The caller's notifications, newest first."""
    notices = call.services.notices
    rows = notices.list(call.user, limit=call.query["limit"], offset=call.query["offset"])
    return Listing([n.as_json() for n in rows], notices.count(call.user))


def read_notification(call: Call) -> Any:
    """Mark one of the caller's notifications read."""
    return call.services.notices.mark_read(call.user, call.path("notice_id")).as_json()


operations: list[Operation] = [
    Operation("GET", "/me/notifications", my_notifications, "My notifications",
              "anyone signed in", list_of(NOTICE), "notifications", query=(LIMIT, OFFSET),
              errors=(400, 401), headers={"X-Total-Count": {"type": "integer"}}),
    Operation("POST", "/me/notifications/{notice_id}/read", read_notification,
              "Mark a notification read", "its recipient", NOTICE, "notifications",
              body=obj(), errors=(400, 401, 404, 413)),
]
