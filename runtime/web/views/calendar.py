"""The administrator's working calendar editor (工作日历): per year its status, the
notice it follows, holidays and make-up working days. Each change publishes a calendar
version; the worker then moves the stored deadlines it touches."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import ServiceError
from runtime.services.admin_calendar import DAY_KINDS
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form

PAGE = "/admin/calendar"
FIELDS = ("year", "kind", "date", "name", "status", "source")
_DONE = {"add_year": "已新增 {year} 年。", "set_year": "已保存 {year} 年的状态。",
         "remove_year": "已从工作日历删除 {year} 年。", "add_day": "已添加 {date}。",
         "remove_day": "已删除 {date}。"}


def _page(request: Request, error: str = "", error_year: str = "", status: int = 200,
          values: dict[str, str] | None = None) -> Response:
    services = services_of(request)
    return page(request, "admin_calendar.html", {
        "years": services.admin.calendar_years(current_user(request)),
        "kinds": DAY_KINDS, "error": error,
        "error_year": error_year, "values": values or dict.fromkeys(FIELDS, "")},
        status=status)


@requires("admin")
def calendar(request: Request) -> Response:
    """Every listed year with its days, and the forms that change them."""
    return _page(request)


@requires("admin")
def calendar_action(request: Request) -> Response:
    """Add or remove a year or a day, or change a year's status; publishes the change."""
    admin = services_of(request).admin
    user = current_user(request)
    form = checked_form(request)
    values = {k: str(form.get(k, "")).strip() for k in FIELDS}
    action = request.path_params["action"]
    try:
        if action == "add_year":
            admin.add_year(user, values["year"])
        elif action == "set_year":
            admin.set_year(user, values["year"], values["status"], values["source"])
        elif action == "remove_year":
            admin.remove_year(user, values["year"])
        elif action == "add_day":
            admin.add_day(user, values["year"], values["kind"], values["date"], values["name"])
        elif action == "remove_day":
            admin.remove_day(user, values["year"], values["kind"], values["date"])
        else:
            return _page(request, "没有这个操作", status=404)
    except ServiceError as exc:
        if exc.status not in (400, 404, 409):
            raise
        return _page(request, exc.message, values["year"], exc.status, values)
    flash(request, _DONE[action].format(**values)
          + "已在工作日历中生效，在办任务的期限将随之重算。")
    return RedirectResponse(PAGE, status_code=303)


routes = [
    Route(PAGE, calendar, name="admin_calendar"),
    Route(PAGE + "/{action}", calendar_action, methods=["POST"], name="admin_calendar_action"),
]
