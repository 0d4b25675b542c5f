"""网上投诉 page: the applicant files and follows their complaints and rates the result;
the supervisor assigns and closes; the department answers those assigned to it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import Invalid
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form


def _page(request: Request, error: str = "", status: int = 200) -> Response:
    services, user = services_of(request), current_user(request)
    complaints = services.complaints
    rows = complaints.listing(user)
    names = {d.id: d.name for d in services.catalog.departments.values()}
    mine = services.cases.list(user, limit=200) if user.role == "applicant" else []
    matters = services.pages.matter_names() if mine else {}
    return page(request, "complaints.html", {
        "rows": [(c, complaints.label(c), complaints.actions(user, c)) for c in rows],
        "departments": names,
        # an applicant tells their cases apart by number and matter, never by id
        "my_cases": [(c["id"], f'{c["number"]} · {matters.get(c["matter"], "")}'.rstrip(" ·"))
                     for c in mine if c.get("number")],
        "levels": dict(services.ratings.levels()),
        "verdicts": complaints.verdicts(), "error": error}, status=status)


@requires("applicant", "supervisor", "admin", "department")
def complaints_page(request: Request) -> Response:
    """The caller's complaints, with the forms their role may use."""
    return _page(request)


@requires("applicant")
def file_complaint(request: Request) -> Response:
    """The applicant's complaint."""
    form = checked_form(request)
    try:
        services_of(request).complaints.file(
            current_user(request), str(form.get("text", "")),
            case=str(form.get("case", "")) or None,
            department=str(form.get("department", "")) or None)
    except Invalid as exc:
        return _page(request, exc.message, 400)
    flash(request, "投诉已提交，处理结果将在本页显示。")
    return RedirectResponse("/complaints", status_code=303)


@requires("applicant", "supervisor", "department")
def complaint_step(request: Request) -> Response:
    """Assign, answer, close or rate one complaint."""
    form = checked_form(request)
    complaints, user = services_of(request).complaints, current_user(request)
    complaint_id, action = request.path_params["complaint_id"], request.path_params["action"]
    try:
        if action == "assign":
            complaints.assign(user, complaint_id, str(form.get("department", "")))
        elif action == "answer":
            complaints.reply(user, complaint_id, str(form.get("text", "")))
        elif action == "close":
            complaints.reply(user, complaint_id, str(form.get("text", "")),
                             verdict=str(form.get("verdict", "")) or "missing",
                             overturn=form.get("overturn") == "1")
        elif action == "rate":
            raw = str(form.get("level", ""))
            complaints.rate(user, complaint_id, int(raw) if raw.isdigit() else raw)
        else:
            raise Invalid("没有这个操作", [{"pointer": "/action", "message": "没有这个操作"}])
    except Invalid as exc:
        return _page(request, exc.message, 400)
    flash(request, "已记录。")
    return RedirectResponse("/complaints", status_code=303)


routes = [
    Route("/complaints", complaints_page, name="complaints"),
    Route("/complaints/new", file_complaint, methods=["POST"], name="file_complaint"),
    Route("/complaints/{complaint_id}/{action}", complaint_step, methods=["POST"],
          name="complaint_step"),
]
