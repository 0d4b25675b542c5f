"""What every backend shares: the indexes, the hot-case cache, the small tables,
reads, and the commit protocol. A backend supplies where records live and how
they become durable."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO

from runtime.store.base import (
    Document,
    Lifecycle,
    StoreError,
    TaskRow,
    TaskTally,
    WriteBatch,
)
from runtime.store.batch import Batch, Entry, entry_case, worth_a_delta
from runtime.store.blobs import BlobStore
from runtime.store.cache import HotCases
from runtime.store.commit import GroupCommit
from runtime.store.delta import Version, apply
from runtime.store.inbox import InboxReads
from runtime.store.index import (
    CHAIN,
    REV,
    STATUS,
    CaseFacts,
    CaseIndex,
    CaseRef,
    Chain,
    Loc,
    case_summary,
    status_set,
)
from runtime.store.tables import MetaTables, record_key, setting_key

#: One appended batch waiting for its fsync: each entry with where it was written.
Appended = list[tuple[Entry, "Loc | None"]]

#: Default bound of the hot-case cache, in bytes of the JSON it stands for.
CACHE_BYTES = 16 << 20


class IndexedStore(InboxReads):
    """Base of `MemoryStore` and `TinyDBStore`; implements the `Store` protocol.

    Locks: ``_writer`` serialises batch bodies and their appends; ``_state``
    guards the indexes, the cache, the pending batches and open files, held only
    briefly. A batch is appended under ``_writer``, which is then released; it
    becomes durable and visible to readers through `GroupCommit` (one fsync may
    cover several batches). Later batches already see it (``committed_*``), and
    are acknowledged only after it, so they can never outlive it.
    """

    def __init__(self, blob_root: Path, *, lifecycle: Lifecycle,
                 cache_bytes: int = CACHE_BYTES) -> None:
        self.lifecycle = lifecycle
        self._index = CaseIndex()
        self._tables = MetaTables()
        self._files: dict[str, Loc] = {}
        self._blobs = BlobStore(blob_root)
        self._hot = HotCases(cache_bytes)
        self._pending: dict[tuple[str, str], Entry] = {}  # appended, not yet durable
        self._commit: GroupCommit[Appended] = GroupCommit(self._sync, self._publish)
        self._state = threading.RLock()
        self._writer = threading.Lock()
        self._writer_thread: int | None = None
        self._failed: str | None = None
        self._closed = False
        self.written = {"images": 0, "deltas": 0}  # case records appended, for stats

    # -- backend hooks -------------------------------------------------------

    def _read_text(self, loc: Loc) -> str:
        """Return the JSON text stored at ``loc`` (called with ``_state`` held)."""
        raise NotImplementedError

    def _describe(self, loc: Loc) -> str:
        """Where a record is, for error messages (``FILE:OFFSET``)."""
        return f"record {loc}"

    def _persist(self, entries: list[Entry]) -> list[Loc | None]:
        """Append a batch (not yet durable); return a location for each located entry."""
        raise NotImplementedError

    def _sync(self) -> None:
        """Make every appended batch durable (raise `OSError` if that fails)."""

    def _discard_unsynced(self) -> None:
        """After a failed sync: drop what was appended but never made durable."""

    def _retain(self, locs: Iterable[Loc]) -> None:
        """Note that records at ``locs`` are now referenced (called with ``_state`` held)."""

    def _release(self, locs: Iterable[Loc]) -> None:
        """Note that records at ``locs`` are superseded (called with ``_state`` held)."""

    # -- writes --------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[WriteBatch]:
        """Open one atomic batch; durable when the block exits, discarded if it raises."""
        self._check_open()
        if self._writer_thread == threading.get_ident():
            raise StoreError("write() is not re-entrant: finish the open batch first")
        ticket = 0
        with self._writer:
            self._check_open()
            self._writer_thread = threading.get_ident()
            batch = Batch(self)
            try:
                yield batch
                batch.before_commit()
                batch.finish()
                entries = batch.entries()
                if entries:
                    ticket = self._append(entries)
            finally:
                batch.finish()
                self._writer_thread = None
        if ticket:
            try:
                self._commit.wait(ticket)
            except StoreError:
                with self._writer:
                    self._discard_unsynced()
                raise

    def _append(self, entries: list[Entry]) -> int:
        if self._failed is not None:
            raise StoreError(f"the store stopped after an I/O error ({self._failed}); reopen it")
        locs = self._persist(entries)
        with self._state:
            for entry, loc in zip(entries, locs, strict=True):
                if entry.facts is not None and loc is not None:
                    before = self._committed_chain(entry.key) if entry.delta else ()
                    entry.facts.chain = (*before, loc)
                    self.written["deltas" if entry.delta else "images"] += 1
                self._pending[(entry.kind, entry.key)] = entry
        return self._commit.add(list(zip(entries, locs, strict=True)))

    def _drain(self) -> None:
        """Wait until every appended batch is durable (call with ``_writer`` held)."""
        self._commit.wait(self._commit.appended)

    def settle(self) -> None:
        """Wait until every earlier batch is published (`Batch.hold_counts`: called by the
        open batch, with ``_writer`` held), so plain reads see them all."""
        self._drain()

    def _publish(self, batches: list[Appended]) -> None:
        """Make durable batches visible, in journal order (`GroupCommit` calls this)."""
        with self._state:
            for appended in batches:
                for entry, loc in appended:
                    self._apply(entry, loc)
                    key = (entry.kind, entry.key)
                    if self._pending.get(key) is entry:
                        del self._pending[key]

    def _apply(self, entry: Entry, loc: Loc | None) -> None:
        if entry.kind == "case":
            assert entry.facts is not None
            self._put_case_facts(entry.facts.id, entry.facts, entry.version)
        elif entry.kind == "file":
            assert loc is not None
            self._put_file_loc(entry.key, loc)
        else:
            self._tables.put(entry.kind, entry.key, entry.value)

    def _put_case_facts(self, case_id: str, facts: CaseFacts, version: Version | None) -> None:
        """Index a case version (and cache it if open); account for its records."""
        chain = facts.chain
        old = self._index.put(facts)
        if old is not None and chain[:len(old)] == old:
            self._retain(chain[len(old):])  # a delta: the old records stay live
        else:
            if old is not None:
                self._release(old)
            self._retain(chain)
        closed = facts.status in self.lifecycle.closed_case
        if version is None or closed or not worth_a_delta(chain):
            self._hot.discard(case_id)  # small cases are read from disk: as cheap
        else:
            self._hot.put(case_id, version, sum(loc[2] for loc in chain))

    def _put_file_loc(self, file_id: str, loc: Loc) -> None:
        old = self._files.get(file_id)
        self._files[file_id] = loc
        if old is not None:
            self._release((old,))
        self._retain((loc,))

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    # -- committed state, as seen by a batch (the writer lock is held) -------
    # "Committed" includes batches appended before this one and not yet durable.

    def _committed_chain(self, case_id: str) -> Chain:
        entry = self._pending.get(("case", case_id))
        if entry is not None:
            assert entry.facts is not None
            return entry.facts.chain
        return self._index.refs[case_id][CHAIN]

    def committed_case(self, case_id: str) -> Document | None:
        """Return the committed version of a case."""
        with self._state:
            entry = self._pending.get(("case", case_id))
        return entry_case(entry) if entry is not None else self.get_case(case_id)

    def committed_base(self, case_id: str) -> tuple[Version, Chain] | None:
        """Return the committed version of an open case and its chain, if in memory."""
        with self._state:
            entry = self._pending.get(("case", case_id))
            if entry is not None:
                assert entry.facts is not None
                return None if entry.version is None else (entry.version, entry.facts.chain)
            version = self._hot.get(case_id)
            return None if version is None else (version, self._index.refs[case_id][CHAIN])

    def committed_rev(self, case_id: str) -> int:
        """Return a case's committed rev, 0 if it does not exist."""
        with self._state:
            entry = self._pending.get(("case", case_id))
            if entry is not None:
                assert entry.facts is not None
                return entry.facts.rev
            ref = self._index.refs.get(case_id)
            return 0 if ref is None else ref[REV]

    def case_revs(self) -> dict[str, int]:
        """Every committed case's rev, from memory (what changed since a last look)."""
        with self._state:
            return {case_id: ref[REV] for case_id, ref in self._index.refs.items()}

    def committed_number_owner(self, number: str) -> str | None:
        """Return the id of the committed case with this number."""
        with self._state:
            for (kind, key), entry in self._pending.items():
                if kind == "case" and entry.facts is not None and entry.facts.number == number:
                    return key
            owner = self._index.id_for_number(number)
            if owner is not None and ("case", owner) in self._pending:
                return None  # its pending version (checked above) has another number
            return owner

    def committed_row(self, table: str, key: str) -> Document | None:
        """Return a committed small-table row."""
        with self._state:
            entry = self._pending.get((table, key))
            if entry is not None:
                return copy.deepcopy(entry.value)
            return self._tables.get(table, key)

    def committed_user_ids_named(self, name: str) -> list[str]:
        """Return the ids of committed users with this name."""
        with self._state:
            ids = {user["id"] for user in self._tables.find("users", "name", name)
                   if ("users", user["id"]) not in self._pending}
            ids.update(key for (kind, key), entry in self._pending.items()
                       if kind == "users" and entry.value is not None
                       and entry.value.get("name") == name)
        return sorted(ids)

    # -- reads ---------------------------------------------------------------

    def get_case(self, case_id: str) -> Document | None:
        """Return the case with this id, or None."""
        with self._state:
            version = self._hot.get(case_id)
            ref = None if version is not None else self._index.refs.get(case_id)
            texts = [] if ref is None else [self._read_text(loc) for loc in ref[CHAIN]]
        if version is not None:
            return version.copy()
        return None if ref is None else self._materialize(case_id, ref, texts)

    def _materialize(self, case_id: str, ref: CaseRef, texts: list[str]) -> Document:
        """Rebuild a case from its records; an open case is cached on the way."""
        try:
            doc: Document = json.loads(texts[0])
            for text in texts[1:]:
                doc = apply(doc, json.loads(text))
        except ValueError as err:  # the bytes changed on disk since they were verified
            raise StoreError(f"{self._describe(ref[CHAIN][0])}: case {case_id} does not "
                             f"read back: {err}") from None
        if ref[STATUS] in self.lifecycle.closed_case or not worth_a_delta(ref[CHAIN]):
            return doc
        with self._state:
            facts = self._index.facts(case_id) if self._index.refs.get(case_id) is ref else None
            if facts is None:
                return doc  # changed meanwhile: do not cache a stale version
            version = Version(doc, facts)
            self._hot.put(case_id, version, sum(loc[2] for loc in ref[CHAIN]))
        return version.copy()

    def get_case_by_number(self, number: str) -> Document | None:
        """Return the case with this public number, or None."""
        with self._state:
            case_id = self._index.id_for_number(number)
        return None if case_id is None else self.get_case(case_id)

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
        with self._state:
            ids = self._index.list_ids(status_set(status), applicant, matter, matter_version,
                                       limit, offset)
            found = self._locate(ids)
        return self._read_found(found)

    def _locate(self, ids: Iterable[str]) -> list[tuple[str, Version | None, CaseRef, list[str]]]:
        """Each case's cached version, or its records' texts (call with ``_state`` held)."""
        found = []
        for case_id in ids:
            version, ref = self._hot.get(case_id), self._index.refs[case_id]
            texts = [] if version is not None else [self._read_text(loc) for loc in ref[CHAIN]]
            found.append((case_id, version, ref, texts))
        return found

    def _read_found(
        self, found: list[tuple[str, Version | None, CaseRef, list[str]]]
    ) -> list[Document]:
        return [version.copy() if version is not None else self._materialize(i, ref, texts)
                for i, version, ref, texts in found]

    def count_cases(
        self,
        *,
        status: Iterable[str] | None = None,
        applicant: str | None = None,
        matter: str | None = None,
        matter_version: int | None = None,
        at_most: int | None = None,
    ) -> int:
        """Count the cases `list_cases` would return without a limit (from the index)."""
        with self._state:
            found = self._index.count(status_set(status), applicant, matter, matter_version)
        return found if at_most is None else min(found, at_most)

    def list_tasks(
        self,
        *,
        department: str,
        status: Iterable[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[TaskRow]:
        """Return a department's tasks in unfinished cases, most urgent first."""
        with self._state:
            pairs = self._index.list_tasks(department, status_set(status), limit, offset)
        return [TaskRow(json.loads(task), json.loads(case)) for task, case in pairs]

    def count_tasks(self, *, department: str, status: Iterable[str] | None = None) -> int:
        """Count a department's tasks in unfinished cases."""
        with self._state:
            return self._index.count_tasks(department, status_set(status))

    def tally_tasks(self, *, department: str, holder: str, held_in: Iterable[str]) -> TaskTally:
        """Count a department's open tasks per status (the index), and those ``holder``
        claimed among ``held_in`` (only those tasks' documents are read)."""
        with self._state:
            by_status = self._index.task_counts(department)
        held: dict[str, int] = {}
        for row in self.list_tasks(department=department, status=held_in, limit=1_000_000):
            if row.task.get("claimed_by") == holder:
                held[row.task["status"]] = held.get(row.task["status"], 0) + 1
        return TaskTally(by_status, held)

    def list_decided(self, *, department: str, limit: int = 50, offset: int = 0) -> list[TaskRow]:
        """Return a department's decided tasks in every case, newest decision first.

        Only (decided at, case, position) is in memory: each row's case is read (one
        per case on the page), as `list_cases` does, in the version the index saw.
        """
        with self._state:
            items = self._index.list_decided(department, limit, offset)
            found = self._locate(dict.fromkeys(item[1] for item in items))
        cases = {doc["id"]: doc for doc in self._read_found(found)}
        rows = []
        for _, case_id, position, _ in items:
            case = cases[case_id]
            rows.append(TaskRow(case["tasks"][position], copy.deepcopy(case_summary(case))))
        return rows

    def count_decided(self, department: str, *, at_most: int | None = None) -> int:
        """Count a department's decided tasks in every case (up to ``at_most``)."""
        with self._state:
            found = self._index.count_decided(department)
        return found if at_most is None else min(found, at_most)

    def get_user(self, user_id: str) -> Document | None:
        """Return a user by id, or None."""
        with self._state:
            return self._tables.get("users", user_id)

    def get_user_by_name(self, name: str) -> Document | None:
        """Return a user by name, or None."""
        with self._state:
            found = self._tables.find("users", "name", name)
        return found[0] if found else None

    def list_users(self, *, department: str | None = None) -> list[Document]:
        """Return every user (or a department's), sorted by name."""
        with self._state:
            users = (self._tables.all("users") if department is None
                     else self._tables.find("users", "department", department))
        return sorted(users, key=lambda user: (user["name"], user["id"]))

    def user_for_token(self, token_hash: str) -> Document | None:
        """Return the user an API token hash belongs to, or None."""
        with self._state:
            token = self._tables.get("tokens", token_hash)
            return None if token is None else self._tables.get("users", token["user"])

    def get_token(self, token_hash: str) -> Document | None:
        """Return an API token's record, or None."""
        with self._state:
            return self._tables.get("tokens", token_hash)

    def list_tokens(self, user_id: str) -> list[Document]:
        """Return a user's API token records, oldest first."""
        with self._state:
            found = self._tables.find("tokens", "user", user_id)
        return sorted(found, key=lambda t: (t.get("created_at") or "", t["token_hash"]))

    def get_session(self, session_id: str) -> Document | None:
        """Return a sign-in session, or None."""
        with self._state:
            return self._tables.get("sessions", session_id)

    def list_sessions(self, user_id: str) -> list[Document]:
        """Return a user's sign-in sessions, oldest first."""
        with self._state:
            found = self._tables.find("sessions", "user", user_id)
        return sorted(found, key=lambda s: (s.get("created_at") or "", s["id"]))

    def get_limit(self, key: str) -> Document | None:
        """Return one rate-limit counter, or None."""
        with self._state:
            return self._tables.get("limits", key)

    def list_limits(self) -> list[Document]:
        """Return every rate-limit counter."""
        with self._state:
            return self._tables.all("limits")

    def get_record(self, kind: str, record_id: str) -> Document | None:
        """Return one record of ``kind``, or None."""
        with self._state:
            return self._tables.get("records", record_key(kind, record_id))

    def list_records(self, kind: str) -> list[Document]:
        """Return every record of ``kind``, by id."""
        with self._state:
            found = self._tables.of_kind(kind)
        return sorted(found, key=lambda r: r["id"])

    def get_file(self, file_id: str) -> Document | None:
        """Return an uploaded file's metadata, or None."""
        with self._state:
            loc = self._files.get(file_id)
            text = None if loc is None else self._read_text(loc)
        return None if text is None else _parse(text)

    def get_setting(self, user_id: str, key: str) -> Any:
        """Return one per-user value, or None."""
        with self._state:
            row = self._tables.get("settings", setting_key(user_id, key))
        return None if row is None else row["value"]

    def save_blob(self, data: bytes) -> str:
        """Store bytes durably under their SHA-256; return the hex digest."""
        return self._blobs.save(data)

    def open_blob(self, sha256: str) -> BinaryIO:
        """Open a stored blob for reading."""
        return self._blobs.open(sha256)

    def blob_path(self, sha256: str) -> Path:
        """Return where a blob is (or would be) stored."""
        return self._blobs.path(sha256)

    def close(self) -> None:
        """Wait for running batches to become durable, then refuse further use."""
        with self._writer:
            with suppress(StoreError):  # a failed fsync: nothing more to wait for
                self._drain()
            if self._failed is not None:
                self._discard_unsynced()
            self._closed = True


def _parse(text: str) -> Document:
    doc: Document = json.loads(text)
    return doc
