"""Benchmark the durable store: write latency, worklist latency, memory, open time.

    .venv/bin/python bench/store.py            # build 1k/10k/100k stores afresh
    .venv/bin/python bench/store.py --quick    # reuse the stores cached in bench/out/
    .venv/bin/python bench/store.py --baseline # also time plain TinyDB Table writes

Open time and memory are measured per size in a fresh process on a copy of the
built store (a server starting on that data directory). Latencies are measured
in one process holding all sizes, alternating between them operation by
operation, so disk noise from other processes hits every size alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runtime.services import LIFECYCLE, labels  # noqa: E402
from runtime.store import TinyDBStore  # noqa: E402

OUT = ROOT / "bench" / "out"
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
DEPARTMENTS = [f"dept_{name}" for name in (
    "market", "health", "fire", "planning", "tax", "environment", "housing", "police",
    "transport", "culture")]
FORMAT = 3  # bump when the generated data or the store format changes: rebuilds the stores


def make_case(i: int, rng: random.Random, status: str) -> dict[str, Any]:
    """Return a ~2 KB case: applicant data, materials, 3-4 tasks, a few events."""
    case_id = f"c_{i:07d}"
    stamp = f"2026-{1 + i * 11 // SIZES['100k'] % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00"
    depts = rng.sample(DEPARTMENTS, rng.randint(3, 4))
    done = status not in ("submitted", "accepted", "in_progress")
    return {
        "schema": 1, "id": case_id, "number": f"CD{stamp[:10].replace('-', '')}{i:07d}",
        "matter": "food-business-licence", "matter_version": 3, "status": status,
        "applicant": f"u_{i % 20_000:05d}",
        "data": {
            "enterprise": f"人民路第{i}号小吃店有限公司", "credit_code": f"91330100{i:010d}",
            "legal_person": "张三", "phone": "13800000000",
            "address": "浙江省杭州市西湖区人民路 100 号 1 楼", "area_m2": 85,
            "scope": "热食类食品制售；冷食类食品制售；糕点类食品（含裱花蛋糕）制售",
        },
        "materials": {f"m{k}": {"file": f"f_{i}_{k}", "ok": True} for k in range(4)},
        "outputs": {},
        "tasks": [
            {"id": f"t_{i}_{k}", "case": case_id, "step": f"review-{dept}", "department": dept,
             "status": "approved" if done or rng.random() < 0.3 else "ready",
             "ready_at": stamp, "due": f"2026-12-{1 + (i + k) % 28:02d}T17:00:00",
             "claimed_by": None, "opinion": "同意" if done else None}
            for k, dept in enumerate(depts)
        ],
        "events": [{"at": stamp, "kind": kind, "by": "u_window", "note": "材料齐全，予以办理"}
                   for kind in ("submitted", "accepted", "dispatched", "approved", "delivered")],
        "updated_at": stamp,
    }


def build(path: Path, size: int) -> None:
    """Write ``size`` cases (a few thousand open) in large batches."""
    rng = random.Random(size)
    open_cases = min(3_000, size // 3)
    if path.exists():
        shutil.rmtree(path)
    store = TinyDBStore(path, lifecycle=LIFECYCLE)
    try:
        for start in range(0, size, 500):
            with store.write() as tx:
                for i in range(start, min(start + 500, size)):
                    status = "in_progress" if i % (size // open_cases) == 0 else "delivered"
                    tx.put_case(make_case(i, rng, status))
    finally:
        store.close()
    (path / "BUILT").write_text(json.dumps({"format": FORMAT, "size": size}))


def _percentiles(samples: list[float]) -> tuple[float, float]:
    """Return (p50, p99) of samples already in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99)]


def fsync_probe(directory: Path, count: int = 1000) -> tuple[float, float]:
    """Time a bare 2 KB append + fdatasync on this disk: the floor of a durable write."""
    path = directory / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
    samples = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            os.write(fd, b"x" * 2048)
            os.fdatasync(fd)
            samples.append((time.perf_counter() - started) * 1e3)
    finally:
        os.close(fd)
        path.unlink()
    return _percentiles(samples)


def _status_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class Workload:
    """The measured operations on one store, with their latency samples (ms)."""

    def __init__(self, path: Path) -> None:
        started = time.perf_counter()
        self.store = TinyDBStore(path, lifecycle=LIFECYCLE)
        self.open_s = time.perf_counter() - started
        self.rng = random.Random(7)
        self.open_ids: list[str] = []
        while page := self.store.list_cases(
            status=["in_progress"], limit=200, offset=len(self.open_ids)
        ):
            self.open_ids += [case["id"] for case in page]
        self.next_i = 10_000_000
        self.samples: dict[str, list[float]] = {
            "accept": [], "approve": [], "worklist": [], "closed_read": []}
        self.rows = 0

    def write(self, n: int) -> None:
        """One durable write: accept a new case, or approve a task (read, modify, put)."""
        if n % 2 == 0:
            self.next_i += 1
            case = make_case(self.next_i, self.rng, "in_progress")
            started = time.perf_counter()
            with self.store.write() as tx:
                case["number"] = f"CD20261128{tx.next_sequence('CD20261128'):05d}"
                tx.put_case(case)
            self._sample("accept", started)
            return
        case_id = self.rng.choice(self.open_ids)
        started = time.perf_counter()
        found = self.store.get_case(case_id)
        assert found is not None
        found["tasks"][0]["status"] = "approved"
        found["events"].append({"at": "2026-11-28T10:00:00", "kind": "approved"})
        found["updated_at"] = f"2026-11-28T10:{n // 60 % 60:02d}:{n % 60:02d}"
        with self.store.write() as tx:
            tx.put_case(found, expected_rev=found["rev"])
        self._sample("approve", started)

    def query(self) -> None:
        """One department worklist page: 50 open tasks."""
        started = time.perf_counter()
        self.rows += len(self.store.list_tasks(
            department=self.rng.choice(DEPARTMENTS), status=labels.WORKABLE_TASK, limit=50))
        self._sample("worklist", started)

    def read_closed(self, count: int) -> None:
        """Read finished cases from the middle of history (from disk, not memory)."""
        middle = self.store.count_cases(status=["delivered"]) // 2
        for case in self.store.list_cases(status=["delivered"], limit=count, offset=middle):
            started = time.perf_counter()
            self.store.get_case(case["id"])
            self._sample("closed_read", started)

    def _sample(self, kind: str, started: float) -> None:
        self.samples[kind].append((time.perf_counter() - started) * 1e3)


def measure_open(path: Path, writes: int) -> dict[str, Any]:
    """Open one store in this fresh process: open time and memory, before and after work."""
    work = Workload(path)
    rss_open = _status_mb()
    for n in range(writes):
        work.write(n)
        work.query()
    result = {"open_s": work.open_s, "rss_open_mb": rss_open, "rss_end_mb": _status_mb(),
              "peak_rss_mb": _status_mb("VmHWM"), "stats": work.store.stats()}
    work.store.close()
    return result


def measure_latency(paths: list[Path], writes: int, queries: int) -> list[dict[str, Any]]:
    """Time all sizes in one process, alternating between them operation by operation,
    so that disk noise from other processes falls on every size alike."""
    works = [Workload(path) for path in paths]
    for n in range(writes):
        for work in works:
            work.write(n)
    for _ in range(queries):
        for work in works:
            work.query()
    for work in works:
        work.read_closed(300)
        work.store.close()
    return [{**work.samples, "rows": work.rows / queries} for work in works]


def baseline() -> None:
    """Time one write through TinyDB's own Table layer (in memory, no disk) for reference."""
    from tinydb import TinyDB
    from tinydb.storages import MemoryStorage

    rng = random.Random(1)
    for label, size in SIZES.items():
        table = TinyDB(storage=MemoryStorage).table("cases")
        table.insert_multiple(make_case(i, rng, "delivered") for i in range(size))
        samples = []
        for n in range(20):
            started = time.perf_counter()
            table.update({"status": "refused"}, doc_ids=[n + 1])
            samples.append((time.perf_counter() - started) * 1e3)
        print(f"baseline: TinyDB Table.update at {label}: p50 {_percentiles(samples)[0]:.2f} ms "
              "(in memory, before any disk I/O)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reuse stores cached in bench/out")
    parser.add_argument("--baseline", action="store_true", help="also time plain TinyDB")
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--work-dir", metavar="DIR", help="where the measured copies live "
                        "(e.g. /dev/shm: no fsync wait, the store's own time; default bench/out)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *paths = args.child
        if mode == "open":
            print(json.dumps(measure_open(Path(paths[0]), 300)))
        else:
            print(json.dumps(measure_latency([Path(p) for p in paths], args.writes,
                                             args.queries)))
        return
    if args.baseline:
        baseline()
    OUT.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        marker = OUT / f"store-{label}" / "BUILT"
        if not (args.quick and marker.exists()
                and json.loads(marker.read_text()) == {"format": FORMAT, "size": size}):
            started = time.perf_counter()
            build(OUT / f"store-{label}", size)
            print(f"built {label} in {time.perf_counter() - started:.1f} s")
    os.sync()
    probe = fsync_probe(OUT)
    print(f"disk: 2 KB append + fdatasync p50 {probe[0]:.2f} ms p99 {probe[1]:.2f} ms")
    opened = {label: _child(["open"], [label], args)[0] for label in SIZES}
    timed = dict(zip(SIZES, _child(["latency"], list(SIZES), args), strict=True))
    p50: dict[str, float] = {}
    for label in SIZES:
        t, o, s = timed[label], opened[label], opened[label]["stats"]
        write = _percentiles(t["accept"] + t["approve"])
        work, read = _percentiles(t["worklist"]), _percentiles(t["closed_read"])
        p50[label] = write[0]
        print(f"{label:>4}: durable write p50 {write[0]:.2f} ms p99 {write[1]:.2f} ms"
              f" (accept p50 {_percentiles(t['accept'])[0]:.2f},"
              f" approve p50 {_percentiles(t['approve'])[0]:.2f});"
              f" worklist {t['rows']:.0f} rows p50 {work[0]:.3f} ms p99 {work[1]:.3f} ms;"
              f" closed-case read p50 {read[0]:.3f} ms")
        print(f"      open {o['open_s']:.2f} s, RSS {o['rss_open_mb']:.0f} MB after open,"
              f" {o['rss_end_mb']:.0f} MB after 300 writes + 300 queries,"
              f" peak {o['peak_rss_mb']:.0f} MB; {s['cases']} cases, {s['segments']} segments,"
              f" {s['bytes'] / 2**20:.0f} MB on disk ({s['live_bytes'] / 2**20:.0f} MB live);"
              f" {s['hot_cases']} open cases cached ({s['hot_bytes'] / 2**20:.1f} MB of JSON)")
    print(f"store: p50 write at 1k {p50['1k']:.2f} ms, at 100k {p50['100k']:.2f} ms, "
          f"ratio {p50['100k'] / p50['1k']:.2f}")


def _child(command: list[str], labels: list[str], args: Any = None) -> list[dict[str, Any]]:
    """Run a measurement in a fresh process on fresh copies of the cached stores."""
    root = Path(args.work_dir) if args is not None and args.work_dir else OUT
    works = [root / f"onewindow-bench-work-{label}" for label in labels]
    for label, work in zip(labels, works, strict=True):
        shutil.rmtree(work, ignore_errors=True)
        _clone(OUT / f"store-{label}", work)
    os.sync()  # so the copies' write-back does not slow the measured fsyncs
    time.sleep(1)
    extra = [] if args is None else ["--writes", str(args.writes), "--queries", str(args.queries)]
    try:
        out = subprocess.run(
            [sys.executable, __file__, *extra, "--child", *command, *map(str, works)],
            check=True, capture_output=True, text=True,
        ).stdout
    except subprocess.CalledProcessError as err:
        sys.exit(f"measuring {labels} failed:\n{err.stderr}")
    finally:
        for work in works:
            shutil.rmtree(work, ignore_errors=True)
    result = json.loads(out)
    return result if isinstance(result, list) else [result]


def _clone(source: Path, target: Path) -> None:
    """Copy a store cheaply: hard links for files the store never modifies in place
    (closed segments, snapshots: they are only ever replaced or unlinked), a real
    copy of the newest segment, which is appended to, and of the manifest, which
    is rewritten in place (everything is copied onto another file system)."""
    if (source / "files").exists():
        shutil.copytree(source / "files", target / "files")
    (target / "db").mkdir(parents=True)
    newest = max((source / "db").glob("seg-*.log"))
    for path in (source / "db").iterdir():
        if path == newest or path.name in ("MANIFEST", "LOCK"):
            shutil.copy2(path, target / "db" / path.name)
            continue
        try:
            os.link(path, target / "db" / path.name)
        except OSError:  # another file system (--work-dir)
            shutil.copy2(path, target / "db" / path.name)


if __name__ == "__main__":
    os.umask(0o022)
    main()
