"""The manifest (``db/MANIFEST``): which segments exist and how much of each was
acknowledged, so that damage to acknowledged data is told apart from a crash.

A crash can tear only what was never acknowledged: the bytes after the last
fsync of the newest segment. The journal's frames cannot tell, on their own,
whether the last of them had been acknowledged (cutting 100 bytes off the end
looks just like a torn write), nor whether a whole segment is missing. The
manifest says so: every segment the store holds, the final size of each closed
one and, for the newest, how many bytes an fsync had covered.

The file has two fixed slots, written alternately, each
``b"OWM1" | body length (u32) | crc32 (u32) | counter (u64) | JSON body``, the
crc covering the counter and the body; the valid slot with the higher counter
is the manifest. A write torn by a power loss thus spoils at most one slot: the
other still holds the previous, smaller claim.

After each group commit's fsync the leader writes the newest segment's
acknowledged length with one ``pwrite`` and **no fsync** of its own: the page
cache keeps it through a process crash, and after a power loss the slot on disk
can only lag (claim less), never claim bytes that were not made durable, since
it is written after the fsync that made them so. Changes to the set of
segments (a new segment, merged ones deleted) and `close` fsync the file.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from runtime.store.blobs import fsync_dir

MANIFEST_NAME = "MANIFEST"
_MAGIC = b"OWM1"
_HEAD = struct.Struct("<4sIIQ")  # magic, body length, crc, counter
#: Bytes per slot: room for about 3,000 segments (about 90 GiB of journal).
SLOT_BYTES = 64 << 10


@dataclass
class ManifestState:
    """What a manifest says: segment number -> acknowledged bytes, the newest
    segment, and the latest snapshot (0: none)."""

    segments: dict[int, int] = field(default_factory=dict)
    newest: int = 0
    snapshot: int = 0


class ManifestError(Exception):
    """The manifest exists but neither slot is valid (the message says why)."""


def read_manifest(directory: Path) -> ManifestState | None:
    """Return the manifest in ``directory`` (None if there is none).

    Raise `ManifestError` when neither slot holds a valid manifest.
    """
    path = directory / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    best: tuple[int, ManifestState] | None = None
    for slot in (0, 1):
        found = _read_slot(data[slot * SLOT_BYTES:(slot + 1) * SLOT_BYTES])
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    if best is None:
        raise ManifestError(f"neither slot of the manifest is valid ({len(data)} bytes): "
                            "damaged")
    return best[1]


def _read_slot(data: bytes) -> tuple[int, ManifestState] | None:
    if len(data) < _HEAD.size:
        return None
    magic, length, crc, counter = _HEAD.unpack_from(data)
    body = data[_HEAD.size:_HEAD.size + length]
    if magic != _MAGIC or len(body) != length:
        return None
    if zlib.crc32(body, zlib.crc32(data[12:_HEAD.size])) != crc:
        return None
    try:
        raw = json.loads(body)
        state = ManifestState({int(k): int(v) for k, v in raw["segments"].items()},
                              int(raw["newest"]), int(raw["snapshot"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return counter, state


class Manifest:
    """The open manifest of a store (written only by the store that holds the lock)."""

    def __init__(self, directory: Path, state: ManifestState) -> None:
        self.path = directory / MANIFEST_NAME
        self._directory = directory
        self.state = state
        self._counter = 0
        existed = self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if existed:
            self._counter = _counter_of(os.pread(self._fd, 2 * SLOT_BYTES, 0))
        self._prefix = ""
        self._acked = -1
        self.save()
        if not existed:
            fsync_dir(directory)

    def ack(self, number: int, size: int) -> None:
        """Record that ``size`` bytes of the newest segment are durable (no fsync)."""
        if size == self._acked and number == self.state.newest:
            return
        self.state.segments[number] = size
        self.state.newest = number
        self._write(self._prefix + f'"{number}":{size}}}}}')
        self._acked = size

    def save(self) -> None:
        """Write the whole state durably (after the set of segments changed)."""
        state = self.state
        closed = "".join(f'"{n}":{s},' for n, s in sorted(state.segments.items())
                         if n != state.newest)
        self._prefix = (f'{{"format":1,"snapshot":{state.snapshot},"newest":{state.newest},'
                        f'"segments":{{{closed}')
        acked = state.segments.get(state.newest)
        if acked is None:  # no segment yet
            body = self._prefix.rstrip(",") + "}}"
        else:
            body = self._prefix + f'"{state.newest}":{acked}}}}}'
        self._write(body)
        os.fsync(self._fd)
        self._acked = -1 if acked is None else acked

    def _write(self, body: str) -> None:
        data = body.encode()
        if len(data) > SLOT_BYTES - _HEAD.size:
            raise OSError(f"{self.path}: too many segments for one manifest slot")
        self._counter += 1
        counter = struct.pack("<Q", self._counter)
        head = _HEAD.pack(_MAGIC, len(data), zlib.crc32(data, zlib.crc32(counter)),
                          self._counter)
        os.pwrite(self._fd, head + data, (self._counter % 2) * SLOT_BYTES)

    def close(self) -> None:
        """Fsync and close the file."""
        os.fsync(self._fd)
        os.close(self._fd)


def _counter_of(data: bytes) -> int:
    counters = [0]
    for slot in (0, 1):
        part = data[slot * SLOT_BYTES:(slot + 1) * SLOT_BYTES]
        if len(part) >= _HEAD.size and part[:4] == _MAGIC:
            counters.append(_HEAD.unpack_from(part)[3])
    return max(counters)
