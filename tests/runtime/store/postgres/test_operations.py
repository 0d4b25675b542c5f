"""Operating onewindow on PostgreSQL: `serve --workers N`, a process killed with SIGKILL
mid-stream, versions published through another process, and the database going away
and coming back while serving."""

from __future__ import annotations

import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from starlette.testclient import TestClient

from runtime.services.container import Services
from runtime.settings import Settings
from runtime.web.app import create_app
from tests.pg import Cluster
from tests.runtime.store.postgres.test_two_servers import ROOT, _start, _wait

MATTER = "enterprise-establishment"


def _children(pid: int) -> list[int]:
    """The server processes under ``serve --workers`` (not multiprocessing's helpers)."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        if b"spawn_main" in command:
            found.append(int(child))
    return found


def _settings(tmp_path: Path, url: str, **more: object) -> Settings:
    return Settings.load({"data_dir": str(tmp_path / "cli"), "database": url,
                          "catalog_dir": str(tmp_path / "catalog"), **more}, environ={})


def _tokens(tmp_path: Path, url: str, *people: tuple[str, str]) -> dict[str, str]:
    """Users made and tokens issued by a third process, as the CLI does."""
    services = Services.open(_settings(tmp_path, url))
    try:
        tokens = {}
        for name, role in people:
            services.accounts.create_user(name, "correct-horse-9", role)
            tokens[name] = services.accounts.create_token(name)
        return tokens
    finally:
        services.close()


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "catalog", tmp_path / "catalog")
    return tmp_path / "catalog"


@pytest.fixture
def workers(tmp_path: Path, catalog: Path, pg_url: str) -> Iterator[tuple[int, str]]:
    """``onewindow serve --workers 2``: the supervising process and its address."""
    proc, base = _start(tmp_path, "w", pg_url, "--workers", "2",
                        env={"ONEWINDOW_FOLLOW_SECONDS": "0.2"})
    try:
        _wait(tmp_path, "w", proc, base)
        deadline = time.monotonic() + 30
        while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield proc.pid, base
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_workers_serve_one_data_set_and_survive_a_killed_process(
        tmp_path: Path, workers: tuple[int, str], pg_url: str) -> None:
    """Two server processes; one is killed with SIGKILL while uploads stream in: every
    upload that was answered 201 is in the database, and service goes on."""
    pid, base = workers
    assert len(_children(pid)) == 2
    token = _tokens(tmp_path, pg_url, ("alice", "applicant"))["alice"]
    acknowledged: list[str] = []
    stop = threading.Event()

    def stream() -> None:
        with httpx.Client(base_url=base + "/api/v1", timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    answer = client.post("/files", files={
                        "file": (f"f{n}.pdf", b"%PDF-1.4\n" + str(n).encode() + b"\n%%EOF\n")})
                except httpx.TransportError:
                    continue  # the killed process's connection: not acknowledged
                if answer.status_code == 201:
                    acknowledged.append(answer.json()["id"])

    writer = threading.Thread(target=stream)
    writer.start()
    try:
        time.sleep(1.5)
        before = len(acknowledged)
        victim = _children(pid)[0]
        os.kill(victim, signal.SIGKILL)
        time.sleep(3)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert before > 0 and len(acknowledged) > before  # served on after the kill
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT count(*) FROM files WHERE id = ANY(%s)",
                           (acknowledged,)).fetchone()
    assert row is not None and row[0] == len(acknowledged)
    deadline = time.monotonic() + 30  # the supervisor replaces the killed process
    while (len(_children(pid)) < 2 or victim in _children(pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_children(pid)) == 2 and victim not in _children(pid)


def test_a_version_published_elsewhere_is_served_without_restart(
        tmp_path: Path, workers: tuple[int, str], pg_url: str) -> None:
    """Another process publishes version 2; every server process serves it shortly."""
    _, base = workers
    token = _tokens(tmp_path, pg_url, ("viewer", "applicant"))["viewer"]

    def versions_seen() -> set[int]:  # several requests: both processes answer some
        seen = set()
        with httpx.Client(base_url=base + "/api/v1", timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            for _ in range(8):
                matters = client.get("/matters").json()
                seen.add(next(m["version"] for m in matters if m["id"] == MATTER))
        return seen

    assert versions_seen() == {1}
    publisher = Services.open(_settings(tmp_path, pg_url))
    try:
        admin = publisher.accounts.create_user("boss", "correct-horse-9", "admin")
        text = publisher.admin.export_version(admin, MATTER)
        publisher.admin.save_draft(admin, MATTER, text.replace("name: ", "name: 新版", 1))
        published = publisher.admin.publish(admin, MATTER).version
        at = time.monotonic()
    finally:
        publisher.close()
    assert published == 2
    while versions_seen() != {2}:
        assert time.monotonic() - at < 15, "the new version never reached every process"
        time.sleep(0.1)


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server of this test's own, to stop and start again."""
    cluster = Cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_a_database_restart_gives_503_then_service_resumes(
        tmp_path: Path, catalog: Path, own_cluster: Cluster) -> None:
    url = own_cluster.url
    token = _tokens(tmp_path, url, ("alice", "applicant"))["alice"]
    services = Services.open(_settings(tmp_path, url, db_wait_seconds=1))
    app = create_app(services.settings, services)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/matters", headers=headers).status_code == 200
        csrf = re.search(r'name="_csrf" value="([^"]+)"', client.get("/login").text)
        assert csrf
        own_cluster.halt()
        away = client.get("/api/v1/matters", headers=headers)
        assert away.status_code == 503, away.text
        assert away.headers["retry-after"] == "5"
        assert away.json()["error"] == "unavailable"
        assert "数据库暂时无法访问" in away.json()["message"]
        page = client.post("/login", data={"name": "alice", "password": "correct-horse-9",
                                           "_csrf": csrf.group(1)})  # a page, in Chinese
        assert page.status_code == 503 and "暂时无法服务" in page.text
        assert "Traceback" not in page.text
        assert own_cluster.start().returncode == 0
        answers = [client.get("/api/v1/matters", headers=headers).status_code
                   for _ in range(3)]  # a broken pooled connection may cost one more 503
        assert answers[-1] == 200 and set(answers) <= {200, 503}, answers
