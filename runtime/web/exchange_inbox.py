"""``POST /exchange/v1/messages``: a signed message from a peer centre, answered with
its receipt (回执). No sign-in: the signature is the credential (docs/exchange.md).

The sender header and the timestamp are checked before the body is read (an unknown
centre or a stale timestamp is 401 at once); the body is then read (at most 64 MB:
`runtime.web.bodies.BodyLimit` answers 413 beyond), and only then is the signature
checked."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from runtime.services import ServiceError
from runtime.web.door import services_of


def _error(exc: ServiceError) -> JSONResponse:
    return JSONResponse({"error": exc.code, "message": exc.message, "details": exc.details},
                        status_code=exc.status)


async def receive(request: Request) -> JSONResponse:
    """Check, apply once and in sequence, and acknowledge one message."""
    services = services_of(request)
    headers = request.headers
    centre = headers.get("x-onewindow-centre", "")
    stamp = headers.get("x-onewindow-timestamp", "")
    try:
        await run_in_threadpool(services.exchange.inbox.admit, centre, stamp)
    except ServiceError as exc:
        return _error(exc)
    body = await request.body()  # bounded by BodyLimit (64 MB for /exchange/)
    try:
        answer = await run_in_threadpool(
            services.exchange.inbox.receive, centre, stamp,
            headers.get("x-onewindow-signature", ""), body)
    except ServiceError as exc:
        return _error(exc)
    return JSONResponse(answer)


async def ping(request: Request) -> JSONResponse:
    """A peer's signed reachability probe: our undelivered messages to it."""
    services = services_of(request)
    headers = request.headers
    try:
        answer = await run_in_threadpool(
            services.exchange.probe.answer, headers.get("x-onewindow-centre", ""),
            headers.get("x-onewindow-timestamp", ""), headers.get("x-onewindow-signature", ""))
    except ServiceError as exc:
        return _error(exc)
    return JSONResponse(answer)


routes = [Route("/exchange/v1/messages", receive, methods=["POST"]),
          Route("/exchange/v1/ping", ping, methods=["GET"])]
