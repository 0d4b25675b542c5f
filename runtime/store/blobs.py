"""Uploaded materials as files named by their SHA-256 under ``<data_dir>/files``."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from runtime.store.base import NotFound, StoreError

_SHA256 = re.compile(r"[0-9a-f]{64}")


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (created, renamed, removed files) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write a whole file durably: temp file, fsync, rename, fsync the directory."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


class BlobStore:
    """Content-addressed files: ``files/ab/abcdef…``, written once, deduplicated."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        """Return where a blob is (or would be) stored; reject anything but a hex digest."""
        if not _SHA256.fullmatch(sha256):
            raise StoreError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def save(self, data: bytes) -> str:
        """Store bytes durably unless already present; return their SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.path(sha256)
        if path.exists():
            return sha256
        for directory in (self.root, path.parent):
            if not directory.is_dir():
                directory.mkdir(parents=True, exist_ok=True)
                fsync_dir(directory.parent)
        write_atomically(path, data)
        return sha256

    def open(self, sha256: str) -> BinaryIO:
        """Open a blob for reading."""
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise NotFound(f"no blob {sha256}") from None
