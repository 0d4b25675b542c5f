"""Against a real ``onewindow serve``: a refused body leaves a quiet log and a live connection."""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
BOUNDARY = "b0undary"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    work = tmp_path_factory.mktemp("serve")
    port = _free_port()
    log = work / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "runtime.cli", "serve", "--catalog", str(ROOT / "catalog"),
             "--data-dir", str(work / "data"), "--port", str(port)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        yield port, log
    finally:
        process.terminate()
        process.wait(10)


def _files(token: str, count: int) -> bytes:
    parts = [f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"]
    parts += [f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"f{i}\"; "
              f"filename=\"f{i}.txt\"\r\n\r\nx\r\n" for i in range(count)]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


def test_hostile_posts_are_refused_cleanly_and_the_connection_survives(
        server: tuple[int, Path]) -> None:
    port, log = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    first = conn.getresponse()
    token = re.search(r'name="_csrf" value="([^"]+)"', first.read().decode())
    assert token
    cookie = {"Cookie": str(first.getheader("set-cookie")).split(";")[0]}
    hostile = [
        (_files(token.group(1), 21), f"multipart/form-data; boundary={BOUNDARY}", 400),
        (f"_csrf={token.group(1)}&".encode() + b"&".join(b"f%d=1" % i for i in range(2001)),
         "application/x-www-form-urlencoded", 400),
        (f"_csrf={token.group(1)}&name=".encode() + b"a" * 1024 * 1024,
         "application/x-www-form-urlencoded", 413),
    ]
    for body, kind, status in hostile:
        # One connection for everything: each refusal must leave it usable.
        conn.request("POST", "/login", body=body, headers={**cookie, "Content-Type": kind})
        refused = conn.getresponse()
        assert refused.status == status and "<html" in refused.read().decode()
        conn.request("GET", "/login", headers=cookie)
        again = conn.getresponse()
        assert again.status == 200 and "登录" in again.read().decode()
    conn.close()
    text = log.read_text()
    assert "Exception in ASGI application" not in text and "Traceback" not in text, text
