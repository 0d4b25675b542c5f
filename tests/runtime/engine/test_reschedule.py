"""A published calendar change moves the deadlines of running and suspended tasks,
recomputed from their start, limit and ended suspensions; once, with one event each."""

from __future__ import annotations

from runtime.engine import WorkCalendar, claim, reschedule, resume, suspend
from runtime.engine.timing import due_from_start
from tests.runtime.engine.helpers import CAL, NOW, later, make_matter, running, staff, step, task

MATTER = make_matter([step("s", days=3)])
HOLIDAY = WorkCalendar.from_catalog({"years": {2026: {
    "status": "published", "holidays": [{"date": "2026-03-04", "name": "测试假日"}]}}})


def test_the_same_calendar_moves_nothing_and_returns_the_same_object() -> None:
    case = running(MATTER, data={}, materials={})
    assert reschedule(case, MATTER, NOW, CAL) is case
    assert due_from_start(task(case, "s"), CAL).at.isoformat() == task(case, "s")["due"]


def test_a_new_holiday_moves_the_due_once_with_a_system_event() -> None:
    case = running(MATTER, data={}, materials={})
    assert task(case, "s")["due"] == "2026-03-05T23:59:59+08:00"
    moved = reschedule(case, MATTER, later(hours=1), HOLIDAY)
    assert task(moved, "s")["due"] == "2026-03-06T23:59:59+08:00"
    assert task(moved, "s")["provisional"] is False
    event = moved["events"][-1]
    assert (event["action"], event["actor"], event["from"], event["to"]) == \
        ("reschedule", "system", "ready", "ready")
    assert event["note"] == "工作日历变更：期限由 2026-03-05 23:59 改为 2026-03-06 23:59"
    assert reschedule(moved, MATTER, later(hours=2), HOLIDAY) is moved
    assert task(case, "s")["due"] == "2026-03-05T23:59:59+08:00"  # the input is untouched


def test_ended_suspensions_still_count_and_a_suspended_task_is_moved_too() -> None:
    case = running(MATTER, data={}, materials={})
    tid = task(case, "s")["id"]
    case = claim(case, MATTER, staff("a"), NOW, tid)
    case = suspend(case, MATTER, staff("a"), later(hours=2), tid, "组织听证")
    case = resume(case, MATTER, staff("a"), later(days=1, hours=2), tid, calendar=CAL)
    assert task(case, "s")["due"] == "2026-03-06T23:59:59+08:00"  # one working day lost
    assert reschedule(case, MATTER, later(days=1), CAL) is case
    moved = reschedule(case, MATTER, later(days=1), HOLIDAY)
    assert task(moved, "s")["due"] == "2026-03-09T23:59:59+08:00"  # past the weekend
    again = suspend(moved, MATTER, staff("a"), later(days=2), tid, "专家评审")
    later_cal = WorkCalendar.from_catalog({"years": {2026: {
        "status": "published", "holidays": [{"date": "2026-03-04"}, {"date": "2026-03-09"}]}}})
    shifted = reschedule(again, MATTER, later(days=2), later_cal)
    assert task(shifted, "s")["status"] == "suspended"
    assert task(shifted, "s")["due"] == "2026-03-10T23:59:59+08:00"
