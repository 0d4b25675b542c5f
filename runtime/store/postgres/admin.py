"""`PostgresAdminStore`: published versions, drafts and the audit in PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from runtime.store.admin_store import AdminStore, Document
from runtime.store.base import Conflict, StoreError
from runtime.store.index import dumps
from runtime.store.postgres.connection import Pool, prepare


class PostgresAdminStore(AdminStore):
    """The `AdminStore` contract on PostgreSQL; ``batch()`` is one transaction.

    Every process reads the same rows, so a version published through one process
    is there for every other at once. (A subclass only to keep the services' type:
    none of the file-based machinery is used.)
    """

    def __init__(self, url: str, *, pool_size: int = 2, timeout: float = 10.0) -> None:
        prepare(url, connect_timeout=max(1, int(timeout)))
        self.path = None
        self._pool = Pool(url, size=pool_size, timeout=timeout)
        self._local = threading.local()  # the connection of the thread's open batch

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with self._pool.connection() as conn:
            yield conn

    def _rows(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        with self._conn() as conn:
            return conn.execute(query, params).fetchall()

    @contextmanager
    def batch(self) -> Iterator[AdminStore]:
        """Group writes in one transaction: all of them, or none when the block raises."""
        if getattr(self._local, "conn", None) is not None:
            yield self
            return
        with self._pool.connection() as conn, conn.transaction():
            self._local.conn = conn
            try:
                yield self
            finally:
                self._local.conn = None

    def versions(self, matter: str | None = None) -> list[Document]:
        """Published versions, by matter then version."""
        if matter is None:
            rows = self._rows("SELECT doc FROM admin_versions ORDER BY matter, version")
        else:
            rows = self._rows("SELECT doc FROM admin_versions WHERE matter = %s "
                              "ORDER BY version", (matter,))
        return [row[0] for row in rows]

    def version_keys(self) -> list[tuple[str, int]]:
        """(matter, version) of every published version: cheap enough to poll."""
        rows = self._rows("SELECT matter, version FROM admin_versions ORDER BY matter, version")
        return [(str(m), int(v)) for m, v in rows]

    def version(self, matter: str, version: int) -> Document | None:
        """One published version, or None."""
        rows = self._rows("SELECT doc FROM admin_versions WHERE matter = %s AND version = %s",
                          (matter, version))
        return rows[0][0] if rows else None

    def add_version(self, doc: Document) -> None:
        """Record a published version; one that exists already is a `Conflict` (immutable),
        unless it has the very same text: processes starting together on a fresh
        database each record the catalog's versions, and the second must not fail."""
        rows = self._rows("INSERT INTO admin_versions (matter, version, doc) "
                          "VALUES (%s, %s, %s::jsonb) ON CONFLICT DO NOTHING RETURNING 1",
                          (doc["matter"], doc["version"], dumps(doc)))
        if rows:
            return
        stored = self.version(doc["matter"], doc["version"])
        if stored is None or stored.get("yaml") != doc.get("yaml"):
            raise Conflict(f"version {doc['version']} of {doc['matter']} is already published")

    def draft(self, matter: str) -> Document | None:
        """The draft of a matter, or None."""
        rows = self._rows("SELECT doc FROM admin_drafts WHERE matter = %s", (matter,))
        return rows[0][0] if rows else None

    def drafts(self) -> list[Document]:
        """Every draft, by matter id."""
        return [row[0] for row in self._rows("SELECT doc FROM admin_drafts ORDER BY matter")]

    def put_draft(self, doc: Document) -> None:
        """Create or replace the draft of ``doc["matter"]``."""
        self._rows("INSERT INTO admin_drafts (matter, doc) VALUES (%s, %s::jsonb) "
                   "ON CONFLICT (matter) DO UPDATE SET doc = EXCLUDED.doc RETURNING 1",
                   (doc["matter"], dumps(doc)))

    def delete_draft(self, matter: str) -> bool:
        """Forget a draft; False when there was none."""
        return bool(self._rows("DELETE FROM admin_drafts WHERE matter = %s RETURNING 1",
                               (matter,)))

    def append_audit(self, entry: Document) -> None:
        """Append one audit entry; entries are never changed or removed."""
        subject = entry.get("subject")
        if subject is not None and not isinstance(subject, str):
            raise StoreError(f"an audit subject must be a string, got {subject!r}")
        self._rows("INSERT INTO admin_audit (subject, doc) VALUES (%s, %s::jsonb) RETURNING 1",
                   (subject, dumps(entry)))

    def audit(self, *, subject: str | None = None, limit: int = 100,
              offset: int = 0) -> list[Document]:
        """Audit entries, newest first (append order)."""
        bounds = (max(limit, 0), max(offset, 0))
        if subject is None:
            rows = self._rows("SELECT doc FROM admin_audit ORDER BY seq DESC LIMIT %s OFFSET %s",
                              bounds)
        else:
            rows = self._rows("SELECT doc FROM admin_audit WHERE subject = %s "
                              "ORDER BY seq DESC LIMIT %s OFFSET %s", (subject, *bounds))
        return [row[0] for row in rows]

    def close(self) -> None:
        """Close the pool; the store is unusable afterwards."""
        self._pool.close()
