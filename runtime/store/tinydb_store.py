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
import os
import threading
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from runtime.store.base import Lifecycle, StoreBusy, StoreError
from runtime.store.batch import LOCATED_KINDS, Entry
from runtime.store.blobs import fsync_dir
from runtime.store.core import CACHE_BYTES
from runtime.store.damage import Damage, StoreDamaged
from runtime.store.index import (
    CHAIN,
    Chain,
    Loc,
    dumps,
)
from runtime.store.journal import Frame, Segment, encode_frame, seal, segment_path
from runtime.store.manifest import (
    Manifest,
)
from runtime.store.replay import JournalReplay
from runtime.store.snapshot import (
    remove_other_snapshots,
    write_snapshot,
)


class TinyDBStore(JournalReplay):
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
        lifecycle: Lifecycle,
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
            if (self.data_dir / "db.repaired").is_dir():
                raise StoreError(f"{self._dir} is missing: a repair was interrupted; run "
                                 "'onewindow store repair' again to finish it")
            if inspect:
                raise StoreError(f"{self._dir}: no store here (no such directory)")
            self._dir.mkdir(parents=True)
            fsync_dir(self._dir.parent)
        super().__init__(self.data_dir / "files", lifecycle=lifecycle, cache_bytes=cache_bytes)
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
        raise StoreBusy(f"{path.parent} is already open in another store or process") from None
    return fd
