"""The worker (后台处理): runs due jobs so that every promise about time is kept without
anyone opening a page. ``onewindow worker`` runs `Worker.run_forever`; with the
embedded store ``serve`` calls `Worker.run_once` on its own loop.

Each handler writes its effect and deletes its job in ONE batch: a worker killed
before the commit leaves the job to be claimed again when its lease ends, and nothing
of it was written; killed after, the job is gone with its effect in place.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
from typing import Any

from runtime import engine
from runtime.engine.events import iso
from runtime.engine.states import Role
from runtime.engine.vocabulary import RUNNING_CASE, RUNNING_TASK
from runtime.services.cases import Cases
from runtime.services.complaints import KIND as COMPLAINT
from runtime.services.deferred_jobs import OVERDUE, SOON, DeferredReminders
from runtime.services.jobs import Jobs
from runtime.services.notice_rules import DEPARTMENT, ROLE, Audience, Draft, due_text
from runtime.services.notices import Notices
from runtime.services.schedule import RED, TIMEOUT, YELLOW, mark, planned
from runtime.services.senders import SendFailed, Undeliverable
from runtime.store import JOB_PENDING, Store, WriteBatch
from runtime.store import Conflict as StoreConflict

log = logging.getLogger("onewindow.worker")
Document = dict[str, Any]
DIGEST, DELIVER = "digest", "deliver"
PREPARED = ("worker", "prepared")
"""The record saying every running case had its timed jobs planned and marked."""
BATCH = 50
"""Jobs claimed at once: a worker holds no more than this under its lease."""


class Worker:
    """Claims due jobs and runs them; one per process (several may share a database)."""

    def __init__(self, store: Store, jobs: Jobs, cases: Cases, notices: Notices,
                 clock: Callable[[], datetime], *, digest_hour: int = 8,
                 senders: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        self.store = store
        self.jobs = jobs
        self.cases = cases
        self.notices = notices
        self.clock = clock
        self.digest_hour = digest_hour
        self.senders = dict(senders or {})  # "email": Mailer, "sms": SmsGateway
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.woken = threading.Event()
        self.poll: float | None = None  # with peers: look at least this often (exchange)
        self.many: dict[str, Callable[[list[Document], datetime], int]] = {}
        """Kinds whose claimed jobs go to one handler together (it records their ends)."""
        self.handlers: dict[str, Callable[[Document, datetime], None]] = {
            TIMEOUT: self._timeout, YELLOW: self._light, RED: self._light,
            DIGEST: self._digest, DELIVER: self._deliver}
        # Handlers whose whole effect is a store write, in the caller's batch.
        self.in_batch: dict[str, Callable[[WriteBatch, Document, datetime], None]] = {
            TIMEOUT: self._timeout_in, YELLOW: self._light_in, RED: self._light_in}
        deferred = DeferredReminders(store, cases.spec, notices)
        self.handlers.update({SOON: deferred.run, OVERDUE: deferred.run})
        # More start-up chores (each returns how many jobs it added), e.g. noticing a
        # calendar.yaml changed by hand.
        self.starting: list[Callable[[datetime], int]] = []

    # -- the loop -------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> int:
        """Claim and run every job due now (in rounds of `BATCH`); how many ran."""
        done = 0
        while True:
            now_here = now or self.clock()
            claimed = self.jobs.claim(self.name, BATCH, now_here)
            for kind, many in self.many.items():  # e.g. exchange messages, sent side by side
                mine = [job for job in claimed if job["kind"] == kind]
                if mine:
                    done += many(mine, now_here)
            done += self._run_claimed([job for job in claimed if job["kind"] not in self.many],
                                      now_here)
            if len(claimed) < BATCH:
                return done

    def _run_claimed(self, claimed: list[Document], now: datetime) -> int:
        """Run claimed jobs. Those whose whole effect is a store write (超时默许, lights)
        run in rounds, one job per case a round, each round ONE batch with the jobs'
        deletions (one durable commit instead of one each); the rest one by one. If any
        job of a round fails, nothing of the round is written and each of its jobs runs
        alone, so the failing one records its error (retried, dead after MAX_TRIES)."""
        waiting = [j for j in claimed if j["kind"] in self.in_batch and j["payload"].get("case")]
        batched = {j["id"] for j in waiting}
        done = sum(self.run(job, now) for job in claimed if job["id"] not in batched)
        while waiting:
            group: list[Document] = []
            later: list[Document] = []
            cases: set[str] = set()
            for job in waiting:
                (later if job["payload"]["case"] in cases else group).append(job)
                cases.add(job["payload"]["case"])
            waiting = later
            if len(group) > 1:
                try:
                    with self.store.write() as tx:
                        for job in group:
                            self.in_batch[job["kind"]](tx, job, now)
                    done += len(group)
                    continue
                except Exception as exc:  # rolled back: each runs alone below
                    log.warning("a batch of %d jobs failed (%s): running them one by one",
                                len(group), exc)
            done += sum(self.run(job, now) for job in group)
        return done

    def run(self, job: Document, now: datetime) -> int:
        """Run one claimed job; a failure is recorded on the job (retried or dead)."""
        handler = self.handlers.get(job["kind"])
        if handler is None:
            self.jobs.fail(job, f"unknown job kind {job['kind']!r}", permanent=True, now=now)
            return 0
        try:
            handler(job, now)
        except Undeliverable as exc:  # the address can never work: reported, not retried
            log.warning("job %s: %s", job["id"], exc)
            self.jobs.fail(job, str(exc), permanent=True, now=now)
            return 0
        # A worker outlives any one job's failure: it is recorded on the job (with the
        # error the administrator sees), retried with backoff and dead after MAX_TRIES.
        except Exception as exc:
            log.warning("job %s failed: %s", job["id"], exc)
            self.jobs.fail(job, f"{type(exc).__name__}: {exc}", now=now)
            return 0
        left = self.store.get_job(job["id"])
        if left is not None and left.get("worker") == self.name and left["status"] == job["status"]:
            with self.store.write() as tx:  # a handler with no store effect of its own
                tx.delete_job(job["id"])
        return 1

    def next_due(self) -> datetime | None:
        """When the earliest pending job is due, if any (to sleep until then)."""
        first = self.store.list_jobs(status=[JOB_PENDING], limit=1)
        return datetime.fromisoformat(first[0]["run_at"]) if first else None

    def pause(self, longest: float) -> float:
        """Seconds to sleep: until the next job is due, at most ``longest``."""
        if self.poll is not None:
            longest = min(longest, self.poll)
        due = self.next_due()
        if due is None:
            return longest
        return max(0.05, min(longest, (due - self.clock()).total_seconds()))

    def wake(self) -> None:
        """A job due now was written (an exchange message): stop dozing."""
        self.woken.set()

    def run_forever(self, stop: threading.Event, longest: float = 30.0) -> None:
        """Run jobs as they fall due until ``stop`` is set (``onewindow worker``)."""
        self.prepare()
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # the store away: try again next round
                log.exception("running jobs failed")
            stop.wait(self.pause(longest))

    def prepare(self, now: datetime | None = None) -> int:
        """Start-up: schedule the next digest and, once per store, the timed jobs of
        running cases written before jobs were planned with the case; how many added.

        Every case write plans its tasks' jobs and marks them planned (`schedule.mark`),
        so after one sweep (recorded as ``worker/prepared``) a start reads nothing more.
        """
        now = now or self.clock()
        released = self.jobs.release_orphans(self.name.split(":", 1)[0], now)
        if released:
            log.info("%d jobs of a process that stopped mid-job released", released)
        added = self._schedule_digest(now) + sum(chore(now) for chore in self.starting)
        if self.store.get_record(*PREPARED) is not None:
            return added
        offset = 0
        while True:
            page = self.store.list_cases(status=sorted(RUNNING_CASE), limit=500, offset=offset)
            for case in page:
                if planned(case) is None:
                    added += self._plan_unmarked(case["id"], now)
            if len(page) < 500:
                break
            offset += len(page)
        with self.store.write() as tx:
            tx.put_record(*PREPARED, {"at": iso(now)})
        return added

    def _plan_unmarked(self, case_id: str, now: datetime) -> int:
        """Plan the jobs of a case with no marker, and mark it. A job whose row is gone
        may have run: it is planned again only if its moment is still to come, or it
        is a 超时默许 (applying it twice changes nothing); a light already due is not
        told late, rather than twice."""
        with self.store.write() as tx:
            case = tx.get_case(case_id)
            if case is None or planned(case) is not None:
                return 0
            jobs = [p for p in self.cases.effects.jobs(None, case, self.cases.spec(case), now)
                    if self.store.get_job(p.id) is None
                    and (p.kind == TIMEOUT or datetime.fromisoformat(p.run_at) > now)]
            try:
                tx.put_case(mark(case), expected_rev=case.get("rev", 0))
            except StoreConflict:  # changed meanwhile: that change planned and marked it
                return 0
            for p in jobs:
                Jobs.schedule(tx, p.kind, p.id, p.run_at, p.payload)
            return len(jobs)

    # -- handlers -------------------------------------------------------------------

    def _timeout(self, job: Document, now: datetime) -> None:
        """超时默许 at the due time, and what it releases (one batch with the job's end)."""
        with self.store.write() as tx:
            self._timeout_in(tx, job, now)

    def _timeout_in(self, tx: WriteBatch, job: Document, now: datetime) -> None:
        case = tx.get_case(job["payload"]["case"])
        if case is not None:
            matter = self.cases.spec(case)
            ticked = engine.tick(case, matter, now, self.cases.calendar)
            if ticked is not case:
                self.cases.put(tx, ticked, case, matter)
        tx.delete_job(job["id"])

    def _light(self, job: Document, now: datetime) -> None:
        """A task turns yellow or red: its department hears of it, once."""
        with self.store.write() as tx:
            self._light_in(tx, job, now)

    def _light_in(self, tx: WriteBatch, job: Document, now: datetime) -> None:
        about = job["payload"]
        case = tx.get_case(about["case"])
        task = next((t for t in (case or {}).get("tasks") or ()
                     if t["id"] == about["task"]), None)
        late = job["kind"] == YELLOW and now > datetime.fromisoformat(about["due"])
        if case is not None and task is not None and task["status"] in RUNNING_TASK \
                and task.get("due") == about["due"] and not late:  # late: red says it
            matter = self.cases.spec(case)
            values = {"matter": matter.name, "number": case.get("number") or "",
                      "step": matter.step(task["step"]).name,
                      "department": self.notices.department_name(task["department"]),
                      "due": due_text(task["due"])}
            kind = "task_yellow" if job["kind"] == YELLOW else "task_red"
            self.notices.write(tx, [Draft(job["id"], kind,
                                          Audience(DEPARTMENT, task["department"]),
                                          case["id"], len(case.get("events") or ()),
                                          iso(now), values, scope=job["id"])], case)
        tx.delete_job(job["id"])

    def _deliver(self, job: Document, now: datetime) -> None:
        """Send one notification over e-mail or SMS; the job ends only after the send."""
        about = job["payload"]
        notice = self.store.get_notice(about["notice"])
        sender = self.senders.get(about["channel"])
        if notice is not None:
            if sender is None:
                raise SendFailed(f"channel {about['channel']} is not configured")
            key = f"{notice['id']}.{about['channel']}"
            if about["channel"] == "email":
                sender.send(about["to"], notice["title"], notice["body"], key)
            else:
                sender.send(about["to"], f"【{notice['title']}】{notice['body']}", key)
        with self.store.write() as tx:
            tx.delete_job(job["id"])

    def _digest(self, job: Document, now: datetime) -> None:
        """The supervisors' daily digest: red and yellow tasks per department."""
        lines = []
        for department_id, department in self.notices.accounts.departments.items():
            rows = self.store.list_tasks(department=department_id, status=sorted(RUNNING_TASK),
                                         limit=100_000)
            lights = [self.cases.calendar.light(now, datetime.fromisoformat(t.task["due"]),
                                                float(t.task.get("limit_days") or 0),
                                                *self.cases.effects.yellow).value
                      for t in rows if t.task.get("due")]
            red, yellow = lights.count("red"), lights.count("yellow")
            if red or yellow:
                lines.append(f"{getattr(department, 'name', department_id)} 红灯 {red} 件、"
                             f"黄灯 {yellow} 件")
        day = job["payload"]["date"]
        values = {"date": day, "lines": "；".join(lines) or "无红灯、黄灯任务",
                  "complaints": str(self._new_complaints(job, now))}
        with self.store.write() as tx:
            self.notices.write(tx, [Draft(job["id"], "digest", Audience(ROLE, Role.SUPERVISOR),
                                          "", 0, iso(now), values, scope=job["id"])])
            self._schedule_digest(now, tx=tx, after=day, since=now)
            tx.delete_job(job["id"])

    def _new_complaints(self, job: Document, now: datetime) -> int:
        """Complaints filed since the last digest (its moment; the first digest counts
        a day back from when it was due)."""
        since = datetime.fromisoformat(job["payload"].get("since") or job["run_at"])
        if not job["payload"].get("since"):
            since -= timedelta(days=1)
        return sum(1 for doc in self.store.list_records(COMPLAINT)
                   if since < datetime.fromisoformat(doc["created_at"]) <= now)

    def _schedule_digest(self, now: datetime, *, tx: Any = None, after: str = "",
                         since: datetime | None = None) -> int:
        """The next digest job (idempotent: its id is its date)."""
        day = now.date()
        moment = datetime.combine(day, time(self.digest_hour), now.tzinfo)
        if moment <= now or day.isoformat() <= after:
            day += timedelta(days=1)
            moment = datetime.combine(day, time(self.digest_hour), now.tzinfo)
        job_id = f"{DIGEST}:{day.isoformat()}"
        if tx is None:
            if self.store.get_job(job_id) is not None:
                return 0
            with self.store.write() as own:
                Jobs.schedule(own, DIGEST, job_id, iso(moment), {"date": day.isoformat()})
            return 1
        Jobs.schedule(tx, DIGEST, job_id, iso(moment),
                      {"date": day.isoformat(), **({"since": iso(since)} if since else {})})
        return 1
