"""Where published matters and departments live in the catalog folder, and durable writes.

``matters/<id>.yaml`` is the newest published version (what ``load_catalog`` reads);
``matters/versions/<id>/v<N>.yaml`` keeps every published version. The builder reads
``matters/*.yaml`` only, so the archive folder is never taken for matters.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

_ARCHIVE = re.compile(r"^v([1-9][0-9]{0,8})\.yaml$")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,63}$")  # the catalog's id rule


def matter_file(root: Path, matter_id: str) -> Path:
    """The newest version's file: an existing ``.yml`` is kept, otherwise ``.yaml``."""
    yml = root / "matters" / f"{matter_id}.yml"
    return yml if yml.is_file() else root / "matters" / f"{matter_id}.yaml"


def archive_file(root: Path, matter_id: str, version: int) -> Path:
    """The archive copy of one published version."""
    return root / "matters" / "versions" / matter_id / f"v{version}.yaml"


def departments_file(root: Path) -> Path:
    """The catalog's ``departments.yaml``."""
    return root / "departments.yaml"


def archives(root: Path) -> Iterator[tuple[str, int, Path]]:
    """(matter id, version, path) of every archive copy, in order."""
    folder = root / "matters" / "versions"
    if not folder.is_dir():
        return
    for sub in sorted(folder.iterdir()):
        if not sub.is_dir() or not ID_PATTERN.match(sub.name):
            continue
        found = [(int(m.group(1)), p) for p in sub.iterdir() if (m := _ARCHIVE.match(p.name))]
        for version, path in sorted(found):
            yield sub.name, version, path


def archived_versions(root: Path, matter_id: str) -> list[int]:
    """The versions of one matter that have an archive copy."""
    return [v for m, v, _ in archives(root) if m == matter_id]


def read_text(path: Path) -> str:
    """A catalog file's text (UTF-8)."""
    return path.read_text(encoding="utf-8")


def write_text(path: Path, text: str) -> None:
    """Write a catalog file durably: temp file, fsync, rename, fsync the folder.

    The file is readable by others (0644), like a file written by hand, so that
    ``git`` and backups see it as before.
    """
    _make_folder(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _make_folder(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each entry made durable."""
    if folder.is_dir():
        return
    _make_folder(folder.parent)
    folder.mkdir(exist_ok=True)
    _fsync_dir(folder.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
