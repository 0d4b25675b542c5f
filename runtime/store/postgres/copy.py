"""`onewindow store copy`: an embedded data directory into an empty PostgreSQL database.

Everything is copied in one transaction (cases with their own revs, users, tokens,
sessions, rate-limit counters, settings, counters, file metadata and contents,
published versions, drafts, the audit), then verified by counts and a sample of
whole documents. A target that already holds data is refused before anything is
written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from runtime.store.admin_store import AdminStore
from runtime.store.base import Document, Lifecycle, StoreError
from runtime.store.index import dumps
from runtime.store.postgres.batch import INSERT_TASKS, UPSERT_CASE, case_params, task_params
from runtime.store.postgres.connection import describe, first_line, prepare
from runtime.store.tinydb_store import TinyDBStore

#: Tables that must be empty in the target.
TARGET_TABLES = ("cases", "users", "tokens", "sessions", "limits", "notices", "jobs", "records",
                 "files", "blobs", "settings", "sequences", "admin_versions", "admin_drafts",
                 "admin_audit")

#: Cases written per round trip.
CHUNK = 500

#: Every how many cases one is compared whole after the copy (plus the first and last).
SAMPLE_EVERY = 997


@dataclass
class Copied:
    """What was copied, by kind, and how many whole documents were compared."""

    counts: dict[str, int] = field(default_factory=dict)
    sampled: int = 0

    def lines(self) -> list[str]:
        """One line per kind, for the command's output."""
        return [f"{kind}: {n}" for kind, n in self.counts.items()] + [
            f"compared whole: {self.sampled} cases, every user, file and published version"]


def _case_ids(store: TinyDBStore) -> list[str]:
    ids: list[str] = []
    while True:
        page = store.list_cases(limit=5000, offset=len(ids))
        ids.extend(case["id"] for case in page)
        if len(page) < 5000:
            return ids


def _tables(store: TinyDBStore, table: str) -> list[Document]:
    # The Store protocol lists neither tokens, settings nor counters: read the
    # embedded store's small tables directly (read-only).
    rows: list[Document] = store._tables.all(table)
    return rows


def _file_ids(store: TinyDBStore) -> list[str]:
    return sorted(store._files)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _check_empty(conn: psycopg.Connection, where: str) -> None:
    for table in TARGET_TABLES:
        row = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()
        if row and row[0]:
            raise StoreError(f"PostgreSQL at {where} is not empty (table {table} has rows): "
                             "copy only into a new, empty database")


def _document_blobs(case: Document) -> set[str]:
    """The archived formal documents of a case (文书), every version its events recorded."""
    found = set()
    for event in case.get("events") or ():
        for path, _old, new in event.get("changes") or ():
            if path and path[0] == "documents" and isinstance(new, dict):
                entries = [new] if "sha256" in new else list(new.values())
                found |= {e["sha256"] for e in entries
                          if isinstance(e, dict) and isinstance(e.get("sha256"), str)}
    return found


def _copy_cases(conn: psycopg.Connection, source: TinyDBStore, ids: list[str]) -> set[str]:
    """Copy the cases; the blobs their archived documents need."""
    lifecycle = source.lifecycle
    documents: set[str] = set()
    with conn.cursor() as cur:
        for chunk in _chunks(ids, CHUNK):
            cases, tasks = [], []
            for case_id in chunk:
                doc = source.get_case(case_id)
                assert doc is not None
                documents |= _document_blobs(doc)
                text = dumps(doc)
                cases.append(case_params(case_id, text, json.loads(text), 0, lifecycle))
                found = task_params(case_id, doc, lifecycle)
                if found is not None:
                    tasks.append(found)
            cur.executemany(UPSERT_CASE, cases)
            if tasks:
                cur.executemany(INSERT_TASKS, tasks)
    return documents


def _copy_small(conn: psycopg.Connection, source: TinyDBStore, admin: AdminStore,
                files: list[str], documents: Iterable[str] = ()) -> dict[str, int]:
    users = source.list_users()
    tokens = _tables(source, "tokens")
    sessions = _tables(source, "sessions")
    limits = _tables(source, "limits")
    records = _tables(source, "records")
    settings = _tables(source, "settings")
    sequences = _tables(source, "sequences")
    notices = _tables(source, "notices")
    jobs = _tables(source, "jobs")
    metas = [source.get_file(file_id) for file_id in files]
    versions, drafts = admin.versions(), admin.drafts()
    audit = list(reversed(admin.audit(limit=1 << 62)))  # oldest first: keeps the order
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO users (id, name, doc) VALUES (%s, %s, %s::jsonb)",
                        [(u["id"], u["name"], dumps(u)) for u in users])
        cur.executemany("INSERT INTO tokens (token_hash, user_id, doc) "
                        "VALUES (%s, %s, %s::jsonb)",
                        [(t["token_hash"], t["user"], dumps(t)) for t in tokens])
        cur.executemany("INSERT INTO sessions (id, user_id, doc) VALUES (%s, %s, %s::jsonb)",
                        [(x["id"], x["user"], dumps(x)) for x in sessions])
        cur.executemany("INSERT INTO limits (key, doc) VALUES (%s, %s::jsonb)",
                        [(x["key"], dumps(x)) for x in limits])
        cur.executemany("INSERT INTO records (kind, id, doc) VALUES (%s, %s, %s::jsonb)",
                        [(x["kind"], x["id"], dumps(x)) for x in records])
        cur.executemany("INSERT INTO settings (user_id, key, value) VALUES (%s, %s, %s::jsonb)",
                        [(s["user"], s["key"], dumps(s["value"])) for s in settings])
        cur.executemany("INSERT INTO sequences (key, value) VALUES (%s, %s)",
                        [(s["key"], s["value"]) for s in sequences])
        cur.executemany("INSERT INTO notices (id, recipient, at, read, doc) "
                        "VALUES (%s, %s, %s, %s, %s::jsonb)",
                        [(n["id"], n["recipient"], n["at"], n["read"], dumps(n))
                         for n in notices])
        cur.executemany("INSERT INTO jobs (id, status, run_at, lease_until, doc) "
                        "VALUES (%s, %s, %s, %s, %s::jsonb)",
                        [(j["id"], j["status"], j["run_at"], j.get("lease_until"), dumps(j))
                         for j in jobs])
        cur.executemany("INSERT INTO files (id, doc) VALUES (%s, %s::jsonb)",
                        [(m["id"], dumps(m)) for m in metas if m is not None])
        blobs = sorted({m["sha256"] for m in metas if m is not None} | set(documents))
        for sha256 in blobs:
            with source.open_blob(sha256) as handle:
                cur.execute("INSERT INTO blobs (sha256, data) VALUES (%s, %s)",
                            (sha256, handle.read()))
        cur.executemany("INSERT INTO admin_versions (matter, version, doc) "
                        "VALUES (%s, %s, %s::jsonb)",
                        [(v["matter"], v["version"], dumps(v)) for v in versions])
        cur.executemany("INSERT INTO admin_drafts (matter, doc) VALUES (%s, %s::jsonb)",
                        [(d["matter"], dumps(d)) for d in drafts])
        cur.executemany("INSERT INTO admin_audit (subject, doc) VALUES (%s, %s::jsonb)",
                        [(e.get("subject"), dumps(e)) for e in audit])
    return {"users": len(users), "tokens": len(tokens), "sessions": len(sessions),
            "rate limits": len(limits), "records": len(records), "settings": len(settings),
            "sequences": len(sequences), "notifications": len(notices), "jobs": len(jobs),
            "files": len(metas), "blobs": len(blobs),
            "published versions": len(versions), "drafts": len(drafts),
            "audit entries": len(audit)}


_COUNTS = {
    "cases": "SELECT count(*) FROM cases", "users": "SELECT count(*) FROM users",
    "tokens": "SELECT count(*) FROM tokens", "sessions": "SELECT count(*) FROM sessions",
    "rate limits": "SELECT count(*) FROM limits", "records": "SELECT count(*) FROM records",
    "settings": "SELECT count(*) FROM settings",
    "sequences": "SELECT count(*) FROM sequences",
    "notifications": "SELECT count(*) FROM notices", "jobs": "SELECT count(*) FROM jobs",
    "files": "SELECT count(*) FROM files",
    "blobs": "SELECT count(*) FROM blobs",
    "published versions": "SELECT count(*) FROM admin_versions",
    "drafts": "SELECT count(*) FROM admin_drafts",
    "audit entries": "SELECT count(*) FROM admin_audit",
}


def _one_doc(conn: psycopg.Connection, query: str, *params: Any) -> Any:
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def _verify(conn: psycopg.Connection, source: TinyDBStore, admin: AdminStore,
            ids: list[str], files: list[str], expected: dict[str, int]) -> int:
    for kind, query in _COUNTS.items():
        row = conn.execute(query).fetchone()
        found = int(row[0]) if row else -1
        if found != expected[kind]:
            raise StoreError(f"copy check failed: {expected[kind]} {kind} in the data "
                             f"directory, {found} in PostgreSQL")
    sample = sorted({*ids[::SAMPLE_EVERY], *ids[-1:]})
    checks: list[tuple[str, Any, str, tuple[Any, ...]]] = [
        (f"case {i}", source.get_case(i), "SELECT doc FROM cases WHERE id = %s", (i,))
        for i in sample]
    checks += [(f"user {u['id']}", u, "SELECT doc FROM users WHERE id = %s", (u["id"],))
               for u in source.list_users()]
    checks += [(f"file {f}", source.get_file(f), "SELECT doc FROM files WHERE id = %s", (f,))
               for f in files]
    checks += [(f"version {v['matter']} {v['version']}", v,
                "SELECT doc FROM admin_versions WHERE matter = %s AND version = %s",
                (v["matter"], v["version"])) for v in admin.versions()]
    for what, expected_doc, query, params in checks:
        if _one_doc(conn, query, *params) != expected_doc:
            raise StoreError(f"copy check failed: {what} differs after the copy")
    return len(sample)


def copy_data_dir(data_dir: Path, url: str, lifecycle: Lifecycle) -> Copied:
    """Copy ``data_dir`` (not in use by a running serve) into the empty database ``url``."""
    where = describe(url)
    if not (data_dir / "store").is_dir():
        raise StoreError(f"{data_dir} holds no onewindow data (no {data_dir / 'store'})")
    prepare(url)
    source = TinyDBStore(data_dir / "store", lifecycle=lifecycle)
    try:
        admin = AdminStore.open(data_dir / "admin.json")
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                _check_empty(conn, where)
                ids, files = _case_ids(source), _file_ids(source)
                with conn.transaction():
                    documents = _copy_cases(conn, source, ids)
                    counts = {"cases": len(ids),
                              **_copy_small(conn, source, admin, files, documents)}
                    sampled = _verify(conn, source, admin, ids, files, counts)
        except psycopg.Error as err:
            raise StoreError(f"copy into PostgreSQL at {where} failed: {first_line(err)}") \
                from None
        finally:
            admin.close()
    finally:
        source.close()
    return Copied(counts, sampled)
