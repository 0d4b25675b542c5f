"""考核 page: a month's or year's scores, printable; a supervisor annuls a deduction."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.services import Invalid
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form


def _page(request: Request, period: str | None, error: str = "", status: int = 200) -> Response:
    scores = services_of(request).scores
    try:
        report = scores.report(current_user(request), period)
    except Invalid as exc:
        return page(request, "scores.html", {"report": None, "error": exc.message,
                                             "period": period or ""}, status=400)
    return page(request, "scores.html", {"report": report, "error": error,
                                         "period": report.period}, status=status)


@requires("supervisor", "admin", "department")
def scores_page(request: Request) -> Response:
    """The scores with every item and the events behind it."""
    return _page(request, request.query_params.get("period"))


@requires("supervisor")
def annul(request: Request) -> Response:
    """Annul one deduction with a reason."""
    form = checked_form(request)
    period = str(form.get("period", ""))
    try:
        services_of(request).scores.annul(current_user(request), str(form.get("key", "")),
                                          str(form.get("reason", "")))
    except Invalid as exc:
        return _page(request, period or None, exc.message, 400)
    flash(request, "已撤销该项扣分，理由已记录。")
    return RedirectResponse(f"/scores?period={period}", status_code=303)


routes = [
    Route("/scores", scores_page, name="scores"),
    Route("/scores/annul", annul, methods=["POST"], name="annul_deduction"),
]
