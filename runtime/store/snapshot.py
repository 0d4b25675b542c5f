"""Snapshots: the indexes and small tables as of the end of one segment.

Snapshot N is two files, written when segment N is closed:

* ``index-N.jsonl``: where every case and file lives (a case: the chain of its
  full image and deltas) plus the indexed case fields, in chunks of rows (one
  JSON object per line);
* ``meta-N.json``: a TinyDB JSON database (written by TinyDB's ``JSONStorage``)
  with the users, tokens, settings and sequences tables and a ``_store`` table
  describing the snapshot. It is written last, so it marks the snapshot complete.

Opening loads the latest snapshot and replays only the segments after N.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tinydb.storages import JSONStorage

from runtime.store.base import STORE_FORMAT
from runtime.store.blobs import fsync_dir
from runtime.store.damage import Damage, StoreDamaged
from runtime.store.index import DECIDED, UPDATED_AT, CaseIndex, CaseRef, Chain, Decided, Loc
from runtime.store.tables import MetaTables

_CHUNK = 2000
_META = re.compile(r"meta-(\d{6})\.json")
_FORMATS = (1, STORE_FORMAT)

#: An index row of a case (format 2): id, chain [[segment, offset, length], ...],
#: rev, status, applicant, updated_at, number, matter, matter_version, decided
#: [[at (null: updated_at), task position, department], ...]. Rows written before
#: the last three fields existed end after number. Format 1 had one location
#: instead of the chain: id, segment, offset, length, rev, ...
CaseRow = list[Any]


def index_path(directory: Path, number: int) -> Path:
    """Return the path of snapshot ``number``'s index file."""
    return directory / f"index-{number:06d}.jsonl"


def meta_path(directory: Path, number: int) -> Path:
    """Return the path of snapshot ``number``'s TinyDB file."""
    return directory / f"meta-{number:06d}.json"


def snapshots(directory: Path) -> list[int]:
    """Return the numbers of the complete snapshots in ``directory``, ascending."""
    found = (_META.fullmatch(path.name) for path in directory.iterdir())
    return sorted(
        int(match.group(1)) for match in found
        if match and index_path(directory, int(match.group(1))).exists()
    )


def write_snapshot(
    directory: Path, number: int, index: CaseIndex, files: dict[str, Loc], tables: MetaTables
) -> None:
    """Write snapshot ``number`` durably (each file: temp, fsync, rename)."""
    rows = 0
    tmp = index_path(directory, number).with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"format": STORE_FORMAT, "segment": number}) + "\n")
        chunk: list[list[Any]] = []
        for case_id, ref in index.rows():
            chunk.append(_case_row(case_id, ref))
            if len(chunk) == _CHUNK:
                rows += _write_chunk(out, "cases", chunk)
        rows += _write_chunk(out, "cases", chunk)
        for file_id, loc in files.items():
            chunk.append([file_id, *loc])
            if len(chunk) == _CHUNK:
                rows += _write_chunk(out, "files", chunk)
        rows += _write_chunk(out, "files", chunk)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, index_path(directory, number))

    tmp = meta_path(directory, number).with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    storage = JSONStorage(str(tmp), encoding="utf-8", access_mode="r+", ensure_ascii=False)
    try:
        storage.write({
            **tables.data(),
            "_store": {"1": {"format": STORE_FORMAT, "segment": number, "rows": rows,
                             "manifest": True}},
        })  # JSONStorage.write flushes and fsyncs
    finally:
        storage.close()
    os.replace(tmp, meta_path(directory, number))
    fsync_dir(directory)


def _case_row(case_id: str, ref: CaseRef) -> CaseRow:
    updated_at = ref[UPDATED_AT]
    decided = [[None if at == updated_at else at, position, department]
               for at, _, position, department in ref[DECIDED]]
    return [case_id, *ref[:DECIDED], decided]


def _decided(case_id: str, updated_at: str, rows: list[list[Any]]) -> tuple[Decided, ...]:
    # The case id and updated_at are shared with the case's row, not repeated.
    return tuple((updated_at if at is None else at, case_id, position, sys.intern(department))
                 for at, position, department in rows)


def _write_chunk(out: Any, kind: str, chunk: list[list[Any]]) -> int:
    if not chunk:
        return 0
    out.write(json.dumps({kind: chunk}, ensure_ascii=False, separators=(",", ":")) + "\n")
    count = len(chunk)
    chunk.clear()
    return count


def read_meta(directory: Path, number: int) -> tuple[dict[str, dict[str, Any]], int, bool]:
    """Return snapshot ``number``'s small tables, its index row count, and whether
    the store had a manifest (``db/MANIFEST``) when it wrote the snapshot.

    A file that does not decode is `StoreDamaged`, located at the byte it fails at.
    """
    path = meta_path(directory, number)
    data = path.read_bytes()
    try:
        text = data.decode()
    except UnicodeDecodeError as err:
        raise _damaged(path, err.start, f"not UTF-8 ({err.reason})") from None
    try:
        tables = json.loads(text)
    except json.JSONDecodeError as err:
        offset = len(text[:err.pos].encode())
        raise _damaged(path, offset, f"not valid JSON ({err.msg}, line {err.lineno}); "
                       "the snapshot is damaged or cut short") from None
    info = tables.pop("_store", {}).get("1", {}) if isinstance(tables, dict) else {}
    if info.get("format") not in _FORMATS or info.get("segment") != number:
        raise _damaged(path, 0, f"not a snapshot of format {STORE_FORMAT} for segment {number}")
    if not all(isinstance(rows, dict) for rows in tables.values()):
        raise _damaged(path, 0, "a table of the snapshot is not a JSON object")
    return tables, int(info["rows"]), bool(info.get("manifest"))


def read_index(directory: Path, number: int, rows: int) -> Iterator[tuple[str, list[Any]]]:
    """Yield ("cases" | "files", row) for every row of snapshot ``number``'s index.

    A case row comes as id, chain (a tuple of locations), rev, status, applicant,
    updated_at, number, then (unless written before they existed) matter,
    matter_version and the decided tasks; a file row as id, segment, offset, length.
    A line that does not decode is `StoreDamaged`, located at the line's first byte.
    """
    path = index_path(directory, number)
    seen = offset = 0
    with path.open("rb") as lines:
        for line_number, line in enumerate(lines, 1):
            try:
                if line_number == 1:
                    header = json.loads(line.decode())
                    if header not in ({"format": n, "segment": number} for n in _FORMATS):
                        raise ValueError(f"unexpected header {header}")
                    old = header["format"] == 1
                    continue
                if not line.endswith(b"\n"):
                    raise ValueError("the line is cut short")
                ((kind, chunk),) = json.loads(line.decode()).items()
                if kind == "cases":
                    parsed = [_case_row_from(row, old) for row in chunk]
                elif kind == "files" and all(len(row) == 4 for row in chunk):
                    parsed = chunk
                else:
                    raise ValueError(f"not a chunk of index rows: {kind!r}")
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:
                raise _damaged(path, offset, f"line {line_number}: {_reason(err)}; the "
                               "snapshot is damaged or cut short") from None
            finally:
                offset += len(line)
            seen += len(chunk)
            for row in parsed:
                yield kind, row
    if seen != rows:
        raise _damaged(path, offset, f"{seen} rows, the snapshot says {rows}: cut short")


def _case_row_from(row: list[Any], old: bool) -> list[Any]:
    chain: Chain = ((row[1], row[2], row[3]),) if old else tuple(
        (seg, off, length) for seg, off, length in row[1])
    row = [row[0], chain, *row[4 if old else 2:]]
    if len(row) > DECIDED + 1:
        row[DECIDED + 1] = _decided(row[0], row[UPDATED_AT + 1], row[DECIDED + 1])
    return row


def _reason(err: Exception) -> str:
    if isinstance(err, UnicodeDecodeError):
        return f"not UTF-8 at byte {err.start} of the line"
    if isinstance(err, json.JSONDecodeError):
        return f"not valid JSON ({err.msg}, column {err.colno})"
    return f"not a snapshot row ({err})"


def _damaged(path: Path, offset: int, message: str) -> StoreDamaged:
    return StoreDamaged([Damage(path, offset, message)])


def remove_other_snapshots(directory: Path, keep: int) -> None:
    """Delete every snapshot but ``keep``, and leftover temporary files."""
    for path in directory.iterdir():
        name = path.name
        if name.endswith(".tmp") or (
            name.startswith(("index-", "meta-")) and not name.startswith(
                (f"index-{keep:06d}.", f"meta-{keep:06d}.")
            )
        ):
            path.unlink()
