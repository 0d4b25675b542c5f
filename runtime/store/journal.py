"""Append-only segment files of checksummed batch frames.

A segment starts with `SEGMENT_HEADER`; then each committed batch is one frame::

    b"OWB2" | payload length (u32 LE) | crc32 (u32 LE) | payload | durable (u64 LE)

The payload is one line per record, ``[kind, key, value]\\n`` in compact JSON, so a
document's JSON text can later be read back with one ``pread`` at a known
(offset, length). Kinds: ``case`` (a full image), ``delta`` (a case delta, since
format 2), ``file``, and the small tables' names.

``durable`` is where the segment was known to be on disk (fsynced) when the frame
was written; the crc covers the payload, then ``durable``. Several frames may be
written before one fsync (group commit, merges), and after a power loss their
pages may have reached the disk in any order, so a crash can tear any frame
written after the last fsync, not only the last one. On open, an invalid frame is
a torn write, cut off with everything after it, when no valid frame after it
says it was durable; otherwise it is corruption and the store refuses to open.
Format-1 segments (``b"OWB1"`` frames without ``durable``, one fsync per frame)
are still read.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from runtime.store.base import STORE_FORMAT
from runtime.store.blobs import fsync_dir
from runtime.store.damage import Damage, StoreDamaged
from runtime.store.index import Loc

SEGMENT_HEADER = f"onewindow store segment v{STORE_FORMAT}\n".encode()
#: Headers of the formats this version reads (format 1 has no deltas).
READABLE_HEADERS = {f"onewindow store segment v{n}\n".encode(): n for n in (1, STORE_FORMAT)}
FRAME_MAGIC = b"OWB2"
_V1_MAGIC = b"OWB1"
_HEAD = struct.Struct("<4sII")  # magic, payload length, crc
_DURABLE = struct.Struct("<Q")
_sync = getattr(os, "fdatasync", os.fsync)


class Frame(NamedTuple):
    """An encoded frame whose ``durable`` mark (and so its crc) is set by `seal`."""

    data: bytearray
    payload_crc: int


def _prefix(kind: str, key: str) -> bytes:
    return ("[" + json.dumps(kind) + "," + json.dumps(key, ensure_ascii=False) + ",").encode()


def encode_frame(
    records: list[tuple[str, str, str]], segment: int, start: int
) -> tuple[Frame, list[Loc]]:
    """Encode (kind, key, JSON text) records as one frame written at byte ``start``.

    Returns the frame (to `seal` before writing) and, per record, where its JSON
    text will be.
    """
    parts: list[bytes] = [bytes(_HEAD.size)]
    locs: list[Loc] = []
    pos = start + _HEAD.size
    for kind, key, text in records:
        prefix, body = _prefix(kind, key), text.encode()
        parts += (prefix, body, b"]\n")
        locs.append((segment, pos + len(prefix), len(body)))
        pos += len(prefix) + len(body) + 2
    parts.append(bytes(_DURABLE.size))
    data = bytearray(b"".join(parts))
    payload = memoryview(data)[_HEAD.size:-_DURABLE.size]
    crc = zlib.crc32(payload)
    _HEAD.pack_into(data, 0, FRAME_MAGIC, len(payload), 0)
    return Frame(data, crc), locs


def seal(frame: Frame, durable: int) -> bytearray:
    """Set a frame's ``durable`` mark (bytes of its segment already fsynced) and crc."""
    data = frame.data
    mark = _DURABLE.pack(durable)
    data[-_DURABLE.size:] = mark
    struct.pack_into("<I", data, 8, zlib.crc32(mark, frame.payload_crc))
    return data


def decode_frame(
    payload: bytes, segment: int, start: int
) -> Iterator[tuple[str, str, Any, Loc]]:
    """Yield (kind, key, value, location of the value's text) for each record of a
    payload that starts at byte ``start``."""
    pos = start
    for line in payload.split(b"\n")[:-1]:
        kind, key, value = json.loads(line)
        skip = len(_prefix(kind, key))
        yield kind, key, value, (segment, pos + skip, len(line) - skip - 1)
        pos += len(line) + 1


class Segment:
    """One segment file: appended to while it is the newest, read-only afterwards."""

    def __init__(self, path: Path, number: int, fd: int, size: int, fmt: int) -> None:
        self.path = path
        self.number = number
        self.size = size
        self.format = fmt
        self._fd = fd
        self.damaged: list[tuple[int, int]] = []  # byte ranges `frames` found damaged
        self.torn: tuple[int, int] | None = None  # the torn tail `frames` found

    @classmethod
    def create(cls, directory: Path, number: int) -> Segment:
        """Create an empty segment durably (file and directory entry)."""
        path = segment_path(directory, number)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        os.write(fd, SEGMENT_HEADER)
        os.fsync(fd)
        fsync_dir(directory)
        return cls(path, number, fd, len(SEGMENT_HEADER), STORE_FORMAT)

    @classmethod
    def open(cls, path: Path, number: int, *, writable: bool = True) -> Segment:
        """Open an existing segment; check its header (a torn header is rewritten,
        unless not ``writable``: then the segment is read as empty)."""
        fd = os.open(path, os.O_RDWR | os.O_APPEND if writable else os.O_RDONLY)
        size = os.fstat(fd).st_size
        head = os.pread(fd, len(SEGMENT_HEADER), 0)
        if head not in READABLE_HEADERS:
            if size >= len(SEGMENT_HEADER) or not SEGMENT_HEADER.startswith(head):
                os.close(fd)
                raise StoreDamaged([Damage(path, 0, "not a onewindow store segment of format "
                                           f"{STORE_FORMAT} (bad header)")])
            if writable:
                os.ftruncate(fd, 0)  # crashed while being created: nothing was in it
                os.write(fd, SEGMENT_HEADER)
                os.fsync(fd)
                size = len(SEGMENT_HEADER)
            head = SEGMENT_HEADER
        return cls(path, number, fd, size, READABLE_HEADERS[head])

    def write(self, data: bytes | bytearray) -> None:
        """Append bytes (sealed frames encoded for this position); on failure cut them off."""
        self.append(data, sync=False)

    def append(self, frame: bytes | bytearray, *, sync: bool = True) -> None:
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

    def truncate(self, size: int) -> None:
        """Cut the segment back to ``size`` bytes (frames never made durable)."""
        if size < self.size:
            os.ftruncate(self._fd, size)
            self.size = size

    def read(self, offset: int, length: int) -> bytes:
        """Read ``length`` bytes at ``offset``."""
        data = os.pread(self._fd, length, offset)
        if len(data) != length:
            raise StoreDamaged([Damage(self.path, offset, f"{length} bytes expected, the file "
                                       f"ends after {len(data)}")])
        return data

    def frames(
        self,
        *,
        last: bool,
        acknowledged: int = 0,
        problems: list[Damage] | None = None,
        cut: bool = True,
    ) -> Iterator[tuple[int, bytes]]:
        """Yield (offset of the payload, payload) of every valid frame.

        In the last segment an invalid frame at or after ``acknowledged`` (the
        manifest's acknowledged length) is a torn write, cut off with all after it
        (unless ``cut`` is false: then only noted in ``torn``), unless a valid frame
        after it shows it had been made durable. Anything else invalid, and bytes
        missing below ``acknowledged``, is damage: `StoreDamaged` is raised, or with
        a ``problems`` list the damage is added to it, its byte range to
        ``damaged``, and the scan goes on at the next valid frame.
        """
        self.damaged = []
        self.torn = None
        if acknowledged > self.size:
            self._damage(problems, self.size, f"the file ends at byte {self.size}, but "
                         f"{acknowledged} bytes of it were acknowledged: "
                         f"{acknowledged - self.size} bytes are missing (truncated)")
        pos = len(SEGMENT_HEADER)
        if self.size <= pos:
            return
        tear = -1
        buf = _Window(self._fd, self.size)
        while pos < self.size:
            found = self._frame_in(buf, pos)
            if isinstance(found, str):
                if last and pos >= acknowledged and not self._durable_after(buf, pos):
                    tear = pos
                    break
                resume = self._next_valid(buf, pos)
                self.damaged.append((pos, resume))
                self._damage(problems, pos, f"corrupt frame: {found} ({resume - pos} bytes "
                             f"unreadable up to byte {resume}); this data had been acknowledged")
                pos = resume
                continue
            payload, end = found
            yield pos + _HEAD.size, payload
            pos = end
        if tear < 0:
            return
        self.torn = (tear, self.size)
        if cut:
            os.ftruncate(self._fd, tear)
            os.fsync(self._fd)
            self.size = tear

    def _damage(self, problems: list[Damage] | None, offset: int, message: str) -> None:
        found = Damage(self.path, offset, message)
        if problems is None:
            raise StoreDamaged([found])
        problems.append(found)

    def _frame_in(self, buf: _Window, pos: int) -> tuple[bytes, int] | str:
        """(payload, end) of a valid frame at ``pos``, or why there is none."""
        if pos + _HEAD.size > self.size:
            return "a frame header cut short by the end of the file"
        magic, length, crc = _HEAD.unpack(buf.get(pos, pos + _HEAD.size))
        trailer = _DURABLE.size if self.format > 1 else 0
        end = pos + _HEAD.size + length + trailer
        if magic != (FRAME_MAGIC if self.format > 1 else _V1_MAGIC):
            return "not the start of a frame (bad magic)"
        if end > self.size:
            return f"a frame of {length} bytes runs past the end of the file"
        payload = buf.get(pos + _HEAD.size, pos + _HEAD.size + length)
        got = zlib.crc32(payload)
        if trailer:
            got = zlib.crc32(buf.get(end - trailer, end), got)
        if got != crc:
            return "checksum mismatch: the frame's bytes changed after it was written"
        return payload, end

    def _durable_mark(self, buf: _Window, pos: int) -> int:
        return int(_DURABLE.unpack(buf.get(pos - _DURABLE.size, pos))[0])

    def _durable_after(self, buf: _Window, pos: int) -> bool:
        """Whether a valid frame after ``pos`` shows that ``pos`` had been fsynced (in
        format 1, one fsync per frame: any valid frame after it)."""
        magic = FRAME_MAGIC if self.format > 1 else _V1_MAGIC
        found = buf.find(magic, pos + 1)
        while found != -1:
            frame = self._frame_in(buf, found)
            if not isinstance(frame, str) and (
                self.format == 1 or self._durable_mark(buf, frame[1]) > pos
            ):
                return True
            found = buf.find(magic, found + 1)
        return False

    def _next_valid(self, buf: _Window, pos: int) -> int:
        """Where the next valid frame after ``pos`` starts (the file's end if none)."""
        magic = FRAME_MAGIC if self.format > 1 else _V1_MAGIC
        found = buf.find(magic, pos + 1)
        while found != -1 and isinstance(self._frame_in(buf, found), str):
            found = buf.find(magic, found + 1)
        return self.size if found == -1 else found

    def close(self) -> None:
        """Close the file descriptor."""
        os.close(self._fd)


#: Bytes read at once when scanning a segment.
_WINDOW = 1 << 20


class _Window:
    """A segment read through one buffer of about 1 MiB: a scan costs one ``pread``
    per MiB and holds no more (an ``mmap`` would count every page read as the
    process's memory; the 100k bench's peak grew by 25 MB with one)."""

    def __init__(self, fd: int, size: int) -> None:
        self._fd = fd
        self._size = size
        self._start = 0
        self._data = b""

    def get(self, start: int, end: int) -> bytes:
        """Bytes ``start:end`` (fewer at the end of the file)."""
        if start < self._start or end > self._start + len(self._data):
            self._data = os.pread(self._fd, max(end - start, _WINDOW), start)
            self._start = start
        return self._data[start - self._start:end - self._start]

    def find(self, sub: bytes, start: int) -> int:
        """Where ``sub`` next occurs at or after ``start``, -1 if nowhere."""
        pos = start
        while pos < self._size:
            chunk = os.pread(self._fd, _WINDOW + len(sub) - 1, pos)
            found = chunk.find(sub)
            if found >= 0:
                return pos + found
            pos += _WINDOW
        return -1


def segment_path(directory: Path, number: int) -> Path:
    """Return the path of segment ``number``."""
    return directory / f"seg-{number:06d}.log"
