"""Calendar changes reach stored deadlines (工作日历变更，期限重算).

Publishing a calendar (the administrator's editor, or at start a changed
``catalog/calendar.yaml`` or a newer chinesecalendar, which decides the years the file
does not list) records it as ``calendar/published`` with a version, and schedules one
job ``recalendar:VERSION`` in the same batch. The job works through the running cases a
page at a time: each case whose deadlines move is written with `engine.reschedule`'s
events, the notifications they cause (the department; the applicant when the case's
end moves) and the timed jobs of the new due times (ids carry ``task@due``, so the old
ones find nothing). The job keeps its place in its payload; a worker killed mid-page
does that page again, which moves nothing twice (`reschedule` is idempotent).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import chinese_calendar

from runtime import engine
from runtime.engine.calendar import WorkCalendar
from runtime.engine.events import iso
from runtime.engine.vocabulary import RUNNING_CASE
from runtime.services.cases import Cases
from runtime.services.errors import Conflict
from runtime.services.jobs import Jobs
from runtime.store import JOB_PENDING, Store, WriteBatch

log = logging.getLogger("onewindow.recalendar")
Document = dict[str, Any]
KIND = "recalendar"
RECORD = ("calendar", "published")
PAGE = 200
"""Cases read per run of the job: it then hands itself back to the queue."""
PASSES = 3
"""A change written by someone else during a pass may hide a case from it (lists go
newest first): passes repeat until one moves nothing, at most this many."""


def years_doc(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``years`` of a calendar as plain JSON (dates as ISO strings, years as keys)."""
    years = (raw or {}).get("years") or {}
    plain = json.loads(json.dumps({str(k): v for k, v in years.items()}, default=str))
    return dict(sorted(plain.items()))


def package_version() -> str:
    """The installed chinesecalendar: a newer one may know a year the file does not list."""
    return str(getattr(chinese_calendar, "__version__", ""))


class Recalendar:
    """Publishing calendar versions and moving stored deadlines with them."""

    def __init__(self, store: Store, cases: Cases, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.cases = cases
        self.clock = clock
        self.done: list[Callable[[Mapping[str, Any]], Any]] = []
        """Called with the calendar once every deadline has moved (the statistics
        projection makes its rows again)."""

    def version(self) -> int:
        """The newest published calendar version (0 before the first)."""
        return int((self.store.get_record(*RECORD) or {}).get("version") or 0)

    def publish(self, tx: WriteBatch, raw: Mapping[str, Any], by: str,
                now: datetime | None = None) -> int:
        """Record ``raw`` as the newest calendar and schedule the job that moves the
        deadlines, in the caller's batch; the new version."""
        now = now or self.clock()
        version = self.version() + 1
        years = years_doc(raw)
        tx.put_record(*RECORD, {"version": version, "years": years, "at": iso(now), "by": by,
                                "package": package_version()})
        Jobs.schedule(tx, KIND, f"{KIND}:{version}", iso(now),
                      {"version": version, "years": years, "offset": 0, "pass": 1,
                       "moved": 0})
        return version

    def notice(self, raw: Mapping[str, Any], now: datetime | None = None) -> int:
        """At start: a ``calendar.yaml`` changed by hand since last published, or another
        chinesecalendar than the one it was published with, is published now (the first
        start only records it); the version scheduled, or 0."""
        found = self.store.get_record(*RECORD)
        years = years_doc(raw)
        if found is not None and found.get("years") == years and \
                found.get("package") == package_version():
            return 0
        with self.store.write() as tx:
            if found is None:
                tx.put_record(*RECORD, {"version": 1, "years": years,
                                        "at": iso(now or self.clock()), "by": "catalog",
                                        "package": package_version()})
                return 0
            by = "catalog" if found.get("years") != years else \
                f"chinesecalendar {package_version()}"
            return self.publish(tx, raw, by, now)

    def follow(self) -> bool:
        """Adopt the newest published calendar if this process holds an older one
        (several processes, one database); whether it changed."""
        found = self.store.get_record(*RECORD)
        if found is None or found["years"] == getattr(self, "_years", None):
            return False
        self._years = found["years"]
        self.cases.calendar.adopt(WorkCalendar.from_catalog({"years": found["years"]}))
        return True

    # -- the job ----------------------------------------------------------------------

    def run(self, job: Document, now: datetime) -> None:
        """One page of a calendar change; the job goes back to the queue until done."""
        about = job["payload"]
        if int(about["version"]) < self.version():  # a newer change redoes everything
            with self.store.write() as tx:
                tx.delete_job(job["id"])
            return
        calendar = WorkCalendar.from_catalog({"years": about["years"]})
        if about["years"] != getattr(self, "_years", None):
            self._years = about["years"]
            self.cases.calendar.adopt(calendar)  # this process computes with it too
        offset = int(about["offset"])
        page = self.store.list_cases(status=sorted(RUNNING_CASE), limit=PAGE, offset=offset)
        moved = sum(self._move(case["id"], calendar, now) for case in page)
        total = int(about["moved"]) + moved
        finished = False
        with self.store.write() as tx:
            if len(page) == PAGE:
                self._again(tx, job, {**about, "offset": offset + PAGE, "moved": total})
            elif total and int(about["pass"]) < PASSES:
                self._again(tx, job, {**about, "offset": 0, "pass": int(about["pass"]) + 1,
                                      "moved": 0})
            else:
                tx.delete_job(job["id"])
                finished = True
        if finished:
            for hook in self.done:
                hook({"years": about["years"]})

    def _move(self, case_id: str, calendar: WorkCalendar, now: datetime) -> int:
        """Recompute one case's deadlines; 1 if any moved."""
        with self.store.write() as tx:
            case = tx.get_case(case_id)
            if case is None:
                return 0
            matter = self.cases.spec(case)
            moved = engine.reschedule(case, matter, now, calendar)
            if moved is case:
                return 0
            try:
                self.cases.put(tx, moved, case, matter)
            except Conflict:  # changed meanwhile: the next pass sees it
                log.info("case %s changed during a calendar change", case_id)
                return 1
            return 1

    @staticmethod
    def _again(tx: WriteBatch, job: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
        """Hand the job back to the queue with its place kept (due at once)."""
        tx.put_job({"id": job["id"], "kind": job["kind"], "status": JOB_PENDING,
                    "run_at": job["run_at"], "lease_until": None, "tries": 0, "error": None,
                    "payload": dict(payload)})
