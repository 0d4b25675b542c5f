"""The runtime commands of the CLI, run for real: user add, token create, serve refusals."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


def test_serve_refuses_an_invalid_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    (catalog / "matters" / "broken.yaml").write_text("id: broken\nname: [x\n", "utf-8")
    result = run("serve", "--catalog", str(catalog), "--data-dir", str(tmp_path / "data"),
                 "--port", "1")
    assert result.returncode == 1
    assert "broken.yaml:3:1: error: invalid YAML" in result.stderr
    assert "not started" in result.stderr
