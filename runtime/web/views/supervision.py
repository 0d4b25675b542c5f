"""Supervision (电子监察): every running case with its lights, red first; a case's plan
drawn with the live state of every step; urging (督办) late tasks; the audit trail."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from builder.svg import render_svg
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.progress import progress
from runtime.web.render import flash, page
from runtime.web.security import checked_form

RANK = {"red": 0, "yellow": 1, "green": 2, None: 3}


@requires("supervisor", "admin")
def board(request: Request) -> Response:
    """Running cases with the worst light of their running tasks, red first."""
    services = services_of(request)
    user = current_user(request)
    cases = services.cases.list(user, status=("in_progress", "accepted"), limit=1000)
    departments = {d.id: d.name for d in services.catalog.departments.values()}
    names = {m.id: m.name for m in services.matters.published()}
    rows: list[dict[str, Any]] = []
    counts = {"red": 0, "yellow": 0, "green": 0}
    for case in cases:
        running = [(t, services.tasks.light(t)) for t in case.get("tasks", ())]
        running = [(t, light) for t, light in running if light]
        for _, light in running:
            if light:
                counts[light] += 1
        worst = min((light for _, light in running), key=RANK.__getitem__, default=None)
        rows.append({"case": case, "worst": worst, "running": running})
    rows.sort(key=lambda r: (RANK[r["worst"]], r["case"].get("accepted_at") or ""))
    return page(request, "supervision_board.html", {"rows": rows, "counts": counts,
                                                    "departments": departments,
                                                    "names": names})


@requires("supervisor", "admin")
def case_view(request: Request) -> Response:
    """The plan with live states, urge forms, and the full audit trail."""
    services = services_of(request)
    user = current_user(request)
    case = services.cases.get(user, request.path_params["case_id"])
    matter = services.cases.spec(case)
    info = progress(services, matter, case)
    states: dict[str, tuple[str, str | None]] = {}
    for row in info["rows"]:
        task = row["task"]
        previous = states.get(task["step"])
        # a fan-out step shows its least advanced department and its worst light
        if previous is None or RANK[row["light"]] < RANK[previous[1]]:
            states[task["step"]] = (task["status"], row["light"])
    picture = Markup(render_svg(matter, info["plan"], info["departments"], states))
    return page(request, "supervision_case.html", {"case": case, "matter": matter,
                                                   "picture": picture, **info})


@requires("supervisor")
def urge(request: Request) -> Response:
    """Urge a task; the department sees the note on its list."""
    services = services_of(request)
    form = checked_form(request)
    case = services.tasks.urge(current_user(request), request.path_params["task_id"],
                               str(form.get("note", "")).strip())
    flash(request, "已督办，承办部门将在任务列表中看到督办意见。")
    return RedirectResponse(f"/supervision/cases/{case['id']}", status_code=303)


routes = [
    Route("/supervision", board, name="supervision"),
    Route("/supervision/cases/{case_id}", case_view, name="supervision_case"),
    Route("/supervision/tasks/{task_id}/urge", urge, methods=["POST"], name="urge"),
]
