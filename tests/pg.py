"""A throwaway PostgreSQL for the tests: one cluster per test session (per xdist
worker), one fresh database per test.

The cluster is Debian's ``postgresql`` package started with initdb + pg_ctl in a
temporary directory on a free port (as the ``postgres`` user when running as root).
With ``ONEWINDOW_TEST_DATABASE`` set to the URL of a server where that user may
create databases, the tests use that server instead. Missing binaries fail the
tests with the command that installs them: never a skip.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from runtime.store.postgres import migrate

INSTALL = "sudo apt-get install -y postgresql   (or, as root: scripts/system-deps)"
_names = itertools.count(1)


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        pytest.fail(f"PostgreSQL's initdb and pg_ctl are not installed; run: {INSTALL}",
                    pytrace=False)
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """A PostgreSQL server of our own, in a temporary directory; `stop` removes it."""

    def __init__(self, *, durable: bool = False) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="onewindow-pg-"))
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-sync", "--locale=C.UTF-8")
        for _ in range(5):
            self.port = _free_port()
            self.options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                            f"-c unix_socket_directories={self.root} -c max_connections=200")
            if not durable:  # tests: nothing to keep, so skip the flushes
                self.options += (" -c fsync=off -c synchronous_commit=off"
                                 " -c full_page_writes=off"
                                 " -c shared_buffers=32MB")  # small: a cluster per xdist worker
            if self.start().returncode == 0:
                break
        else:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            self.remove()
            pytest.fail(f"PostgreSQL did not start:\n{log}", pytrace=False)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            pytest.fail(f"{tool} failed: {done.stderr or done.stdout}", pytrace=False)
        return done

    def start(self) -> subprocess.CompletedProcess[str]:
        """Start the server (again) on its port."""
        return self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                         "-o", self.options, "-w", "start", check=False)

    def halt(self) -> None:
        """Stop the server, keeping its files (as a database restart does)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        """Stop the server at once and delete its files."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        self.remove()

    def remove(self) -> None:
        """Delete the cluster's directory."""
        shutil.rmtree(self.root, ignore_errors=True)


class Server:
    """Where the test databases are made: our cluster or ``ONEWINDOW_TEST_DATABASE``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"ow_test_{os.getpid()}_"
        self.template = f"{self.prefix}template"
        self.drop(self.template)
        self._admin(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
            sql.Identifier(self.template)))
        with psycopg.connect(self.url_of(self.template), autocommit=True) as conn:
            migrate(conn)

    def _admin(self, query: sql.Composable) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(query)

    def url_of(self, name: str) -> str:
        """The URL of database ``name`` on this server."""
        return urlsplit(self.url)._replace(path=f"/{name}").geturl()

    def create(self, *, empty: bool = False) -> str:
        """A new database (with the current schema unless ``empty``); return its URL."""
        name = f"{self.prefix}{next(_names)}"
        template = "template0" if empty else self.template
        # FILE_COPY: a third of the time of the default WAL_LOG for a small template
        self._admin(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(name), sql.Identifier(template)))
        return self.url_of(name)

    def drop(self, name: str) -> None:
        """Drop a database, closing whatever still uses it."""
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """The PostgreSQL server of this test session."""
    given = os.environ.get("ONEWINDOW_TEST_DATABASE")
    if given:
        server = Server(given)
        yield server
        server.drop(server.template)
        return
    cluster = Cluster()
    try:
        server = Server(cluster.url)
        yield server
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_server: Server) -> Iterator[str]:
    """The URL of a fresh database with the current schema, dropped after the test."""
    url = pg_server.create()
    yield url
    pg_server.drop(psycopg.conninfo.conninfo_to_dict(url)["dbname"])


@pytest.fixture
def pg_empty_url(pg_server: Server) -> Iterator[str]:
    """The URL of a fresh, empty database (no schema), dropped after the test."""
    url = pg_server.create(empty=True)
    yield url
    pg_server.drop(psycopg.conninfo.conninfo_to_dict(url)["dbname"])
