"""The administrator's small database: published matter versions, drafts and the audit.

One TinyDB file, ``DATA_DIR/admin.json``, with the tables ``versions``, ``drafts`` and
``audit`` (plus ``meta`` for the format). Admin data is small and changes rarely (a
publish, a saved draft), so every committed batch rewrites the whole file: temp
file, fsync, rename, fsync the folder. A crash leaves the old file or the new one,
never a torn one. A ``flock`` keeps a second process out; a lock serialises threads.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB
from tinydb.storages import Storage

from runtime.store.base import Conflict, StoreBusy, StoreError
from runtime.store.blobs import write_atomically

#: Version of the admin file's own format; a newer file is refused, never guessed at.
ADMIN_FORMAT = 1

Document = dict[str, Any]
_Tables = dict[str, dict[str, Any]]


class _BatchedStorage(Storage):
    """A TinyDB storage that keeps the data in memory and persists whole batches.

    TinyDB writes after every table operation; inside ``begin``/``end`` those writes
    only change memory, and the outermost ``end`` persists once (or goes back to the
    last persisted state when the batch failed).
    """

    def __init__(self, path: Path | None) -> None:
        self._path = path
        # The last persisted state as text: what a failed batch goes back to.
        self._committed = "null"
        if path is not None and path.is_file():
            self._committed = path.read_text(encoding="utf-8")
        self._data: _Tables | None = json.loads(self._committed)
        self._depth = 0
        self._dirty = False

    def read(self) -> _Tables | None:
        return self._data

    def write(self, data: _Tables) -> None:
        self._data = data
        self._dirty = True
        if self._depth == 0:
            self._persist()

    def begin(self) -> None:
        if self._depth == 0:
            self._dirty = False
        self._depth += 1

    def end(self, ok: bool) -> None:
        self._depth -= 1
        if self._depth:
            return
        try:
            if ok and self._dirty:
                self._persist()
            elif not ok and self._dirty:
                self._data = json.loads(self._committed)
        except BaseException:
            self._data = json.loads(self._committed)
            raise
        finally:
            self._dirty = False

    def _persist(self) -> None:
        text = json.dumps(self._data, ensure_ascii=False, sort_keys=True)
        if self._path is not None:
            write_atomically(self._path, text.encode("utf-8"))
        self._committed = text


class AdminStore:
    """Published versions (immutable), one draft per matter, and the append-only audit.

    Reads return fresh copies. Every write method is atomic; ``batch()`` makes
    several of them one atomic, durable write.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock_fd: int | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._lock_fd = _flock(path.with_name(path.name + ".lock"))
        try:
            self._storage = _BatchedStorage(path)
        except (OSError, ValueError) as exc:
            self._unlock()
            raise StoreError(f"cannot read {path}: {exc}") from exc
        storage = self._storage
        self._db = TinyDB(storage=lambda: storage)  # TinyDB wants a factory
        self._lock = threading.RLock()
        self._check_format()

    @classmethod
    def open(cls, path: Path) -> AdminStore:
        """The durable store in ``path`` (created when missing)."""
        return cls(path)

    @classmethod
    def in_memory(cls) -> AdminStore:
        """The same contract kept in memory, for tests."""
        return cls(None)

    def _check_format(self) -> None:
        meta = self._db.table("meta")
        found = meta.all()
        if not found:
            with self.batch():
                meta.insert({"format": ADMIN_FORMAT})
            return
        if found[0].get("format", 0) > ADMIN_FORMAT:
            self.close()
            raise StoreError(f"{self.path} was written by a newer onewindow (format "
                             f"{found[0]['format']}, this one reads {ADMIN_FORMAT})")

    @contextmanager
    def batch(self) -> Iterator[AdminStore]:
        """Group writes: all of them are persisted together, or none when the block raises."""
        with self._lock:
            self._storage.begin()
            ok = False
            try:
                yield self
                ok = True
            finally:
                self._storage.end(ok)
                if not ok:
                    self._db.clear_cache()  # TinyDB caches queries and the next id

    # -- published versions --------------------------------------------------------

    def versions(self, matter: str | None = None) -> list[Document]:
        """Published versions, by matter then version."""
        with self._lock:
            table = self._db.table("versions")
            rows = table.all() if matter is None else table.search(Query().matter == matter)
            return sorted((_copy(r) for r in rows), key=lambda d: (d["matter"], d["version"]))

    def version_keys(self) -> list[tuple[str, int]]:
        """(matter, version) of every published version, in order."""
        return [(d["matter"], d["version"]) for d in self.versions()]

    def version(self, matter: str, version: int) -> Document | None:
        """One published version, or None."""
        with self._lock:
            row = self._db.table("versions").get((Query().matter == matter) &
                                                 (Query().version == version))
            return _copy(row) if isinstance(row, dict) else None

    def add_version(self, doc: Document) -> None:
        """Record a published version; one that exists already is a `Conflict` (immutable)."""
        with self.batch():
            if self.version(doc["matter"], doc["version"]) is not None:
                raise Conflict(f"version {doc['version']} of {doc['matter']} is already "
                               "published")
            self._db.table("versions").insert(_copy(doc))

    # -- drafts --------------------------------------------------------------------

    def draft(self, matter: str) -> Document | None:
        """The draft of a matter, or None."""
        with self._lock:
            row = self._db.table("drafts").get(Query().matter == matter)
            return _copy(row) if isinstance(row, dict) else None

    def drafts(self) -> list[Document]:
        """Every draft, by matter id."""
        with self._lock:
            return sorted((_copy(r) for r in self._db.table("drafts").all()),
                          key=lambda d: d["matter"])

    def put_draft(self, doc: Document) -> None:
        """Create or replace the draft of ``doc["matter"]``."""
        with self.batch():
            self._db.table("drafts").upsert(_copy(doc), Query().matter == doc["matter"])

    def delete_draft(self, matter: str) -> bool:
        """Forget a draft; False when there was none."""
        with self.batch():
            return bool(self._db.table("drafts").remove(Query().matter == matter))

    # -- audit ---------------------------------------------------------------------

    def append_audit(self, entry: Document) -> None:
        """Append one audit entry; entries are never changed or removed."""
        with self.batch():
            self._db.table("audit").insert(_copy(entry))

    def audit(self, *, subject: str | None = None, limit: int = 100,
              offset: int = 0) -> list[Document]:
        """Audit entries, newest first (append order)."""
        with self._lock:
            table = self._db.table("audit")
            rows = table.all() if subject is None else table.search(Query().subject == subject)
            rows = sorted(rows, key=lambda r: r.doc_id, reverse=True)
            return [_copy(r) for r in rows[offset:offset + limit]]

    def close(self) -> None:
        """Release the file lock; the store is unusable afterwards."""
        with self._lock:
            self._db.close()
            self._unlock()

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _copy(doc: Any) -> Document:
    return json.loads(json.dumps(dict(doc), ensure_ascii=False))


def _flock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreBusy(f"{path.name.removesuffix('.lock')} is already open in another "
                         "process") from None
    return fd
