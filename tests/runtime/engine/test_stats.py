"""Statistics from a seeded history whose figures are worked out by hand below.

The week of Monday 2026-11-30 to Friday 2026-12-04 (all working days). A working
day is 24 hours of the working clock, so 12:00 is half a day (docs/calendar.md).
Matter enterprise-establishment: license (amr, 0.5 d) then seal (psb, 0.5 d) and tax
(tax, 0.5 d) in parallel; promised 1 working day.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from builder import load_catalog
from runtime.engine.calendar import CHINA_TZ, WorkCalendar
from runtime.engine.stats import Period, department_rows, facts_of, matter_rows, p90

ROOT = Path(__file__).parents[3]
CATALOG = load_catalog(ROOT / "catalog")
CALENDAR = WorkCalendar.from_catalog(CATALOG.calendar)
MATTER = "enterprise-establishment"
NAMES = {d.id: d.name for d in CATALOG.departments.values()}
NOW = "2026-12-04T10:00"  # Friday


def at(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ).isoformat()


def ev(when: str, action: str, entity: str = "case", task: str | None = None) -> dict[str, Any]:
    return {"at": at(when), "action": action, "entity": entity, "task": task}


def task(task_id: str, step: str, department: str, status: str, due: str | None) -> dict[str, Any]:
    return {"id": task_id, "step": step, "department": department, "status": status,
            "due": at(due) if due else None, "limit_days": 0.5}


def case(case_id: str, tasks: list[dict[str, Any]], events: list[dict[str, Any]]
         ) -> dict[str, Any]:
    return {"id": case_id, "matter": MATTER, "matter_version": 1, "tasks": tasks,
            "events": events}


# A: license 09:00-15:00 (0.25 d, due 21:00: on time); seal 15:00 -> Tue 12:00 (0.875 d,
# due Tue 03:00: late); tax 15:00 -> Tue 09:00 with Mon 18:00-Tue 06:00 suspended
# (0.75 - 0.5 = 0.25 d; due moved from Tue 03:00 to 15:00: on time). Case Mon 09:00 ->
# Tue 12:00 = 1.125 d minus 0.5 suspended = 0.625 d (on time); serial 0.25 + 0.875 +
# 0.25 = 1.375 d; saved 0.75 d.
A = case("c_a", [
    task("ta1", "license", "amr", "approved", "2026-11-30T21:00"),
    task("ta2", "seal", "psb", "approved", "2026-12-01T03:00"),
    task("ta3", "tax", "tax", "approved", "2026-12-01T15:00"),
], [
    ev("2026-11-30T09:00", "accept"), ev("2026-11-30T09:00", "release", "task", "ta1"),
    ev("2026-11-30T10:00", "claim", "task", "ta1"),
    ev("2026-11-30T15:00", "approve", "task", "ta1"),
    ev("2026-11-30T15:00", "release", "task", "ta2"),
    ev("2026-11-30T15:00", "release", "task", "ta3"),
    ev("2026-11-30T18:00", "suspend", "task", "ta3"),
    ev("2026-12-01T06:00", "resume", "task", "ta3"),
    ev("2026-12-01T09:00", "approve", "task", "ta3"),
    ev("2026-12-01T12:00", "approve", "task", "ta2"), ev("2026-12-01T12:00", "approve"),
])
# B: a supplement Mon 10:00, accepted Tue 09:00; license rejected Wed 12:00 (1.125 d,
# late); the case rejected then: 1.125 d, late; serial 1.125, saved 0.
B = case("c_b", [
    task("tb1", "license", "amr", "rejected", "2026-12-01T21:00"),
    task("tb2", "seal", "psb", "cancelled", None),
], [
    ev("2026-11-30T10:00", "request_supplement"), ev("2026-12-01T09:00", "accept"),
    ev("2026-12-01T09:00", "release", "task", "tb1"),
    ev("2026-12-02T12:00", "reject", "task", "tb1"),
    ev("2026-12-02T12:00", "cancel", "task", "tb2"), ev("2026-12-02T12:00", "reject"),
])
C = case("c_c", [], [ev("2026-12-02T10:00", "refuse")])  # never accepted
# D: accepted Thursday; its license task (due Thu 21:00) still runs on Friday 10:00.
D = case("c_d", [task("td1", "license", "amr", "claimed", "2026-12-03T21:00")], [
    ev("2026-12-03T09:00", "accept"), ev("2026-12-03T09:00", "release", "task", "td1"),
    ev("2026-12-03T09:30", "claim", "task", "td1"),
])
# E: all of it the week before: outside the period, only its overdue task would count.
E = case("c_e", [task("te1", "license", "amr", "approved", "2026-11-23T21:00")], [
    ev("2026-11-23T09:00", "accept"), ev("2026-11-23T09:00", "release", "task", "te1"),
    ev("2026-11-23T10:00", "approve", "task", "te1"),
])
WEEK = Period(date(2026, 11, 30), date(2026, 12, 4))


def facts() -> Any:
    def spec_of(matter: str, version: int) -> Any:
        return CATALOG.matters[matter]
    return facts_of([A, B, C, D, E], spec_of, CALENDAR,
                    datetime.fromisoformat(NOW).replace(tzinfo=CHINA_TZ))


def test_departments_by_hand() -> None:
    rows = {r["key"]: r for r in department_rows(facts(), WEEK, NAMES)}
    assert set(rows) == {"amr", "psb", "tax"}
    amr = rows["amr"]
    assert amr["name"] == "市场监督管理局"
    # A 0.25 on time, B 1.125 late (rejected); D received and overdue now; E outside.
    assert (amr["tasks_received"], amr["tasks_done"], amr["on_time"], amr["overdue"]) == \
        (3, 2, 1, 1)
    assert amr["on_time_rate"] == 0.5
    assert amr["avg_days"] == round((0.25 + 1.125) / 2, 2)
    assert amr["p90_days"] == round(1.125, 2)
    assert amr["promised_days"] == 0.5
    assert (amr["rejected"], amr["suspended"], amr["overdue_now"]) == (1, 0, 1)
    psb = rows["psb"]
    assert (psb["tasks_done"], psb["on_time"], psb["on_time_rate"], psb["avg_days"]) == \
        (1, 0, 0.0, round(0.875, 2))
    tax = rows["tax"]
    assert (tax["tasks_done"], tax["on_time"], tax["avg_days"], tax["suspended"]) == \
        (1, 1, 0.25, 1)


def test_matter_by_hand() -> None:
    [row] = matter_rows(facts(), WEEK, {MATTER: "企业开办"})
    assert row["name"] == "企业开办"
    assert (row["cases_accepted"], row["cases_finished"], row["on_time"]) == (3, 2, 1)
    assert row["on_time_rate"] == 0.5
    assert row["avg_days"] == round((0.625 + 1.125) / 2, 2)
    assert row["p90_days"] == round(1.125, 2)
    assert row["promised_days"] == 1
    assert row["serial_days"] == round((1.375 + 1.125) / 2, 2)
    assert row["saved_days"] == round((0.75 + 0) / 2, 2)
    assert row["saved_days_total"] == 0.75
    assert (row["supplements"], row["refused"], row["rejected"], row["overdue_now"]) == \
        (1, 1, 1, 1)


def test_a_period_counts_only_its_own_events() -> None:
    monday = Period(date(2026, 11, 30), date(2026, 11, 30))
    rows = {r["key"]: r for r in department_rows(facts(), monday, NAMES)}
    # Monday: A's license done; A's seal and tax received and tax suspended; D overdue now.
    assert rows["amr"]["tasks_done"] == 1 and rows["amr"]["tasks_received"] == 1
    assert rows["psb"]["tasks_done"] == 0 and rows["psb"]["tasks_received"] == 1
    assert rows["tax"]["suspended"] == 1
    [row] = matter_rows(facts(), monday, {})
    assert (row["cases_accepted"], row["cases_finished"], row["supplements"],
            row["refused"]) == (1, 0, 1, 0)
    assert row["avg_days"] is None and row["on_time_rate"] is None


def test_a_holiday_is_not_counted() -> None:
    """Friday 09:00 to Monday 09:00 is one working day, not three."""
    weekend = case("c_w", [task("tw", "license", "amr", "approved", "2026-12-07T21:00")], [
        ev("2026-12-04T09:00", "accept"), ev("2026-12-04T09:00", "release", "task", "tw"),
        ev("2026-12-07T09:00", "approve", "task", "tw"), ev("2026-12-07T09:00", "approve"),
    ])
    [fact] = facts_of([weekend], lambda m, v: CATALOG.matters[m], CALENDAR,
                      datetime(2026, 12, 8, tzinfo=CHINA_TZ))
    assert fact.tasks[0].days == pytest.approx(1.0)
    assert fact.days == pytest.approx(1.0)


@pytest.mark.parametrize(("values", "expected"), [
    ([], None), ([3.0], 3.0), ([1.0, 2.0], 2.0),
    ([float(n) for n in range(1, 11)], 9.0), ([float(n) for n in range(1, 12)], 10.0),
])
def test_p90_nearest_rank(values: list[float], expected: float | None) -> None:
    assert p90(values) == expected
