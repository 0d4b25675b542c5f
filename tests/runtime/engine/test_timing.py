"""Timeouts (超时默许) and deadline lights."""

from __future__ import annotations

from datetime import datetime

import pytest

from builder.spec import Join, OnTimeout
from runtime.engine import (
    CHINA_TZ,
    approve,
    claim,
    light,
    preliminary,
    suspend,
    tick,
)
from tests.runtime.engine.helpers import (
    CAL,
    NOW,
    later,
    make_matter,
    running,
    staff,
    status,
    step,
    task,
)

CONSENT = make_matter([
    step("a", "x", days=1, on_timeout=OnTimeout.CONSENT, reply_options=("同意", "不同意")),
    step("b", "y", days=1),
    step("c", "z", needs=["a"]),
])


def test_tick_is_the_same_object_when_nothing_is_due() -> None:
    case = running(CONSENT, data={}, materials={})
    assert tick(case, CONSENT, later(days=1), CAL) is case
    plain = make_matter([step("s")])
    late_case = running(plain, data={}, materials={})
    assert tick(late_case, plain, later(days=30), CAL) is late_case


def test_tick_consents_past_due_tasks_as_the_system() -> None:
    case = running(CONSENT, data={}, materials={})
    tid = task(case, "a")["id"]
    case = claim(case, CONSENT, staff("x"), NOW, tid)
    due = datetime.fromisoformat(task(case, "a")["due"])  # Tue 23:59:59
    assert tick(case, CONSENT, due, CAL) is case  # at the due instant: not yet past
    out = tick(case, CONSENT, later(days=2), CAL)
    a = task(out, "a")
    assert a["status"] == "approved"
    assert a["decision"]["by_timeout"] is True and a["decision"]["by"] == "system"
    event = next(e for e in out["events"] if e["action"] == "consent")
    assert (event["actor"], event["role"], event["note"]) == ("system", "system", "超时默许")
    assert status(out, "c") == "ready"
    assert task(out, "c")["ready_at"] == "2026-03-04T10:00:00+08:00"
    assert status(out, "b") == "ready"  # past due too, but no consent on that step
    assert tick(out, CONSENT, later(days=2), CAL) is out


def test_tick_ignores_suspended_tasks_and_other_cases() -> None:
    case = running(CONSENT, data={}, materials={})
    tid = task(case, "a")["id"]
    case = suspend(case, CONSENT, staff("x"), NOW, tid, "现场核查")
    assert tick(case, CONSENT, later(days=5), CAL) is case


def test_timeout_of_a_join_any_step_decides_it_once() -> None:
    matter = make_matter([step("j", ("p", "q"), join=Join.ANY, on_timeout=OnTimeout.CONSENT)])
    case = running(matter, data={}, materials={})
    out = tick(case, matter, later(days=3), CAL)
    assert [t["status"] for t in out["tasks"]] == ["approved", "cancelled"]
    assert out["status"] == "approved"


def test_timeout_can_finish_the_case() -> None:
    matter = make_matter([step("s", on_timeout=OnTimeout.CONSENT)])
    case = running(matter, data={}, materials={})
    t = task(case, "s")
    case = claim(case, matter, staff("a"), NOW, t["id"])
    case = preliminary(case, matter, staff("a"), NOW, t["id"], "初审", calendar=CAL)
    out = tick(case, matter, later(days=3), CAL)
    assert out["status"] == "approved" and out["decided_at"]


@pytest.mark.parametrize(("when", "expected"), [
    (datetime(2026, 3, 2, 10, 0, tzinfo=CHINA_TZ), "green"),   # due Mon 9 Mar 23:59:59
    (datetime(2026, 3, 6, 9, 0, tzinfo=CHINA_TZ), "green"),    # 1.6 working days left
    (datetime(2026, 3, 9, 9, 0, tzinfo=CHINA_TZ), "yellow"),   # under 1 day left
    (datetime(2026, 3, 10, 0, 0, tzinfo=CHINA_TZ), "red"),     # past due
])
def test_light(when: datetime, expected: str) -> None:
    matter = make_matter([step("s", days=5)])
    case = running(matter, data={}, materials={})
    t = task(case, "s")
    assert light(t, when, CAL) == expected


def test_light_is_none_for_tasks_not_running() -> None:
    matter = make_matter([step("s"), step("t", needs=["s"])])
    case = running(matter, data={}, materials={})
    assert light(task(case, "t"), NOW, CAL) is None  # waiting
    tid = task(case, "s")["id"]
    case = suspend(case, matter, staff("a"), NOW, tid, "听证")
    assert light(task(case, "s"), NOW, CAL) is None
    case = running(matter, data={}, materials={})
    case = claim(case, matter, staff("a"), NOW, tid)
    case = approve(case, matter, staff("a"), NOW, tid, calendar=CAL)
    assert light(task(case, "s"), NOW, CAL) is None
    assert light(task(case, "t"), NOW, CAL, yellow_days=0, yellow_fraction=0) == "green"
