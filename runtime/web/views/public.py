"""Public pages, no sign-in: query a case by number and code (网上查询), and the results
announcement (办件结果公告)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime.services import Invalid, NotFound, TooManyAttempts
from runtime.web.auth import client_address
from runtime.web.door import services_of
from runtime.web.render import page

PAGE = 50


def public_query(request: Request) -> Response:
    """The form; with a number and a code, the case's progress (no personal data)."""
    number = request.query_params.get("number", "").strip()[:40]
    code = request.query_params.get("code", "").strip()[:40]
    context: dict[str, object] = {"number": number, "code": code, "progress": None,
                                  "error": ""}
    if not (number or code):
        return page(request, "public_query.html", context)
    if not (number and code):
        context["error"] = "请填写受理编号和查询码"
        return page(request, "public_query.html", context, status=400)
    try:
        context["progress"] = services_of(request).public.case(number, code,
                                                               client_address(request))
    except (NotFound, TooManyAttempts) as exc:
        context["error"] = exc.message
        return page(request, "public_query.html", context, status=exc.status)
    return page(request, "public_query.html", context)


def public_results(request: Request) -> Response:
    """Finished cases of the announced matters, by matter and month, 50 a page."""
    public = services_of(request).public
    params = request.query_params
    matter = params.get("matter") or None
    month = params.get("month") or None
    raw_page = params.get("page", "1")
    number = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 100_000 else 1
    context = {"matters": public.announced(), "matter": matter or "", "month": month or "",
               "rows": [], "total": 0, "page": number, "pages": 1, "error": ""}
    try:
        rows, total = public.results(matter=matter, month=month, limit=PAGE,
                                     offset=(number - 1) * PAGE)
    except Invalid as exc:
        context["error"] = "；".join(d["message"] for d in exc.details) or exc.message
        return page(request, "public_results.html", context, status=400)
    context.update(rows=rows, total=total, pages=max(1, -(-total // PAGE)))
    return page(request, "public_results.html", context)


routes = [
    Route("/public/query", public_query, name="public_query"),
    Route("/public/results", public_results, name="public_results"),
]
