"""`TinyDBStore`: the embedded, durable store.

Every batch is one checksummed frame appended to the newest segment and fsynced
before `write()` returns. In memory: indexes of all cases (no documents), the
worklists of unfinished cases, and the small TinyDB tables. Documents are read
back with one ``pread``. When the newest segment is full it is closed, a snapshot
is written, and segments that are mostly superseded are merged away. See
``docs/store.md`` for the reasoning and the measurements.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from runtime.store.base import CLOSED_CASE_STATUSES, StoreError
from runtime.store.batch import LOCATED_KINDS, Entry
from runtime.store.blobs import fsync_dir
from runtime.store.core import IndexedStore
from runtime.store.index import LOC, STATUS, CaseFacts, Loc, case_facts
from runtime.store.journal import Segment, decode_frame, encode_frame, segment_path
from runtime.store.snapshot import (
    read_index,
    read_meta,
    remove_other_snapshots,
    snapshots,
    write_snapshot,
)
from runtime.store.tables import MetaTables

_SEGMENT = re.compile(r"seg-(\d{6})\.log")
_MERGE_FRAME_BYTES = 1 << 20


class TinyDBStore(IndexedStore):
    """The durable store in ``<data_dir>/db`` (blobs in ``<data_dir>/files``).

    One process may open a data directory at a time (an ``flock`` enforces it);
    within it, any number of threads may read while one writes.
    ``segment_bytes`` bounds the newest segment, hence the work replayed on open.
    """

    def __init__(self, data_dir: str | Path, *, segment_bytes: int = 32 << 20) -> None:
        self.data_dir = Path(data_dir)
        self._dir = self.data_dir / "db"
        if not self._dir.is_dir():
            self._dir.mkdir(parents=True)
            fsync_dir(self._dir.parent)
        super().__init__(self.data_dir / "files")
        self._segment_bytes = segment_bytes
        self._segments: dict[int, Segment] = {}
        self._live: dict[int, int] = defaultdict(int)  # segment -> bytes still referenced
        self._snapshot = 0  # the latest durable snapshot covers segments <= this
        self._failed: str | None = None
        self._lock_fd = _lock(self._dir / "LOCK")
        try:
            self._active = self._open()
        except BaseException:
            self._release_files()
            raise

    # -- opening -------------------------------------------------------------

    def _open(self) -> Segment:
        numbers = sorted(
            int(m.group(1)) for m in map(_SEGMENT.fullmatch, os.listdir(self._dir)) if m
        )
        for number in numbers:
            self._segments[number] = Segment.open(segment_path(self._dir, number), number)
        found = snapshots(self._dir)
        self._snapshot = found[-1] if found else 0
        deferred = self._load_snapshot() if self._snapshot else []
        rows: dict[tuple[str, str], Any] = {}
        for number in (n for n in numbers if n > self._snapshot):
            segment = self._segments[number]
            for start, payload in segment.frames(last=number == numbers[-1]):
                for kind, key, value, loc in decode_frame(payload, number, start):
                    if kind == "case":
                        self._index_case(case_facts(value, loc))
                    elif kind == "file":
                        self._index_file(key, loc)
                    else:
                        rows[(kind, key)] = value
        self._tables.put_many(rows)
        lost = [n for n, live in self._live.items() if live and n not in self._segments]
        if lost:
            raise StoreError(f"{self._dir}: segment {lost[0]} is missing")
        for number in [n for n in self._live if n not in self._segments]:
            del self._live[number]
        for case_id in deferred:  # unfinished in the snapshot: index their tasks now
            ref = self._index.refs[case_id]
            if ref[STATUS] not in CLOSED_CASE_STATUSES and not self._index.has_worklist(case_id):
                self._index.put(case_facts(json.loads(self._read_text(ref[LOC])), ref[LOC]))
        remove_other_snapshots(self._dir, self._snapshot)
        for number in [n for n in numbers if n <= self._snapshot and not self._live[n]]:
            self._drop_segment(number)  # left over from an interrupted merge
        if numbers and numbers[-1] > self._snapshot:
            return self._segments[numbers[-1]]
        return self._new_segment(max([self._snapshot, *numbers]) + 1)

    def _load_snapshot(self) -> list[str]:
        tables, count = read_meta(self._dir, self._snapshot)
        self._tables = MetaTables(tables)
        deferred = []
        for kind, row in read_index(self._dir, self._snapshot, count):
            # A row may point into a segment merged away after this snapshot; the
            # replay then moves it to its copy (checked after the replay).
            loc: Loc = (row[1], row[2], row[3])
            if kind == "files":
                self._index_file(row[0], loc)
                continue
            case_id, rev, status, applicant, updated_at, number = row[0], *row[4:]
            status = sys.intern(status)
            applicant = None if applicant is None else sys.intern(applicant)
            self._index_case(
                CaseFacts(case_id, loc, rev, status, applicant, updated_at, number, None)
            )
            if status not in CLOSED_CASE_STATUSES:
                deferred.append(case_id)
        return deferred

    def _index_case(self, facts: CaseFacts) -> None:
        old = self._index.put(facts)
        if old is not None:
            self._release(old)
        self._live[facts.loc[0]] += facts.loc[2]

    def _index_file(self, file_id: str, loc: Loc) -> None:
        old = self._files.get(file_id)
        if old is not None:
            self._release(old)
        self._files[file_id] = loc
        self._live[loc[0]] += loc[2]

    # -- backend hooks -------------------------------------------------------

    def _read_text(self, loc: Loc) -> str:
        segment = self._segments.get(loc[0])
        if segment is None:
            raise StoreError("the store is closed" if self._closed else f"no segment {loc[0]}")
        return segment.read(loc[1], loc[2]).decode()

    def _persist(self, entries: list[Entry]) -> list[Loc | None]:
        if self._failed is not None:
            raise StoreError(f"the store stopped after an I/O error ({self._failed}); reopen it")
        if self._active.size >= self._segment_bytes:
            self._roll()
        frame, locs = encode_frame(
            [(e.kind, e.key, e.text) for e in entries], self._active.number, self._active.size
        )
        try:
            self._active.append(frame)
        except OSError as err:
            self._failed = str(err)
            raise StoreError(f"could not make the batch durable: {err}") from err
        out: list[Loc | None] = []
        for entry, loc in zip(entries, locs, strict=True):
            if entry.kind in LOCATED_KINDS:
                self._live[loc[0]] += loc[2]
                out.append(loc)
            else:
                out.append(None)
        return out

    def _release(self, loc: Loc) -> None:
        self._live[loc[0]] -= loc[2]

    # -- checkpoints: roll, snapshot, merge ----------------------------------

    def checkpoint(self) -> None:
        """Close the newest segment now: snapshot, then merge mostly-dead segments."""
        self._check_open()
        with self._writer:
            self._roll()

    def _roll(self) -> None:
        closing = self._active
        self._active = self._new_segment(closing.number + 1)
        try:
            write_snapshot(self._dir, closing.number, self._index, self._files, self._tables)
        except OSError as err:
            raise StoreError(f"could not write snapshot {closing.number}: {err}") from err
        self._snapshot = closing.number
        remove_other_snapshots(self._dir, self._snapshot)
        self._merge()

    def _new_segment(self, number: int) -> Segment:
        segment = Segment.create(self._dir, number)
        with self._state:
            self._segments[number] = segment
        return segment

    def _merge(self) -> None:
        """Copy the live records of mostly-dead snapshotted segments forward, then delete them."""
        ratio = {n: self._live[n] / s.size for n, s in self._segments.items()
                 if n <= self._snapshot and self._live[n] * 2 < s.size}
        chosen: set[int] = set()
        budget = self._segment_bytes
        for number in sorted(ratio, key=ratio.__getitem__):
            if chosen and self._live[number] > budget:
                break
            chosen.add(number)
            budget -= self._live[number]
        if not chosen:
            return
        moving: list[tuple[str, str, Loc]] = [
            ("case", case_id, ref[LOC]) for case_id, ref in self._index.rows()
            if ref[LOC][0] in chosen
        ]
        moving += [("file", fid, loc) for fid, loc in self._files.items() if loc[0] in chosen]
        moved: list[tuple[str, str, Loc]] = []
        try:
            for start in range(0, len(moving), 256):
                part = moving[start:start + 256]
                records = [(kind, key, self._read_text(loc)) for kind, key, loc in part]
                frame, locs = encode_frame(records, self._active.number, self._active.size)
                self._active.append(frame, sync=False)
                moved += [(kind, key, loc) for (kind, key, _), loc in zip(part, locs, strict=True)]
            self._active.sync()
        except OSError as err:
            self._failed = str(err)
            raise StoreError(f"could not merge segments: {err}") from err
        with self._state:
            for kind, key, loc in moved:
                if kind == "case":
                    self._release(self._index.move(key, loc))
                else:
                    self._release(self._files[key])
                    self._files[key] = loc
                self._live[loc[0]] += loc[2]
            for number in chosen:
                self._drop_segment(number)
        fsync_dir(self._dir)

    def _drop_segment(self, number: int) -> None:
        segment = self._segments.pop(number)
        segment.close()
        segment.path.unlink()
        self._live.pop(number, None)

    # -- closing -------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Return sizes useful to operators and benchmarks."""
        with self._state:
            return {
                "cases": len(self._index),
                "files": len(self._files),
                "segments": len(self._segments),
                "bytes": sum(s.size for s in self._segments.values()),
                "live_bytes": sum(self._live.values()),
                "snapshot": self._snapshot,
            }

    def close(self) -> None:
        """Wait for a running batch, then close every file and the directory lock."""
        if self._closed:
            return
        super().close()
        with self._state:
            self._release_files()

    def _release_files(self) -> None:
        for segment in self._segments.values():
            segment.close()
        self._segments.clear()
        os.close(self._lock_fd)


def _lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreError(f"{path.parent} is already open in another store or process") from None
    return fd
