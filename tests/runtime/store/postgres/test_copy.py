"""`onewindow store copy` and the commands' ``--database``: an embedded centre moves to
PostgreSQL with one command and keeps working there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from runtime.engine import Actor, record_document
from runtime.engine.calendar import CHINA_TZ
from runtime.services import LIFECYCLE
from runtime.services.container import Services
from runtime.settings import Settings
from runtime.store import TinyDBStore
from runtime.store.admin_store import AdminStore
from runtime.store.postgres import PostgresStore
from runtime.store.postgres.admin import PostgresAdminStore
from tests.runtime.store.conftest import make_case

ROOT = Path(__file__).parents[4]


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def centre(tmp_path: Path) -> tuple[Path, Path]:
    """An embedded data directory in use for a while: users, a token, a saved filter,
    numbered cases (open and finished), an uploaded file, published versions."""
    catalog, data = tmp_path / "catalog", tmp_path / "data"
    shutil.copytree(ROOT / "catalog", catalog)
    settings = Settings.load({"data_dir": str(data), "catalog_dir": str(catalog)}, environ={})
    services = Services.open(settings)
    try:
        services.accounts.create_user("li.ming", "correct-horse-9", "department", department="amr")
        services.accounts.create_token("li.ming")
        user = services.accounts.find("li.ming")
        assert user is not None
        store = services.store
        sha = store.save_blob(b"%PDF-1.7 licence")
        with store.write() as tx:
            tx.put_setting(user.id, "filters", [{"status": ["ready"]}])
            tx.put_file({"id": "f_1", "sha256": sha, "name": "营业执照.pdf", "size": 16})
            tx.put_notice({"id": "n_1", "recipient": user.id, "at": "2026-11-30T09:00:00+08:00",
                           "read": False, "title": "新任务"})
            tx.put_job({"id": "j_1", "kind": "deliver", "status": "pending",
                        "run_at": "2026-11-30T09:00:00+08:00", "lease_until": None})
            for n in range(1, 31):
                number = f"ZW20261130{tx.next_sequence('ZW20261130'):06d}"
                status = "delivered" if n % 3 == 0 else "in_progress"
                tx.put_case(make_case(n, number=number, status=status,
                                      departments=("amr", "tax")))
        case = store.get_case("c_00001")
        assert case is not None
        with store.write() as tx:  # a case at rev 2
            tx.put_case(case, expected_rev=1)
        other = store.get_case("c_00002")
        assert other is not None
        receipt = store.save_blob("<html>受理通知书 ZW20261130000002</html>".encode())
        with store.write() as tx:  # a formal document archived with a case (by hash)
            tx.put_case(record_document(other, Actor("u_w", "window"), datetime.now(CHINA_TZ),
                                        "receipt", receipt), expected_rev=1)
    finally:
        services.close()
    return catalog, data


def test_store_copy_moves_everything_and_verifies(centre: tuple[Path, Path],
                                                  pg_empty_url: str) -> None:
    catalog, data = centre
    done = run("store", "copy", "--data-dir", str(data), "--to", pg_empty_url)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "cases: 30" in lines and "users: 1" in lines and "tokens: 1" in lines
    assert "files: 1" in lines and "blobs: 2" in lines and "sequences: 1" in lines
    assert "notifications: 1" in lines and "jobs: 1" in lines
    assert any(line.startswith("compared whole: 2 cases") for line in lines)

    source = TinyDBStore(data / "store", lifecycle=LIFECYCLE)
    target = PostgresStore(pg_empty_url, pool_size=2, lifecycle=LIFECYCLE)
    admin, pg_admin = AdminStore.open(data / "admin.json"), PostgresAdminStore(pg_empty_url)
    try:
        assert target.count_cases() == 30
        for case in source.list_cases(limit=100):
            assert target.get_case(case["id"]) == case
        assert target.get_case("c_00001")["rev"] == 2  # type: ignore[index]
        for status in (None, ["ready"]):
            for dept in ("amr", "tax"):
                assert target.list_tasks(department=dept, status=status, limit=100) == \
                    source.list_tasks(department=dept, status=status, limit=100)
        assert target.list_users() == source.list_users()
        assert target.list_jobs() == source.list_jobs() != []
        user = source.get_user_by_name("li.ming")
        assert user is not None
        assert target.list_notices(user["id"]) == source.list_notices(user["id"]) != []
        assert target.get_setting(user["id"], "filters") == [{"status": ["ready"]}]
        meta = target.get_file("f_1")
        assert meta == source.get_file("f_1")
        with target.open_blob(meta["sha256"]) as handle:  # type: ignore[index]
            assert handle.read() == b"%PDF-1.7 licence"
        copied = target.get_case("c_00002")
        assert copied is not None
        with target.open_blob(copied["documents"]["receipt"]["sha256"]) as handle:
            assert "受理通知书" in handle.read().decode()
        with target.write() as tx:  # numbering goes on where the embedded store stopped
            assert tx.next_sequence("ZW20261130") == 31
        assert pg_admin.versions() == admin.versions() and admin.versions()
        assert pg_admin.audit(limit=1000) == admin.audit(limit=1000)
    finally:
        source.close()
        target.close()
        admin.close()
        pg_admin.close()

    again = run("store", "copy", "--data-dir", str(data), "--to", pg_empty_url)
    assert again.returncode == 1
    assert again.stderr.startswith("onewindow store copy: PostgreSQL at ")
    assert "is not empty (table cases has rows)" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1

    # the moved centre is used through --database, or ONEWINDOW_DATABASE
    added = run("user", "add", "wang", "--role", "window", "--password-stdin",
                "--catalog", str(catalog), "--data-dir", str(data / "unused"),
                "--database", pg_empty_url, stdin="correct-horse-9\n")
    assert added.returncode == 0, added.stderr
    token = run("token", "create", "wang", "--catalog", str(catalog),
                "--data-dir", str(data / "unused"), env={"ONEWINDOW_DATABASE": pg_empty_url})
    assert token.returncode == 0, token.stderr
    with psycopg.connect(pg_empty_url) as conn:
        row = conn.execute("SELECT count(*) FROM tokens t JOIN users u ON u.id = t.user_id "
                           "WHERE u.name = 'wang'").fetchone()
        assert row == (1,)
    assert not (data / "unused" / "store").exists()  # nothing went to the data directory


def test_store_copy_refuses_what_is_not_a_data_directory(tmp_path: Path,
                                                         pg_empty_url: str) -> None:
    done = run("store", "copy", "--data-dir", str(tmp_path / "nothing"), "--to", pg_empty_url)
    assert done.returncode == 1
    assert done.stderr == (f"onewindow store copy: {tmp_path / 'nothing'} holds no onewindow "
                           f"data (no {tmp_path / 'nothing' / 'store'})\n")


def test_serve_on_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    done = run("serve", "--catalog", str(ROOT / "catalog"), "--data-dir", str(tmp_path),
               "--database", "postgresql://ow:s3cret@127.0.0.1:1/onewindow")
    assert done.returncode == 1
    assert done.stderr.startswith("onewindow serve: not started: cannot connect to PostgreSQL "
                                  "at ow@127.0.0.1:1/onewindow: ")
    assert len(done.stderr.strip().splitlines()) == 1 and "s3cret" not in done.stderr
    bad = run("serve", "--catalog", str(ROOT / "catalog"), "--data-dir", str(tmp_path),
              "--database", "mysql://x")
    assert bad.returncode == 2
    assert bad.stderr == ("onewindow serve: setting 'database': expected empty (the embedded "
                          "store in data_dir) or postgresql://USER[:PASSWORD]@HOST:PORT/DB\n")
