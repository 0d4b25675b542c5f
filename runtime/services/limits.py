"""Rate limits counted in the store, so every process serving the data set sees them."""

from __future__ import annotations

from collections.abc import Callable

from runtime.store import Store

#: Timestamps kept per key: enough for any limit in use, bounded against floods.
MAX_HITS = 64
#: The longest window any caller uses; counters idle for longer are forgotten.
MAX_WINDOW = 3600.0
_PRUNE_EVERY = 200


class Limiter:
    """Counts events (failed sign-ins, registrations) per key in sliding windows.

    Counters live in the store (``limits`` table), not in process memory, so a limit
    holds whichever process answers. Concurrent processes may lose a hit to a race;
    a limit is a brake, not an exact count.
    """

    def __init__(self, store: Store, clock: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock
        self._writes = 0

    def wait(self, key: str, limit: int, window: float) -> int:
        """Seconds until ``key`` may try again (0: it may now)."""
        now = self.clock()
        recent = self._recent(key, now, window)
        if len(recent) < limit:
            return 0
        return max(1, int(window - (now - recent[-limit])) + 1)

    def hit(self, key: str) -> None:
        """Record one event for ``key``."""
        now = self.clock()
        hits = [*self._recent(key, now, MAX_WINDOW), now][-MAX_HITS:]
        with self.store.write() as tx:
            tx.put_limit(key, {"hits": hits})
        self._writes += 1
        if self._writes % _PRUNE_EVERY == 0:
            self.prune()

    def clear(self, key: str) -> None:
        """Forget ``key``'s events (after a success)."""
        if self.store.get_limit(key) is not None:
            with self.store.write() as tx:
                tx.put_limit(key, None)

    def prune(self) -> int:
        """Forget counters idle for longer than any window; returns how many."""
        now = self.clock()
        stale = [row["key"] for row in self.store.list_limits()
                 if not any(now - t < MAX_WINDOW for t in row.get("hits", []))]
        if stale:
            with self.store.write() as tx:
                for key in stale:
                    tx.put_limit(key, None)
        return len(stale)

    def _recent(self, key: str, now: float, window: float) -> list[float]:
        row = self.store.get_limit(key)
        hits = [] if row is None else row.get("hits", [])
        return [float(t) for t in hits if now - float(t) < window]
