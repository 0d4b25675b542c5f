"""``POST /exchange/v1/messages``: a signed message from a peer centre, answered with
its receipt (回执). No sign-in: the signature is the credential (docs/exchange.md)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from runtime.services import ServiceError
from runtime.web.door import services_of


async def receive(request: Request) -> JSONResponse:
    """Check, apply once and in sequence, and acknowledge one message."""
    services = services_of(request)
    body = await request.body()
    headers = request.headers
    try:
        answer = await run_in_threadpool(
            services.exchange.inbox.receive, headers.get("x-onewindow-centre", ""),
            headers.get("x-onewindow-timestamp", ""), headers.get("x-onewindow-signature", ""),
            body)
    except ServiceError as exc:
        return JSONResponse({"error": exc.code, "message": exc.message,
                             "details": exc.details}, status_code=exc.status)
    return JSONResponse(answer)


routes = [Route("/exchange/v1/messages", receive, methods=["POST"])]
