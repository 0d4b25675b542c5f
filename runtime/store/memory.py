"""`MemoryStore`: the same contract as `TinyDBStore`, kept in process memory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

from runtime.store.base import Lifecycle
from runtime.store.batch import LOCATED_KINDS, Entry
from runtime.store.core import IndexedStore
from runtime.store.index import Loc


class MemoryStore(IndexedStore):
    """A store for unit tests of services: nothing survives `close()`.

    Records are kept as JSON text (full images and deltas, exactly as the durable
    backend journals them), so reads return fresh copies exactly as it would.
    Blobs go to ``blob_dir`` or to a temporary directory removed on `close()`.
    """

    def __init__(self, blob_dir: Path | None = None, *, lifecycle: Lifecycle) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if blob_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="onewindow-blobs-")
            blob_dir = Path(self._tmp.name)
        super().__init__(blob_dir, lifecycle=lifecycle)
        self._texts: dict[int, str] = {}
        self._next = 0

    def _read_text(self, loc: Loc) -> str:
        return self._texts[loc[1]]

    def _persist(self, entries: list[Entry]) -> list[Loc | None]:
        locs: list[Loc | None] = []
        for entry in entries:
            if entry.kind in LOCATED_KINDS:
                self._next += 1
                self._texts[self._next] = entry.text
                locs.append((0, self._next, len(entry.text)))
            else:
                locs.append(None)
        return locs

    def _release(self, locs: Iterable[Loc]) -> None:
        for loc in locs:
            del self._texts[loc[1]]

    def close(self) -> None:
        """Drop everything, including temporary blobs."""
        super().close()
        if self._tmp is not None:
            self._tmp.cleanup()
