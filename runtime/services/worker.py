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
from runtime.services.jobs import Jobs
from runtime.services.notice_rules import DEPARTMENT, ROLE, Audience, Draft, due_text
from runtime.services.notices import Notices
from runtime.services.schedule import RED, TIMEOUT, YELLOW, plan
from runtime.services.senders import SendFailed, Undeliverable
from runtime.store import JOB_PENDING, Store

log = logging.getLogger("onewindow.worker")
Document = dict[str, Any]
DIGEST, DELIVER = "digest", "deliver"
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
            for job in claimed:
                if job["kind"] not in self.many:
                    done += self.run(job, now_here)
            if len(claimed) < BATCH:
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
        """Start-up: schedule the next digest, and the timed jobs of running cases that
        have none (cases accepted before the worker existed); how many were added."""
        now = now or self.clock()
        added = self._schedule_digest(now)
        offset = 0
        while True:
            page = self.store.list_cases(status=sorted(RUNNING_CASE), limit=500, offset=offset)
            for case in page:
                planned = [p for p in plan(None, case, self.cases.spec(case),
                                           self.cases.calendar, self.cases.effects.yellow)
                           if self.store.get_job(p.id) is None]
                if planned:
                    with self.store.write() as tx:
                        for p in planned:
                            Jobs.schedule(tx, p.kind, p.id, p.run_at, p.payload)
                    added += len(planned)
            if len(page) < 500:
                return added
            offset += len(page)

    # -- handlers -------------------------------------------------------------------

    def _timeout(self, job: Document, now: datetime) -> None:
        """超时默许 at the due time, and what it releases (one batch with the job's end)."""
        with self.store.write() as tx:
            case = tx.get_case(job["payload"]["case"])
            if case is not None:
                matter = self.cases.spec(case)
                ticked = engine.tick(case, matter, now, self.cases.calendar)
                if ticked is not case:
                    self.cases.put(tx, ticked, case, matter)
            tx.delete_job(job["id"])

    def _light(self, job: Document, now: datetime) -> None:
        """A task turns yellow or red: its department hears of it, once."""
        about = job["payload"]
        with self.store.write() as tx:
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
                  "complaints": "0"}
        with self.store.write() as tx:
            self.notices.write(tx, [Draft(job["id"], "digest", Audience(ROLE, Role.SUPERVISOR),
                                          "", 0, iso(now), values, scope=job["id"])])
            self._schedule_digest(now, tx=tx, after=day)
            tx.delete_job(job["id"])

    def _schedule_digest(self, now: datetime, *, tx: Any = None, after: str = "") -> int:
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
        Jobs.schedule(tx, DIGEST, job_id, iso(moment), {"date": day.isoformat()})
        return 1
