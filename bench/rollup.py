"""What the statistics roll-up costs a case write on PostgreSQL, same run.

Writes 600 seeded cases (tests/runtime/engine/test_stat_facts.py's history) twice each,
first as they stood some events earlier, then as they end, one batch per write, so
every write changes the case's statistics rows; six rounds alternating between the
store as it is (the rows and their daily roll-up) and the same store with the roll-up's
statement left out. Prints the median milliseconds per write and the ratio.

    .venv/bin/python bench/rollup.py --database postgresql://USER@HOST:PORT/EMPTYDB
    .venv/bin/python bench/rollup.py --throwaway      # a private cluster, fsync on
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime.store.postgres import stat_rollup
from tests.runtime.engine.test_stat_facts import seeded_history
from tests.runtime.store.postgres.test_stat_facts import open_store
from tests.runtime.store.postgres.test_stat_rollup import earlier


def run(url: str, cases: int, rounds: int) -> None:
    final = seeded_history(cases, seed=1)
    rnd = random.Random(2)
    before = [earlier(c, rnd) for c in final]
    store, projection = open_store(url)
    projection.prepare()
    apply = stat_rollup.Delta.apply

    def left_out(self: stat_rollup.Delta, conn: Any) -> None:
        self.days.clear()
        self.histogram.clear()

    took: dict[str, list[float]] = {"with the roll-up": [], "without it": []}
    try:
        for k in range(rounds):
            order = list(took) if k % 2 == 0 else list(reversed(took))
            for name in order:
                stat_rollup.Delta.apply = apply if name == "with the roll-up" else left_out  # type: ignore[method-assign]
                started = time.perf_counter()
                for a, b in zip(before, final, strict=True):
                    for doc in (a, b):
                        with store.write() as tx:
                            tx.put_case(doc)
                took[name].append((time.perf_counter() - started) / (2 * cases) * 1e3)
    finally:
        stat_rollup.Delta.apply = apply  # type: ignore[method-assign]
        store.close()
    with_, without = (statistics.median(v) for v in took.values())
    for name, values in took.items():
        print(f"{name:16}: median {statistics.median(values):.3f} ms per write "
              f"({', '.join(f'{v:.2f}' for v in values)})")
    print(f"rollup: a write that changes the case's statistics rows {with_:.2f} ms with the "
          f"roll-up, {without:.2f} ms without, ratio {with_ / without:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--database", metavar="URL", help="an empty PostgreSQL database")
    parser.add_argument("--throwaway", action="store_true",
                        help="a private PostgreSQL cluster (tests/pg.py), fsync on")
    args = parser.parse_args()
    if args.throwaway:
        from tests.pg import Cluster, Server

        cluster = Cluster(durable=True)
        try:
            run(Server(cluster.url).create(empty=True), args.cases, args.rounds)
        finally:
            cluster.stop()
    elif args.database:
        run(args.database, args.cases, args.rounds)
    else:
        parser.error("give --database URL or --throwaway")


if __name__ == "__main__":
    main()
