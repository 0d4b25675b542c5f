"""The PostgreSQL schema: numbered migration files, applied at start, each recorded.

``migrations/NNNN_name.sql`` holds the step from version NNNN-1 to NNNN. The applied
versions are rows of ``schema_migrations``; a database of a newer version than this
code knows is refused, never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import psycopg

from runtime.store.base import StoreError

#: Key of the advisory lock taken while migrating: processes starting together
#: migrate one after the other ("onewindw" in ASCII).
MIGRATION_LOCK = 0x6F6E6577696E6477

_FILE = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: its version, name and SQL text."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Return the migration files in order; they must be numbered 1, 2, 3, … without gaps."""
    found = []
    for entry in resources.files("runtime.store.postgres.migrations").iterdir():
        match = _FILE.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise StoreError(f"migration {expected:04d} is missing "
                             f"(found {migration.version:04d}_{migration.name}.sql)")
    return found


def latest_version() -> int:
    """The schema version this code creates and reads."""
    return len(migrations())


def current_version(conn: psycopg.Connection) -> int:
    """The schema version recorded in a database (0: none yet)."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: psycopg.Connection, *, target: int | None = None) -> list[int]:
    """Bring the database to ``target`` (default: the latest version); return what ran.

    Everything happens in one transaction under an advisory lock: a failing step
    leaves the database at its previous version, and concurrent starts wait.
    """
    steps = migrations()
    target = len(steps) if target is None else target
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        current = current_version(conn)
        if current > len(steps):
            raise StoreError(
                f"the database has schema version {current}, newer than this onewindow "
                f"knows ({len(steps)}): upgrade onewindow before using this database")
        for step in steps[current:target]:
            conn.execute(step.sql.encode("utf-8"))
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                         (step.version, step.name))
            applied.append(step.version)
    return applied
