"""Sessions, CSRF and security headers for the HTML side.

Every state-changing HTML request must carry the session's CSRF token, either as the
form field ``_csrf`` (plain forms) or the ``X-CSRF-Token`` header (htmx sends it from
``hx-headers`` on <body>). The API authenticates with bearer tokens, never cookies,
so it needs no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.services.errors import Forbidden, ServiceError
from runtime.web.bodies import SAFE_METHODS, read_form, refuse

CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def _matches(request: Request, given: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


def checked_form(request: Request) -> FormData:
    """The posted form, already parsed and CSRF-checked by ``CsrfProtect``."""
    form = request.scope.get("state", {}).get("form")
    if form is None:
        raise Forbidden("缺少有效的 CSRF 令牌")
    return form


class CsrfProtect:
    """Checks the CSRF token of every state-changing HTML request before any route runs.

    A request whose session has no token, or whose ``X-CSRF-Token`` header is wrong, is
    refused before its body is read. Otherwise the body is parsed here (once, within the
    allowance ``BodyLimit`` set) so the form field can be checked; the route reads the
    parsed form from ``checked_form``, and its spooled files are closed afterwards.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or \
                scope["path"].startswith(("/api/", "/exchange/")):  # token / signature
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        header = request.headers.get(CSRF_HEADER)
        if not request.session.get("csrf") or (header and not _matches(request, header)):
            await refuse(scope, send, Forbidden(EXPIRED))
            return
        try:
            form = await read_form(scope, receive)
        except ServiceError as exc:
            await refuse(scope, send, exc)
            return
        field = form.get(CSRF_FIELD)
        if not _matches(request, header or (field if isinstance(field, str) else None)):
            await form.close()
            await refuse(scope, send, Forbidden(EXPIRED))
            return
        scope.setdefault("state", {})["form"] = form
        try:
            await self.app(scope, _empty_body, send)
        finally:
            await form.close()


EXPIRED = "页面已过期或请求来源不明（缺少有效的 CSRF 令牌），请刷新页面后重试"


async def _empty_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def login_session(request: Request, user_id: str) -> None:
    """Start a fresh session for this user (a new id and CSRF token: no fixation)."""
    request.session.clear()
    request.session["uid"] = user_id
    request.session["csrf"] = secrets.token_urlsafe(32)


CSP = (b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       b"script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
       b"form-action 'self'")


class SecurityHeaders:
    """Adds conservative security headers and refuses cross-site state changes.

    Every HTML page (or fragment) shown to a signed-in user, and every API answer to a
    token, is ``Cache-Control: no-store``: it may carry personal data, and no shared or
    back-button cache should keep it. ``hsts_seconds`` > 0 adds Strict-Transport-Security
    (set it only when the site is served over HTTPS).
    """

    def __init__(self, app: ASGIApp, hsts_seconds: int = 0) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"content-security-policy", CSP),
        ]
        if hsts_seconds > 0:
            self.headers.append((b"strict-transport-security",
                                 f"max-age={hsts_seconds}".encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        method = scope["method"]
        origin = headers.get(b"origin")
        host = headers.get(b"host", b"")
        if method not in SAFE_METHODS and origin and origin != b"null" and \
                origin.split(b"://", 1)[-1] != host:
            await _forbidden_origin(send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = list(message.get("headers", []))
                present = {k.lower() for k, _ in given}
                extra = [(k, v) for k, v in self.headers if k not in present]
                if b"cache-control" not in present and _personal(scope, given):
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = given + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _personal(scope: Scope, headers: list[tuple[bytes, bytes]]) -> bool:
    """A page or API answer for a signed-in caller (the user is known once it starts)."""
    if scope.get("state", {}).get("user") is None:
        return False
    kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    return kind.startswith(b"text/html") or scope["path"].startswith("/api/")


async def _forbidden_origin(send: Send) -> None:
    body = "跨站请求被拒绝（来源与本站不一致）".encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
