"""The runtime commands of the CLI, run for real: user add, token create, serve refusals."""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).parents[2]


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], input=stdin,
                          capture_output=True, text=True, check=False, cwd=ROOT, timeout=60)


def test_user_add_and_token_create(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data"), "--catalog", str(ROOT / "catalog")]
    ok = run("user", "add", "window2", "--role", "window", "--password-stdin", *data,
             stdin="a-long-password\n")
    assert ok.returncode == 0, ok.stderr
    again = run("user", "add", "window2", "--role", "window", "--password-stdin", *data,
                stdin="a-long-password\n")
    assert again.returncode == 1 and "已被使用" in again.stderr
    no_dept = run("user", "add", "rev", "--role", "department", "--password-stdin", *data,
                  stdin="a-long-password\n")
    assert no_dept.returncode == 1 and "须指定部门" in no_dept.stderr
    bad_role = run("user", "add", "x", "--role", "boss", "--password-stdin", *data)
    assert bad_role.returncode == 2
    token = run("token", "create", "window2", "--data-dir", str(tmp_path / "data"))
    assert token.returncode == 0, token.stderr
    lines = token.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ow_") and len(lines[0]) > 30
    missing = run("token", "create", "nobody", "--data-dir", str(tmp_path / "data"))
    assert missing.returncode == 1 and missing.stdout == ""


def test_no_terminal_and_no_password_stdin_is_bad_usage(tmp_path: Path) -> None:
    result = run("user", "add", "someone", "--role", "applicant",
                 "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2 and "--password-stdin" in result.stderr


def test_serve_refuses_several_workers_on_the_embedded_store(tmp_path: Path) -> None:
    result = run("serve", "--workers", "2", "--data-dir", str(tmp_path / "data"), "--port", "1")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "onewindow serve: --workers 2 needs PostgreSQL (--database URL or ONEWINDOW_DATABASE): "
        "the embedded store in --data-dir is served by one process"]
    assert not (tmp_path / "data").exists()  # refused before anything was opened
    zero = run("serve", "--workers", "0", "--data-dir", str(tmp_path / "data"))
    assert zero.returncode == 2 and "setting 'workers': must be greater than 0" in zero.stderr


def test_serve_refuses_an_invalid_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    (catalog / "matters" / "broken.yaml").write_text("id: broken\nname: [x\n", "utf-8")
    result = run("serve", "--catalog", str(catalog), "--data-dir", str(tmp_path / "data"),
                 "--port", "1")
    assert result.returncode == 1
    assert "broken.yaml:3:1: error: invalid YAML" in result.stderr
    assert "not started" in result.stderr


def test_token_list_and_revoke(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert run("user", "add", "robot", "--role", "window", "--password-stdin", *data,
               "--catalog", str(ROOT / "catalog"), stdin="Robot-Works-2026\n").returncode == 0
    token = run("token", "create", "robot", *data).stdout.strip()
    run("token", "create", "robot", *data)
    listed = run("token", "list", "robot", *data)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("t_") and "last used never" in line
                                   for line in lines)
    own = "t_" + hashlib.sha256(token.encode()).hexdigest()[:12]
    first = next(line.split("\t")[0] for line in lines if not line.startswith(own))
    assert run("token", "revoke", first, *data).returncode == 0
    assert run("token", "revoke", token, *data).returncode == 0  # the token itself
    assert run("token", "list", "robot", *data).stdout == ""
    missing = run("token", "revoke", first, *data)
    assert missing.returncode == 1 and "no such token" in missing.stderr
    assert run("token", "list", "nobody", *data).returncode == 1


def test_weak_passwords_are_refused_by_user_add(tmp_path: Path) -> None:
    weak = run("user", "add", "clerk7", "--role", "window", "--password-stdin",
               "--data-dir", str(tmp_path / "data"), stdin="12345678\n")
    assert weak.returncode == 1 and "连续的数字" in weak.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A real `onewindow serve` on a temporary data directory, with the user "victim"."""
    data = tmp_path / "data"
    made = run("user", "add", "victim", "--role", "window", "--password-stdin",
               "--data-dir", str(data), stdin="Victim-Pass-2026\n")
    assert made.returncode == 0, made.stderr
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "serve", "--data-dir", str(data), "--port",
         str(port), "--catalog", str(ROOT / "catalog")], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert "serving" in line, line
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(url + "/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield data, url
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_user_and_token_commands_on_a_served_data_dir_say_what_to_do(
        served: tuple[Path, str]) -> None:
    data, _ = served
    for args, stdin in ((("user", "add", "clerk2", "--role", "window", "--password-stdin"),
                         "Clerk-Two-2026\n"), (("token", "create", "victim"), ""),
                        (("token", "list", "victim"), ""), (("token", "revoke", "t_0"), "")):
        result = run(*args, "--data-dir", str(data), stdin=stdin)
        assert result.returncode == 1, result
        assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
        assert "in use by a running `onewindow serve`" in result.stderr
    assert "/admin/users" in result.stderr
    worker = run("worker", "--data-dir", str(data))
    assert worker.returncode == 1 and len(worker.stderr.splitlines()) == 1
    assert worker.stderr.startswith("onewindow worker: ")
    assert "`serve` runs the jobs itself" in worker.stderr


def test_forwarded_for_from_loopback_does_not_lift_a_lockout(served: tuple[Path, str]) -> None:
    _, url = served
    with httpx.Client(base_url=url) as browser:
        def attempt(password: str, headers: dict[str, str] | None = None) -> int:
            page = browser.get("/login").text
            token = re.search(r'name="_csrf" value="([^"]+)"', page)
            assert token
            return browser.post("/login", headers=headers, data={
                "name": "victim", "password": password, "_csrf": token.group(1)}).status_code
        assert [attempt("wrong-guess-1") for _ in range(5)] == [401] * 5
        assert attempt("Victim-Pass-2026") == 429
        assert attempt("Victim-Pass-2026", {"X-Forwarded-For": "203.0.113.77"}) == 429
