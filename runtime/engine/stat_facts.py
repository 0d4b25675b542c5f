"""The statistics projection: each case's facts as flat rows, and their aggregation.

`runtime.engine.stats` reads a case's whole event history on every request; at a
city's scale that is too slow. Here the same facts (`stats.case_facts`) become a few
flat rows per case, written with the case (same batch) and rewritten with it, so
they never drift from the history. A row is ``(kind, key, at, days, promised,
on_time, rejected, serial)``:

| kind | key | at | the rest |
|---|---|---|---|
| ``task_received`` | department | a task's release | |
| ``task_suspended`` | department | a suspension's start | |
| ``task_done`` | department | a task's decision | its days, promised days, on time, rejected |
| ``task_running`` | department | a running task's due time | (overdue when ``at < now``) |
| ``case_accepted`` | matter | the case's acceptance | |
| ``case_supplement`` | matter | a supplement notice | |
| ``case_refused`` | matter | the refusal (不予受理) | |
| ``case_done`` | matter | the case's decision | days, promised, on time, rejected, serial days |
| ``case_running`` | matter | the earliest due time of its running tasks | |

`aggregate` computes the table of a period from such rows (the embedded store keeps
them in memory); PostgreSQL does the same in SQL (`runtime.store.postgres.stat_facts`).
Both give the figures of `stats.department_rows` / `stats.matter_rows` (tested).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from typing import Any, NamedTuple

from runtime.engine.calendar import CHINA_TZ
from runtime.engine.states import CaseAction, TaskStatus
from runtime.engine.stats import CaseFact, Period, _mean, _rate, _round, p90
from runtime.engine.vocabulary import RUNNING_TASK

#: Bumped when the rows' meaning changes: a projection of another version is rebuilt.
VERSION = 1

DEPARTMENT_KINDS = ("task_received", "task_suspended", "task_done", "task_running")
MATTER_KINDS = ("case_accepted", "case_supplement", "case_refused", "case_done", "case_running")
RUNNING_KINDS = ("task_running", "case_running")
"""Kinds counted against "now", not a period (PostgreSQL keeps no daily roll-up of them)."""
DONE_KINDS = ("task_done", "case_done")
"""Kinds that carry days (the sums and the p90 histogram)."""


class FactRow(NamedTuple):
    """One row of the projection (see the module's table)."""

    kind: str
    key: str
    at: datetime
    days: float | None = None
    promised: float | None = None
    on_time: bool | None = None
    rejected: bool | None = None
    serial: float | None = None


def aware(moment: datetime) -> datetime:
    """A moment with a time zone (a naive one is China time)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA_TZ)


def project(case: Mapping[str, Any], fact: CaseFact) -> list[FactRow]:
    """The rows of one case, from its facts (``case``: the document the facts come from,
    for which of its tasks still run)."""
    rows: list[FactRow] = []
    dues: list[datetime] = []
    for doc, task in zip(case.get("tasks") or (), fact.tasks, strict=True):
        dept = task.department
        if task.ready_at is not None:
            rows.append(FactRow("task_received", dept, aware(task.ready_at)))
        rows += [FactRow("task_suspended", dept, aware(a)) for a, _ in task.suspensions]
        if task.decided_at is not None:
            rows.append(FactRow("task_done", dept, aware(task.decided_at), task.days,
                                task.promised, task.on_time,
                                task.result == TaskStatus.REJECTED))
        if doc.get("status") in RUNNING_TASK and task.due is not None:
            rows.append(FactRow("task_running", dept, aware(task.due)))
            dues.append(aware(task.due))
    matter = fact.matter
    if fact.accepted_at is not None:
        rows.append(FactRow("case_accepted", matter, aware(fact.accepted_at)))
    rows += [FactRow("case_supplement", matter, aware(at)) for at in fact.supplements]
    if fact.refused_at is not None:
        rows.append(FactRow("case_refused", matter, aware(fact.refused_at)))
    if fact.decided_at is not None:
        rows.append(FactRow("case_done", matter, aware(fact.decided_at), fact.days,
                            fact.promised, fact.on_time, fact.result == CaseAction.REJECT,
                            fact.serial_days))
    if dues:
        rows.append(FactRow("case_running", matter, min(dues)))
    return rows


def department_figures(done: list[FactRow], received: int, suspended: int,
                       overdue_now: int) -> dict[str, Any]:
    """A department row's figures from its tasks decided in the period and its counts."""
    on_time = sum(1 for r in done if r.on_time)
    days = [r.days for r in done if r.days is not None]
    return {
        "tasks_received": received, "tasks_done": len(done), "on_time": on_time,
        "overdue": len(done) - on_time, "on_time_rate": _rate(on_time, len(done)),
        "avg_days": _mean(days), "p90_days": _round(p90(days)),
        "promised_days": _mean([r.promised or 0.0 for r in done]),
        "rejected": sum(1 for r in done if r.rejected), "suspended": suspended,
        "overdue_now": overdue_now,
    }


def matter_figures(done: list[FactRow], accepted: int, supplements: int, refused: int,
                   overdue_now: int) -> dict[str, Any]:
    """A matter row's figures from its cases decided in the period and its counts."""
    on_time = sum(1 for r in done if r.on_time)
    days = [r.days for r in done if r.days is not None]
    serial = [r.serial for r in done if r.serial is not None]
    saved = [r.serial - r.days for r in done if r.serial is not None and r.days is not None]
    return {
        "cases_accepted": accepted, "cases_finished": len(done), "on_time": on_time,
        "on_time_rate": _rate(on_time, len(done)), "avg_days": _mean(days),
        "p90_days": _round(p90(days)),
        "promised_days": _mean([r.promised or 0.0 for r in done]),
        "serial_days": _mean(serial), "saved_days": _mean(saved),
        "saved_days_total": _round(sum(saved)) if saved else None,
        "supplements": supplements, "refused": refused,
        "rejected": sum(1 for r in done if r.rejected), "overdue_now": overdue_now,
    }


def aggregate(rows: Iterable[FactRow], by: str, period: Period, now: datetime,
              names: Mapping[str, str]) -> list[dict[str, Any]]:
    """The table of ``period`` from projected rows (``by``: department or matter), the
    rows shown as `stats.department_rows` / `stats.matter_rows` show them."""
    kinds = DEPARTMENT_KINDS if by == "department" else MATTER_KINDS
    done_kind = kinds[2] if by == "department" else "case_done"
    counts: dict[str, dict[str, int]] = {}
    done: dict[str, list[FactRow]] = {}
    # The period's China-time days as [low, high): comparing moments is cheaper than
    # taking each row's date.
    low = datetime.combine(period.start, time(0), CHINA_TZ)
    high = datetime.combine(period.end + timedelta(days=1), time(0), CHINA_TZ)
    for row in rows:
        if row.kind not in kinds:
            continue
        running = row.kind in RUNNING_KINDS
        if not (row.at < now if running else low <= row.at < high):
            continue
        if row.kind == done_kind:
            done.setdefault(row.key, []).append(row)
        else:
            per = counts.setdefault(row.key, {})
            per[row.kind] = per.get(row.kind, 0) + 1
    return table_rows(by, counts, done, names)


def table_rows(by: str, counts: Mapping[str, Mapping[str, int]],
               done: Mapping[str, list[FactRow]], names: Mapping[str, str]
               ) -> list[dict[str, Any]]:
    """Rows from per-key counts of each kind and per-key rows decided in the period."""
    out = []
    for key in set(counts) | set(done):
        count = counts.get(key, {})
        finished = done.get(key, [])
        if by == "department":
            figures = department_figures(finished, count.get("task_received", 0),
                                         count.get("task_suspended", 0),
                                         count.get("task_running", 0))
        else:
            figures = matter_figures(finished, count.get("case_accepted", 0),
                                     count.get("case_supplement", 0),
                                     count.get("case_refused", 0), count.get("case_running", 0))
        out.append({"key": key, "name": names.get(key, key), **figures})
    return sorted(out, key=lambda r: (r["name"], r["key"]))
