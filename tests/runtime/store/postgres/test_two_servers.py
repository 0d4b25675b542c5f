"""Two `onewindow serve --database URL` processes on one PostgreSQL database: both
start, a sign-in on one is honoured by the other, and an API journey hops between them."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime.services.container import Services
from runtime.settings import Settings
from tests.runtime.api.samples import CAST, DATA, FILES

ROOT = Path(__file__).parents[4]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(tmp_path: Path, name: str, url: str, *extra: str,
           env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """``onewindow serve --database URL`` with a data folder of its own (sessions,
    files and the signing key are in the database: nothing is shared on disk)."""
    port = _free_port()
    log = (tmp_path / f"{name}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "serve", "--port", str(port), "--database", url,
         "--data-dir", str(tmp_path / f"data-{name}"), "--catalog", str(tmp_path / "catalog"),
         *extra],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **(env or {})})
    return proc, f"http://127.0.0.1:{port}"


def _wait(tmp_path: Path, name: str, proc: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2).read()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError((tmp_path / f"{name}.log").read_text()) from None
            time.sleep(0.2)


@pytest.fixture
def two_servers(tmp_path: Path, pg_empty_url: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """Two processes started at the same moment on a fresh database: both create or
    find the schema and record the catalog's versions without failing."""
    shutil.copytree(ROOT / "catalog", tmp_path / "catalog")
    first, a = _start(tmp_path, "a", pg_empty_url, "--demo")
    second, b = _start(tmp_path, "b", pg_empty_url)
    try:
        _wait(tmp_path, "a", first, a)
        _wait(tmp_path, "b", second, b)
        passwords = {}
        for line in (tmp_path / "data-a" / "demo-users.txt").read_text("utf-8").splitlines():
            if line and not line.startswith("#"):
                name, password, _ = line.split("\t", 2)
                passwords[name] = password
        yield a, b, passwords
    finally:
        for proc in (first, second):
            proc.terminate()
            proc.wait(timeout=20)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def test_two_processes_serve_one_database(two_servers: tuple[str, str, dict[str, str]],
                                          pg_empty_url: str) -> None:
    a, b, passwords = two_servers
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    page = browser.open(a + "/login").read().decode()
    token = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert token
    form = urllib.parse.urlencode({"name": "window", "password": passwords["window"],
                                   "_csrf": token.group(1)}).encode()
    with pytest.raises(urllib.error.HTTPError) as signed_in:  # 303: no redirect followed
        browser.open(a + "/login", data=form)
    assert signed_in.value.code == 303
    for base in (a, b):  # the session made on a is honoured by b
        window = browser.open(base + "/window").read().decode()
        assert "受理" in window
    other = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(), _NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        other.open(b + "/window")
    assert anonymous.value.code in (303, 401, 403)


def test_an_api_journey_hops_between_the_two_processes(
        tmp_path: Path, two_servers: tuple[str, str, dict[str, str]], pg_empty_url: str) -> None:
    """Files uploaded to one process are used by the other (their contents are in the
    database); a case submitted on b is accepted on a, its task claimed on b, and a
    second claim on a is a 409."""
    a, b, _ = two_servers
    settings = Settings.load({"data_dir": str(tmp_path / "cli"), "database": pg_empty_url,
                              "catalog_dir": str(tmp_path / "catalog")}, environ={})
    services = Services.open(settings)  # a third process would do the same: the CLI
    try:
        tokens = {}
        for name in ("alice", "win", "amr1", "amr2"):
            role, department = CAST[name]
            services.accounts.create_user(name, "correct-horse-9", role, department=department)
            tokens[name] = services.accounts.create_token(name)
    finally:
        services.close()

    def call(base: str, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{base}/api/v1{path}", timeout=60,
                             headers={"Authorization": f"Bearer {tokens[who]}"}, **kwargs)

    materials = {}
    for material, (name, blob) in FILES.items():
        uploaded = call(a, "alice", "POST", "/files", files={"file": (name, blob)})
        assert uploaded.status_code == 201, uploaded.text
        materials[material] = [uploaded.json()["id"]]
    made = call(b, "alice", "POST", "/cases", json={
        "matter": "enterprise-establishment", "data": DATA, "materials": materials})
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    accepted = call(a, "win", "POST", f"/cases/{case_id}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["number"].startswith("ZW")
    ready = call(b, "amr1", "GET", "/tasks", params={"status": "ready"}).json()
    task_id = next(t["id"] for t in ready if t["case"] == case_id)
    assert call(b, "amr1", "POST", f"/tasks/{task_id}/claim").status_code == 200
    second = call(a, "amr2", "POST", f"/tasks/{task_id}/claim")
    assert second.status_code == 409, second.text
    case = call(a, "alice", "GET", f"/cases/{case_id}").json()
    assert case["number"] == accepted.json()["number"]
