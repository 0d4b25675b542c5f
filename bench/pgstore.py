"""Compare the PostgreSQL store with the embedded one on the same data, same run.

    .venv/bin/python bench/pgstore.py --database postgresql://USER@HOST:PORT/EMPTYDB
    .venv/bin/python bench/pgstore.py --throwaway     # a private cluster (tests/pg.py), fsync on

Builds N cases (default 10,000; a few thousand open) in both stores with the same
generator as bench/store.py, then measures in one process, alternating between the
stores operation by operation: accepting a case (a numbered new case), approving a
task (read, modify, put with its rev), one department worklist page (50 open tasks).
One process, one thread each: this is latency, not the throughput of many processes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from store import DEPARTMENTS, make_case  # noqa: E402  (bench/store.py)

from runtime.services import LIFECYCLE  # noqa: E402
from runtime.store import OPEN_TASK_STATUSES, Store, TinyDBStore  # noqa: E402
from runtime.store.postgres import PostgresStore  # noqa: E402


def build(store: Store, size: int) -> float:
    """Write ``size`` cases in batches of 500; return the seconds it took."""
    rng = random.Random(size)
    every = size // min(3_000, size // 3)
    started = time.perf_counter()
    for start in range(0, size, 500):
        with store.write() as tx:
            for i in range(start, min(start + 500, size)):
                tx.put_case(make_case(i, rng, "in_progress" if i % every == 0 else "delivered"))
    return time.perf_counter() - started


class Workload:
    """The measured operations on one store, with their latency samples (ms)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rng = random.Random(7)
        self.open_ids = [c["id"] for c in store.list_cases(status=["in_progress"], limit=10**6)]
        self.next_i = 10_000_000
        self.samples: dict[str, list[float]] = {"accept": [], "approve": [], "worklist": []}

    def step(self, n: int) -> None:
        """One accept or approve, then one worklist page."""
        started = time.perf_counter()
        if n % 2 == 0:
            self.next_i += 1
            case = make_case(self.next_i, self.rng, "in_progress")
            with self.store.write() as tx:
                case["number"] = f"CD20261128{tx.next_sequence('CD20261128'):06d}"
                tx.put_case(case)
            self._sample("accept", started)
        else:
            found = self.store.get_case(self.rng.choice(self.open_ids))
            assert found is not None
            found["tasks"][0]["status"] = "approved"
            found["events"].append({"at": "2026-11-28T10:00:00", "kind": "approved"})
            found["updated_at"] = f"2026-11-28T10:{n // 60 % 60:02d}:{n % 60:02d}"
            with self.store.write() as tx:
                tx.put_case(found, expected_rev=found["rev"])
            self._sample("approve", started)
        started = time.perf_counter()
        self.store.list_tasks(department=self.rng.choice(DEPARTMENTS),
                              status=OPEN_TASK_STATUSES, limit=50)
        self._sample("worklist", started)

    def _sample(self, kind: str, started: float) -> None:
        self.samples[kind].append((time.perf_counter() - started) * 1e3)


def _p(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100)
    return f"p50 {cuts[49]:6.2f} ms  p99 {cuts[98]:6.2f} ms"


def run(url: str, size: int, steps: int) -> None:
    """Build both stores, measure, print one line per store and operation."""
    with tempfile.TemporaryDirectory(prefix="onewindow-bench-") as tmp:
        stores: dict[str, Any] = {
            "embedded": TinyDBStore(Path(tmp), lifecycle=LIFECYCLE),
            "postgres": PostgresStore(url, pool_size=2, lifecycle=LIFECYCLE)}
        try:
            for name, store in stores.items():
                print(f"{name:9} build {size} cases: {build(store, size):6.1f} s", flush=True)
            loads = {name: Workload(store) for name, store in stores.items()}
            for n in range(steps):
                for load in loads.values():
                    load.step(n)
            for kind in ("accept", "approve", "worklist"):
                for name, load in loads.items():
                    print(f"{name:9} {kind:9} {_p(load.samples[kind])}")
        finally:
            for store in stores.values():
                store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", metavar="URL", help="an empty PostgreSQL database")
    parser.add_argument("--throwaway", action="store_true", help="start a private cluster")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1_000)
    args = parser.parse_args()
    if args.throwaway:
        from tests.pg import Cluster, Server

        cluster = Cluster(durable=True)  # fsync on, as the embedded store
        try:
            run(Server(cluster.url).create(empty=True), args.cases, args.steps)
        finally:
            cluster.stop()
    elif args.database:
        run(args.database, args.cases, args.steps)
    else:
        parser.error("give --database URL or --throwaway")


if __name__ == "__main__":
    main()
