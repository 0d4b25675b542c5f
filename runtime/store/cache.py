"""The hot-case cache: committed versions of open cases, parsed, least recently used
first out.

A read of a cached case is one ``marshal`` round trip instead of a ``pread`` and a
JSON parse of every record of its chain, and a write diffs against the cached
version instead of re-encoding the whole case. Only open cases are cached (a
case that closes leaves), within a byte bound on the JSON they stand for, so
memory follows the open workload, not history.
"""

from __future__ import annotations

from collections import OrderedDict

from runtime.store.delta import Version


class HotCases:
    """Versions of open cases by case id, bounded by ``limit`` bytes (not thread-safe)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.bytes = 0
        self._entries: OrderedDict[str, tuple[Version, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, case_id: str) -> Version | None:
        """Return the cached version, marking it recently used; None if absent."""
        found = self._entries.get(case_id)
        if found is None:
            return None
        self._entries.move_to_end(case_id)
        return found[0]

    def put(self, case_id: str, version: Version, weight: int) -> None:
        """Cache ``version`` (standing for ``weight`` bytes of JSON), evicting the oldest."""
        self.discard(case_id)
        if weight > self.limit:
            return
        self._entries[case_id] = (version, weight)
        self.bytes += weight
        while self.bytes > self.limit:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped

    def discard(self, case_id: str) -> None:
        """Forget a case (closed, or about to be replaced)."""
        found = self._entries.pop(case_id, None)
        if found is not None:
            self.bytes -= found[1]

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()
        self.bytes = 0
