"""Hostile request bodies against a real server: what is read and spooled before refusal.

Starts ``onewindow serve`` with its own TMPDIR, sends anonymous posts (120 MB and 410 MB
multipart files to /login and to an upload route, 21 file parts, 2,001 fields, a 1 MB
field) and reports, per request, the status, the body bytes the app read before
answering, the bytes the server wrote (wchar from /proc/PID/io), the peak size of open
files under TMPDIR, and whether the keep-alive connection answers a second request.
Linux only.

    python bench/hostile_bodies.py
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
MB = 1024 * 1024


def _io(pid: int) -> dict[str, int]:
    text = Path(f"/proc/{pid}/io").read_text()
    return {k: int(v) for k, v in (line.split(": ") for line in text.splitlines())}


def _temp_bytes(pid: int, tmpdir: str) -> int:
    total = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith(tmpdir):
                total += os.stat(f"/proc/{pid}/fd/{fd}").st_size
        except OSError:
            continue
    return total


class Watch(threading.Thread):
    """Polls the server's open temp files; keeps the peak."""

    def __init__(self, pid: int, tmpdir: str) -> None:
        super().__init__(daemon=True)
        self.pid, self.tmpdir, self.peak, self.stop = pid, tmpdir, 0, False

    def run(self) -> None:
        while not self.stop:
            self.peak = max(self.peak, _temp_bytes(self.pid, self.tmpdir))
            time.sleep(0.005)


def _session(port: int) -> tuple[str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/login")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("set-cookie", "").split(";")[0]
    token = re.search(r'name="_csrf" value="([^"]+)"', html)
    conn.close()
    return cookie, token.group(1) if token else ""


def _multipart_head(boundary: str, token: str, size: int) -> tuple[bytes, bytes]:
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nwrong\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    return head, f"\r\n--{boundary}--\r\n".encode()


def big_upload(port: int, size: int, cookie: str, path: str = "/login") -> tuple[str, int]:
    """Stream a ``size``-byte multipart file to ``path``; read the answer while sending."""
    boundary = "xBOUNDARYx"
    head, tail = _multipart_head(boundary, "", size)
    length = len(head) + size + len(tail)
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
                  f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                  f"Content-Length: {length}\r\n\r\n").encode())
    answer = bytearray()
    done = threading.Event()

    def reader() -> None:
        try:
            while chunk := sock.recv(65536):
                answer.extend(chunk)
                if b"\r\n\r\n" in answer:
                    break
        except OSError:
            pass
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    sent = 0
    chunk = b"\0" * MB
    try:
        sock.sendall(head)
        while sent < size and not done.is_set():
            part = chunk[: min(MB, size - sent)]
            sock.sendall(part)
            sent += len(part)
        if not done.is_set():
            sock.sendall(tail)
    except OSError:
        pass
    done.wait(60)
    sock.close()
    status = answer.split(b"\r\n", 1)[0].decode(errors="replace") or "(no answer: reset)"
    return status, sent


def small_posts(port: int, cookie: str, token: str) -> list[tuple[str, str, str]]:
    """Hostile small anonymous posts, each followed by a GET on the same connection."""
    boundary = "b0undary"
    files = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"f{i}\"; "
                    f"filename=\"f{i}.txt\"\r\n\r\nx\r\n" for i in range(21))
    cases = [
        ("21 file parts", f"multipart/form-data; boundary={boundary}",
         (f"--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"
          + files + f"--{boundary}--\r\n").encode()),
        ("2,001 fields", "application/x-www-form-urlencoded",
         (f"_csrf={token}&" + "&".join(f"f{i}=1" for i in range(2001))).encode()),
        ("1 MB field", "application/x-www-form-urlencoded",
         (f"_csrf={token}&name=" + "a" * MB).encode()),
    ]
    out = []
    for name, kind, body in cases:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/login", body=body,
                     headers={"Content-Type": kind, "Cookie": cookie})
        first = conn.getresponse()
        first.read()
        try:
            conn.request("GET", "/login", headers={"Cookie": cookie})
            second = f"{conn.getresponse().status}"
        except (OSError, http.client.HTTPException) as exc:
            second = f"failed: {type(exc).__name__}"
        conn.close()
        out.append((name, str(first.status), second))
    return out


def serve(stats: str, argv: list[str]) -> int:
    """Run ``onewindow serve`` with the app wrapped to count body bytes read per request."""
    import uvicorn

    from runtime import cli

    run = uvicorn.run

    def counted_run(app, **kwargs):  # type: ignore[no-untyped-def]
        async def counting(scope, receive, send):  # type: ignore[no-untyped-def]
            if scope["type"] != "http":
                return await app(scope, receive, send)
            seen = {"body": 0, "at_answer": None}

            async def counted_receive():  # type: ignore[no-untyped-def]
                message = await receive()
                seen["body"] += len(message.get("body", b""))
                return message

            async def noted_send(message):  # type: ignore[no-untyped-def]
                if message["type"] == "http.response.start":
                    seen["at_answer"] = seen["body"]
                    with open(stats, "a") as out:
                        out.write(f"{scope['method']} {scope['path']} {message['status']} "
                                  f"{seen['body']}\n")
                await send(message)
            await app(scope, counted_receive, noted_send)
        run(counting, **kwargs)

    uvicorn.run = counted_run
    return cli.main(["serve", *argv])


def _last_read(stats: str) -> int:
    lines = Path(stats).read_text().splitlines()
    return int(lines[-1].split()[-1]) if lines else 0


def main() -> int:
    port = int(os.environ.get("PORT", "8765"))
    with tempfile.TemporaryDirectory() as work:
        tmpdir = os.path.join(work, "tmp")
        os.mkdir(tmpdir)
        log = open(os.path.join(work, "server.log"), "w+")  # noqa: SIM115 (read at the end)
        env = {**os.environ, "TMPDIR": tmpdir}
        stats = os.path.join(work, "stats")
        Path(stats).touch()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", stats, "--data-dir", f"{work}/data",
             "--catalog", str(ROOT / "catalog"), "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port)).close()
                    break
                except OSError:
                    time.sleep(0.1)
            cookie, token = _session(port)
            for size_mb, path in ((120, "/login"), (410, "/login"),
                                  (410, "/apply/enterprise-establishment")):
                before = _io(server.pid)
                watch = Watch(server.pid, tmpdir)
                watch.start()
                status, sent = big_upload(port, size_mb * MB, cookie, path)
                time.sleep(0.3)
                watch.stop = True
                after = _io(server.pid)
                print(f"{size_mb} MB anonymous upload to {path}: {status!r}; client sent "
                      f"{sent / MB:.1f} MB; app read {_last_read(stats) / MB:.2f} MB before "
                      f"answering; server wrote {(after['wchar'] - before['wchar']) / MB:.2f} MB; "
                      f"peak temp files {watch.peak / MB:.2f} MB")
            for name, first, second in small_posts(port, cookie, token):
                print(f"{name}: {first}; next request on the same connection: {second}")
        finally:
            server.terminate()
            server.wait(10)
            log.seek(0)
            text = log.read()
            crashed = "Exception in ASGI application" in text
            print("server log:", "contains 'Exception in ASGI application'" if crashed
                  else "no exception", f"({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        sys.exit(serve(sys.argv[2], sys.argv[3:]))
    sys.exit(main())
