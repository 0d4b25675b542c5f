"""The job queue (后台任务) as the services use it: jobs are rows in the store, written
in the batch that makes them necessary, claimed by a worker under a lease, retried with
backoff, dead after `MAX_TRIES`, and visible to the administrator (with a retry button).

A job's effect and its deletion are written in one batch (`Worker`), so a worker killed
mid-job leaves the job to be claimed again when its lease runs out, and the effect is
never seen twice. A delivery to the outside (mail, SMS) can be repeated after such a
kill; its receiver sees the same idempotency key (Message-ID) both times.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from runtime.engine.events import iso
from runtime.engine.states import Role
from runtime.services.accounts import User
from runtime.services.errors import Conflict, Forbidden, NotFound
from runtime.store import JOB_DEAD, JOB_PENDING, JOB_RUNNING, Store, WriteBatch

Document = dict[str, Any]
MAX_TRIES = 8
LEASE = timedelta(minutes=5)
"""How long a claimed job is a worker's own; after that another worker may take it."""
STATUS_LABELS = {JOB_PENDING: "等待执行", JOB_RUNNING: "执行中", JOB_DEAD: "已放弃"}
KIND_LABELS = {"timeout": "超时默许", "yellow": "黄灯提醒", "red": "红灯提醒",
               "digest": "每日督办统计", "deliver": "发送通知",
               "recalendar": "工作日历变更，期限重算", "deferred_soon": "容缺材料到期提醒",
               "deferred_overdue": "容缺材料逾期督办",
               "exchange": "跨中心报文"}


def backoff(tries: int) -> timedelta:
    """How long to wait before try ``tries + 1``: 30 s, 1 min, 2 min, … at most 1 hour."""
    return timedelta(seconds=min(30 * 2 ** max(tries - 1, 0), 3600))


def new_job(kind: str, job_id: str, run_at: str, payload: Mapping[str, Any]) -> Document:
    """A pending job document."""
    return {"id": job_id, "kind": kind, "status": JOB_PENDING, "run_at": run_at,
            "lease_until": None, "tries": 0, "error": None, "payload": dict(payload)}


@dataclass(frozen=True)
class JobView:
    """A job as the administrator sees it."""

    id: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    run_at: str
    tries: int
    error: str

    @property
    def retryable(self) -> bool:
        """Whether the retry button is offered (not while a worker runs it)."""
        return self.status != JOB_RUNNING


class Jobs:
    """Scheduling, claiming and settling jobs; the administrator's view of the queue."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    @staticmethod
    def schedule(tx: WriteBatch, kind: str, job_id: str, run_at: str,
                 payload: Mapping[str, Any]) -> None:
        """Add a job in the caller's batch (it exists exactly if the batch commits)."""
        tx.put_job(new_job(kind, job_id, run_at, payload))

    def claim(self, worker: str, limit: int, now: datetime | None = None) -> list[Document]:
        """Take up to ``limit`` due jobs for ``worker`` (a batch of its own)."""
        now = now or self.clock()
        with self.store.write() as tx:
            return tx.claim_jobs(now=iso(now), lease_until=iso(now + LEASE), worker=worker,
                                 limit=limit)

    def release_orphans(self, host: str, now: datetime | None = None,
                        alive: Callable[[int], bool] | None = None) -> int:
        """Give back, to be claimed at once, the jobs a process of this machine claimed
        and no longer runs (killed mid-job: its lease would otherwise keep them for up to
        `LEASE`); how many. A lease ending within a minute is left to run out (another
        worker may claim it then: never both)."""
        now = now or self.clock()
        alive = alive or process_alive
        released = 0
        for job in self.store.list_jobs(status=[JOB_RUNNING], limit=1000):
            lease = job.get("lease_until")
            if not lease or datetime.fromisoformat(lease) < now + timedelta(minutes=1):
                continue
            if not orphaned(job, host, alive):
                continue
            with self.store.write() as tx:
                tx.put_job({**job, "status": JOB_PENDING, "lease_until": None,
                            "run_at": iso(now)})
            released += 1
        return released

    def fail(self, job: Mapping[str, Any], error: str, *, permanent: bool = False,
             now: datetime | None = None) -> Document:
        """Record a failed try: try again after `backoff`, or dead after `MAX_TRIES`
        (at once when ``permanent``: an address that can never work)."""
        now = now or self.clock()
        tries = int(job.get("tries") or 0) + 1
        dead = permanent or tries >= MAX_TRIES
        failed = {**job, "tries": tries, "error": error[:500], "lease_until": None,
                  "status": JOB_DEAD if dead else JOB_PENDING,
                  "run_at": job["run_at"] if dead else iso(now + backoff(tries))}
        with self.store.write() as tx:
            tx.put_job(failed)
        return failed

    # -- the administrator --------------------------------------------------------

    def _check(self, user: User) -> None:
        if user.role != Role.ADMIN:
            raise Forbidden("只有中心管理员可以查看后台任务")

    def list(self, user: User, *, status: Iterable[str] | None = None,
             limit: int = 100, offset: int = 0) -> list[JobView]:
        """Jobs, earliest first (optionally by status)."""
        self._check(user)
        return [_view(doc) for doc in self.store.list_jobs(status=status, limit=limit,
                                                           offset=offset)]

    def counts(self, user: User) -> dict[str, int]:
        """How many jobs are pending, running and dead."""
        self._check(user)
        return {s: self.store.count_jobs(status=[s]) for s in STATUS_LABELS}

    def retry(self, user: User, job_id: str) -> JobView:
        """Run a dead (or waiting) job again now, with its tries counted afresh."""
        self._check(user)
        job = self.store.get_job(job_id)
        if job is None:
            raise NotFound("没有这个后台任务（可能已经完成）")
        if job["status"] == JOB_RUNNING:
            raise Conflict("该任务正在执行，请稍后再试")
        again = {**job, "status": JOB_PENDING, "run_at": iso(self.clock()), "tries": 0,
                 "lease_until": None}
        with self.store.write() as tx:
            tx.put_job(again)
        return _view(again)


def orphaned(job: Mapping[str, Any], host: str, alive: Callable[[int], bool]) -> bool:
    """Whether a running job's worker (``host:pid:thread``, `Worker.name`) was a process
    of ``host`` that is gone."""
    parts = str(job.get("worker") or "").split(":")
    if len(parts) < 3 or parts[0] != host or not parts[1].isdigit():
        return False
    return not alive(int(parts[1]))


def process_alive(pid: int) -> bool:
    """Whether a process of this machine runs with this id."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: it runs
        return True
    return True


def _view(doc: Mapping[str, Any]) -> JobView:
    return JobView(doc["id"], doc["kind"], KIND_LABELS.get(doc["kind"], doc["kind"]),
                   doc["status"], STATUS_LABELS.get(doc["status"], doc["status"]),
                   doc["run_at"], int(doc.get("tries") or 0), str(doc.get("error") or ""))
