"""Who is asking: the session's user for HTML, the bearer token's user for the API, and
from which address (`client_address`, the one place that reads forwarded headers)."""

from __future__ import annotations

import inspect
import ipaddress
from collections.abc import Callable
from functools import wraps
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from runtime.services import Forbidden, NotAuthenticated, Services, User

#: Where a user who must change their password may still go.
PASSWORD_PAGE = "/account/password"
_OPEN_WHILE_MUST_CHANGE = (PASSWORD_PAGE, "/logout", "/api/v1/me/password",
                           "/api/v1/openapi.json", "/favicon.ico")
MUST_CHANGE = "请先修改密码：首次登录或密码被重置后，须设置自己的新密码才能继续使用"


def client_address(conn: HTTPConnection) -> str:
    """The client's IP address: the peer's, or, when the peer is a configured trusted
    proxy (setting ``trusted_proxies``), the nearest untrusted X-Forwarded-For hop."""
    peer = conn.client.host if conn.client else ""
    trusted = conn.app.state.settings.trusted_proxies
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(conn.headers.getlist("x-forwarded-for")).split(",")]
    address = peer
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a garbled hop: trust nothing left of it
        address = hop
        if not _within(hop, trusted):
            return hop
    return address


def _within(address: str, networks: Any) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


class Authenticate:
    """Sets ``request.state.user`` (or None) before any route runs.

    A browser session counts only while its record in the store lives (sign-out,
    deactivation and password changes end it at once). A user who must change their
    password reaches only the password page (the API answers 403).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        services: Services = scope["app"].state.services
        user: User | None = None
        api = scope["path"].startswith("/api/")
        if api:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            token = token.strip()
            if scheme.lower() == "bearer" and token:
                user = services.accounts.user_for_token(token)
                if user is not None and services.accounts.token_use_stale(token):
                    await run_in_threadpool(services.accounts.note_token_use, token)
        else:
            session = scope.get("session", {})
            if session.get("uid"):
                sid = session.get("sid")
                user = services.accounts.session_user(str(sid)) if sid else None
                if user is None or user.id != session.get("uid"):
                    user = None
                    session.clear()
        scope.setdefault("state", {})["user"] = user
        if user is not None and user.must_change_password and \
                not scope["path"].startswith(("/static/", *_OPEN_WHILE_MUST_CHANGE)):
            await _must_change(request, api)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _must_change(request: Request, api: bool) -> Response:
    if api:
        return JSONResponse({"error": "password_change_required", "message": MUST_CHANGE +
                             "（POST /api/v1/me/password）", "details": []}, status_code=403)
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": PASSWORD_PAGE})
    return RedirectResponse(PASSWORD_PAGE, status_code=303)


def current_user(request: Request) -> User:
    """The signed-in user, or 401."""
    user: User | None = request.state.user
    if user is None:
        raise NotAuthenticated("请先登录")
    return user


Endpoint = Callable[[Request], Any]


def requires(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """Route guard: signed in with one of ``roles`` (any role when none are given).

    The services check again per case and task; this only keeps roles on their pages.
    Views that write are plain functions: Starlette runs them in its thread pool, so a
    durable write (an fsync) never stalls the event loop. A hot read-only view may be a
    coroutine (its reads are in memory).
    """
    def decorate(endpoint: Endpoint) -> Endpoint:
        def check(request: Request) -> None:
            user = current_user(request)
            if roles and user.role not in roles:
                raise Forbidden("您的角色无权访问此页面")

        if inspect.iscoroutinefunction(endpoint):
            @wraps(endpoint)
            async def guarded_async(request: Request) -> Any:
                check(request)
                return await endpoint(request)
            return guarded_async

        @wraps(endpoint)
        def guarded(request: Request) -> Any:
            check(request)
            return endpoint(request)
        return guarded
    return decorate


def role_home(role: str) -> str:
    """Where each role starts after signing in."""
    return {"applicant": "/my/cases", "window": "/window", "department": "/tasks",
            "supervisor": "/supervision", "admin": "/admin"}.get(role, "/")
