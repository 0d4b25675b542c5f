"""The one error handler: a Chinese page for HTML, a fragment for htmx, JSON for the API.

No traceback ever reaches a user; unexpected errors are logged with an id the user
can quote.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.services import ServiceError, Unavailable, unavailable
from runtime.web.render import page

log = logging.getLogger("onewindow.web")

TITLES = {400: "提交的内容有误", 401: "请先登录", 403: "无权进行此操作", 404: "未找到",
          405: "不支持的请求方式", 409: "当前状态不允许此操作", 413: "文件过大",
          415: "文件类型不受支持", 429: "操作过于频繁", 500: "系统内部错误",
          503: "暂时无法服务"}
CODES = {400: "invalid", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_type",
         429: "too_many_attempts", 500: "internal", 503: "unavailable"}


def _details(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in d.items() if k in ("pointer", "message", "keyword")}
            for d in details]


def describe(exc: Exception) -> tuple[int, str, str, list[dict[str, Any]]]:
    """(status, code, Chinese message, details) for any exception. The services speak
    one family (`ServiceError`, already in Chinese with titles); anything else is an
    HTTP error of the framework or a bug (500)."""
    exc = unavailable(exc) or exc
    if isinstance(exc, ServiceError):
        return exc.status, exc.code, exc.message, _details(exc.details)
    if isinstance(exc, HTTPException):
        status = exc.status_code
        return status, CODES.get(status, "error"), TITLES.get(status, str(exc.detail)), []
    return 500, "internal", "系统内部错误", []


async def handle(request: Request, exc: Exception) -> Response:
    """Render ``exc`` for whoever asked: API client, htmx, or a browser."""
    status, code, message, details = describe(exc)
    headers: dict[str, str] = {}
    if status == Unavailable.status:  # the database away: no incident, just come back
        log.warning("503 on %s %s: %s", request.method, request.url.path, exc)
        headers["Retry-After"] = str(Unavailable.retry_after)
    elif status >= 500:
        incident = secrets.token_hex(4)
        log.exception("unexpected error %s on %s %s", incident, request.method,
                      request.url.path, exc_info=exc)
        message = f"系统内部错误（事件编号 {incident}），请稍后重试或联系中心管理员"
    if isinstance(exc, HTTPException) and exc.headers:
        headers.update(exc.headers)  # e.g. Allow on 405
    if status == 401 and _is_api(request):
        headers["WWW-Authenticate"] = "Bearer"
    if _is_api(request):
        return JSONResponse({"error": code, "message": message, "details": details},
                            status_code=status, headers=headers)
    if status == 401:
        target = "/login?next=" + quote(request.url.path)
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    context = {"status": status, "title": TITLES.get(status, "出错了"), "message": message,
               "details": details}
    if request.headers.get("hx-request") == "true":
        return page(request, "partials/error.html", context, status=status,
                    headers={**headers, "HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
    return page(request, "error.html", context, status=status, headers=headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


class DatabaseAway:
    """Answers 503 (``Retry-After``) when the database is away anywhere in the stack,
    the sign-in middleware included, instead of a 500 with a logged traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started or unavailable(exc) is None:
                raise
            response = await handle(Request(scope, receive), exc)
            await response(scope, receive, send)
