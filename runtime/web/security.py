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
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.services.errors import Forbidden, Invalid, TooLarge

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
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

    The body is parsed here (once) so the form field can be checked; the route reads the
    parsed form from ``checked_form``. The whole body is capped, so an oversize upload is
    refused with 413 before it fills the disk.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or \
                scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        services = scope["app"].state.services
        limit_mb = services.files.max_mb
        cap = int((limit_mb * MAX_FILES + 1) * 1024 * 1024)
        request = Request(scope, _capped(receive, cap))
        try:
            form = await request.form(max_files=MAX_FILES, max_fields=2000,
                                      max_part_size=1024 * 1024)
        except _BodyTooLarge:
            await _reject(scope, receive, send, TooLarge(
                f"提交的内容超过 {limit_mb * MAX_FILES:g} MB 的上限"))
            return
        except MultiPartException as exc:
            await _reject(scope, receive, send, Invalid(f"提交的表单无法解析：{exc.message}"))
            return
        field = form.get(CSRF_FIELD)
        given = request.headers.get(CSRF_HEADER) or (field if isinstance(field, str) else None)
        if not _matches(request, given):
            await _reject(scope, receive, send, Forbidden(
                "页面已过期或请求来源不明（缺少有效的 CSRF 令牌），请刷新页面后重试"))
            return
        scope.setdefault("state", {})["form"] = form
        await self.app(scope, _empty_body, send)


MAX_FILES = 20


class _BodyTooLarge(Exception):
    pass


def _capped(receive: Receive, cap: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > cap:
                raise _BodyTooLarge
        return message
    return counted


async def _empty_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _reject(scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
    from runtime.web.errors import handle  # errors renders pages, which import this module

    response = await handle(Request(scope, receive), exc)
    await response(scope, receive, send)


def login_session(request: Request, user_id: str) -> None:
    """Start a fresh session for this user (a new id and CSRF token: no fixation)."""
    request.session.clear()
    request.session["uid"] = user_id
    request.session["csrf"] = secrets.token_urlsafe(32)


class SecurityHeaders:
    """Adds conservative security headers and refuses cross-site state changes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy",
                     b"default-src 'self'; img-src 'self' data:; style-src 'self' "
                     b"'unsafe-inline'; script-src 'self'; object-src 'none'; "
                     b"frame-ancestors 'none'; base-uri 'self'; form-action 'self'"),
                ]
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _forbidden_origin(send: Send) -> None:
    body = "跨站请求被拒绝（来源与本站不一致）".encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
