"""The agent's pages (代办员, 全程代办): the cases entrusted to it, a town point's village
cases to forward, and one case with the actions the agent may take now."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import ServiceError, User
from runtime.services.agency import FOLLOW_UP_RESULTS
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form


@requires("agent")
def home(request: Request) -> Response:
    """My entrusted cases; at a town point, the village cases to forward first."""
    services, user = services_of(request), current_user(request)
    pending = services.agency.to_forward(user) if user.point[1] == "town" else None
    return page(request, "agent_home.html", {
        "rows": services.pages.my_cases(user), "pending": pending,
        "names": services.pages.matter_names(), "point": user.point[0]})


def case_page(request: Request, case_id: str, error: str = "", status: int = 200) -> Response:
    """The agent's page of one case (also after a refused 容缺 upload)."""
    services, user = services_of(request), current_user(request)
    return page(request, "agent_case.html", {
        "view": services.pages.case(user, case_id), "error": error,
        "results": FOLLOW_UP_RESULTS}, status=status)


@requires("agent")
def case(request: Request) -> Response:
    """One entrusted case (or one to forward) with the agent's actions."""
    return case_page(request, request.path_params["case_id"])


def _act(request: Request, run: Callable[[User, str, Any], str]) -> Response:
    user, case_id = current_user(request), request.path_params["case_id"]
    form = checked_form(request)
    try:
        message = run(user, case_id, form)
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        return case_page(request, case_id, exc.message, exc.status)
    flash(request, message)
    return RedirectResponse(f"/agent/cases/{case_id}", status_code=303)


@requires("agent")
def forward(request: Request) -> Response:
    """The town point forwards a village case (转报)."""
    agency = services_of(request).agency

    def run(user: User, case_id: str, form: Any) -> str:
        agency.forward(user, case_id, str(form.get("note", "")).strip())
        return "已转报。"
    return _act(request, run)


@requires("agent")
def home_visit(request: Request) -> Response:
    """Record a home-visit intake (上门受理)."""
    agency = services_of(request).agency

    def run(user: User, case_id: str, form: Any) -> str:
        agency.home_visit(user, case_id, str(form.get("note", "")))
        return "已记录上门受理。"
    return _act(request, run)


@requires("agent")
def follow_up(request: Request) -> Response:
    """Record the follow-up visit (回访)."""
    agency = services_of(request).agency

    def run(user: User, case_id: str, form: Any) -> str:
        agency.follow_up(user, case_id, str(form.get("result", "")),
                         str(form.get("note", "")).strip())
        return "已记录回访。"
    return _act(request, run)


routes = [
    Route("/agent", home, name="agent"),
    Route("/agent/cases/{case_id}", case, name="agent_case"),
    Route("/agent/cases/{case_id}/forward", forward, methods=["POST"]),
    Route("/agent/cases/{case_id}/home-visit", home_visit, methods=["POST"]),
    Route("/agent/cases/{case_id}/follow-up", follow_up, methods=["POST"]),
]
