"""`TinyDBStore`: the embedded, durable store.

Every batch is one checksummed frame appended to the newest segment; concurrent
batches share fsyncs (group commit), and `write()` returns only after one covered
its batch. A write of an open case is journalled as a delta against the cached
previous version; full images start each chain (new, cold or closing cases, long
chains, merges). In memory: indexes of all cases, the worklists and the parsed
versions of open cases (bounded), and the small TinyDB tables. When the newest
segment is full it is closed, a snapshot is written, and segments that are mostly
superseded are merged away. See ``docs/store.md`` for the reasoning and the
measurements.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import sys
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from runtime.store.base import CLOSED_CASE_STATUSES, STORE_FORMAT, Document, StoreError
from runtime.store.batch import LOCATED_KINDS, Entry
from runtime.store.blobs import fsync_dir
from runtime.store.core import CACHE_BYTES, IndexedStore
from runtime.store.damage import Damage, StoreDamaged
from runtime.store.delta import Version, apply
from runtime.store.index import (
    CHAIN,
    CaseFacts,
    CaseIndex,
    CaseRef,
    Chain,
    Loc,
    case_facts,
    dumps,
)
from runtime.store.journal import Frame, Segment, decode_frame, encode_frame, seal, segment_path
from runtime.store.manifest import (
    MANIFEST_NAME,
    Manifest,
    ManifestError,
    ManifestState,
    read_manifest,
)
from runtime.store.snapshot import (
    meta_path,
    read_index,
    read_meta,
    remove_other_snapshots,
    snapshots,
    write_snapshot,
)
from runtime.store.tables import MetaTables

_SEGMENT = re.compile(r"seg-(\d{6})\.log")


class TinyDBStore(IndexedStore):
    """The durable store in ``<data_dir>/db`` (blobs in ``<data_dir>/files``).

    One process may open a data directory at a time (an ``flock`` enforces it);
    within it, any number of threads may read and write (batch bodies take turns;
    their fsyncs are shared). ``segment_bytes`` bounds the newest segment, hence
    the work replayed on open; ``cache_bytes`` bounds the hot-case cache (in bytes
    of the JSON the cached open cases stand for).
    """

    def __init__(
        self,
        data_dir: str | Path,
        *,
        segment_bytes: int = 32 << 20,
        cache_bytes: int = CACHE_BYTES,
        inspect: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir)
        self._dir = self.data_dir / "db"
        #: Read-only inspection (``onewindow store verify``/``repair``): every problem
        #: is collected in ``problems`` instead of refusing to open, and nothing on
        #: disk is changed; writes are refused.
        self.inspect = inspect
        if not self._dir.is_dir():
            if inspect:
                raise StoreError(f"{self._dir}: no store here (no such directory)")
            self._dir.mkdir(parents=True)
            fsync_dir(self._dir.parent)
        super().__init__(self.data_dir / "files", cache_bytes=cache_bytes)
        self._segment_bytes = segment_bytes
        self._segments: dict[int, Segment] = {}
        self._live: dict[int, int] = defaultdict(int)  # segment -> bytes still referenced
        self._snapshot = 0  # the latest durable snapshot covers segments <= this
        self._synced = 0  # bytes of the newest segment known to be durable
        # Frames of appended batches not yet written: the next fsync leader writes
        # them all at once, so a batch makes no system call under the writer lock.
        self._frames: list[Frame] = []
        self._frames_lock = threading.Lock()
        self._end = 0  # where the next frame goes: the newest segment's size + _frames
        self._lock_fd = _lock(self._dir / "LOCK")
        self._incomplete_rows = False  # the snapshot predates some indexed facts
        self._manifest: Manifest | None = None
        self.problems: list[Damage] = []  # damage found on open (see `inspect`)
        self.damaged: dict[int, list[tuple[int, int]]] = {}  # segment -> damaged byte ranges
        self.torn: dict[int, tuple[int, int]] = {}  # segment -> torn (unacknowledged) tail
        self.missing: set[int] = set()  # segments the manifest or the snapshot needs
        self.reverted: dict[str, str] = {}  # case id -> why a later record was not applied
        try:
            self._active = self._open()
            self._synced = self._end = self._active.size
            if not inspect:
                self._manifest = Manifest(self._dir, self._manifest_state())
            if self._incomplete_rows and not inspect:  # completed from the documents: once
                self.checkpoint()
        except BaseException:
            self._release_files()
            raise

    # -- opening -------------------------------------------------------------

    def _open(self) -> Segment:
        numbers = sorted(
            int(m.group(1)) for m in map(_SEGMENT.fullmatch, os.listdir(self._dir)) if m
        )
        state = self._read_manifest()
        listed = {} if state is None else state.segments
        for number in sorted(set(listed) - set(numbers)):
            self.missing.add(number)
            self._problem(segment_path(self._dir, number), 0, "the segment is missing: "
                          f"{listed[number]} bytes of it had been acknowledged")
        for number in numbers:
            try:
                self._segments[number] = Segment.open(
                    segment_path(self._dir, number), number, writable=not self.inspect)
            except StoreDamaged as err:
                self.problems += err.problems
                self.missing.add(number)
        numbers = sorted(self._segments)
        newest = numbers[-1] if numbers else 0
        found = snapshots(self._dir)
        self._snapshot = found[-1] if found else 0
        if state is not None and state.snapshot > self._snapshot and not all(
                n in self._segments for n in range(1, state.snapshot + 1)):
            self._problem(meta_path(self._dir, state.snapshot), 0, f"snapshot {state.snapshot} "
                          "is missing, and segments it covers were merged away")
        deferred: list[tuple[str, CaseRef]] = []
        if self._snapshot:
            try:
                deferred = self._load_snapshot()
            except StoreDamaged as err:
                self.problems += err.problems
                self._forget_snapshot()  # replay every segment there is instead
        for number in (n for n in numbers if n <= self._snapshot):
            for _ in self._scan(number, listed, newest):
                pass  # not replayed (the snapshot covers it), but every frame verified
        rows: dict[tuple[str, str], Any] = {}
        for number in (n for n in numbers if n > self._snapshot):
            for start, payload in self._scan(number, listed, newest):
                self._replay_frame(number, start, payload, rows)
        self._tables.put_many(rows)
        for number in sorted(n for n, live in self._live.items()
                             if live and n not in self._segments and n not in self.missing):
            self.missing.add(number)
            self._problem(segment_path(self._dir, number), 0,
                          "the segment is missing, yet the snapshot's cases point into it")
        for number in [n for n in self._live if n not in self._segments]:
            del self._live[number]
        for case_id, ref in deferred:  # index their tasks now, unless replayed since
            if self._index.refs[case_id] is ref and self.readable(ref[CHAIN]):
                try:
                    self._replay_case(case_id, self._read_doc(ref[CHAIN]), ref[CHAIN])
                except (StoreError, ValueError, TypeError, KeyError) as err:
                    seg, offset, _ = ref[CHAIN][-1]
                    self._problem(segment_path(self._dir, seg), offset, f"case {case_id}: {err}")
        if self.inspect:
            if not numbers:
                raise StoreError(f"{self._dir}: no journal segment to inspect")
            return self._segments[newest]
        if self.problems:
            raise StoreDamaged(self.problems)
        remove_other_snapshots(self._dir, self._snapshot)
        for number in [n for n in numbers if n <= self._snapshot and not self._live[n]]:
            self._drop_segment(number)  # left over from an interrupted merge
        last = self._segments.get(newest)
        if last is not None and last.number > self._snapshot and last.format == STORE_FORMAT:
            return last
        return self._new_segment(max([self._snapshot, *numbers]) + 1)

    def _read_manifest(self) -> ManifestState | None:
        try:
            return read_manifest(self._dir)
        except ManifestError as err:
            self.problems.append(Damage(self._dir / MANIFEST_NAME, 0, str(err).split(": ", 2)[-1]))
            return None

    def _manifest_state(self) -> ManifestState:
        return ManifestState({n: s.size for n, s in self._segments.items()},
                             self._active.number, self._snapshot)

    def _problem(self, path: Path, offset: int, message: str) -> None:
        self.problems.append(Damage(path, offset, message))

    def _scan(
        self, number: int, listed: dict[int, int], newest: int
    ) -> Iterator[tuple[int, bytes]]:
        """The valid frames of a segment, checked against what the manifest says of it."""
        segment = self._segments[number]
        acked = listed.get(number, 0)
        if number in listed and number != newest and segment.size > acked:
            self._problem(segment.path, acked, f"{segment.size - acked} bytes after the end "
                          "of this closed segment (it was complete at that byte)")
        cut = not self.inspect and not self.problems
        yield from segment.frames(last=number == newest, acknowledged=acked,
                                  problems=self.problems, cut=cut)
        if segment.damaged:
            self.damaged[number] = segment.damaged
        if segment.torn is not None:
            self.torn[number] = segment.torn

    def _replay_frame(self, number: int, start: int, payload: bytes,
                      rows: dict[tuple[str, str], Any]) -> None:
        path = self._segments[number].path
        try:
            records = list(decode_frame(payload, number, start))
        except ValueError as err:  # the crc matched: written so by a bug
            self._problem(path, start, f"a record of this frame does not decode: {err}")
            return
        for kind, key, value, loc in records:
            try:
                if kind == "case":
                    self._replay_case(key, value, (loc,))
                elif kind == "delta":
                    self._replay_delta(key, value, loc)
                elif kind == "file":
                    self._put_file_loc(key, loc)
                else:
                    if kind == "sequences":
                        self._check_sequence(key, value, rows, loc)
                    rows[(kind, key)] = value
            except (StoreError, ValueError, TypeError, KeyError, AttributeError) as err:
                self.reverted[key] = str(err)
                self._problem(path, loc[1], f"{kind} {key}: {err}")

    def _check_sequence(self, key: str, value: Any, rows: dict[tuple[str, str], Any],
                        loc: Loc) -> None:
        """Sequences (受理编号) never move backwards: a record that does is damage."""
        before = rows.get(("sequences", key)) or self._tables.get("sequences", key)
        if value is None or before is None or value["value"] >= before["value"]:
            return
        self._problem(self._segments[loc[0]].path, loc[1], f"sequence {key} goes back from "
                      f"{before['value']} to {value['value']}")

    def _forget_snapshot(self) -> None:
        """Drop a partly loaded snapshot: the open replays every segment instead."""
        self._snapshot = 0
        self._index = CaseIndex()
        self._files.clear()
        self._live.clear()
        self._tables = MetaTables()
        self._hot.clear()
        self._incomplete_rows = False

    def readable(self, chain: Chain) -> bool:
        """Whether no record of ``chain`` lies in a missing segment or damaged bytes."""
        for seg, offset, length in chain:
            if seg not in self._segments:
                return False
            for start, end in self.damaged.get(seg, ()):
                if offset < end and start < offset + length:
                    return False
        return True

    def _load_snapshot(self) -> list[tuple[str, CaseRef]]:
        """Load the latest snapshot; return the cases whose facts are incomplete:
        unfinished ones (their tasks) and rows written before matter, matter_version
        and the decided tasks were kept (read once from their documents)."""
        tables, count = read_meta(self._dir, self._snapshot)
        self._tables = MetaTables(tables)
        deferred = []
        with self._index.bulk():  # sorted once at the end
            for kind, row in read_index(self._dir, self._snapshot, count):
                # A row may point into a segment merged away after this snapshot; the
                # replay then moves it to its copy (checked after the replay).
                if kind == "files":
                    self._put_file_loc(row[0], (row[1], row[2], row[3]))
                    continue
                case_id, chain, rev, status, applicant, updated_at, number, *more = row
                status = sys.intern(status)
                applicant = None if applicant is None else sys.intern(applicant)
                matter, matter_version, decided = more or (None, None, ())
                matter = None if matter is None else sys.intern(matter)
                self._put_case_facts(case_id, CaseFacts(
                    case_id, chain, rev, status, applicant, updated_at, number, matter,
                    matter_version, decided, None), None)
                if status not in CLOSED_CASE_STATUSES or not more:
                    deferred.append((case_id, self._index.refs[case_id]))
                self._incomplete_rows = self._incomplete_rows or not more
        return deferred

    def _replay_case(self, case_id: str, doc: Document, chain: Chain) -> None:
        """Index a replayed version; an open one is cached (the next delta's base)."""
        facts = case_facts(doc, chain)
        version = None if facts.open is None else Version(doc, facts)
        self._put_case_facts(case_id, facts, version)

    def _replay_delta(self, case_id: str, delta: dict[str, Any], loc: Loc) -> None:
        ref = self._index.refs.get(case_id)
        if ref is None:
            raise StoreError(f"{self._dir}: a delta of case {case_id} precedes its image")
        cached = self._hot.get(case_id)
        base = cached.doc if cached is not None else self._read_doc(ref[CHAIN])
        self._replay_case(case_id, apply(base, delta), (*ref[CHAIN], loc))

    def _read_doc(self, chain: Chain) -> Document:
        """Rebuild a document from its full image and deltas on disk."""
        doc: Document = json.loads(self._read_text(chain[0]))
        for loc in chain[1:]:
            doc = apply(doc, json.loads(self._read_text(loc)))
        return doc

    # -- backend hooks -------------------------------------------------------

    def _read_text(self, loc: Loc) -> str:
        segment = self._segments.get(loc[0])
        if segment is None:
            raise StoreError("the store is closed" if self._closed else f"no segment {loc[0]}")
        data = segment.read(loc[1], loc[2])
        try:
            return data.decode()
        except UnicodeDecodeError as err:
            raise StoreDamaged([Damage(segment.path, loc[1] + err.start,
                                       "a record is not UTF-8: damaged")]) from None

    def _describe(self, loc: Loc) -> str:
        return f"{segment_path(self._dir, loc[0])}:{loc[1]}"

    def _persist(self, entries: list[Entry]) -> list[Loc | None]:
        if self._manifest is None:
            raise StoreError(f"{self._dir} is open for inspection only: no writes")
        if self._end >= self._segment_bytes:
            self._drain()
            self._roll()
        frame, locs = encode_frame(
            [("delta" if e.delta else e.kind, e.key, e.text) for e in entries],
            self._active.number, self._end,
        )
        with self._frames_lock:
            self._frames.append(frame)
            self._end += len(frame.data)
        return [loc if e.kind in LOCATED_KINDS else None
                for e, loc in zip(entries, locs, strict=True)]

    def _sync(self) -> None:
        """Write the queued frames (one system call) and fsync (the commit leader)."""
        with self._frames_lock:
            frames, self._frames = self._frames, []
        segment = self._active  # a roll drains first: every queued frame belongs here
        durable = segment.size  # each write is fsynced before the next one starts
        try:
            if frames:
                segment.write(b"".join([seal(frame, durable) for frame in frames]))
            segment.sync()
            assert self._manifest is not None  # no manifest: no writes (`_persist`)
            self._manifest.ack(segment.number, segment.size)  # no fsync: see manifest.py
        except OSError as err:
            self._failed = self._failed or str(err)
            raise
        self._synced = segment.size

    def _discard_unsynced(self) -> None:
        with self._frames_lock:
            self._frames.clear()
        with contextlib.suppress(OSError):  # best effort: the store is failed already
            self._active.truncate(self._synced)

    def _retain(self, locs: Iterable[Loc]) -> None:
        for loc in locs:
            self._live[loc[0]] += loc[2]

    def _release(self, locs: Iterable[Loc]) -> None:
        for loc in locs:
            self._live[loc[0]] -= loc[2]

    # -- checkpoints: roll, snapshot, merge ----------------------------------

    def checkpoint(self) -> None:
        """Close the newest segment now: snapshot, then merge mostly-dead segments."""
        self._check_open()
        with self._writer:
            self._drain()
            self._roll()

    def _roll(self) -> None:
        """Start a new segment (every appended batch must be durable: `_drain`)."""
        closing = self._active
        self._active = self._new_segment(closing.number + 1)
        assert self._manifest is not None
        state = self._manifest.state
        try:
            state.segments[closing.number] = closing.size
            state.segments[self._active.number] = self._active.size
            state.newest = self._active.number
            self._manifest.save()
            write_snapshot(self._dir, closing.number, self._index, self._files, self._tables)
            state.snapshot = closing.number
            self._manifest.save()
        except OSError as err:
            raise StoreError(f"could not write snapshot {closing.number}: {err}") from err
        self._snapshot = closing.number
        remove_other_snapshots(self._dir, self._snapshot)
        self._merge()

    def _new_segment(self, number: int) -> Segment:
        segment = Segment.create(self._dir, number)
        with self._state:
            self._segments[number] = segment
            self._synced = self._end = segment.size
        return segment

    def _merge(self) -> None:
        """Copy the live records of mostly-dead snapshotted segments forward, then delete
        them; a case whose chain touches one is rewritten as one full image."""
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
        moving: list[tuple[str, str, Chain]] = [
            ("case", case_id, ref[CHAIN]) for case_id, ref in self._index.rows()
            if any(loc[0] in chosen for loc in ref[CHAIN])
        ]
        moving += [("file", fid, (loc,)) for fid, loc in self._files.items() if loc[0] in chosen]
        moved: list[tuple[str, str, Chain, Loc]] = []
        durable = self._active.size  # every batch is durable (drained): one fsync below
        try:
            for start in range(0, len(moving), 256):
                part = moving[start:start + 256]
                records = [(kind, key, self._image(key, chain)) for kind, key, chain in part]
                frame, locs = encode_frame(records, self._active.number, self._active.size)
                self._active.append(seal(frame, durable), sync=False)
                moved += [(kind, key, chain, loc)
                          for (kind, key, chain), loc in zip(part, locs, strict=True)]
            self._active.sync()
            self._synced = self._end = self._active.size
            assert self._manifest is not None
            for number in chosen:  # listed no more before they go: never "missing"
                self._manifest.state.segments.pop(number, None)
            self._manifest.state.segments[self._active.number] = self._active.size
            self._manifest.save()
        except OSError as err:
            self._failed = str(err)
            raise StoreError(f"could not merge segments: {err}") from err
        with self._state:
            for kind, key, chain, loc in moved:
                if kind == "case":
                    self._index.move(key, (loc,))
                else:
                    self._files[key] = loc
                self._release(chain)
                self._retain((loc,))
            for number in chosen:
                self._drop_segment(number)
        fsync_dir(self._dir)

    def _image(self, case_id: str, chain: Chain) -> str:
        """The JSON text of a full image of the record(s) at ``chain``."""
        if len(chain) == 1:
            return self._read_text(chain[0])
        with self._state:
            cached = self._hot.get(case_id)
        return dumps(cached.doc if cached is not None else self._read_doc(chain))

    def _drop_segment(self, number: int) -> None:
        segment = self._segments.pop(number)
        segment.close()
        segment.path.unlink()
        self._live.pop(number, None)

    # -- inspection (``runtime.store.check``) --------------------------------

    def segment_file(self, number: int) -> Path:
        """Return the path of segment ``number``."""
        return segment_path(self._dir, number)

    def segment_bytes(self, number: int, start: int, end: int) -> bytes:
        """Return bytes ``start:end`` of segment ``number`` as they are on disk."""
        return self._segments[number].read(start, end - start)

    def case_refs(self) -> list[tuple[str, CaseRef]]:
        """Return every indexed case with its index entry."""
        with self._state:
            return list(self._index.rows())

    def case_ids(self) -> set[str]:
        """Return the ids of every indexed case."""
        with self._state:
            return set(self._index.refs)

    def file_locs(self) -> list[tuple[str, Loc]]:
        """Return every file record's location."""
        with self._state:
            return list(self._files.items())

    def record_text(self, loc: Loc) -> str:
        """Return the JSON text of the record at ``loc``."""
        with self._state:
            return self._read_text(loc)

    def image(self, case_id: str, chain: Chain) -> str:
        """Return the JSON text of a case's full image (its chain applied)."""
        return self._image(case_id, chain)

    def table_rows(self) -> dict[str, dict[str, Any]]:
        """Return a copy of the small tables (users, tokens, settings, sequences)."""
        with self._state:
            return json.loads(json.dumps(self._tables.data()))

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
                "hot_cases": len(self._hot),
                "hot_bytes": self._hot.bytes,
                "fsyncs": self._commit.syncs,
                "batches": self._commit.appended,
                "case_images": self.written["images"],
                "case_deltas": self.written["deltas"],
            }

    def close(self) -> None:
        """Wait for running batches, then close every file and the directory lock."""
        if self._closed:
            return
        super().close()
        with self._state:
            self._release_files()
            self._hot.clear()

    def _release_files(self) -> None:
        if self._manifest is not None:
            with contextlib.suppress(OSError):  # it can only lag: see manifest.py
                self._manifest.close()
            self._manifest = None
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
