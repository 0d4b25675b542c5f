"""Verify a store's data directory, and repair it on request (``onewindow store``).

`verify` opens the store for inspection only (nothing on disk changes), checks
every frame's checksum against the manifest, reads every case and file record
back, and hashes every blob. `repair` keeps everything that verifies: it writes
it into a fresh journal, moves the damaged files aside (``db.damaged-<time>``)
and says exactly what was lost.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from runtime.store.base import Lifecycle, StoreError
from runtime.store.blobs import fsync_dir
from runtime.store.damage import Damage
from runtime.store.index import CHAIN, NUMBER, REV, STATUS, dumps
from runtime.store.journal import Segment, encode_frame, seal
from runtime.store.tinydb_store import TinyDBStore

#: Where `repair` builds the repaired journal before it takes the damaged one's place.
REPAIRED = "db.repaired"
#: A record's kind and key at the start of a journal line, found in damaged bytes.
_RECORD = re.compile(rb'\["([a-z_]+)","((?:[^"\\]|\\.)*)",')
#: A 受理编号 as `Cases.accept` makes it: the sequence key, then the sequence number.
_NUMBER = re.compile(r"(\D+\d{8})(\d+)")


@dataclass
class Verification:
    """What `verify` found: the problems (none: clean), torn tails and counts."""

    problems: list[Damage] = field(default_factory=list)
    torn: list[str] = field(default_factory=list)  # unacknowledged tails, cut on the next open
    cases: int = 0
    files: int = 0
    blobs: int = 0
    segments: int = 0
    bytes: int = 0


def verify(store_dir: Path, lifecycle: Lifecycle) -> Verification:
    """Check the store in ``store_dir`` (``DATA_DIR/store``) without changing it."""
    store = TinyDBStore(store_dir, lifecycle=lifecycle, inspect=True)
    try:
        found = Verification(list(store.problems))
        _torn_notes(store, found.torn)
        stats = store.stats()
        found.cases, found.files = stats["cases"], stats["files"]
        found.segments, found.bytes = stats["segments"], stats["bytes"]
        _read_back(store, found.problems)
    finally:
        store.close()
    _check_blobs(store_dir / "files", found)
    return found


def _torn_notes(store: TinyDBStore, notes: list[str]) -> None:
    for number, (start, end) in sorted(store.torn.items()):
        notes.append(f"{store.segment_file(number)}:{start}: {end - start} bytes of a write "
                     "that was never acknowledged (a crash): cut when the store next opens")


def _read_back(store: TinyDBStore, problems: list[Damage]) -> None:
    """Read every case and file whose records verified, as a server would."""
    for case_id, ref in list(store.case_refs()):
        if not store.readable(ref[CHAIN]):
            continue  # its damage is reported already
        try:
            store.get_case(case_id)
        except StoreError as err:
            seg, offset, _ = ref[CHAIN][0]
            problems.append(Damage(store.segment_file(seg), offset, f"case {case_id}: {err}"))
    for file_id, loc in list(store.file_locs()):
        if not store.readable((loc,)):
            continue
        try:
            store.get_file(file_id)
        except (StoreError, ValueError) as err:
            problems.append(Damage(store.segment_file(loc[0]), loc[1],
                                   f"file {file_id}: {err}"))


def _check_blobs(root: Path, found: Verification) -> None:
    """Every blob must hash to its name."""
    if not root.is_dir():
        return
    for path in sorted(root.glob("??/*")):
        if path.name.startswith(".tmp-"):
            continue
        digest = hashlib.sha256()
        with path.open("rb") as data:
            for block in iter(lambda: data.read(1 << 20), b""):
                digest.update(block)
        found.blobs += 1
        if digest.hexdigest() != path.name:
            found.problems.append(Damage(path, 0, "the file's content does not match its "
                                         "SHA-256 name: an uploaded material is damaged"))


@dataclass
class Repair:
    """What `repair` did: what it kept, and every loss it could name."""

    kept_cases: int = 0
    kept_files: int = 0
    kept_rows: int = 0
    lost: list[str] = field(default_factory=list)  # one line per loss
    lost_cases: int = 0
    reverted_cases: int = 0
    moved_to: Path | None = None


def repair(store_dir: Path, lifecycle: Lifecycle) -> Repair:
    """Keep what verifies in ``store_dir``; move the damaged journal aside.

    Raise `StoreError` if the directory cannot be inspected (in use, not a store).
    A clean directory is left as it is (``moved_to`` None, nothing lost).
    """
    db, repaired = store_dir / "db", store_dir / REPAIRED
    done = Repair()
    if not db.is_dir() and repaired.is_dir():  # a repair interrupted between its renames
        os.rename(repaired, db)
        fsync_dir(store_dir)
        done.lost.append(f"{db}: finished an interrupted repair")
        return done
    store = TinyDBStore(store_dir, lifecycle=lifecycle, inspect=True)
    try:
        if not store.problems:
            return done
        lost = _losses(store, done)
        if repaired.exists():  # left by a repair that stopped before its renames
            shutil.rmtree(repaired)
        _write_repaired(store, repaired, lost, done)
    finally:
        store.close()
    done.moved_to = store_dir / time.strftime("db.damaged-%Y%m%dT%H%M%S")
    os.rename(db, done.moved_to)
    fsync_dir(store_dir)
    os.rename(repaired, db)
    fsync_dir(store_dir)
    # opening the repaired journal writes its manifest
    TinyDBStore(store_dir, lifecycle=lifecycle).close()
    return done


def _losses(store: TinyDBStore, done: Repair) -> set[str]:
    """Note every loss the damage caused; return the ids of cases that cannot be kept."""
    lost: set[str] = set()
    for problem in store.problems:
        done.lost.append(f"damage: {problem}")
    for number in sorted(store.missing):
        done.lost.append(f"{store.segment_file(number)}: missing: the records in it are unknown")
    named: dict[tuple[str, str], Damage] = {}
    for number, ranges in sorted(store.damaged.items()):
        for start, end in ranges:
            data = store.segment_bytes(number, start, end)
            for match in _RECORD.finditer(data):
                kind, key = match.group(1).decode(), _json_str(match.group(2))
                kind = "case" if kind == "delta" else kind
                named.setdefault((kind, key), Damage(store.segment_file(number),
                                                     start + match.start(), ""))
    for case_id, ref in sorted(store.case_refs()):
        readable = store.readable(ref[CHAIN])
        if readable:
            try:
                store.get_case(case_id)
            except StoreError:
                readable = False
        what = (f"case {case_id} (受理编号 {ref[NUMBER] or '-'}, status {ref[STATUS]}, "
                f"rev {ref[REV]})")
        if not readable:
            lost.add(case_id)
            done.lost_cases += 1
            done.lost.append(f"{what}: lost: its records are damaged or missing")
        elif ("case", case_id) in named or case_id in store.reverted:
            done.reverted_cases += 1
            where = named.get(("case", case_id))
            done.lost.append(f"{what}: kept as it was before a later version that was lost"
                             + (f" ({where.path}:{where.offset})" if where else ""))
    for (kind, key), where in sorted(named.items()):
        if kind == "case" and key not in store.case_ids():
            done.lost_cases += 1
            done.lost.append(f"case {key}: lost: every record of it was in damaged bytes "
                             f"({where.path}:{where.offset})")
        elif kind not in ("case",):
            done.lost.append(f"{kind} {key}: its latest value was lost "
                             f"({where.path}:{where.offset})")
    return lost


def _json_str(raw: bytes) -> str:
    try:
        value = json.loads(b'"' + raw + b'"')
    except ValueError:
        return raw.decode(errors="replace")
    return str(value)


def _write_repaired(store: TinyDBStore, target: Path, lost: set[str], done: Repair) -> None:
    """Write every kept record as full images into segment 1 of a fresh journal."""
    target.mkdir()
    segment = Segment.create(target, 1)
    records: list[tuple[str, str, str]] = []
    numbers: list[str] = []
    for case_id, ref in store.case_refs():
        if case_id in lost:
            continue
        records.append(("case", case_id, store.image(case_id, ref[CHAIN])))
        if ref[NUMBER]:
            numbers.append(ref[NUMBER])
        done.kept_cases += 1
    for file_id, loc in store.file_locs():
        if store.readable((loc,)):
            records.append(("file", file_id, store.record_text(loc)))
            done.kept_files += 1
        else:
            done.lost.append(f"file {file_id}: lost: its record is damaged or missing")
    tables = store.table_rows()
    for line in _floor_sequences(tables.setdefault("sequences", {}), numbers):
        done.lost.append(line)
    for table, rows in tables.items():
        for key, row in rows.items():
            records.append((table, key, dumps(row)))
            done.kept_rows += 1
    for start in range(0, len(records), 256):
        frame, _ = encode_frame(records[start:start + 256], 1, segment.size)
        segment.append(seal(frame, segment.size), sync=False)
    segment.sync()
    segment.close()
    fsync_dir(target)


def _floor_sequences(sequences: dict[str, dict[str, object]], numbers: list[str]) -> list[str]:
    """Never let a sequence fall below a 受理编号 a kept case already holds."""
    notes = []
    highest: dict[str, int] = {}
    for number in numbers:
        match = _NUMBER.fullmatch(number)
        if match:
            key, value = match.group(1), int(match.group(2))
            highest[key] = max(highest.get(key, 0), value)
    for key, value in sorted(highest.items()):
        row = sequences.get(key)
        current = row.get("value") if row else 0
        if not isinstance(current, int) or current < value:
            sequences[key] = {"key": key, "value": value}
            notes.append(f"sequence {key}: was {current}, set to {value}, the highest "
                         "受理编号 a kept case holds (no number is issued twice)")
    return notes
