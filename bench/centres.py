"""Two real onewindow centres on loopback, each with its own catalog and data folder:
海南省政务服务中心 (``hainan``) sends its seal step (印章刻制) to the Haikou city police in
海口市政务服务中心 (``haikou``). Used by bench/exchange.py and the exchange tests
(tests/runtime/exchange)."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "exchange"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PASSWORD = "correct-horse-9"
KEY = "k-" + "s3cret" * 6


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Failed(Exception):
    """An API answer that is not 2xx."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


@dataclass
class Centre:
    """One onewindow server: its catalog, data, port, users' tokens, and process."""

    name: str
    root: Path
    peer: str
    port: int = field(default_factory=free_port)
    tokens: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    database: str = ""
    """A PostgreSQL URL: then ``serve --database`` and a ``onewindow worker`` beside it."""
    worker: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """The server's address."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def catalog(self) -> Path:
        """Its catalog folder."""
        return self.root / "catalog"

    @property
    def data(self) -> Path:
        """Its data folder."""
        return self.root / "data"

    def prepare(self, source: Path, peer_port: int, users: list[tuple[str, str, str | None]],
                keys: str) -> None:
        """Copy the catalog (the peer's url filled in), make users and their tokens."""
        shutil.copytree(source, self.catalog)
        centre = self.catalog / "centre.yaml"
        centre.write_text(re.sub(r"http://127\.0\.0\.1:1\b", f"http://127.0.0.1:{peer_port}",
                                 centre.read_text("utf-8")), "utf-8")
        self.env = {f"ONEWINDOW_PEER_KEY_{self.peer.upper()}": keys}
        from runtime.services import Services
        from runtime.settings import Settings
        # this process only makes users: the servers get the keys, not it
        logging.getLogger("onewindow.exchange").setLevel(logging.ERROR)
        services = Services.open(Settings.load({"data_dir": str(self.data),
                                                "catalog_dir": str(self.catalog),
                                                "database": self.database}, environ={}))
        try:
            for name, role, department in users:
                services.accounts.create_user(name, PASSWORD, role, department=department,
                                              display_name=name,
                                              **({"duties": ["cashier"]} if name == "cash"
                                                 else {}))
                self.tokens[name] = services.accounts.create_token(name)
        finally:
            services.close()

    def start(self, **env: str) -> None:
        """``onewindow serve`` on its port; returns once it answers."""
        log = (self.root / "server.log").open("a")
        where = ["--data-dir", str(self.data), "--catalog", str(self.catalog),
                 *(["--database", self.database] if self.database else [])]
        environ = {**os.environ, "ONEWINDOW_EXCHANGE_POLL_SECONDS": "0.2", **self.env, **env}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runtime.cli", "serve", "--port", str(self.port), *where],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=environ)
        if self.database:  # with PostgreSQL the time-driven work is the worker's
            self.worker = subprocess.Popen([sys.executable, "-m", "runtime.cli", "worker",
                                            *where], stdout=log, stderr=subprocess.STDOUT,
                                           cwd=ROOT, env=environ)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.base + "/login", timeout=2).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.proc.kill()
                    raise RuntimeError((self.root / "server.log").read_text("utf-8")) from None
                time.sleep(0.1)

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server (SIGKILL when ``kill``: nothing flushed beyond what is durable)."""
        for proc in (self.proc, self.worker):
            if proc is not None and proc.poll() is None:
                if kill:
                    proc.kill()
                else:
                    proc.terminate()
                proc.wait(timeout=30)
        self.proc = self.worker = None

    def api(self, user: str, method: str, path: str, body: Any = None) -> Any:
        """A JSON API call as ``user``; raises `Failed` on a non-2xx answer."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + "/api/v1" + path, data=data, method=method,
            headers={"Authorization": f"Bearer {self.tokens[user]}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise Failed(exc.code, exc.read().decode("utf-8", "replace")) from None

    def count(self, user: str, path: str) -> int:
        """A list's ``X-Total-Count`` (``limit=1``: the rows are not wanted)."""
        request = urllib.request.Request(self.base + "/api/v1" + path, headers={
            "Authorization": f"Bearer {self.tokens[user]}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.headers["X-Total-Count"])

    def upload(self, user: str, name: str, content: bytes) -> str:
        """``POST /files``; the file id."""
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            self.base + "/api/v1/files", data=body, method="POST",
            headers={"Authorization": f"Bearer {self.tokens[user]}",
                     "Content-Type": f"multipart/form-data; boundary={boundary}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return str(json.loads(response.read())["id"])


PROVINCE_USERS: list[tuple[str, str, str | None]] = [
    ("alice", "applicant", None), ("win", "window", None), ("amr1", "department", "amr"),
    ("psb1", "department", "psb"), ("sup", "supervisor", None), ("admin", "admin", None),
    ("cash", "window", None)]
CITY_USERS: list[tuple[str, str, str | None]] = [
    ("cop1", "department", "police"), ("cop2", "department", "police"),
    ("csup", "supervisor", None), ("cadmin", "admin", None)]


def two_centres(tmp: Path, *, province_keys: str = KEY, city_keys: str = KEY,
                province_database: str = "") -> tuple[Centre, Centre]:
    """The province and the city, prepared (not started); ports chosen now."""
    province = Centre("province", tmp / "province", "haikou", database=province_database)
    city = Centre("city", tmp / "city", "hainan")
    province.prepare(FIXTURES / "province", city.port, PROVINCE_USERS, province_keys)
    city.prepare(FIXTURES / "city", province.port, CITY_USERS, city_keys)
    return province, city


def wait_for(what: Callable[[], Any], timeout: float = 30, every: float = 0.05) -> Any:
    """Poll until ``what()`` is truthy; its value (AssertionError after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not so after {timeout} s")
        time.sleep(every)


def new_case(province: Centre, number: int = 0) -> dict[str, Any]:
    """An application accepted at the province window, its licence approved: the seal
    task becomes ready (and is sent to the city). The case as the window sees it."""
    file_id = province.upload("alice", "法定代表人身份证.png", PNG)
    case = province.api("alice", "POST", "/cases", {
        "matter": "company-with-seal",
        "data": {"company_name": f"海口青禾科技有限公司{number}", "secret_note": "不外发"},
        "materials": {"legal-rep-id": [file_id]}})
    province.api("win", "POST", f"/cases/{case['id']}/accept")
    return approve_license(province, case["id"])


def approve_license(province: Centre, case_id: str) -> dict[str, Any]:
    """The province's amr officer approves the licence step."""
    case = province.api("win", "GET", f"/cases/{case_id}")
    task = next(t for t in case["tasks"] if t["step"] == "license")
    province.api("amr1", "POST", f"/tasks/{task['id']}/claim")
    province.api("amr1", "POST", f"/tasks/{task['id']}/approve",
                 {"data": {"license_no": "91460100MA5T000001"}, "opinion": "同意"})
    return dict(province.api("win", "GET", f"/cases/{case_id}"))


def city_tasks(city: Centre, user: str = "cop1") -> list[Mapping[str, Any]]:
    """The police's open tasks in the city."""
    return list(city.api(user, "GET", "/tasks?limit=200"))


def post_message(target: Centre, sender: str, key: str, message: Mapping[str, Any], *,
                 stamp: int | None = None) -> tuple[int, Any]:
    """POST a signed message to ``target`` as the centre ``sender``: (status, answer)."""
    from runtime.exchange import sign
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    when = str(int(time.time()) if stamp is None else stamp)
    request = urllib.request.Request(
        target.base + "/exchange/v1/messages", data=body, method="POST",
        headers={"Content-Type": "application/json", "X-Onewindow-Centre": sender,
                 "X-Onewindow-Timestamp": when, "X-Onewindow-Signature": sign(key, when, body)})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")
