"""The storage interface: one small `Store` protocol, its write batch and its errors.

The store persists and indexes plain JSON-able documents; the engine owns their
meaning. The store only needs to know which case statuses are finished (finished
cases leave the hot indexes) and which fields it indexes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Protocol

#: Version of the store's own on-disk format (segments and snapshots). Format 2
#: added case deltas; format 1 data is still read (and rewritten as format 2).
STORE_FORMAT = 2


@dataclass(frozen=True)
class Lifecycle:
    """What the store must know of the engine's states, given at construction (the
    store spells no state itself): ``closed_case`` are the case states after which
    nothing more happens (those cases leave the hot indexes, kept on disk only);
    ``decided_task`` the task states that mean a department has decided (indexed in
    every case, finished ones included, for `Store.list_decided`)."""

    closed_case: frozenset[str]
    decided_task: frozenset[str]


#: Case fields copied into the summary returned with each worklist row. A case may
#: also carry a small engine-defined ``"summary"`` dict, which is copied as well.
SUMMARY_FIELDS = (
    "id", "number", "matter", "matter_version", "status", "applicant", "holder", "updated_at",
    "rev",
)

Document = dict[str, Any]

#: The job queue's own states (the store claims jobs, so it knows these): a job waits
#: ``pending`` until its ``run_at``; a worker's claim makes it ``running`` until its
#: ``lease_until`` (then another worker may claim it again); after its last try it is
#: ``dead``. A finished job is deleted.
JOB_PENDING, JOB_RUNNING, JOB_DEAD = "pending", "running", "dead"
JOB_STATES = (JOB_PENDING, JOB_RUNNING, JOB_DEAD)


class StoreError(Exception):
    """Base class of every error the store raises (also: invalid documents, I/O failure)."""


class StoreBusy(StoreError):
    """The data directory is held by another process (a running ``onewindow serve``)."""


class NotFound(StoreError):
    """A referenced record (user, blob, …) does not exist."""


class Conflict(StoreError):
    """A write lost a race (stale ``expected_rev``) or broke a uniqueness rule."""


class TaskRow(NamedTuple):
    """One worklist row: the task and a small summary of its case."""

    task: Document
    case: Document


class TaskTally(NamedTuple):
    """A department's open tasks counted in one go (a list page's tabs)."""

    by_status: dict[str, int]
    """Tasks in unfinished cases, per status (statuses without tasks are absent)."""
    held: dict[str, int]
    """Of those in the statuses asked about, the tasks the given officer claimed
    (``claimed_by``), per status."""


class WriteBatch(Protocol):
    """The writes of one atomic, durable batch, obtained from `Store.write()`."""

    def get_case(self, case_id: str) -> Document | None:
        """Return the case as this batch would leave it (its own puts included)."""
        ...

    def put_case(self, case: Mapping[str, Any], *, expected_rev: int | None = None) -> int:
        """Store a whole case (tasks and events included); return its new ``rev``.

        With ``expected_rev``, raise `Conflict` unless the stored rev (0 for a new
        case) equals it. Raise `Conflict` if another case already has ``number``.
        """
        ...

    def next_sequence(self, key: str) -> int:
        """Return the next value (1, 2, …) of the counter ``key``; gap-free with the batch."""
        ...

    def put_user(self, user: Mapping[str, Any]) -> None:
        """Create or replace a user; ``name`` must be unique (`Conflict`)."""
        ...

    def put_token(self, token_hash: str, user_id: str,
                  info: Mapping[str, Any] | None = None) -> None:
        """Map an API token's hash to an existing user (`NotFound` otherwise).

        ``info`` holds small facts kept with it (``created_at``, ``last_used_at``).
        """
        ...

    def put_session(self, session: Mapping[str, Any]) -> None:
        """Create or replace a sign-in session: ``id``, ``user``, ``expires_at``, …"""
        ...

    def delete_session(self, session_id: str) -> None:
        """Forget a sign-in session (no error if unknown)."""
        ...

    def put_limit(self, key: str, value: Mapping[str, Any] | None) -> None:
        """Set (or with None delete) one rate-limit counter (failed sign-ins, …)."""
        ...

    def delete_token(self, token_hash: str) -> None:
        """Forget a token hash (no error if unknown)."""
        ...

    def put_file(self, meta: Mapping[str, Any]) -> None:
        """Create or replace an uploaded file's metadata (``id``, ``sha256``, …)."""
        ...

    def put_setting(self, user_id: str, key: str, value: Any) -> None:
        """Set one small per-user value (a saved filter, …); ``None`` deletes it."""
        ...

    def put_notice(self, notice: Mapping[str, Any]) -> None:
        """Create or replace a notification: ``id``, ``recipient``, ``at`` (ISO), ``read``."""
        ...

    def put_job(self, job: Mapping[str, Any]) -> None:
        """Create or replace a job: ``id``, ``kind``, ``status`` (`JOB_STATES`), ``run_at``
        (ISO, one time zone for all jobs), ``lease_until`` (ISO or None)."""
        ...

    def delete_job(self, job_id: str) -> None:
        """Forget a (finished) job; no error if unknown."""
        ...

    def claim_jobs(self, *, now: str, lease_until: str, worker: str,
                   limit: int) -> list[Document]:
        """Claim up to ``limit`` jobs due at ``now`` (pending with ``run_at <= now``, or
        running with an expired lease), earliest ``run_at`` first: each becomes running
        under ``worker`` until ``lease_until`` and is returned as now stored. Jobs another
        open batch has claimed are skipped, never waited for."""
    def get_record(self, kind: str, record_id: str) -> Document | None:
        """Return one record as this batch would leave it, locked until the batch ends
        (like `get_case`): a read-modify-write of a record is never interleaved."""
        ...

    def put_record(self, kind: str, record_id: str, doc: Mapping[str, Any] | None) -> None:
        """Create or replace (``None``: delete) one record of ``kind`` (complaints, …):
        the centre's documents that belong to no single case."""
        ...

    def add_counts(self, kind: str, record_id: str, deltas: Mapping[str, int]) -> None:
        """Add ``deltas`` (key → whole number, may be negative) to the counts held in one
        record, creating it (and missing keys, from 0) if need be: applied at the end of
        the batch in (kind, id) order, on top of what the batch leaves, and atomic
        against concurrent batches (none of their increments is lost). Keys ``kind`` and
        ``id`` are the record's own."""
        ...

    def hold_counts(self) -> None:
        """Keep every other batch's `add_counts` out until this batch ends, once each
        batch that added counts before has committed and is seen by the store's reads: a
        batch replacing counts with ones made from such reads (a back-fill) then loses no
        increment — an increment committed earlier is in what it read, a later one is
        added on top of what it writes."""
        ...


class Store(Protocol):
    """Cases with their tasks and events, users, tokens, sessions, rate-limit counters,
    files, sequences, settings.

    Reads return fresh copies the caller may modify. All writes go through
    `write()`; only one batch is open at a time (a second writer thread waits).
    """

    def get_case(self, case_id: str) -> Document | None:
        """Return the case with this id, or None."""
        ...

    def get_case_by_number(self, number: str) -> Document | None:
        """Return the case with this public number (受理编号), or None."""
        ...

    def list_cases(
        self,
        *,
        status: Iterable[str] | None = None,
        applicant: str | None = None,
        matter: str | None = None,
        matter_version: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Document]:
        """Return cases, newest ``updated_at`` first, optionally filtered."""
        ...

    def count_cases(
        self,
        *,
        status: Iterable[str] | None = None,
        applicant: str | None = None,
        matter: str | None = None,
        matter_version: int | None = None,
        at_most: int | None = None,
    ) -> int:
        """Count the cases `list_cases` would return without a limit; with ``at_most``,
        stop counting there (a page's tab shows "1000+": bounded work however many)."""
        ...

    def list_tasks(
        self,
        *,
        department: str,
        status: Iterable[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[TaskRow]:
        """Return a department's tasks in unfinished cases, most urgent first.

        Order: ``due`` ascending (none last), then ``ready_at``, case id, task id.
        """
        ...

    def count_tasks(self, *, department: str, status: Iterable[str] | None = None) -> int:
        """Count the tasks `list_tasks` would return without a limit."""
        ...

    def tally_tasks(self, *, department: str, holder: str, held_in: Iterable[str]) -> TaskTally:
        """Count a department's open tasks per status, and of those in a ``held_in``
        status the ones ``holder`` claimed."""
        ...

    def list_decided(self, *, department: str, limit: int = 50, offset: int = 0) -> list[TaskRow]:
        """Return a department's decided tasks in every case, finished ones too, newest first.

        A task's decision time is ``task["decision"]["at"]``, else its case's ``updated_at``.
        """
        ...

    def count_decided(self, department: str, *, at_most: int | None = None) -> int:
        """Count the tasks `list_decided` would return without a limit (up to ``at_most``)."""
        ...

    def write(self) -> AbstractContextManager[WriteBatch]:
        """Open one atomic batch; it is durable when the ``with`` block exits."""
        ...

    def get_user(self, user_id: str) -> Document | None:
        """Return a user by id, or None."""
        ...

    def get_user_by_name(self, name: str) -> Document | None:
        """Return a user by (unique) name, or None."""
        ...

    def list_users(self, *, department: str | None = None) -> list[Document]:
        """Return every user (or only those whose ``department`` is this), by name.

        The department's people are found without reading every user: a city's
        registered applicants may be hundreds of thousands."""
        ...

    def user_for_token(self, token_hash: str) -> Document | None:
        """Return the user an API token hash belongs to, or None."""
        ...

    def get_token(self, token_hash: str) -> Document | None:
        """Return an API token's record (``user``, ``created_at``, …), or None."""
        ...

    def list_tokens(self, user_id: str) -> list[Document]:
        """Return a user's API token records, oldest first."""
        ...

    def get_session(self, session_id: str) -> Document | None:
        """Return a sign-in session, or None."""
        ...

    def list_sessions(self, user_id: str) -> list[Document]:
        """Return a user's sign-in sessions, oldest first."""
        ...

    def get_limit(self, key: str) -> Document | None:
        """Return one rate-limit counter, or None."""
        ...

    def list_limits(self) -> list[Document]:
        """Return every rate-limit counter (to forget the stale ones)."""
        ...

    def get_record(self, kind: str, record_id: str) -> Document | None:
        """Return one record of ``kind``, or None."""
        ...

    def list_records(self, kind: str) -> list[Document]:
        """Return every record of ``kind``, by id."""
        ...

    def get_file(self, file_id: str) -> Document | None:
        """Return an uploaded file's metadata, or None."""
        ...

    def get_setting(self, user_id: str, key: str) -> Any:
        """Return one per-user value, or None."""
        ...

    def get_notice(self, notice_id: str) -> Document | None:
        """Return a notification, or None."""
        ...

    def list_notices(self, user_id: str, *, limit: int = 50, offset: int = 0) -> list[Document]:
        """Return a person's notifications, newest ``at`` first (then id, descending)."""
        ...

    def count_notices(self, user_id: str, *, unread: bool = False) -> int:
        """Count a person's notifications (with ``unread``, those not read yet)."""
        ...

    def get_job(self, job_id: str) -> Document | None:
        """Return a job, or None."""
        ...

    def list_jobs(self, *, status: Iterable[str] | None = None, limit: int = 100,
                  offset: int = 0) -> list[Document]:
        """Return jobs, earliest ``run_at`` first (then id), optionally by status."""
        ...

    def count_jobs(self, *, status: Iterable[str] | None = None) -> int:
        """Count the jobs `list_jobs` would return without a limit."""
        ...

    def save_blob(self, data: bytes) -> str:
        """Store bytes durably under their SHA-256 (deduplicated); return the hex digest."""
        ...

    def open_blob(self, sha256: str) -> BinaryIO:
        """Open a stored blob for reading (`NotFound` if absent)."""
        ...

    def blob_path(self, sha256: str) -> Path:
        """Return where a blob is (or would be) stored."""
        ...

    def close(self) -> None:
        """Release files and locks; the store is unusable afterwards."""
        ...
