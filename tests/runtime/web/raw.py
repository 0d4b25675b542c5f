"""One request straight through the ASGI app, counting how much of the body it reads."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

KB = 1024
MB = 1024 * KB


@dataclass
class Answer:
    """What came back, and how many body bytes the app pulled before answering."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    read: int = 0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def endless(chunk: int = 64 * KB) -> Iterator[bytes]:
    """A body that never ends (its sender lies or sends no length)."""
    return repeat(b"a" * chunk)


def sized(total: int, chunk: int = MB) -> Iterator[bytes]:
    """``total`` bytes in chunks, made lazily."""
    sent = 0
    while sent < total:
        part = min(chunk, total - sent)
        sent += part
        yield b"a" * part


def call(app: Any, method: str, path: str, headers: dict[str, str],
         body: Iterable[bytes] = ()) -> Answer:
    """Run one request; ``body`` is pulled chunk by chunk only as the app asks for it."""
    answer = Answer()
    chunks = iter(body)
    pending = next(chunks, None)
    answered = False

    async def receive() -> dict[str, Any]:
        nonlocal pending
        if answered:
            return {"type": "http.disconnect"}
        chunk, pending = pending, next(chunks, None) if pending is not None else None
        if chunk is not None and not answered:
            answer.read += len(chunk)
        return {"type": "http.request", "body": chunk or b"", "more_body": pending is not None}

    async def send(message: dict[str, Any]) -> None:
        nonlocal answered
        if message["type"] == "http.response.start":
            answered = True
            answer.status = message["status"]
            answer.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    path, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "root_path": "", "client": ("127.0.0.1", 5000),
             "server": ("testserver", 80),
             "headers": [(k.lower().encode(), v.encode())
                         for k, v in {"host": "testserver", **headers}.items()]}
    # A thread of its own: a test session may already run an event loop (Playwright's).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return answer
