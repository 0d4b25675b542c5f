"""What every backend shares: the indexes, the small tables, reads, and the
single-writer commit protocol. A backend supplies where document texts live."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from runtime.store.base import Document, StoreError, TaskRow, WriteBatch
from runtime.store.batch import Batch, Entry
from runtime.store.blobs import BlobStore
from runtime.store.index import LOC, REV, CaseIndex, Loc, status_set
from runtime.store.tables import MetaTables, setting_key


class IndexedStore:
    """Base of `MemoryStore` and `TinyDBStore`; implements the `Store` protocol.

    Two locks: ``_writer`` serialises whole write batches (held while the batch
    body runs and while it is made durable); ``_state`` guards the in-memory
    indexes and open files, and is held only briefly by readers and by commits.
    """

    def __init__(self, blob_root: Path) -> None:
        self._index = CaseIndex()
        self._tables = MetaTables()
        self._files: dict[str, Loc] = {}
        self._blobs = BlobStore(blob_root)
        self._state = threading.RLock()
        self._writer = threading.Lock()
        self._writer_thread: int | None = None
        self._closed = False

    # -- backend hooks -------------------------------------------------------

    def _read_text(self, loc: Loc) -> str:
        """Return the JSON text stored at ``loc`` (called with ``_state`` held)."""
        raise NotImplementedError

    def _persist(self, entries: list[Entry]) -> list[Loc | None]:
        """Make a batch durable; return a location for each located entry."""
        raise NotImplementedError

    def _release(self, loc: Loc) -> None:
        """Note that the text at ``loc`` is superseded (called with ``_state`` held)."""

    # -- writes --------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[WriteBatch]:
        """Open one atomic batch; durable when the block exits, discarded if it raises."""
        self._check_open()
        if self._writer_thread == threading.get_ident():
            raise StoreError("write() is not re-entrant: finish the open batch first")
        with self._writer:
            self._check_open()
            self._writer_thread = threading.get_ident()
            batch = Batch(self)
            try:
                yield batch
                batch.finish()
                entries = batch.entries()
                if entries:
                    locs = self._persist(entries)
                    with self._state:
                        self._apply(entries, locs)
            finally:
                batch.finish()
                self._writer_thread = None

    def _apply(self, entries: list[Entry], locs: list[Loc | None]) -> None:
        for entry, loc in zip(entries, locs, strict=True):
            if entry.kind == "case":
                assert entry.facts is not None and loc is not None
                entry.facts.loc = loc
                old = self._index.put(entry.facts)
                if old is not None:
                    self._release(old)
            elif entry.kind == "file":
                assert loc is not None
                old = self._files.get(entry.key)
                self._files[entry.key] = loc
                if old is not None:
                    self._release(old)
            else:
                self._tables.put(entry.kind, entry.key, entry.value)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    # -- committed state, as seen by a batch (the writer lock is held) -------

    def committed_case(self, case_id: str) -> Document | None:
        """Return the committed version of a case."""
        return self.get_case(case_id)

    def committed_rev(self, case_id: str) -> int:
        """Return a case's committed rev, 0 if it does not exist."""
        ref = self._index.refs.get(case_id)
        return 0 if ref is None else ref[REV]

    def committed_number_owner(self, number: str) -> str | None:
        """Return the id of the committed case with this number."""
        return self._index.id_for_number(number)

    def committed_row(self, table: str, key: str) -> Document | None:
        """Return a committed small-table row."""
        with self._state:
            return self._tables.get(table, key)

    def committed_user_ids_named(self, name: str) -> list[str]:
        """Return the ids of committed users with this name."""
        with self._state:
            return [user["id"] for user in self._tables.find("users", "name", name)]

    # -- reads ---------------------------------------------------------------

    def get_case(self, case_id: str) -> Document | None:
        """Return the case with this id, or None."""
        with self._state:
            ref = self._index.refs.get(case_id)
            text = None if ref is None else self._read_text(ref[LOC])
        return None if text is None else _parse(text)

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
        limit: int = 100,
        offset: int = 0,
    ) -> list[Document]:
        """Return cases, newest ``updated_at`` first, optionally filtered."""
        with self._state:
            ids = self._index.list_ids(status_set(status), applicant, limit, offset)
            texts = [self._read_text(self._index.refs[i][LOC]) for i in ids]
        return [_parse(text) for text in texts]

    def count_cases(
        self, *, status: Iterable[str] | None = None, applicant: str | None = None
    ) -> int:
        """Count the cases `list_cases` would return without a limit."""
        with self._state:
            return self._index.count(status_set(status), applicant)

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

    def get_user(self, user_id: str) -> Document | None:
        """Return a user by id, or None."""
        with self._state:
            return self._tables.get("users", user_id)

    def get_user_by_name(self, name: str) -> Document | None:
        """Return a user by name, or None."""
        with self._state:
            found = self._tables.find("users", "name", name)
        return found[0] if found else None

    def list_users(self) -> list[Document]:
        """Return every user, sorted by name."""
        with self._state:
            users = self._tables.all("users")
        return sorted(users, key=lambda user: (user["name"], user["id"]))

    def user_for_token(self, token_hash: str) -> Document | None:
        """Return the user an API token hash belongs to, or None."""
        with self._state:
            token = self._tables.get("tokens", token_hash)
            return None if token is None else self._tables.get("users", token["user"])

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
        """Wait for a running batch, then refuse further use."""
        with self._writer:
            self._closed = True


def _parse(text: str) -> Document:
    doc: Document = json.loads(text)
    return doc
