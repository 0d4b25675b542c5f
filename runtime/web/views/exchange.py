"""Pages of the exchange between centres: the administrator's status page (peers,
reachability, queued messages with a retry, refused messages), the supervisors'
cross-centre tasks, and a case's messages (its exchange audit trail)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime.exchange import KIND_LABELS
from runtime.web.auth import current_user, requires
from runtime.web.door import services_of
from runtime.web.render import flash, page
from runtime.web.security import checked_form

ADMIN = "/admin/exchange"


@requires("admin")
async def status(request: Request) -> Response:
    """Peers (each probed), queued messages with their tries and error, refusals."""
    report = await run_in_threadpool(services_of(request).exchange.report,
                                     current_user(request))
    return page(request, "admin_exchange.html", {"report": report, "kinds": KIND_LABELS})


@requires("admin")
def retry(request: Request) -> Response:
    """Send a queued message again now."""
    checked_form(request)
    services_of(request).exchange.retry(current_user(request), request.path_params["job_id"])
    flash(request, "已安排立即重发该报文。")
    return RedirectResponse(ADMIN, status_code=303)


@requires("supervisor", "admin")
def tasks(request: Request) -> Response:
    """Every cross-centre task, sent or received: where it is, how long it waited."""
    exchange = services_of(request).exchange
    return page(request, "supervision_exchange.html",
                {"rows": exchange.tasks(), "exchange": exchange.alarm()})


@requires("supervisor", "admin")
def trail(request: Request) -> Response:
    """Every message sent and received about one case."""
    case, rows = services_of(request).exchange.case_trail(current_user(request),
                                                         request.path_params["case_id"])
    return page(request, "supervision_exchange_case.html", {"case": case, "rows": rows})


routes = [
    Route(ADMIN, status, name="admin_exchange"),
    Route(ADMIN + "/{job_id:path}/retry", retry, methods=["POST"], name="admin_exchange_retry"),
    Route("/supervision/exchange", tasks, name="supervision_exchange"),
    Route("/supervision/exchange/{case_id}", trail, name="supervision_exchange_case"),
]
