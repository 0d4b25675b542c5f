"""Which timed jobs a case needs: a pure function of the case before and after a change.

A running task with a due time needs its moments kept: the yellow light when the
working time left falls to the centre's threshold; just past ``due``, 超时默许 on a
step with ``on_timeout: consent``, else the red light. Each job's id carries the
task and its due time, so a new due time (a resumed suspension, a recomputed
calendar) schedules new jobs, and the old ones find nothing left to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from builder import MatterSpec
from builder.spec import OnTimeout
from runtime.engine.calendar import WorkCalendar
from runtime.engine.events import iso
from runtime.engine.vocabulary import RUNNING_TASK

TIMEOUT, YELLOW, RED = "timeout", "yellow", "red"
MARKER = "planned"
"""The case field listing the ``task@due`` keys whose timed jobs are planned."""
PAST = timedelta(seconds=1)
"""A moment "past due": the engine's overdue test is ``due < now``."""


@dataclass(frozen=True)
class Planned:
    """One job a case needs: kind, id, when, and what it is about."""

    kind: str
    id: str
    run_at: str
    payload: Mapping[str, Any]


def yellow_moment(due: datetime, start: datetime, limit_days: float, calendar: WorkCalendar,
                  yellow_days: float, yellow_fraction: float) -> datetime:
    """The first second from ``start`` at which the light is yellow (by bisection: the
    working time left only shrinks as time passes)."""
    threshold = max(yellow_days, yellow_fraction * limit_days)
    if calendar.remaining(start, due) <= threshold:
        return start
    lo, hi = start, due  # remaining(lo) > threshold >= remaining(hi)
    while hi - lo > PAST:
        mid = lo + (hi - lo) / 2
        if calendar.remaining(mid, due) <= threshold:
            hi = mid
        else:
            lo = mid
    moment = hi.replace(microsecond=0) + (PAST if hi.microsecond else timedelta())
    for _ in range(3):  # whole seconds: the calendar counts a day's last second as its end
        if moment - PAST <= start or calendar.remaining(moment - PAST, due) > threshold:
            break
        moment -= PAST
    return moment


def _running(case: Mapping[str, Any] | None) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(t["id"], t["due"]): t for t in (case or {}).get("tasks") or ()
            if t["status"] in RUNNING_TASK and t.get("due")}


def key(task: Mapping[str, Any]) -> str:
    """What a task's timed jobs are planned for: ``task@due`` (part of their ids)."""
    return f"{task['id']}@{task['due']}"


def planned(case: Mapping[str, Any] | None) -> set[str] | None:
    """The ``task@due`` keys whose jobs were planned, as the case records them (None for
    a case written before the marker existed)."""
    found = (case or {}).get(MARKER)
    return None if found is None else set(found)


def mark(case: dict[str, Any]) -> dict[str, Any]:
    """Record on ``case`` that the timed jobs of its running tasks are planned: the
    batch that writes it plans them (`plan`). Keys of tasks no longer running go."""
    case[MARKER] = sorted(key(t) for t in _running(case).values())
    return case


def plan(old: Mapping[str, Any] | None, new: Mapping[str, Any], matter: MatterSpec,
         calendar: WorkCalendar, yellow: tuple[float, float]) -> list[Planned]:
    """The jobs the change from ``old`` to ``new`` starts: for each task running with a
    due time whose jobs ``old`` has not planned yet (became running, got a new due)."""
    before = planned(old)
    if before is None:  # no marker: what was running before had its jobs
        before = {key(t) for t in _running(old).values()}
    return [job for task in _running(new).values() if key(task) not in before
            for job in task_jobs(new, task, matter, calendar, yellow)]


def task_jobs(case: Mapping[str, Any], task: Mapping[str, Any], matter: MatterSpec,
              calendar: WorkCalendar, yellow: tuple[float, float]) -> Iterable[Planned]:
    """Every timed job of one running task."""
    due = datetime.fromisoformat(task["due"])
    about = {"case": case["id"], "task": task["id"], "due": task["due"]}
    name = key(task)
    consent = matter.step(task["step"]).on_timeout is OnTimeout.CONSENT
    if consent:
        yield Planned(TIMEOUT, f"{TIMEOUT}:{name}", iso(due + PAST), about)
    start = datetime.fromisoformat(task.get("ready_at") or task["due"])
    moment = yellow_moment(due, start, float(task.get("limit_days") or 0), calendar, *yellow)
    if moment < due:
        yield Planned(YELLOW, f"{YELLOW}:{name}", iso(moment), about)
    if not consent:  # past due it is approved at once: it never shows red
        yield Planned(RED, f"{RED}:{name}", iso(due + PAST), about)
