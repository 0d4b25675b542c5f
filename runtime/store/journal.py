"""Append-only segment files of checksummed batch frames.

A segment starts with `SEGMENT_HEADER`; then each committed batch is one frame::

    b"OWB1" | payload length (u32 LE) | crc32 of payload (u32 LE) | payload

The payload is one line per record, ``[kind, key, value]\\n`` in compact JSON, so a
document's JSON text can later be read back with one ``pread`` at a known
(offset, length). A crash can only tear the last frame of the last segment: it is
detected by length and checksum and cut off when the store opens.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runtime.store.base import STORE_FORMAT, StoreError
from runtime.store.blobs import fsync_dir
from runtime.store.index import Loc

SEGMENT_HEADER = f"onewindow store segment v{STORE_FORMAT}\n".encode()
FRAME_MAGIC = b"OWB1"
_FRAME = struct.Struct("<4sII")
_sync = getattr(os, "fdatasync", os.fsync)


def _prefix(kind: str, key: str) -> bytes:
    return ("[" + json.dumps(kind) + "," + json.dumps(key, ensure_ascii=False) + ",").encode()


def encode_frame(
    records: list[tuple[str, str, str]], segment: int, start: int
) -> tuple[bytes, list[Loc]]:
    """Encode (kind, key, JSON text) records as one frame written at byte ``start``.

    Returns the frame and, per record, where its JSON text will be.
    """
    parts: list[bytes] = []
    locs: list[Loc] = []
    pos = start + _FRAME.size
    for kind, key, text in records:
        prefix, body = _prefix(kind, key), text.encode()
        parts += (prefix, body, b"]\n")
        locs.append((segment, pos + len(prefix), len(body)))
        pos += len(prefix) + len(body) + 2
    payload = b"".join(parts)
    return _FRAME.pack(FRAME_MAGIC, len(payload), zlib.crc32(payload)) + payload, locs


def decode_frame(
    payload: bytes, segment: int, start: int
) -> Iterator[tuple[str, str, Any, Loc]]:
    """Yield (kind, key, value, location of the value's text) for each record."""
    pos = start + _FRAME.size
    for line in payload.split(b"\n")[:-1]:
        kind, key, value = json.loads(line)
        skip = len(_prefix(kind, key))
        yield kind, key, value, (segment, pos + skip, len(line) - skip - 1)
        pos += len(line) + 1


class Segment:
    """One segment file: appended to while it is the newest, read-only afterwards."""

    def __init__(self, path: Path, number: int, fd: int, size: int) -> None:
        self.path = path
        self.number = number
        self.size = size
        self._fd = fd

    @classmethod
    def create(cls, directory: Path, number: int) -> Segment:
        """Create an empty segment durably (file and directory entry)."""
        path = segment_path(directory, number)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        os.write(fd, SEGMENT_HEADER)
        os.fsync(fd)
        fsync_dir(directory)
        return cls(path, number, fd, len(SEGMENT_HEADER))

    @classmethod
    def open(cls, path: Path, number: int) -> Segment:
        """Open an existing segment; check its header (a torn header is rewritten)."""
        fd = os.open(path, os.O_RDWR | os.O_APPEND)
        size = os.fstat(fd).st_size
        head = os.pread(fd, len(SEGMENT_HEADER), 0)
        if head != SEGMENT_HEADER:
            if size >= len(SEGMENT_HEADER) or not SEGMENT_HEADER.startswith(head):
                os.close(fd)
                raise StoreError(f"{path}: not a onewindow store segment of format {STORE_FORMAT}")
            os.ftruncate(fd, 0)  # crashed while being created: nothing was in it
            os.write(fd, SEGMENT_HEADER)
            os.fsync(fd)
            size = len(SEGMENT_HEADER)
        return cls(path, number, fd, size)

    def append(self, frame: bytes, *, sync: bool = True) -> None:
        """Append a frame (durably unless ``sync=False``); on failure cut it off again."""
        end = self.size
        try:
            view = memoryview(frame)
            while view:
                view = view[os.write(self._fd, view):]
            if sync:
                _sync(self._fd)
        except OSError:
            with contextlib.suppress(OSError):  # the caller marks the store failed anyway
                os.ftruncate(self._fd, end)
            raise
        self.size = end + len(frame)

    def sync(self) -> None:
        """Make frames appended with ``sync=False`` durable."""
        _sync(self._fd)

    def read(self, offset: int, length: int) -> bytes:
        """Read ``length`` bytes at ``offset``."""
        data = os.pread(self._fd, length, offset)
        if len(data) != length:
            raise StoreError(f"{self.path}: short read at {offset}")
        return data

    def frames(self, *, last: bool) -> Iterator[tuple[int, bytes]]:
        """Yield (offset, payload) of every valid frame.

        In the last segment an invalid tail with no valid frame after it is a torn
        write and is cut off; anywhere else an invalid frame is corruption.
        """
        pos = len(SEGMENT_HEADER)
        while pos < self.size:
            payload = self._frame_at(pos)
            if payload is None:
                break
            yield pos, payload
            pos += _FRAME.size + len(payload)
        if pos == self.size:
            return
        if not last or self._valid_frame_after(pos):
            raise StoreError(f"{self.path}: corrupt frame at byte {pos}; refusing to guess")
        os.ftruncate(self._fd, pos)
        os.fsync(self._fd)
        self.size = pos

    def _frame_at(self, pos: int) -> bytes | None:
        head = os.pread(self._fd, _FRAME.size, pos)
        if len(head) < _FRAME.size:
            return None
        magic, length, crc = _FRAME.unpack(head)
        if magic != FRAME_MAGIC or pos + _FRAME.size + length > self.size:
            return None
        payload = os.pread(self._fd, length, pos + _FRAME.size)
        return payload if zlib.crc32(payload) == crc else None

    def _valid_frame_after(self, pos: int) -> bool:
        rest = os.pread(self._fd, self.size - pos, pos)
        found = rest.find(FRAME_MAGIC, 1)
        while found != -1:
            if self._frame_at(pos + found) is not None:
                return True
            found = rest.find(FRAME_MAGIC, found + 1)
        return False

    def close(self) -> None:
        """Close the file descriptor."""
        os.close(self._fd)


def segment_path(directory: Path, number: int) -> Path:
    """Return the path of segment ``number``."""
    return directory / f"seg-{number:06d}.log"
