"""好差评 pages: the applicant rates on the case page; the department and the supervisor
work the rectifications (整改) of 差评 and see the counts per department."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import Invalid
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form
from runtime.web.views.cases import detail_page

ACTION_LABELS = {"reply": "整改答复", "appeal": "申诉（恶意评价）", "follow_up": "回访结果",
                 "uphold_appeal": "申诉成立", "dismiss_appeal": "驳回申诉"}


@requires("applicant")
def rate(request: Request) -> Response:
    """The applicant's rating from the case page."""
    form = checked_form(request)
    case_id = request.path_params["case_id"]
    raw = str(form.get("level", ""))
    level: object = int(raw) if raw.isdigit() else raw
    try:
        services_of(request).ratings.rate(current_user(request), case_id, level,
                                          str(form.get("comment", "")))
    except Invalid as exc:  # the form again, with the message as an error (not a thanks)
        return detail_page(request, case_id, exc.message, 400)
    flash(request, "感谢您的评价。")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


def _ratings_page(request: Request, error: str = "", status: int = 200) -> Response:
    services, user = services_of(request), current_user(request)
    ratings = services.ratings
    rows = ratings.listing(user)
    actions = {}
    for row in rows:
        case = services.cases.get(user, row.case_id)
        actions[row.case_id] = [(a, ACTION_LABELS[a]) for a in ratings.actions(user, case)]
    return page(request, "ratings.html", {
        "rows": rows, "actions": actions, "counts": ratings.counts(),
        "levels": ratings.levels(), "error": error}, status=status)


@requires("supervisor", "admin", "department")
def ratings_list(request: Request) -> Response:
    """Ratings (a department: its own) with their rectification, and the counts."""
    return _ratings_page(request)


@requires("supervisor", "department")
def rectify(request: Request) -> Response:
    """One step of a rectification: reply, appeal, 回访, ruling on the appeal."""
    form = checked_form(request)
    try:
        services_of(request).ratings.act(current_user(request), request.path_params["case_id"],
                                         request.path_params["action"],
                                         str(form.get("text", "")))
    except Invalid as exc:
        return _ratings_page(request, exc.message, 400)
    flash(request, "已记录。")
    return RedirectResponse("/ratings", status_code=303)


routes = [
    Route("/my/cases/{case_id}/rating", rate, methods=["POST"], name="rate"),
    Route("/ratings", ratings_list, name="ratings"),
    Route("/ratings/{case_id}/{action}", rectify, methods=["POST"], name="rectify"),
]
