"""Opening a journal directory: the manifest, the latest snapshot, every segment's
frames verified and the newer ones replayed, and every problem collected as
`Damage` with its file and offset (the base of `TinyDBStore`).

A crash can tear only what was never acknowledged, so only the newest segment's
bytes past the manifest's acknowledged length may be cut as a torn write;
anything else that does not verify (a checksum, a missing segment or byte, a
snapshot file that does not decode, a delta that does not fit, a sequence that
goes back) is damage: the store refuses to open, or with ``inspect`` records it
and goes on with what verifies (``onewindow store verify|repair``).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runtime.store.base import STORE_FORMAT, Document, StoreError
from runtime.store.core import IndexedStore
from runtime.store.damage import Damage, StoreDamaged
from runtime.store.delta import Version, apply
from runtime.store.index import CHAIN, CaseFacts, CaseIndex, CaseRef, Chain, Loc, case_facts
from runtime.store.journal import Segment, decode_frame, segment_path
from runtime.store.manifest import MANIFEST_NAME, ManifestError, ManifestState, read_manifest
from runtime.store.snapshot import (
    meta_path,
    read_index,
    read_meta,
    remove_other_snapshots,
    snapshots,
)
from runtime.store.tables import MetaTables

_SEGMENT = re.compile(r"seg-(\d{6})\.log")


class JournalReplay(IndexedStore):
    """Loads a journal directory into the indexes; `TinyDBStore` writes on it."""

    _dir: Path
    _segments: dict[int, Segment]
    _live: dict[int, int]
    _snapshot: int
    _active: Segment
    _incomplete_rows: bool
    inspect: bool
    problems: list[Damage]
    damaged: dict[int, list[tuple[int, int]]]
    torn: dict[int, tuple[int, int]]
    missing: set[int]
    reverted: dict[str, str]
    _manifest_expected = False  # the snapshot says the store had a manifest

    def _new_segment(self, number: int) -> Segment:
        raise NotImplementedError

    def _drop_segment(self, number: int) -> None:
        raise NotImplementedError

    def _image(self, case_id: str, chain: Chain) -> str:
        raise NotImplementedError

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
        if state is None and self._manifest_expected and not self.problems:
            self._problem(self._dir / MANIFEST_NAME, 0, "the manifest is missing (snapshot "
                          f"{self._snapshot} was written with one): deleted or lost")
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
            self.problems.append(Damage(self._dir / MANIFEST_NAME, 0, str(err)))
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
        records = decode_frame(payload, number, start)  # one at a time: fewer objects alive
        while True:
            try:
                kind, key, value, loc = next(records)
            except StopIteration:
                return
            except ValueError as err:  # the crc matched: written so by a bug
                self._problem(path, start, f"a record of this frame does not decode: {err}")
                return
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
        tables, count, self._manifest_expected = read_meta(self._dir, self._snapshot)
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
                if status not in self.lifecycle.closed_case or not more:
                    deferred.append((case_id, self._index.refs[case_id]))
                self._incomplete_rows = self._incomplete_rows or not more
        return deferred

    def _replay_case(self, case_id: str, doc: Document, chain: Chain) -> None:
        """Index a replayed version; an open one is cached (the next delta's base)."""
        facts = case_facts(doc, chain, self.lifecycle)
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
