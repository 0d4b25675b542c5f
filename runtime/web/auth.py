"""Who is asking: the session's user for HTML, the bearer token's user for the API."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from runtime.services.accounts import User
from runtime.services.errors import Forbidden, NotAuthenticated


class Authenticate:
    """Sets ``request.state.user`` (or None) before any route runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            services = scope["app"].state.services
            user: User | None = None
            if scope["path"].startswith("/api/"):
                auth = request.headers.get("authorization", "")
                scheme, _, token = auth.partition(" ")
                if scheme.lower() == "bearer" and token.strip():
                    user = services.accounts.user_for_token(token.strip())
            else:
                uid = scope.get("session", {}).get("uid")
                if uid:
                    user = services.accounts.get(uid)
                    if user is None:
                        scope["session"].clear()
            scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)


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


