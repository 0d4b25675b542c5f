"""`PostgresStore`: the `Store` protocol on PostgreSQL, for many processes on many machines.

Cases are JSONB documents with real columns for what lists filter and sort on;
their tasks are rows (the worklists and the decided lists are index scans); files
and their contents live in the database too. Every batch is one transaction.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from psycopg import errors, sql
from psycopg.types.json import Jsonb

from runtime.store.base import (
    Conflict,
    Document,
    Lifecycle,
    NotFound,
    StoreError,
    TaskRow,
    TaskTally,
    WriteBatch,
)
from runtime.store.index import status_set
from runtime.store.postgres import stat_facts
from runtime.store.postgres.batch import PostgresBatch
from runtime.store.postgres.connection import Pool, prepare
from runtime.store.postgres.stat_facts import Projector

#: A query: plain text or composed with `psycopg.sql`.
Query = str | sql.SQL | sql.Composed

_SHA256 = re.compile(r"[0-9a-f]{64}")

#: Default number of connections each process keeps at most.
POOL_SIZE = 10


def _check_sha(sha256: str) -> None:
    if not _SHA256.fullmatch(sha256):
        raise StoreError(f"not a SHA-256 hex digest: {sha256!r}")


class PostgresStore:
    """The `Store` protocol on PostgreSQL (``url``: ``postgresql://USER@HOST:PORT/DB``).

    Opening creates or migrates the schema. Unlike the embedded store, several
    batches may be open at once (one connection each, from other threads or other
    processes); row locks and constraints keep them correct.
    """

    def __init__(self, url: str, *, lifecycle: Lifecycle, pool_size: int = POOL_SIZE,
                 timeout: float = 10.0) -> None:
        prepare(url, connect_timeout=max(1, int(timeout)))
        self.lifecycle = lifecycle
        self._pool = Pool(url, size=pool_size, timeout=timeout)
        self._writing: set[int] = set()  # threads with an open batch
        self._lock = threading.Lock()
        self._closed = False
        self._projector: Projector | None = None  # see install_projector
        self._fingerprint = ""

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    def _rows(self, query: Query, params: Any = None) -> list[tuple[Any, ...]]:
        self._check_open()
        with self._pool.connection() as conn:
            return conn.execute(query, params).fetchall()

    def _one(self, query: str | sql.SQL | sql.Composed, params: Any = None) -> Any:
        rows = self._rows(query, params)
        return rows[0][0] if rows else None

    # -- writes --------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[WriteBatch]:
        """Open one transaction; committed when the block exits, rolled back if it raises.

        A lost race (a deadlock, a serialisation failure) is a `Conflict`.
        """
        self._check_open()
        me = threading.get_ident()
        with self._lock:
            if me in self._writing:
                raise StoreError("write() is not re-entrant: finish the open batch first")
            self._writing.add(me)
        try:
            with self._pool.connection() as conn:
                batch = PostgresBatch(conn, self.lifecycle, self._projector)
                try:
                    with conn.transaction():
                        yield batch
                        if batch.failed is not None:  # swallowed by the block: still void
                            raise batch.failed
                        batch.before_commit()
                        batch.finish()
                except errors.TransactionRollback as err:
                    raise Conflict(f"a concurrent transaction won: {err.sqlstate}") from None
                finally:
                    batch.finish()
        finally:
            with self._lock:
                self._writing.discard(me)

    # -- cases ---------------------------------------------------------------

    def get_case(self, case_id: str) -> Document | None:
        """Return the case with this id, or None."""
        doc: Document | None = self._one("SELECT doc FROM cases WHERE id = %s", (case_id,))
        return doc

    def get_case_by_number(self, number: str) -> Document | None:
        """Return the case with this public number (受理编号), or None."""
        doc: Document | None = self._one("SELECT doc FROM cases WHERE number = %s", (number,))
        return doc

    @staticmethod
    def _case_filter(status: frozenset[str] | None, applicant: str | None, matter: str | None,
                     matter_version: int | None) -> tuple[sql.Composable, list[Any]]:
        where: list[sql.Composable] = []
        params: list[Any] = []
        for column, value in (("applicant", applicant), ("matter", matter),
                              ("matter_version", matter_version)):
            if value is not None:
                where.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
                params.append(value)
        if status is not None:
            where.append(sql.SQL("status = ANY(%s)"))
            params.append(sorted(status))
        if not where:
            return sql.SQL(""), params
        return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where), params

    def list_cases(self, *, status: Iterable[str] | None = None, applicant: str | None = None,
                   matter: str | None = None, matter_version: int | None = None,
                   limit: int = 100, offset: int = 0) -> list[Document]:
        """Return cases, newest ``updated_at`` first (then id), optionally filtered."""
        where, params = self._case_filter(status_set(status), applicant, matter, matter_version)
        query = (sql.SQL("SELECT doc FROM cases") + where
                 + sql.SQL(" ORDER BY updated_at DESC, id DESC LIMIT %s OFFSET %s"))
        return [row[0] for row in self._rows(query, [*params, max(limit, 0), max(offset, 0)])]

    def count_cases(self, *, status: Iterable[str] | None = None, applicant: str | None = None,
                    matter: str | None = None, matter_version: int | None = None,
                    at_most: int | None = None) -> int:
        """Count the cases `list_cases` would return without a limit (up to ``at_most``)."""
        where, params = self._case_filter(status_set(status), applicant, matter, matter_version)
        return self._count(sql.SQL("SELECT 1 FROM cases") + where, params, at_most)

    def _count(self, rows: Query, params: list[Any], at_most: int | None) -> int:
        """count(*) of a query's rows; with ``at_most``, a scan that stops there."""
        inner = sql.SQL(rows) if isinstance(rows, str) else rows
        if at_most is not None:
            inner = inner + sql.SQL(" LIMIT %s")
            params = [*params, max(at_most, 0)]
        return int(self._one(sql.SQL("SELECT count(*) FROM ({}) AS x").format(inner), params))

    # -- tasks ---------------------------------------------------------------

    @staticmethod
    def _task_filter(department: str, status: Iterable[str] | None) -> tuple[str, list[Any]]:
        wanted = status_set(status)
        if wanted is None:
            return "t.open AND t.department = %s", [department]
        return "t.open AND t.department = %s AND t.status = ANY(%s)", [department, sorted(wanted)]

    def list_tasks(self, *, department: str, status: Iterable[str] | None = None,
                   limit: int = 50, offset: int = 0) -> list[TaskRow]:
        """Return a department's tasks in unfinished cases, most urgent first."""
        where, params = self._task_filter(department, status)
        rows = self._rows(
            "SELECT t.task, c.summary FROM tasks t JOIN cases c ON c.id = t.case_id "
            f"WHERE {where} ORDER BY t.due NULLS LAST, t.ready_at NULLS LAST, t.case_id, "
            "t.task_id LIMIT %s OFFSET %s", [*params, max(limit, 0), max(offset, 0)])
        return [TaskRow(task, case) for task, case in rows]

    def count_tasks(self, *, department: str, status: Iterable[str] | None = None) -> int:
        """Count the tasks `list_tasks` would return without a limit."""
        where, params = self._task_filter(department, status)
        return int(self._one(f"SELECT count(*) FROM tasks t WHERE {where}", params))

    def list_decided(self, *, department: str, limit: int = 50, offset: int = 0) -> list[TaskRow]:
        """Return a department's decided tasks in every case, newest decision first."""
        rows = self._rows(
            "SELECT t.task, c.summary FROM tasks t JOIN cases c ON c.id = t.case_id "
            "WHERE t.decided_at IS NOT NULL AND t.department = %s "
            "ORDER BY t.decided_at DESC, t.case_id DESC, t.position DESC LIMIT %s OFFSET %s",
            (department, max(limit, 0), max(offset, 0)))
        return [TaskRow(task, case) for task, case in rows]

    def tally_tasks(self, *, department: str, holder: str, held_in: Iterable[str]) -> TaskTally:
        """Count a department's open tasks per status, and those ``holder`` claimed among
        ``held_in``: one index scan of the department's open tasks."""
        rows = self._rows(
            "SELECT status, count(*), count(*) FILTER (WHERE status = ANY(%s) "
            "AND task->>'claimed_by' = %s) FROM tasks WHERE open AND department = %s "
            "GROUP BY status", (sorted(set(held_in)), holder, department))
        return TaskTally({str(s): int(n) for s, n, _ in rows},
                         {str(s): int(m) for s, _, m in rows if m})

    def count_decided(self, department: str, *, at_most: int | None = None) -> int:
        """Count the tasks `list_decided` would return without a limit (up to ``at_most``)."""
        return self._count("SELECT 1 FROM tasks WHERE decided_at IS NOT NULL "
                           "AND department = %s", [department], at_most)

    # -- users, tokens, files, settings --------------------------------------

    def get_user(self, user_id: str) -> Document | None:
        """Return a user by id, or None."""
        doc: Document | None = self._one("SELECT doc FROM users WHERE id = %s", (user_id,))
        return doc

    def get_user_by_name(self, name: str) -> Document | None:
        """Return a user by (unique) name, or None."""
        doc: Document | None = self._one("SELECT doc FROM users WHERE name = %s", (name,))
        return doc

    def list_users(self, *, department: str | None = None) -> list[Document]:
        """Return every user (or a department's: an index scan), sorted by name."""
        if department is None:
            return [row[0] for row in self._rows("SELECT doc FROM users ORDER BY name, id")]
        return [row[0] for row in self._rows(
            "SELECT doc FROM users WHERE doc->>'department' = %s ORDER BY name, id",
            (department,))]

    def user_for_token(self, token_hash: str) -> Document | None:
        """Return the user an API token hash belongs to, or None."""
        doc: Document | None = self._one(
            "SELECT u.doc FROM tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_hash = %s", (token_hash,))
        return doc

    def get_token(self, token_hash: str) -> Document | None:
        """Return an API token's record (``user``, ``created_at``, …), or None."""
        doc: Document | None = self._one("SELECT doc FROM tokens WHERE token_hash = %s",
                                         (token_hash,))
        return doc

    def list_tokens(self, user_id: str) -> list[Document]:
        """Return a user's API token records, oldest first."""
        return [row[0] for row in self._rows(
            "SELECT doc FROM tokens WHERE user_id = %s "
            "ORDER BY coalesce(doc->>'created_at', '') COLLATE \"C\", token_hash", (user_id,))]

    def get_notice(self, notice_id: str) -> Document | None:
        """Return a notification, or None."""
        doc: Document | None = self._one("SELECT doc FROM notices WHERE id = %s", (notice_id,))
        return doc

    def list_notices(self, user_id: str, *, limit: int = 50, offset: int = 0) -> list[Document]:
        """Return a person's notifications, newest first."""
        return [row[0] for row in self._rows(
            "SELECT doc FROM notices WHERE recipient = %s ORDER BY at DESC, id DESC "
            "LIMIT %s OFFSET %s", (user_id, limit, offset))]

    def count_notices(self, user_id: str, *, unread: bool = False) -> int:
        """Count a person's notifications (or only the unread ones)."""
        query = "SELECT count(*) FROM notices WHERE recipient = %s"
        return int(self._one(query + (" AND NOT read" if unread else ""), (user_id,)))

    def get_job(self, job_id: str) -> Document | None:
        """Return a job, or None."""
        doc: Document | None = self._one("SELECT doc FROM jobs WHERE id = %s", (job_id,))
        return doc

    def list_jobs(self, *, status: Iterable[str] | None = None, limit: int = 100,
                  offset: int = 0) -> list[Document]:
        """Return jobs, earliest ``run_at`` first."""
        where, params = _job_filter(status)
        return [row[0] for row in self._rows(
            f"SELECT doc FROM jobs {where} ORDER BY run_at, id LIMIT %s OFFSET %s",
            (*params, limit, offset))]

    def count_jobs(self, *, status: Iterable[str] | None = None) -> int:
        """Count jobs, optionally by status."""
        where, params = _job_filter(status)
        return int(self._one(f"SELECT count(*) FROM jobs {where}", params))

    def get_session(self, session_id: str) -> Document | None:
        """Return a sign-in session, or None."""
        doc: Document | None = self._one("SELECT doc FROM sessions WHERE id = %s",
                                         (session_id,))
        return doc

    def list_sessions(self, user_id: str) -> list[Document]:
        """Return a user's sign-in sessions, oldest first."""
        return [row[0] for row in self._rows(
            "SELECT doc FROM sessions WHERE user_id = %s "
            "ORDER BY coalesce(doc->>'created_at', '') COLLATE \"C\", id", (user_id,))]

    def get_limit(self, key: str) -> Document | None:
        """Return one rate-limit counter, or None."""
        doc: Document | None = self._one("SELECT doc FROM limits WHERE key = %s", (key,))
        return doc

    def list_limits(self) -> list[Document]:
        """Return every rate-limit counter (to forget the stale ones)."""
        return [row[0] for row in self._rows("SELECT doc FROM limits ORDER BY key")]

    def get_record(self, kind: str, record_id: str) -> Document | None:
        """Return one record of ``kind``, or None."""
        doc: Document | None = self._one("SELECT doc FROM records WHERE kind = %s AND id = %s",
                                         (kind, record_id))
        return doc

    def list_records(self, kind: str) -> list[Document]:
        """Return every record of ``kind``, by id."""
        return [row[0] for row in self._rows(
            "SELECT doc FROM records WHERE kind = %s ORDER BY id", (kind,))]

    def get_file(self, file_id: str) -> Document | None:
        """Return an uploaded file's metadata, or None."""
        doc: Document | None = self._one("SELECT doc FROM files WHERE id = %s", (file_id,))
        return doc

    def get_setting(self, user_id: str, key: str) -> Any:
        """Return one per-user value, or None."""
        return self._one("SELECT value FROM settings WHERE user_id = %s AND key = %s",
                         (user_id, key))

    def centre_secret(self, candidate: str) -> str:
        """The key every process signs sessions with: ``candidate`` if none is stored
        yet, else the stored one (processes starting together agree on the first)."""
        self._rows("INSERT INTO settings (user_id, key, value) VALUES ('', 'secret_key', %s) "
                   "ON CONFLICT DO NOTHING RETURNING 1", (Jsonb(candidate),))
        # Read after the insert (a new snapshot): a racing process's key, if it won.
        return str(self.get_setting("", "secret_key"))

    # -- blobs ---------------------------------------------------------------

    def save_blob(self, data: bytes) -> str:
        """Store bytes in the database under their SHA-256 (once); return the digest."""
        sha256 = hashlib.sha256(data).hexdigest()
        self._rows("INSERT INTO blobs (sha256, data) VALUES (%s, %s) "
                   "ON CONFLICT (sha256) DO NOTHING RETURNING 1", (sha256, data))
        return sha256

    def open_blob(self, sha256: str) -> BinaryIO:
        """Read a stored blob (`NotFound` if absent)."""
        _check_sha(sha256)
        data = self._one("SELECT data FROM blobs WHERE sha256 = %s", (sha256,))
        if data is None:
            raise NotFound(f"no blob {sha256}")
        return io.BytesIO(bytes(data))

    def blob_path(self, sha256: str) -> Path:
        """Blobs live in the database here: there is no path (`StoreError`)."""
        _check_sha(sha256)
        raise StoreError("the PostgreSQL store keeps files in the database, not on a path")

    # -- statistics projection (runtime/store/postgres/stat_facts.py) ----------

    def install_projector(self, projector: Projector, fingerprint: str) -> None:
        """Write each case's statistics rows with it from now on (``fingerprint``:
        the calendar and projection version the rows are made for)."""
        self._projector, self._fingerprint = projector, fingerprint

    def stat_facts_current(self) -> bool:
        """Whether the stored rows were made by the installed projector."""
        self._check_open()
        with self._pool.connection() as conn:
            return stat_facts.current(conn, self._fingerprint)

    def rebuild_stat_facts(self) -> int:
        """Make every case's rows again with the installed projector; return the cases."""
        self._check_open()
        if self._projector is None:
            raise StoreError("no statistics projector installed")
        with self._pool.connection() as conn:
            return stat_facts.rebuild(conn, self._projector, self._fingerprint)

    def stat_aggregates(self, kinds: tuple[str, ...], running: str, first: date,
                        last: date, now: datetime, done: str) -> stat_facts.Aggregates:
        """The aggregates of the days ``[first, last]`` (see `stat_facts.aggregate`)."""
        self._check_open()
        with self._pool.connection() as conn:
            return stat_facts.aggregate(conn, kinds, running, first, last, now, done)

    def close(self) -> None:
        """Close the pool; the store is unusable afterwards."""
        if not self._closed:
            self._closed = True
            self._pool.close()


def is_postgres_url(value: str) -> bool:
    """Whether a setting names a PostgreSQL database rather than a directory."""
    return value.startswith(("postgresql://", "postgres://"))


__all__ = ["PostgresStore", "is_postgres_url"]


def _job_filter(status: Iterable[str] | None) -> tuple[str, tuple[Any, ...]]:
    if status is None:
        return "", ()
    return "WHERE status = ANY(%s)", (list(status),)
