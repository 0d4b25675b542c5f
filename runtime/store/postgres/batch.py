"""The write batch of the PostgreSQL store: one transaction, each put checked and
written as it is made, so the batch reads its own writes and the database's
constraints and row locks decide every race between processes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors

from runtime.store.base import (
    JOB_PENDING,
    JOB_RUNNING,
    Conflict,
    Document,
    Lifecycle,
    NotFound,
    StoreError,
)
from runtime.store.batch import check_counts, check_job, check_notice
from runtime.store.index import case_facts, case_summary, dumps
from runtime.store.postgres import stat_rollup
from runtime.store.postgres.stat_facts import DELETE_FACTS, INSERT_FACTS, Projector, fact_params

CLAIM_JOBS = f"""
UPDATE jobs AS j SET status = '{JOB_RUNNING}', lease_until = %(lease)s,
    doc = j.doc || jsonb_build_object('status', '{JOB_RUNNING}', 'worker', %(worker)s::text,
                                      'lease_until', %(lease)s::text)
FROM (SELECT id FROM jobs
      WHERE (status = '{JOB_PENDING}' AND run_at <= %(now)s)
         OR (status = '{JOB_RUNNING}' AND lease_until < %(now)s)
      ORDER BY run_at, id LIMIT %(limit)s
      FOR UPDATE SKIP LOCKED) AS due
WHERE j.id = due.id
RETURNING j.doc
"""

UPSERT_CASE = """
INSERT INTO cases AS c (id, rev, status, applicant, number, matter, matter_version,
                        updated_at, summary, doc)
VALUES (%(id)s, %(rev)s, %(status)s, %(applicant)s, %(number)s, %(matter)s,
        %(matter_version)s, %(updated_at)s, %(summary)s::jsonb, %(doc)s::jsonb)
ON CONFLICT (id) DO UPDATE SET
    rev = EXCLUDED.rev, status = EXCLUDED.status, applicant = EXCLUDED.applicant,
    number = EXCLUDED.number, matter = EXCLUDED.matter,
    matter_version = EXCLUDED.matter_version, updated_at = EXCLUDED.updated_at,
    summary = EXCLUDED.summary, doc = EXCLUDED.doc
WHERE c.rev = %(current)s
"""

INSERT_TASKS = """
INSERT INTO tasks (case_id, position, task_id, department, status, due, ready_at, open,
                   decided_at, task)
SELECT %(case)s, x.p, x.i, x.d, x.s, x.du, x.r, %(open)s, x.da, x.t
FROM jsonb_to_recordset(%(rows)s::jsonb)
     AS x(p int, i text, d text, s text, du text, r text, da text, t jsonb)
"""

ADD_COUNTS = """
INSERT INTO records AS r (kind, id, doc) VALUES (%(kind)s, %(id)s, %(doc)s::jsonb)
ON CONFLICT (kind, id) DO UPDATE SET doc = r.doc || (
    SELECT jsonb_object_agg(d.key, COALESCE((r.doc ->> d.key)::bigint, 0) + d.value::bigint)
    FROM jsonb_each_text(%(deltas)s::jsonb) AS d)
"""
"""Add counts to a record in one statement: the row's lock orders concurrent batches and
each adds to what the one before it committed."""
COUNTS_LOCK = 0x6F77_636E  # "owcn": the advisory lock `hold_counts` takes alone
HOLD_SHARED = "SELECT pg_advisory_xact_lock_shared(%s)"


def _decided_at(task: Mapping[str, Any], updated_at: str, decided: frozenset[str]) -> str | None:
    """When a decided task was decided (its decision's ``at``, else the case's update)."""
    if task["status"] not in decided:
        return None
    decision = task.get("decision")
    at = decision.get("at") if isinstance(decision, Mapping) else None
    return at if isinstance(at, str) else updated_at


def case_params(case_id: str, text: str, doc: Document, current: int,
                lifecycle: Lifecycle) -> dict[str, Any]:
    """The parameters of `UPSERT_CASE` for a checked case (``doc`` parsed from ``text``)."""
    facts = case_facts(doc, (), lifecycle)  # checks every indexed field (StoreError)
    return {
        "id": case_id, "rev": facts.rev, "status": facts.status,
        "applicant": facts.applicant, "number": facts.number, "matter": facts.matter,
        "matter_version": facts.matter_version, "updated_at": facts.updated_at,
        "summary": dumps(case_summary(doc)), "doc": text, "current": current,
    }


def task_rows(doc: Document, lifecycle: Lifecycle) -> list[dict[str, Any]]:
    """One row per task of a checked case: position, id, department, status, due,
    ready_at, decided_at, and the task itself (keys as `INSERT_TASKS` reads them)."""
    updated_at = doc["updated_at"]
    return [{"p": n, "i": t["id"], "d": t["department"], "s": t["status"],
             "du": t.get("due") or None, "r": t.get("ready_at") or None,
             "da": _decided_at(t, updated_at, lifecycle.decided_task), "t": t}
            for n, t in enumerate(doc.get("tasks", []))]


def task_params(case_id: str, doc: Document, lifecycle: Lifecycle) -> dict[str, Any] | None:
    """The parameters of `INSERT_TASKS` for a checked case, or None if it has no tasks.

    The rows go as one JSON text, unpacked by the server (``jsonb_to_recordset``):
    arrays of JSON texts would be escaped character by character on the way."""
    rows = task_rows(doc, lifecycle)
    if not rows:
        return None
    return {"case": case_id, "open": doc["status"] not in lifecycle.closed_case,
            "rows": dumps(rows)}


class PostgresBatch:
    """The writes of one ``with store.write() as tx`` block, in one transaction."""

    def __init__(self, conn: psycopg.Connection, lifecycle: Lifecycle,
                 projector: Projector | None = None) -> None:
        self._conn = conn
        self._lifecycle = lifecycle
        self._projector = projector  # the statistics projection's rows of a case
        self._finished = False
        #: Set when a write failed half-way (the transaction is aborted or holds part of a
        #: put): the batch refuses further work and `PostgresStore.write` rolls it back
        #: even if the block swallowed the error.
        self.failed: StoreError | None = None
        #: (rev, number) of the cases this batch has locked (read or written): a put
        #: after a read needs no second round trip to lock and check the case.
        self._held: dict[str, tuple[int, str | None]] = {}
        #: The statistics roll-up's change by this batch's cases (applied by `before_commit`).
        self._rollup = stat_rollup.Delta()
        #: Counts to add to records (`add_counts`), applied by `before_commit`.
        self._counts: dict[tuple[str, str], dict[str, int]] = {}

    def finish(self) -> None:
        """Refuse further writes (the block has ended)."""
        self._finished = True

    def before_commit(self) -> None:
        """The writes kept to the end: the statistics roll-up's rows, in key order (rows
        every batch touches, locked as late and in the same order as possible)."""
        self._check()
        with self._errors():
            self._rollup.apply(self._conn)
        counts = [{"kind": kind, "id": record_id, "deltas": dumps(deltas),
                   "doc": dumps({**deltas, "kind": kind, "id": record_id})}
                  for (kind, record_id), deltas in sorted(self._counts.items())
                  if any(deltas.values())]
        if counts:  # in (kind, id) order: two batches never wait for each other's rows;
            # first the lock shared by every adding batch (`hold_counts` takes it alone)
            self._pipelined((HOLD_SHARED, (COUNTS_LOCK,)),
                            *((ADD_COUNTS, params) for params in counts))

    def _check(self) -> None:
        if self._finished:
            raise StoreError("this write batch has ended")
        if self.failed is not None:
            raise StoreError(f"this write batch failed earlier: {self.failed}")

    def _fail(self, err: StoreError) -> StoreError:
        self.failed = err
        return err

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except errors.UniqueViolation as err:
            detail = err.diag.message_detail
            raise self._fail(Conflict(f"a concurrent write took the same key: {detail}")) \
                from None
        except errors.UntranslatableCharacter:
            raise self._fail(StoreError("text with a NUL character (\\u0000) cannot be "
                                        "stored")) from None
        except psycopg.Error:
            self.failed = StoreError("the database refused a write")
            raise

    def _run(self, sql: str, params: Any = None) -> psycopg.Cursor[Any]:
        self._check()
        with self._errors():
            return self._conn.execute(sql, params)

    def _pipelined(self, *statements: tuple[str, Any]) -> list[psycopg.Cursor[Any]]:
        """Send statements whose results can wait, in one round trip."""
        self._check()
        with self._errors(), self._conn.pipeline():
            return [self._conn.execute(sql, params) for sql, params in statements]

    def get_case(self, case_id: str) -> Document | None:
        """Return the case as this batch would leave it, locked until the batch ends:
        a read-modify-write of one case in a batch is never interleaved with another's."""
        row = self._run("SELECT doc, rev, number FROM cases WHERE id = %s FOR UPDATE",
                        (case_id,)).fetchone()
        if row is None:
            return None
        self._held[case_id] = (int(row[1]), row[2])
        doc: Document = row[0]
        return doc

    def put_case(self, case: Mapping[str, Any], *, expected_rev: int | None = None) -> int:
        """Store a whole case; return its new ``rev`` (see `WriteBatch.put_case`)."""
        case_id = case.get("id")
        if not isinstance(case_id, str) or not case_id:
            raise StoreError(f"a case needs a non-empty string 'id', got {case_id!r}")
        held = self._held.get(case_id)
        if held is None:  # not read in this batch yet: lock it now
            row = self._run("SELECT rev, number FROM cases WHERE id = %s FOR UPDATE",
                            (case_id,)).fetchone()
            held = (0, None) if row is None else (int(row[0]), row[1])
        current, stored_number = held
        if expected_rev is not None and expected_rev != current:
            raise Conflict(f"case {case_id} is at rev {current}, not {expected_rev}")
        doc = dict(case)
        doc["rev"] = current + 1
        text = dumps(doc)
        parsed = json.loads(text)
        params = case_params(case_id, text, parsed, current, self._lifecycle)
        number = params["number"]
        if number is not None and number != stored_number:
            owner = self._run("SELECT id FROM cases WHERE number = %s AND id <> %s",
                              (number, case_id)).fetchone()
            if owner is not None:
                raise Conflict(f"case number {number} already belongs to case {owner[0]}")
        statements = [(UPSERT_CASE, params), ("DELETE FROM tasks WHERE case_id = %s", (case_id,))]
        tasks = task_params(case_id, parsed, self._lifecycle)
        if tasks is not None:
            statements.append((INSERT_TASKS, tasks))
        new_rows = None if self._projector is None else self._projector(parsed)
        deleted_facts = len(statements)  # the cursor that returns the case's old rows
        if new_rows is not None:
            statements.append((DELETE_FACTS, (case_id,)))
            facts = fact_params(case_id, new_rows)
            if facts is not None:
                statements.append((INSERT_FACTS, facts))
        cursors = self._pipelined(*statements)
        written = cursors[0]
        if written.rowcount != 1:  # created by another batch since our read
            raise self._fail(Conflict(f"case {case_id} was written by someone else meanwhile"))
        if new_rows is not None:
            self._rollup.change(stat_rollup.stored_rows(cursors[deleted_facts].fetchall()),
                                new_rows)
        self._held[case_id] = (int(params["rev"]), number)  # locked by our write
        return int(params["rev"])

    def next_sequence(self, key: str) -> int:
        """Return the next value of ``key``: the counter's row stays locked until the
        batch ends, so concurrent batches take 1, 2, 3 … and a rollback takes nothing."""
        row = self._run(
            "INSERT INTO sequences AS s (key, value) VALUES (%s, 1) "
            "ON CONFLICT (key) DO UPDATE SET value = s.value + 1 RETURNING value",
            (key,)).fetchone()
        assert row is not None
        return int(row[0])

    def put_user(self, user: Mapping[str, Any]) -> None:
        """Create or replace a user; ``name`` must be unique (`Conflict`)."""
        user_id, name = user.get("id"), user.get("name")
        if not isinstance(user_id, str) or not user_id or not isinstance(name, str) or not name:
            raise StoreError("a user needs non-empty string 'id' and 'name'")
        taken = self._run("SELECT id FROM users WHERE name = %s AND id <> %s",
                          (name, user_id)).fetchone()
        if taken is not None:
            raise Conflict(f"user name {name!r} is taken by {taken[0]}")
        self._run("INSERT INTO users (id, name, doc) VALUES (%s, %s, %s::jsonb) "
                  "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, doc = EXCLUDED.doc",
                  (user_id, name, dumps(dict(user))))

    def put_token(self, token_hash: str, user_id: str,
                  info: Mapping[str, Any] | None = None) -> None:
        """Map a token hash to an existing user (`NotFound` otherwise), with small facts."""
        if self._run("SELECT 1 FROM users WHERE id = %s", (user_id,)).fetchone() is None:
            raise NotFound(f"no user {user_id}")
        doc = {**(info or {}), "token_hash": token_hash, "user": user_id}
        self._run("INSERT INTO tokens (token_hash, user_id, doc) VALUES (%s, %s, %s::jsonb) "
                  "ON CONFLICT (token_hash) DO UPDATE SET user_id = EXCLUDED.user_id, "
                  "doc = EXCLUDED.doc", (token_hash, user_id, dumps(doc)))

    def delete_token(self, token_hash: str) -> None:
        """Forget a token hash (no error if unknown)."""
        self._run("DELETE FROM tokens WHERE token_hash = %s", (token_hash,))

    def put_session(self, session: Mapping[str, Any]) -> None:
        """Create or replace a sign-in session (``id``, ``user``, ``expires_at``, …)."""
        session_id, user_id = session.get("id"), session.get("user")
        if not isinstance(session_id, str) or not session_id or not isinstance(user_id, str):
            raise StoreError("a session needs non-empty string 'id' and 'user'")
        self._run("INSERT INTO sessions (id, user_id, doc) VALUES (%s, %s, %s::jsonb) "
                  "ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, "
                  "doc = EXCLUDED.doc", (session_id, user_id, dumps(dict(session))))

    def delete_session(self, session_id: str) -> None:
        """Forget a sign-in session (no error if unknown)."""
        self._run("DELETE FROM sessions WHERE id = %s", (session_id,))

    def put_limit(self, key: str, value: Mapping[str, Any] | None) -> None:
        """Set (or with None delete) one rate-limit counter."""
        if value is None:
            self._run("DELETE FROM limits WHERE key = %s", (key,))
            return
        self._run("INSERT INTO limits (key, doc) VALUES (%s, %s::jsonb) "
                  "ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc",
                  (key, dumps({**value, "key": key})))

    def get_record(self, kind: str, record_id: str) -> Document | None:
        """Return one record, locked until the batch ends (as `get_case`)."""
        row = self._run("SELECT doc FROM records WHERE kind = %s AND id = %s FOR UPDATE",
                        (kind, record_id)).fetchone()
        return None if row is None else dict(row[0])

    def put_record(self, kind: str, record_id: str, doc: Mapping[str, Any] | None) -> None:
        """Create or replace (``None``: delete) one record of ``kind``."""
        if not kind or not record_id:
            raise StoreError("a record needs a non-empty kind and id")
        if doc is None:
            self._run("DELETE FROM records WHERE kind = %s AND id = %s", (kind, record_id))
            return
        self._run("INSERT INTO records (kind, id, doc) VALUES (%s, %s, %s::jsonb) "
                  "ON CONFLICT (kind, id) DO UPDATE SET doc = EXCLUDED.doc",
                  (kind, record_id, dumps({**doc, "kind": kind, "id": record_id})))

    def hold_counts(self) -> None:
        """Take alone the lock every batch adding counts shares at its end: batches that
        added before have committed (and are seen by new snapshots); later ones wait."""
        self._run("SELECT pg_advisory_xact_lock(%s)", (COUNTS_LOCK,))

    def add_counts(self, kind: str, record_id: str, deltas: Mapping[str, int]) -> None:
        """Add ``deltas`` to the counts of one record at the end of the batch (one
        upsert summing each key, see `ADD_COUNTS`)."""
        self._check()
        found = self._counts.setdefault(check_counts(kind, record_id, deltas), {})
        for key, n in deltas.items():
            found[key] = found.get(key, 0) + n

    def put_file(self, meta: Mapping[str, Any]) -> None:
        """Create or replace an uploaded file's metadata."""
        file_id, sha256 = meta.get("id"), meta.get("sha256")
        if not isinstance(file_id, str) or not file_id or not isinstance(sha256, str):
            raise StoreError("file metadata needs string 'id' and 'sha256'")
        self._run("INSERT INTO files (id, doc) VALUES (%s, %s::jsonb) "
                  "ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc",
                  (file_id, dumps(dict(meta))))

    def put_setting(self, user_id: str, key: str, value: Any) -> None:
        """Set one small per-user value; ``None`` deletes it."""
        if value is None:
            self._run("DELETE FROM settings WHERE user_id = %s AND key = %s", (user_id, key))
            return
        self._run("INSERT INTO settings (user_id, key, value) VALUES (%s, %s, %s::jsonb) "
                  "ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value",
                  (user_id, key, dumps(value)))

    def put_notice(self, notice: Mapping[str, Any]) -> None:
        """Create or replace a notification."""
        check_notice(notice)
        self._run("INSERT INTO notices (id, recipient, at, read, doc) "
                  "VALUES (%s, %s, %s, %s, %s::jsonb) ON CONFLICT (id) DO UPDATE SET "
                  "recipient = EXCLUDED.recipient, at = EXCLUDED.at, read = EXCLUDED.read, "
                  "doc = EXCLUDED.doc",
                  (notice["id"], notice["recipient"], notice["at"], notice["read"],
                   dumps(dict(notice))))

    def put_job(self, job: Mapping[str, Any]) -> None:
        """Create or replace a job."""
        check_job(job)
        self._run("INSERT INTO jobs (id, status, run_at, lease_until, doc) "
                  "VALUES (%s, %s, %s, %s, %s::jsonb) ON CONFLICT (id) DO UPDATE SET "
                  "status = EXCLUDED.status, run_at = EXCLUDED.run_at, "
                  "lease_until = EXCLUDED.lease_until, doc = EXCLUDED.doc",
                  (job["id"], job["status"], job["run_at"], job.get("lease_until"),
                   dumps(dict(job))))

    def delete_job(self, job_id: str) -> None:
        """Forget a job."""
        self._run("DELETE FROM jobs WHERE id = %s", (job_id,))

    def claim_jobs(self, *, now: str, lease_until: str, worker: str,
                   limit: int) -> list[Document]:
        """Claim due jobs; rows another transaction holds are skipped (SKIP LOCKED)."""
        rows = self._run(CLAIM_JOBS, {"now": now, "lease": lease_until, "worker": worker,
                                      "limit": limit}).fetchall()
        return sorted((row[0] for row in rows), key=lambda job: (job["run_at"], job["id"]))
