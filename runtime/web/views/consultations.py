"""网上咨询 page: applicants ask about a matter; the lead department answers and may
publish the answer in the matter's public FAQ (shown on the matter's page)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import Invalid, NotFound
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form


def _page(request: Request, error: str = "", status: int = 200) -> Response:
    services, user = services_of(request), current_user(request)
    found = services.consultations
    names = {m.id: m.name for m in services.matters.published()}
    rows = [(d, found.label(d)) for d in found.listing(user)]
    return page(request, "consultations.html", {
        "rows": rows, "matters": sorted(names.items(), key=lambda m: m[1]), "names": names,
        "chosen": request.query_params.get("matter", ""), "error": error}, status=status)


@requires("applicant", "department", "supervisor", "admin")
def consultations_page(request: Request) -> Response:
    """Questions the caller may see, with the forms their role may use."""
    return _page(request)


@requires("applicant")
def ask(request: Request) -> Response:
    """An applicant's question."""
    form = checked_form(request)
    try:
        services_of(request).consultations.ask(current_user(request),
                                               str(form.get("matter", "")),
                                               str(form.get("question", "")))
    except (Invalid, NotFound) as exc:
        return _page(request, exc.message, exc.status)
    flash(request, "咨询已提交，牵头部门答复后将在本页显示。")
    return RedirectResponse("/consultations", status_code=303)


@requires("department")
def answer(request: Request) -> Response:
    """The lead department's answer."""
    form = checked_form(request)
    try:
        services_of(request).consultations.answer(
            current_user(request), request.path_params["question_id"],
            str(form.get("answer", "")), form.get("publish") == "1")
    except Invalid as exc:
        return _page(request, exc.message, 400)
    flash(request, "已答复。")
    return RedirectResponse("/consultations", status_code=303)


routes = [
    Route("/consultations", consultations_page, name="consultations"),
    Route("/consultations/new", ask, methods=["POST"], name="ask"),
    Route("/consultations/{question_id}/answer", answer, methods=["POST"], name="answer"),
]
