"""How much of a request body is read, and from whom, before anything else looks at it.

A body is read only after the session (or API token) is known and only up to what the
caller and the route may send: a small urlencoded form from anonymous visitors, files
only from signed-in users on the routes that take uploads, capped by those routes' own
limits. ``Content-Type`` and ``Content-Length`` are judged before a byte is read, and
bytes are counted while reading in case the headers lie. See docs/security.md.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from starlette.datastructures import FormData, Headers
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.services.errors import Invalid, NotAuthenticated, ServiceError, TooLarge
from runtime.web.api.files import OVERHEAD as API_UPLOAD_OVERHEAD
from runtime.web.api.openapi import BASE as API
from runtime.web.api.operation import MAX_JSON_BYTES
from runtime.web.door import services_of

KB = 1024
MB = 1024 * KB
#: A form from someone not signed in (sign-in, registration): small and urlencoded only.
ANONYMOUS_BYTES = 64 * KB
ANONYMOUS_FIELDS = 100
#: Any urlencoded form, and all the non-file parts of a multipart form together.
FORM_BYTES = 2 * MB
MAX_FIELDS = 2000
#: One field (the YAML editor's text is the largest).
FIELD_BYTES = 1 * MB
#: A signed message between centres, its materials' files in base64 (docs/exchange.md).
EXCHANGE = "/exchange/"
EXCHANGE_BYTES = 64 * MB
#: After an early refusal the server discards the rest of the body to keep the
#: connection; past this much it closes the connection instead.
DRAIN_BYTES = 2 * MB
MAX_FILES = 20
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: The HTML routes that take files, and how many files one post may carry. A template
#: form with ``enctype="multipart/form-data"`` must post to one of these (a test checks).
UPLOAD_ROUTES: tuple[tuple[str, int], ...] = (
    ("/apply/{matter_id}", MAX_FILES),
    ("/my/cases/{case_id}/edit", MAX_FILES),
    ("/my/cases/{case_id}/supplement", MAX_FILES),
    ("/my/cases/{case_id}/deferred", MAX_FILES),
    ("/agent/cases/{case_id}/supplement", MAX_FILES),  # 全程代办: the case's agent
    ("/agent/cases/{case_id}/deferred", MAX_FILES),
    ("/window/walk-in", MAX_FILES),
    ("/window/cases/{case_id}/deferred", MAX_FILES),
    ("/admin/matters/{matter_id}/import", 1),
    (f"{API}/files", 1),
)
_UPLOADS = tuple((compile_path(path)[0], files) for path, files in UPLOAD_ROUTES)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Allowance:
    """What one request may send: total bytes, and for multipart the files and fields."""

    bytes: int
    multipart: bool = False
    files: int = 0
    fields: int = MAX_FIELDS


class BodyTooLarge(TooLarge):
    """The body grew past its allowance while being read (the headers did not say so)."""


def size_text(count: int) -> str:
    """``64 KB``, ``402 MB``: a limit as people read it."""
    return f"{count // MB} MB" if count >= MB and count % MB == 0 else \
        f"{count / MB:.1f} MB" if count >= MB else f"{count // KB} KB"


def _upload_files(path: str) -> int:
    return next((files for regex, files in _UPLOADS if regex.fullmatch(path)), 0)


def allowance(scope: Scope, kind: str) -> Allowance:
    """The allowance for this request's caller, route and ``kind`` (its media type).

    Raises the refusal when the caller may not send this kind of body here at all.
    """
    signed_in = scope.get("state", {}).get("user") is not None
    path: str = scope["path"]
    files = _upload_files(path)
    if kind == "multipart/form-data":
        if not files:
            raise Invalid("此处不接受文件上传（multipart/form-data）")
        if not signed_in:
            raise NotAuthenticated("请先登录，再上传文件")
        max_mb = services_of(Request(scope)).files.max_mb
        if path.startswith(API):
            return Allowance(int(max_mb * MB) + API_UPLOAD_OVERHEAD, True, 1, 10)
        return Allowance(int(files * max_mb * MB) + FORM_BYTES, True, files)
    if path.startswith(API):
        return Allowance(MAX_JSON_BYTES if signed_in else ANONYMOUS_BYTES)
    if path.startswith(EXCHANGE):  # signed messages between centres carry materials
        return Allowance(EXCHANGE_BYTES)
    if kind not in FORM_TYPES:
        raise Invalid("提交的内容须为表单（application/x-www-form-urlencoded 或 "
                      "multipart/form-data）")
    if not signed_in:
        return Allowance(ANONYMOUS_BYTES, fields=ANONYMOUS_FIELDS)
    return Allowance(FORM_BYTES)


def _kind(headers: Headers) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _length(headers: Headers) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


class BodyLimit:
    """Refuses a body its caller may not send before reading it; counts what is read.

    Runs after ``Authenticate`` (it needs to know who is asking) and before anything
    reads the body. The allowance is left in ``scope["state"]["allowance"]`` for the
    form parser. A refusal that leaves much of the body unread closes the connection
    rather than make the server drain it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = _length(headers)
        has_body = length != 0 and (length is not None or "transfer-encoding" in headers)
        seen = 0
        done = not has_body
        started = False

        async def counted() -> Message:
            nonlocal seen, done
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                done = not message.get("more_body", False)
                if seen > allowed.bytes:
                    raise BodyTooLarge(_too_large(allowed.bytes))
            return message

        async def closing(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                unread = None if length is None else length - seen
                if not done and (unread is None or unread > DRAIN_BYTES):
                    message["headers"] = [*message.get("headers", []),
                                          (b"connection", b"close")]
            await send(message)

        allowed = Allowance(0)
        # A safe method's body is never read: not refused, only kept from being drained.
        if has_body and scope["method"] not in SAFE_METHODS:
            try:
                allowed = allowance(scope, _kind(headers))
                if length is not None and length > allowed.bytes:
                    raise TooLarge(_too_large(allowed.bytes))
            except ServiceError as exc:
                await refuse(scope, closing, exc)
                return
        scope.setdefault("state", {})["allowance"] = allowed
        try:
            await self.app(scope, counted, closing)
        except BodyTooLarge as exc:  # read outside a route (a route's errors are handled)
            if started:
                raise
            await refuse(scope, closing, exc)
        except ClientDisconnect:
            return


def _too_large(limit: int) -> str:
    return f"提交的内容超过 {size_text(limit)} 的上限"


async def refuse(scope: Scope, send: Send, exc: Exception) -> None:
    """Answer ``exc`` with the usual error page (or JSON for the API), reading nothing."""
    from runtime.web.errors import handle  # errors renders pages, which import web modules

    response = await handle(Request(scope), exc)
    await response(scope, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class _Multipart(MultiPartParser):
    """Starlette's parser, with the non-file parts held in memory capped together."""

    def __init__(self, headers: Headers, stream: AsyncGenerator[bytes, None], *,
                 max_files: int, max_fields: int, max_part_size: int) -> None:
        super().__init__(headers, stream, max_files=max_files, max_fields=max_fields,
                         max_part_size=max_part_size)
        self._in_memory = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current_part.file is None:
            self._in_memory += end - start
            if self._in_memory > FORM_BYTES:
                raise MultiPartException("Fields exceeded their total size.")
        super().on_part_data(data, start, end)


async def _stream(receive: Receive) -> AsyncGenerator[bytes, None]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        body = message.get("body", b"")
        if body:
            yield body
        if not message.get("more_body", False):
            return


async def read_form(scope: Scope, receive: Receive) -> FormData:
    """The posted form within the request's allowance; a ServiceError when it is not one."""
    allowed: Allowance = scope.get("state", {}).get("allowance") or Allowance(0)
    headers = Headers(scope=scope)
    kind = _kind(headers)
    try:
        if kind == "multipart/form-data" and allowed.multipart:
            return await _Multipart(headers, _stream(receive), max_files=allowed.files,
                                    max_fields=allowed.fields,
                                    max_part_size=FIELD_BYTES).parse()
        if kind == "application/x-www-form-urlencoded":
            return await FormParser(headers, _stream(receive), max_fields=allowed.fields,
                                    max_part_size=FIELD_BYTES).parse()
    except MultiPartException as exc:
        raise _form_problem(exc.message, allowed) from None
    return FormData()


_COUNT = re.compile(r"Too many (files|fields)")


def _form_problem(message: str, allowed: Allowance) -> ServiceError:
    count = _COUNT.match(message)
    if count and count.group(1) == "files":
        return Invalid(f"一次最多上传 {allowed.files} 个文件")
    if count:
        return Invalid(f"表单的项目过多（最多 {allowed.fields} 项）")
    if "exceeded maximum size" in message:
        return TooLarge(f"表单中有一项超过 {size_text(FIELD_BYTES)} 的上限")
    if "total size" in message:
        return TooLarge(f"表单中文件以外的内容合计超过 {size_text(FORM_BYTES)} 的上限")
    return Invalid("提交的表单无法解析（multipart 格式有误）")
