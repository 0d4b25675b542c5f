"""Where the statistics of a period come from: the projection of each case's facts.

`runtime.engine.stat_facts` turns a case's event history into a few flat rows. On
PostgreSQL they live in ``stat_facts``, written with the case by the same transaction
and aggregated in SQL; the embedded store keeps them in memory, made again for the
cases whose ``rev`` changed since the last request. Either way the figures equal those
of `runtime.engine.stats` read from every case (tested both ways).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from importlib import metadata
from typing import Any

from runtime.engine import stat_facts
from runtime.engine.calendar import CHINA_TZ, WorkCalendar
from runtime.engine.stat_facts import FactRow
from runtime.engine.stats import Period, case_facts
from runtime.services.errors import NotFound
from runtime.services.matters import Matters
from runtime.services.recalendar import years_doc
from runtime.store import Store
from runtime.store.base import Document
from runtime.store.core import IndexedStore
from runtime.store.postgres import PostgresStore
from runtime.store.postgres.stat_facts import figures

log = logging.getLogger(__name__)
_EPOCH = datetime(2000, 1, 1, tzinfo=CHINA_TZ)  # facts need a "now"; the rows never use it


def fingerprint(calendar_raw: Mapping[str, Any]) -> str:
    """What the rows depend on besides the cases: the catalog's calendar, the
    chinesecalendar data under it, and the projection's version."""
    try:
        data = metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:
        data = "-"
    years = years_doc(calendar_raw)  # as a published calendar version records them
    text = json.dumps([stat_facts.VERSION, data, years], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Projector:
    """A case document -> its rows, under its pinned matter version and the calendar."""

    def __init__(self, matters: Matters, calendar: WorkCalendar) -> None:
        self.matters = matters
        self.calendar = calendar

    def __call__(self, case: Document) -> list[FactRow]:
        matter, version = case.get("matter"), case.get("matter_version")
        if not isinstance(matter, str) or not isinstance(version, int):
            return []  # a draft without a matter: nothing to count
        try:
            spec = self.matters.version(matter, version)
        except NotFound:
            spec = None
        try:
            return stat_facts.project(case, case_facts(case, spec, self.calendar, _EPOCH))
        except (KeyError, TypeError, ValueError) as err:  # not a case the engine made
            log.warning("statistics: case %s not projected: %r", case.get("id"), err)
            return []


class InMemory:
    """The rows of every case of an embedded store, made again for changed cases only."""

    def __init__(self, store: IndexedStore, projector: Projector) -> None:
        self.store = store
        self.projector = projector
        self._rows: dict[str, tuple[int, list[FactRow]]] = {}
        self._lock = threading.Lock()

    def refresh(self) -> list[FactRow]:
        """Bring the rows up to date with the store; return all of them."""
        with self._lock:
            revs = self.store.case_revs()
            for case_id in [c for c in self._rows if c not in revs]:
                del self._rows[case_id]
            for case_id, rev in revs.items():
                known = self._rows.get(case_id)
                if known is not None and known[0] == rev:
                    continue
                case = self.store.get_case(case_id)
                if case is not None:
                    self._rows[case_id] = (int(case.get("rev", rev)), self.projector(case))
            return [row for _, rows in self._rows.values() for row in rows]

    def forget(self) -> None:
        """Drop every row (the calendar changed: they are all made again)."""
        with self._lock:
            self._rows.clear()


class Projection:
    """The statistics table of a period from the projection of the store at hand."""

    def __init__(self, store: Store, matters: Matters, calendar: WorkCalendar,
                 calendar_raw: Mapping[str, Any]) -> None:
        self.store = store
        self.projector = Projector(matters, calendar)
        self.memory: InMemory | None = None
        if isinstance(store, PostgresStore):
            store.install_projector(self.projector, fingerprint(calendar_raw))
        elif isinstance(store, IndexedStore):
            self.memory = InMemory(store, self.projector)

    @property
    def active(self) -> bool:
        """Whether this store keeps a projection (else statistics read every case)."""
        return self.memory is not None or isinstance(self.store, PostgresStore)

    def prepare(self) -> int:
        """Rebuild PostgreSQL's rows if they were made for another calendar or version
        (or never: after the migration); return the cases projected."""
        if isinstance(self.store, PostgresStore) and not self.store.stat_facts_current():
            cases = self.store.rebuild_stat_facts()
            log.info("statistics projection rebuilt for %d cases", cases)
            return cases
        return 0

    def recalendar(self, calendar_raw: Mapping[str, Any]) -> int:
        """A calendar published while running (the job that moved the deadlines is done):
        every row is made again with it, finished cases' working days included; return
        the cases projected (PostgreSQL: one locked transaction, so a worker stopped
        midway leaves the old rows, which the next start finds stale and rebuilds)."""
        if self.memory is not None:
            self.memory.forget()
            return 0
        if isinstance(self.store, PostgresStore):
            self.store.install_projector(self.projector, fingerprint(calendar_raw))
            return self.prepare()
        return 0

    def rows(self, by: str, period: Period, now: datetime,
             names: Mapping[str, str]) -> list[dict[str, Any]]:
        """One row per department or matter (``by``), as `runtime.engine.stats` gives."""
        if self.memory is not None:
            return stat_facts.aggregate(self.memory.refresh(), by, period, now, names)
        assert isinstance(self.store, PostgresStore)
        kinds: tuple[str, ...]
        if by == "department":
            kinds = ("task_received", "task_suspended", "task_done")
            running, done = "task_running", "task_done"
        else:
            kinds = ("case_accepted", "case_supplement", "case_refused", "case_done")
            running, done = "case_running", "case_done"
        found = self.store.stat_aggregates(kinds, running, period.start, period.end, now,
                                           done)
        out = []
        for key in set(found.counts) | set(found.done):
            count = found.counts.get(key, {})
            fig = dict(figures(found.done.get(key)))
            if by == "department":
                row = {"tasks_received": count.get("task_received", 0), "tasks_done": fig["done"],
                       "on_time": fig["on_time"], "overdue": fig["done"] - fig["on_time"],
                       **{k: fig[k] for k in ("on_time_rate", "avg_days", "p90_days",
                                              "promised_days", "rejected")},
                       "suspended": count.get("task_suspended", 0),
                       "overdue_now": count.get("task_running", 0)}
            else:
                row = {"cases_accepted": count.get("case_accepted", 0),
                       "cases_finished": fig["done"], "on_time": fig["on_time"],
                       **{k: fig[k] for k in ("on_time_rate", "avg_days", "p90_days",
                                              "promised_days", "serial_days", "saved_days",
                                              "saved_days_total")},
                       "supplements": count.get("case_supplement", 0),
                       "refused": count.get("case_refused", 0), "rejected": fig["rejected"],
                       "overdue_now": count.get("case_running", 0)}
            out.append({"key": key, "name": names.get(key, key), **row})
        return sorted(out, key=lambda r: (r["name"], r["key"]))
