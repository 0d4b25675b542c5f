"""``Allow``: every method a path supports, across all the routes that match it.

Starlette answers a wrong method from the first route whose path matches, so a path
served by two routes (``GET /api/v1/cases`` and ``POST /api/v1/cases``) would name only
one. This middleware answers ``OPTIONS`` itself and completes ``Allow`` on every 405.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ = frozenset({"GET", "HEAD"})


def allowed_methods(routes: Iterable[BaseRoute], path: str) -> set[str]:
    """Every method some route serves at ``path`` (empty: no route has this path)."""
    found: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.path_regex.fullmatch(path):
            found |= set(route.methods or ())
        elif isinstance(route, Mount):
            match = route.path_regex.fullmatch(path)
            if match is None:
                continue
            if isinstance(route.app, StaticFiles):
                found |= READ
            else:
                found |= allowed_methods(route.routes, "/" + match.group("path"))
    return found


def allow_header(methods: set[str]) -> bytes:
    """The ``Allow`` value: the methods and OPTIONS, in a stable order."""
    return ", ".join(sorted(methods | {"OPTIONS"})).encode()


class AllowedMethods:
    """Answers ``OPTIONS`` with 204 and the full ``Allow``; completes it on every 405."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        routes = scope["app"].router.routes
        if scope["method"] == "OPTIONS":
            methods = allowed_methods(routes, scope["path"])
            if methods:
                await send({"type": "http.response.start", "status": 204,
                            "headers": [(b"allow", allow_header(methods))]})
                await send({"type": "http.response.body", "body": b""})
                return

        async def completed(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = allowed_methods(routes, scope["path"])
                message["headers"] = [(k, v) for k, v in message.get("headers", [])
                                      if k.lower() != b"allow"] + [(b"allow",
                                                                    allow_header(methods))]
            await send(message)

        await self.app(scope, receive, completed)
