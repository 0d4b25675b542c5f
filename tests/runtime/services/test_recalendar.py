"""Calendar changes reach stored deadlines: the administrator's calendar editor (and a
calendar.yaml changed by hand, found at start) publishes a version whose job moves the
running tasks' due times, audits each move as a case event, plans the new timed jobs
and tells the department and the applicant, once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from runtime.engine.calendar import CHINA_TZ
from runtime.services import Forbidden, Invalid, Services
from runtime.services.errors import Conflict
from runtime.services.recalendar import PAGE
from tests.runtime.services.conftest import ADMIN, Opener
from tests.runtime.services.test_cases_actors import _user
from tests.runtime.services.test_worker import _accepted, _kinds, _officer, consenting

__all__ = ["consenting"]
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=CHINA_TZ)  # after the clock's edits, before dues


def _recalendar_jobs(services: Services) -> list[dict]:
    return [j for j in services.store.list_jobs() if j["kind"] == "recalendar"]


def _run_all(services: Services, now: datetime) -> None:
    while services.worker.run_once(now):
        pass


def test_a_new_holiday_moves_the_deadline_once_and_tells_everyone(
        consenting: Services, catalog_dir: Path) -> None:
    services = consenting
    officer = _officer(services, "psb001", "psb")
    case, applicant = _accepted(services)
    assert case["tasks"][0]["due"] == "2026-12-02T23:59:59+08:00"
    admin = services.admin
    year = admin.add_year(ADMIN, "2026")  # copied from chinesecalendar: nothing moves
    assert year.status == "published" and any(d.name == "国庆节" for d in year.holidays)
    now = NOON
    _run_all(services, now)
    assert services.store.get_case(case["id"])["rev"] == case["rev"]
    assert not _recalendar_jobs(services)

    admin.add_day(ADMIN, 2026, "holidays", "2026-12-01", "临时假日")
    written = yaml.safe_load((catalog_dir / "calendar.yaml").read_text(encoding="utf-8"))
    assert {"date": datetime(2026, 12, 1).date(), "name": "临时假日"} in \
        written["years"][2026]["holidays"]
    assert (catalog_dir / "calendar.yaml").read_text(encoding="utf-8").startswith("# Official")
    assert services.calendar.is_workday(datetime(2026, 12, 1).date()) is False  # at once
    [job] = _recalendar_jobs(services)
    _run_all(services, now)
    moved = services.store.get_case(case["id"])
    task = moved["tasks"][0]
    assert task["due"] == "2026-12-03T23:59:59+08:00"
    assert moved["events"][-1]["action"] == "reschedule"
    assert "2026-12-02 23:59 改为 2026-12-03 23:59" in moved["events"][-1]["note"]
    assert _kinds(services, officer)[0] == "deadline_moved"
    [told] = [n for n in services.notices.list(applicant) if n.kind == "case_deadline_moved"]
    assert "2026-12-02 23:59" in told.body and "2026-12-03 23:59" in told.body
    jobs = {j["id"] for j in services.store.list_jobs()}
    assert f"timeout:{task['id']}@{task['due']}" in jobs  # the new moment is planned
    assert moved["planned"] == [f"{task['id']}@{task['due']}"]

    with services.store.write() as tx:  # the job run again (a kill before its end)
        tx.put_job({**job, "status": "pending", "lease_until": None})
    _run_all(services, now)
    assert services.store.get_case(case["id"])["rev"] == moved["rev"]
    assert _kinds(services, officer).count("deadline_moved") == 1

    due = datetime.fromisoformat(task["due"])
    services.worker.run_once(datetime(2026, 12, 3, 0, 0, 5, tzinfo=due.tzinfo))  # old moment
    assert services.store.get_case(case["id"])["status"] == "in_progress"
    services.worker.run_once(due + timedelta(seconds=1))
    assert services.store.get_case(case["id"])["status"] == "approved"
    entries = admin.audit(ADMIN, subject="calendar")
    assert [e.words for e in entries][:2] == ["2026 年新增日期 2026-12-01", "工作日历新增 2026 年"]
    assert entries[0].subject_name == "工作日历"


def test_the_editor_refuses_bad_input_precisely(consenting: Services) -> None:
    admin = consenting.admin
    with pytest.raises(Forbidden):
        admin.calendar_years(_officer(consenting, "psb002", "psb"))
    assert [y.year for y in admin.calendar_years(ADMIN)] == [2027]
    with pytest.raises(Invalid, match="通知未发布"):
        admin.add_day(ADMIN, 2027, "holidays", "2027-01-01", "元旦")
    with pytest.raises(Invalid, match="日期须在 2027 年内"):
        admin.add_day(ADMIN, 2027, "holidays", "2026-01-01", "元旦")
    with pytest.raises(Invalid, match="YYYY-MM-DD"):
        admin.add_day(ADMIN, 2027, "holidays", "明年元旦", "元旦")
    with pytest.raises(Invalid, match="年份"):
        admin.add_year(ADMIN, "二〇二八")
    with pytest.raises(Conflict):
        admin.add_year(ADMIN, 2027)
    admin.set_year(ADMIN, 2027, "published", "国务院办公厅关于2027年部分节假日安排的通知")
    admin.add_day(ADMIN, 2027, "holidays", "2027-01-01", "元旦")
    admin.add_day(ADMIN, 2027, "holidays", "2027-01-02", "元旦")
    with pytest.raises(Conflict):
        admin.add_day(ADMIN, 2027, "workdays", "2027-01-02", "调休")
    year = admin.remove_day(ADMIN, 2027, "holidays", "2027-01-01")
    assert [d.date for d in year.holidays] == ["2027-01-02"]
    with pytest.raises(Invalid, match="请先删除"):
        admin.set_year(ADMIN, 2027, "missing", "")
    assert consenting.recalendar.version() >= 4


def test_a_calendar_yaml_changed_by_hand_is_published_at_start(
        opener: Opener, catalog_dir: Path) -> None:
    from tests.runtime.services.test_cases_actors import CONSENTING
    (catalog_dir / "matters" / "silent-consent.yaml").write_text(CONSENTING, encoding="utf-8")
    services = opener.open(durable=True)
    case, _ = _accepted(services)
    now = NOON
    services.worker.prepare(now)  # the first start records the calendar: no job
    assert services.recalendar.version() == 1 and not _recalendar_jobs(services)
    path = catalog_dir / "calendar.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  2026:\n    status: published\n"
                    "    holidays: [{date: 2026-12-01, name: 临时假日}]\n", encoding="utf-8")
    services = opener.reopen(services, durable=True)
    services.worker.prepare(now)
    assert services.recalendar.version() == 2 and len(_recalendar_jobs(services)) == 1
    _run_all(services, now)
    assert services.store.get_case(case["id"])["tasks"][0]["due"] == "2026-12-03T23:59:59+08:00"
    services = opener.reopen(services, durable=True)
    services.worker.prepare(now)
    assert services.recalendar.version() == 2 and not _recalendar_jobs(services)


def test_a_newer_chinesecalendar_is_published_at_start(
        opener: Opener, monkeypatch: pytest.MonkeyPatch) -> None:
    services = opener.open(durable=True)
    services.worker.prepare(NOON)  # the first start records the calendar and the package
    assert services.recalendar.version() == 1 and not _recalendar_jobs(services)
    services = opener.reopen(services, durable=True)
    services.worker.prepare(NOON)
    assert services.recalendar.version() == 1 and not _recalendar_jobs(services)
    monkeypatch.setattr("chinese_calendar.__version__", "99.0.0")  # upgraded
    services = opener.reopen(services, durable=True)
    services.worker.prepare(NOON)
    assert services.recalendar.version() == 2 and len(_recalendar_jobs(services)) == 1
    assert services.store.get_record("calendar", "published")["by"] == "chinesecalendar 99.0.0"


def test_the_job_works_in_pages_and_keeps_its_place(consenting: Services,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("runtime.services.recalendar.PAGE", 2)
    services = consenting
    applicant = _user(services, "carol1", "applicant")
    window = _user(services, "window1", "window")
    cases = [services.cases.accept(window, services.cases.apply(
        applicant, "silent-consent", {"applicant_name": "王五"}, {})["id"]) for _ in range(5)]
    services.admin.add_year(ADMIN, 2026)
    services.admin.add_day(ADMIN, 2026, "holidays", "2026-12-01", "临时假日")
    now = NOON
    offsets = []
    while job := next(iter(_recalendar_jobs(services)), None):
        offsets.append((job["payload"]["pass"], job["payload"]["offset"]))
        services.worker.run(services.jobs.claim("w", 1, now)[0], now)
    # add_year's version is superseded by add_day's: it ends at once, the newer one
    # works in pages of 2, and a second pass (something moved) finds nothing to move
    assert offsets == [(1, 0), (1, 0), (1, 2), (1, 4), (2, 0), (2, 2), (2, 4)]
    assert {services.store.get_case(c["id"])["tasks"][0]["due"] for c in cases} == \
        {"2026-12-03T23:59:59+08:00"}
    assert PAGE > 2
