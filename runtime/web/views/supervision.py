"""Supervision (电子监察): every running case with its lights, red first; a case's plan
drawn with the live state of every step; urging (督办) late tasks; the audit trail."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import Invalid
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form


@requires("supervisor", "admin")
def board(request: Request) -> Response:
    """Running cases with the worst light of their running tasks, red first."""
    services, user = services_of(request), current_user(request)
    return page(request, "supervision_board.html", {
        "board": services.pages.board(user), "forwarding": services.agency.to_forward(user),
        "names": services.pages.matter_names(), "exchange": services.exchange.alarm()})


def _case_page(request: Request, case_id: str, error: str = "", status: int = 200) -> Response:
    pages = services_of(request).pages
    view = pages.case(current_user(request), case_id)
    return page(request, "supervision_case.html", {
        "view": view, "picture": Markup(pages.plan_picture(view)), "error": error},
        status=status)


@requires("supervisor", "admin")
def case_view(request: Request) -> Response:
    """The plan with live states, urge forms, and the full audit trail."""
    return _case_page(request, request.path_params["case_id"])


@requires("supervisor")
def urge(request: Request) -> Response:
    """Urge a task; the department sees the note on its list."""
    services = services_of(request)
    form = checked_form(request)
    task_id = request.path_params["task_id"]
    case_id = str(form.get("case", ""))
    try:
        case = services.tasks.urge(current_user(request), task_id,
                                   str(form.get("note", "")).strip())
    except Invalid as exc:
        if not case_id:
            raise
        return _case_page(request, case_id, exc.message, 400)
    flash(request, "已督办，承办部门将在任务列表中看到督办意见。")
    return RedirectResponse(f"/supervision/cases/{case['id']}", status_code=303)


routes = [
    Route("/supervision", board, name="supervision"),
    Route("/supervision/cases/{case_id}", case_view, name="supervision_case"),
    Route("/supervision/tasks/{task_id}/urge", urge, methods=["POST"], name="urge"),
]
