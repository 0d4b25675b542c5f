"""The statistics projection gives the figures of the event history, read both ways.

The hand-computed history of test_stats.py, then a seeded random one (suspensions,
supplements, refusals, rejections, running and overdue tasks, some times in the
small hours so a China date differs from the UTC one), over several periods:
`stat_facts.aggregate` on the projected rows equals `stats.department_rows` /
`stats.matter_rows` on every case. tests/runtime/store/postgres/test_stat_facts.py
checks the SQL aggregation against the same history.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from runtime.engine import stat_facts
from runtime.engine.calendar import CHINA_TZ
from runtime.engine.stats import Period, case_facts, department_rows, matter_rows
from tests.runtime.engine.test_stats import CALENDAR, CATALOG, NAMES, NOW, A, B, C, D, E

NOW_AT = datetime.fromisoformat(NOW).replace(tzinfo=CHINA_TZ)
MATTERS = ("enterprise-establishment", "government-investment-project")
PERIODS = [Period(date(2026, 11, 30), date(2026, 12, 4)),
           Period(date(2026, 11, 30), date(2026, 11, 30)),
           Period(date(2026, 10, 1), date(2026, 10, 31)),
           Period(date(2026, 1, 1), date(2026, 12, 31)),
           Period(date(2027, 1, 1), date(2027, 1, 31))]


def spec_of(matter: str, version: int) -> Any:
    return CATALOG.matters.get(matter)


class History:
    """The events of one case, each a random while after the one before."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.t = datetime(2026, 9, 1, tzinfo=CHINA_TZ) + timedelta(minutes=rnd.randrange(130_000))
        self.events: list[dict[str, Any]] = []
        self.tasks: list[dict[str, Any]] = []

    def ev(self, action: str, entity: str = "case", task: str | None = None) -> None:
        self.t += timedelta(minutes=self.rnd.randrange(1, 30 * 60))
        self.events.append({"at": self.t.isoformat(), "action": action, "entity": entity,
                            "task": task})


def seeded_history(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` cases with random but well-ordered events from September to December."""
    rnd = random.Random(seed)
    cases = []
    for i in range(n):
        matter = rnd.choice(MATTERS)
        spec = CATALOG.matters[matter]
        history = History(rnd)
        events, tasks, ev = history.events, history.tasks, history.ev
        if rnd.random() < 0.2:
            ev("request_supplement")
        if rnd.random() < 0.1:
            ev("refuse")
            cases.append(_doc(i, matter, tasks, events, "refused"))
            continue
        ev("accept")
        status = "approved"
        for k, s in enumerate(spec.steps):
            task_id = f"t{i}_{k}"
            ev("release", "task", task_id)
            due = (history.t + timedelta(hours=rnd.randrange(6, 60))).isoformat()
            task = {"id": task_id, "step": s.id, "department": rnd.choice(s.departments),
                    "status": "claimed", "due": due, "limit_days": s.days}
            tasks.append(task)
            if rnd.random() < 0.2:
                ev("suspend", "task", task_id)
                if rnd.random() < 0.8:
                    ev("resume", "task", task_id)
            roll = rnd.random()
            if history.t > NOW_AT - timedelta(days=2) or roll < 0.08:
                status = "in_progress"  # still running (maybe overdue now)
                break
            if roll < 0.15:
                ev("reject", "task", task_id)
                task["status"] = "rejected"
                status = "rejected"
                break
            ev("approve", "task", task_id)
            task["status"] = "approved"
        if status == "approved":
            ev("approve")
        elif status == "rejected":
            ev("reject")
        cases.append(_doc(i, matter, tasks, events, status))
    return cases


def _doc(i: int, matter: str, tasks: list[dict[str, Any]], events: list[dict[str, Any]],
         status: str) -> dict[str, Any]:
    return {"schema": 1, "id": f"c_{i:05d}", "rev": 1, "status": status, "applicant": "u",
            "matter": matter, "matter_version": 1, "updated_at": events[-1]["at"],
            "tasks": tasks, "events": events}


def both_ways(cases: list[dict[str, Any]], period: Period, by: str) -> tuple[Any, Any]:
    facts = [case_facts(c, spec_of(c["matter"], 1), CALENDAR, NOW_AT) for c in cases]
    names = NAMES if by == "department" else {m: m for m in MATTERS}
    expected = (department_rows if by == "department" else matter_rows)(facts, period, names)
    rows = [r for c, f in zip(cases, facts, strict=True) for r in stat_facts.project(c, f)]
    return stat_facts.aggregate(rows, by, period, NOW_AT, names), expected


@pytest.mark.parametrize("by", ["department", "matter"])
@pytest.mark.parametrize("period", PERIODS[:2])
def test_hand_computed_history(by: str, period: Period) -> None:
    got, expected = both_ways([A, B, C, D, E], period, by)
    assert got == expected and got


@pytest.mark.parametrize("by", ["department", "matter"])
def test_seeded_history(by: str) -> None:
    cases = seeded_history(400, seed=15)
    kinds = {r.kind for c in cases
             for r in stat_facts.project(c, case_facts(c, spec_of(c["matter"], 1),
                                                         CALENDAR, NOW_AT))}
    assert kinds == set(stat_facts.DEPARTMENT_KINDS) | set(stat_facts.MATTER_KINDS)
    for period in PERIODS:
        got, expected = both_ways(cases, period, by)
        assert got == expected
    got, _ = both_ways(cases, PERIODS[3], by)
    assert sum(r["overdue_now"] for r in got) > 0
    assert sum(r["tasks_done" if by == "department" else "cases_finished"] for r in got) > 100


def test_a_case_that_only_runs_has_no_decision_rows() -> None:
    fact = case_facts(D, spec_of(D["matter"], 1), CALENDAR, NOW_AT)
    kinds = [r.kind for r in stat_facts.project(D, fact)]
    assert kinds == ["task_received", "task_running", "case_accepted", "case_running"]
