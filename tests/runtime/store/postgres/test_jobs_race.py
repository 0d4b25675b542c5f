"""Two workers racing for jobs on PostgreSQL: a claim skips the jobs another open batch
holds (FOR UPDATE SKIP LOCKED) instead of waiting for it or taking them again; two
processes draining one queue run every job exactly once."""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.synchronize import Barrier

from runtime.services import LIFECYCLE
from runtime.store.postgres import PostgresStore

NOW, LEASE = "2026-12-01T10:00:00+08:00", "2026-12-01T10:05:00+08:00"


def _job(n: int) -> dict[str, object]:
    return {"id": f"j{n:03d}", "kind": "timeout", "status": "pending",
            "run_at": f"2026-12-01T09:{n % 60:02d}:00+08:00", "lease_until": None}


def test_an_open_claim_is_skipped_not_waited_for(pg_url: str) -> None:
    store = PostgresStore(pg_url, pool_size=4, lifecycle=LIFECYCLE)
    try:
        with store.write() as tx:
            for n in range(10):
                tx.put_job(_job(n))
        held, release = threading.Event(), threading.Event()
        first: list[str] = []

        def hold() -> None:
            with store.write() as tx:
                first.extend(j["id"] for j in tx.claim_jobs(now=NOW, lease_until=LEASE,
                                                            worker="a", limit=4))
                held.set()
                release.wait(30)

        thread = threading.Thread(target=hold)
        thread.start()
        assert held.wait(30)
        with store.write() as tx:  # returns at once although "a" has not committed
            second = [j["id"] for j in tx.claim_jobs(now=NOW, lease_until=LEASE,
                                                     worker="b", limit=10)]
        release.set()
        thread.join(30)
        assert len(first) == 4 and len(second) == 6
        assert sorted(first + second) == [f"j{n:03d}" for n in range(10)]
        assert {store.get_job(i)["worker"] for i in first} == {"a"}  # type: ignore[index]
    finally:
        store.close()


def _drain(url: str, name: str, barrier: Barrier, queue: multiprocessing.Queue) -> None:
    store = PostgresStore(url, pool_size=2, lifecycle=LIFECYCLE)
    ran: list[str] = []
    try:
        barrier.wait(timeout=60)
        while True:
            with store.write() as tx:
                claimed = tx.claim_jobs(now=NOW, lease_until=LEASE, worker=name, limit=3)
                for job in claimed:  # the effect and the job's end in one batch
                    tx.delete_job(job["id"])
            if not claimed:
                break
            ran += [j["id"] for j in claimed]
    finally:
        store.close()
        queue.put(ran)


def test_two_worker_processes_run_every_job_once(pg_url: str) -> None:
    store = PostgresStore(pg_url, pool_size=2, lifecycle=LIFECYCLE)
    try:
        with store.write() as tx:
            for n in range(120):
                tx.put_job(_job(n))
    finally:
        store.close()
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_drain, args=(pg_url, name, barrier, queue))
               for name in ("w1", "w2")]
    for process in workers:
        process.start()
    results = [queue.get(timeout=120) for _ in workers]
    for process in workers:
        process.join(60)
    assert sorted(results[0] + results[1]) == [f"j{n:03d}" for n in range(120)]
