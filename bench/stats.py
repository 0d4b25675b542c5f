"""Statistics on a large embedded store: how long one table takes, and the memory.

Builds a store of ``--cases`` engine-made cases (bench/webcases.py: mostly finished
clones of three matters, ``--open`` still running), opens the services on it and times
`Stats.table` per department and per matter over a year (the page and GET /api/v1/stats
do exactly this).

    python bench/stats.py --cases 20000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench.webcases import build_store
from runtime.engine import CHINA_TZ
from runtime.services import LIFECYCLE, Services, User
from runtime.settings import Settings
from runtime.store import TinyDBStore

ROOT = Path(__file__).parents[1]
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=CHINA_TZ)
SUPERVISOR = User("u_sup", "sup", "supervisor", None, "电子监察")


def main() -> None:
    """Build, open, time."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--open", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        build_store(data / "store", ROOT / "catalog", args.cases, args.open, department="amr",
                    ready=20, now=NOW, log=lambda _: None)
        print(f"built {args.cases:,} cases in {time.perf_counter() - started:.1f} s")
        settings = Settings.load({"data_dir": str(data), "catalog_dir": str(ROOT / "catalog")},
                                 environ={})
        store = TinyDBStore(data / "store", lifecycle=LIFECYCLE)
        services = Services.open(settings, store=store, clock=lambda: NOW)
        try:
            for by in ("department", "matter"):
                started = time.perf_counter()
                table = services.stats.table(SUPERVISOR, by, "2025-12-05", "2026-12-04")
                took = time.perf_counter() - started
                print(f"stats by {by}: {args.cases:,} cases, {len(table.rows)} rows, "
                      f"{took:.2f} s ({took / args.cases * 1e6:.0f} µs per case)")
        finally:
            services.close()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
