"""Everyone's notifications (我的通知): the list, marking read, and channel settings."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services.notices import CHANNELS
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form

PAGE_SIZE = 30
LIST = "/me/notifications"


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


@requires()
def notifications(request: Request) -> Response:
    """The caller's notifications, newest first, with the channel settings."""
    user = current_user(request)
    notices = services_of(request).notices
    number = _page_number(request)
    rows = notices.list(user, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    total = notices.count(user)
    return page(request, "me_notifications.html", {
        "rows": rows, "page_number": number, "pages": max(1, -(-total // PAGE_SIZE)),
        "channels": notices.channels(user), "channel_names": CHANNELS,
        "unread_here": sum(1 for r in rows if not r.read)})


@requires()
def mark_read(request: Request) -> Response:
    """Mark one notification read (its recipient only), then go to its case or back."""
    checked_form(request)
    user = current_user(request)
    seen = services_of(request).notices.mark_read(user, request.path_params["notice_id"])
    target = f"/cases/{seen.case}" if request.query_params.get("open") else LIST
    return RedirectResponse(target, status_code=303)


@requires()
def mark_all_read(request: Request) -> Response:
    """Mark every notification of the caller read."""
    checked_form(request)
    count = services_of(request).notices.mark_all_read(current_user(request))
    flash(request, f"已将 {count} 条通知标为已读。" if count else "没有未读通知。")
    return RedirectResponse(LIST, status_code=303)


@requires()
def settings(request: Request) -> Response:
    """Turn e-mail or SMS off (or on); legally required notices are sent regardless."""
    form = checked_form(request)
    chosen = {name: form.get(name) == "on" for name in CHANNELS}
    services_of(request).notices.set_channels(current_user(request), chosen)
    flash(request, "通知方式已保存。")
    return RedirectResponse(LIST, status_code=303)


routes = [
    Route(LIST, notifications, name="notifications"),
    Route(LIST + "/read-all", mark_all_read, methods=["POST"], name="notifications_read_all"),
    Route(LIST + "/settings", settings, methods=["POST"], name="notification_settings"),
    Route(LIST + "/{notice_id}/read", mark_read, methods=["POST"], name="notification_read"),
]
