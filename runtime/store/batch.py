"""The write batch shared by every backend: checks each put against the committed
state plus the batch's own earlier puts, and serialises it immediately.

A put of an open case whose committed version is cached is recorded as a delta
against it (see `runtime.store.delta`); a new, cold or closing case, or a delta
chain grown too long, is recorded as a full image.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from runtime.store.base import (
    JOB_PENDING,
    JOB_RUNNING,
    JOB_STATES,
    Conflict,
    Document,
    Lifecycle,
    NotFound,
    StoreError,
)
from runtime.store.delta import (
    CHAIN_FACTOR,
    CHAIN_MIN_BYTES,
    DELTA_MIN_BYTES,
    MAX_DELTAS,
    Version,
    apply,
    diff,
)
from runtime.store.index import CaseFacts, Chain, case_facts, dumps
from runtime.store.tables import record_key, setting_key

#: Entry kinds stored at a location (read back from disk) rather than in a table.
LOCATED_KINDS = ("case", "file")


@dataclass(slots=True)
class Entry:
    """One record of a batch: a document (JSON text) or a deletion (``"null"``)."""

    kind: str  # "case", "file" or a MetaTables table name
    key: str
    text: str  # for a case: its full image, or with ``delta`` the delta
    value: Any = None  # the document for table kinds
    facts: CaseFacts | None = None  # for cases
    version: Version | None = None  # for open cases: the new version, parsed
    delta: bool = False


class CommittedState(Protocol):
    """What a batch needs to know about the store's committed state."""

    lifecycle: Lifecycle

    def committed_case(self, case_id: str) -> Document | None: ...

    def committed_base(self, case_id: str) -> tuple[Version, Chain] | None: ...

    def committed_rev(self, case_id: str) -> int: ...

    def committed_number_owner(self, number: str) -> str | None: ...

    def committed_row(self, table: str, key: str) -> Document | None: ...

    def committed_user_ids_named(self, name: str) -> list[str]: ...

    def committed_due_jobs(self, now: str, limit: int | None = None) -> list[Document]: ...

    def settle(self) -> None: ...


class Batch:
    """Collects the writes of one ``with store.write() as tx`` block."""

    def __init__(self, state: CommittedState) -> None:
        self._state = state
        self._entries: dict[tuple[str, str], Entry] = {}
        self._finished = False
        #: Counts to add to records at the end of the batch (`add_counts`).
        self._counts: dict[tuple[str, str], dict[str, int]] = {}

    def entries(self) -> list[Entry]:
        """Return the batch's records, one per (kind, key), last write wins."""
        return list(self._entries.values())

    def finish(self) -> None:
        """Refuse further writes (the block has ended)."""
        self._finished = True

    def before_commit(self) -> None:
        """The writes kept to the end: the counts added to records (`add_counts`), in
        (kind, id) order, on top of what the batch leaves (batches run one at a time)."""
        counts, self._counts = self._counts, {}
        for (kind, record_id), deltas in sorted(counts.items()):
            if not any(deltas.values()):
                continue
            doc = self._row("records", record_key(kind, record_id)) or {}
            self.put_record(kind, record_id, {**doc, **{
                k: int(doc.get(k) or 0) + n for k, n in deltas.items()}})

    def _put(self, entry: Entry) -> None:
        if self._finished:
            raise StoreError("this write batch has ended")
        self._entries.pop((entry.kind, entry.key), None)  # keep commit order = last put
        self._entries[(entry.kind, entry.key)] = entry

    def _pending(self, kind: str, key: str) -> Entry | None:
        return self._entries.get((kind, key))

    def _row(self, table: str, key: str) -> Document | None:
        entry = self._pending(table, key)
        if entry is not None:
            return entry.value if entry.value is None else dict(entry.value)
        return self._state.committed_row(table, key)

    def get_case(self, case_id: str) -> Document | None:
        """Return the case as this batch would leave it."""
        entry = self._pending("case", case_id)
        if entry is not None:
            return entry_case(entry)
        return self._state.committed_case(case_id)

    def put_case(self, case: Mapping[str, Any], *, expected_rev: int | None = None) -> int:
        """Store a whole case; return its new ``rev`` (see `WriteBatch.put_case`)."""
        case_id = case.get("id")
        if not isinstance(case_id, str) or not case_id:
            raise StoreError(f"a case needs a non-empty string 'id', got {case_id!r}")
        pending = self._pending("case", case_id)
        if pending is not None and pending.facts is not None:
            current = pending.facts.rev
        else:
            current = self._state.committed_rev(case_id)
        if expected_rev is not None and expected_rev != current:
            raise Conflict(f"case {case_id} is at rev {current}, not {expected_rev}")
        doc = dict(case)
        doc["rev"] = current + 1
        entry = self._case_entry(case_id, doc)
        assert entry.facts is not None
        number = entry.facts.number
        if number is not None:
            owner = self._number_owner(number)
            if owner is not None and owner != case_id:
                raise Conflict(f"case number {number} already belongs to case {owner}")
        self._put(entry)
        return entry.facts.rev

    def _case_entry(self, case_id: str, doc: Document) -> Entry:
        """Encode a case as a delta against its committed version, or as a full image."""
        status = doc.get("status")
        lifecycle = self._state.lifecycle
        closed = isinstance(status, str) and status in lifecycle.closed_case
        base = None if closed else self._state.committed_base(case_id)
        if base is not None and worth_a_delta(base[1]):
            version, chain = base
            found = diff(version, doc)
            if found is not None:
                delta, changed = found
                text = dumps(delta)
                new_doc = apply(version.doc, json.loads(text))
                facts = case_facts(new_doc, (), lifecycle, reuse=version.facts,
                                   changed=changed)
                new = Version(new_doc, facts, version.carried(delta))
                if _chain_is_full(chain, len(text)):
                    return Entry("case", case_id, dumps(new_doc), facts=facts, version=new)
                return Entry("case", case_id, text, facts=facts, version=new, delta=True)
        text = dumps(doc)
        if closed or len(text) < DELTA_MIN_BYTES:
            return Entry("case", case_id, text, facts=case_facts(doc, (), lifecycle))
        parsed = json.loads(text)  # the version exactly as a reopen will read it
        facts = case_facts(parsed, (), lifecycle)
        return Entry("case", case_id, text, facts=facts,
                     version=None if facts.open is None else Version(parsed, facts))

    def _number_owner(self, number: str) -> str | None:
        for (kind, _), entry in self._entries.items():
            if kind == "case" and entry.facts is not None and entry.facts.number == number:
                return entry.key
        owner = self._state.committed_number_owner(number)
        if owner is not None and self._pending("case", owner) is not None:
            return None  # its pending version (checked above) no longer has this number
        return owner

    def next_sequence(self, key: str) -> int:
        """Return the next value of the counter ``key``."""
        row = self._row("sequences", key)
        value = (row["value"] if row else 0) + 1
        self._put_row("sequences", key, {"key": key, "value": value})
        return int(value)

    def put_user(self, user: Mapping[str, Any]) -> None:
        """Create or replace a user; ``name`` must be unique."""
        user_id, name = user.get("id"), user.get("name")
        if not isinstance(user_id, str) or not user_id or not isinstance(name, str) or not name:
            raise StoreError("a user needs non-empty string 'id' and 'name'")
        holders = {
            entry.key for (kind, _), entry in self._entries.items()
            if kind == "users" and entry.value is not None and entry.value.get("name") == name
        }
        holders.update(
            uid for uid in self._state.committed_user_ids_named(name)
            if self._pending("users", uid) is None
        )
        holders.discard(user_id)
        if holders:
            raise Conflict(f"user name {name!r} is taken by {sorted(holders)[0]}")
        self._put_row("users", user_id, dict(user))

    def put_token(self, token_hash: str, user_id: str,
                  info: Mapping[str, Any] | None = None) -> None:
        """Map a token hash to an existing user, with small facts (created, last used)."""
        if self._row("users", user_id) is None:
            raise NotFound(f"no user {user_id}")
        self._put_row("tokens", token_hash,
                      {**(info or {}), "token_hash": token_hash, "user": user_id})

    def delete_token(self, token_hash: str) -> None:
        """Forget a token hash."""
        self._put_row("tokens", token_hash, None)

    def put_session(self, session: Mapping[str, Any]) -> None:
        """Create or replace a sign-in session (``id``, ``user``, ``expires_at``, …)."""
        session_id, user_id = session.get("id"), session.get("user")
        if not isinstance(session_id, str) or not session_id or not isinstance(user_id, str):
            raise StoreError("a session needs non-empty string 'id' and 'user'")
        self._put_row("sessions", session_id, dict(session))

    def delete_session(self, session_id: str) -> None:
        """Forget a session (no error if unknown)."""
        self._put_row("sessions", session_id, None)

    def put_limit(self, key: str, value: Mapping[str, Any] | None) -> None:
        """Set (or with None delete) one rate-limit counter."""
        self._put_row("limits", key, None if value is None else {**value, "key": key})

    def get_record(self, kind: str, record_id: str) -> Document | None:
        """Return one record as this batch would leave it (batches run one at a time)."""
        return self._row("records", record_key(kind, record_id))

    def put_record(self, kind: str, record_id: str, doc: Mapping[str, Any] | None) -> None:
        """Create or replace (``None``: delete) one record of ``kind``."""
        if not kind or not record_id:
            raise StoreError("a record needs a non-empty kind and id")
        self._put_row("records", record_key(kind, record_id),
                      None if doc is None else {**doc, "kind": kind, "id": record_id})

    def hold_counts(self) -> None:
        """Batches run one at a time: wait until the earlier ones are published, so the
        store's reads see every count (and record) they wrote."""
        if self._finished:
            raise StoreError("this write batch has ended")
        self._state.settle()

    def add_counts(self, kind: str, record_id: str, deltas: Mapping[str, int]) -> None:
        """Add ``deltas`` to the counts of one record at the end of the batch."""
        if self._finished:
            raise StoreError("this write batch has ended")
        found = self._counts.setdefault(check_counts(kind, record_id, deltas), {})
        for key, n in deltas.items():
            found[key] = found.get(key, 0) + n

    def put_file(self, meta: Mapping[str, Any]) -> None:
        """Create or replace an uploaded file's metadata."""
        file_id, sha256 = meta.get("id"), meta.get("sha256")
        if not isinstance(file_id, str) or not file_id or not isinstance(sha256, str):
            raise StoreError("file metadata needs string 'id' and 'sha256'")
        self._put(Entry("file", file_id, dumps(dict(meta))))

    def put_setting(self, user_id: str, key: str, value: Any) -> None:
        """Set (or with None delete) one per-user value."""
        doc = None if value is None else {"user": user_id, "key": key, "value": value}
        self._put_row("settings", setting_key(user_id, key), doc)

    def put_notice(self, notice: Mapping[str, Any]) -> None:
        """Create or replace a notification."""
        check_notice(notice)
        self._put_row("notices", str(notice["id"]), dict(notice))

    def put_job(self, job: Mapping[str, Any]) -> None:
        """Create or replace a job."""
        check_job(job)
        self._put_row("jobs", str(job["id"]), dict(job))

    def delete_job(self, job_id: str) -> None:
        """Forget a job."""
        self._put_row("jobs", job_id, None)

    def claim_jobs(self, *, now: str, lease_until: str, worker: str,
                   limit: int) -> list[Document]:
        """Claim due jobs (one batch at a time: nobody else can claim meanwhile)."""
        # This batch's own job writes may hide some of the earliest committed ones.
        mine = sum(1 for kind, _ in self._entries if kind == "jobs")
        jobs = {job["id"]: job for job in self._state.committed_due_jobs(now, limit + mine)}
        for (kind, key), entry in self._entries.items():
            if kind == "jobs":
                jobs.pop(key, None)
                if entry.value is not None and is_due(entry.value, now):
                    jobs[key] = dict(entry.value)
        due = sorted(jobs.values(),
                     key=lambda job: (job["run_at"], job["id"]))[:limit]
        claimed = []
        for job in due:
            job = {**job, "status": JOB_RUNNING, "worker": worker, "lease_until": lease_until}
            self.put_job(job)
            claimed.append(job)
        return claimed

    def _put_row(self, table: str, key: str, doc: Document | None) -> None:
        text = dumps(doc)
        # Store a private copy exactly as it will read back after a reopen.
        self._put(Entry(table, key, text, value=json.loads(text)))


def check_counts(kind: str, record_id: str, deltas: Mapping[str, int]) -> tuple[str, str]:
    """Counts need a record (non-empty kind and id) and whole numbers under keys other
    than ``kind`` and ``id``; return the record's key."""
    if not kind or not record_id:
        raise StoreError("a record needs a non-empty kind and id")
    if any(not isinstance(k, str) or k in ("kind", "id") or type(n) is not int
           for k, n in deltas.items()):
        raise StoreError("counts are whole numbers under keys other than 'kind' and 'id'")
    return kind, record_id


def check_notice(notice: Mapping[str, Any]) -> None:
    """A notification needs string ``id``, ``recipient`` and ``at``, and a bool ``read``."""
    if not all(isinstance(notice.get(k), str) and notice.get(k) for k in ("id", "recipient",
                                                                          "at")) \
            or not isinstance(notice.get("read"), bool):
        raise StoreError("a notice needs string 'id', 'recipient', 'at' and a bool 'read'")


def check_job(job: Mapping[str, Any]) -> None:
    """A job needs string ``id``, ``kind``, ``run_at`` and a known ``status``."""
    if not all(isinstance(job.get(k), str) and job.get(k) for k in ("id", "kind", "run_at")) \
            or job.get("status") not in JOB_STATES \
            or not isinstance(job.get("lease_until"), str | None):
        raise StoreError("a job needs string 'id', 'kind', 'run_at', a status among "
                         f"{', '.join(JOB_STATES)} and 'lease_until' a string or null")


def is_due(job: Mapping[str, Any], now: str) -> bool:
    """Whether a worker may claim this job at ``now``."""
    if job["status"] == JOB_PENDING:
        return bool(job["run_at"] <= now)
    lease = job.get("lease_until")
    return job["status"] == JOB_RUNNING and lease is not None and lease < now


def entry_case(entry: Entry) -> Document:
    """A fresh copy of the case a pending entry stores."""
    if entry.version is not None:
        return entry.version.copy()
    loaded: Document = json.loads(entry.text)  # a closed case: its text is a full image
    return loaded


def worth_a_delta(chain: Chain) -> bool:
    """Whether a case at ``chain`` is big enough to be diffed (and kept parsed)."""
    return sum(loc[2] for loc in chain) >= DELTA_MIN_BYTES


def _chain_is_full(chain: Chain, extra: int) -> bool:
    """Whether a chain should be closed by a full image instead of one more delta."""
    if len(chain) > MAX_DELTAS:
        return True
    deltas = extra + sum(loc[2] for loc in chain[1:])
    return deltas > max(CHAIN_FACTOR * chain[0][2], CHAIN_MIN_BYTES)
