"""GET /stats and the statistics page over a journey run through the API at set times."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from runtime.engine.calendar import CHINA_TZ
from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import LICENSE, PARALLEL
from tests.runtime.web.conftest import Clock

WEEK = "from=2026-11-30&to=2026-12-04"


def journey(api: Api, clock: Clock) -> dict[str, Any]:
    """Accepted Monday 09:00; the licence approved at 15:00 (0.25 working days, on time);
    the seal, released Monday 15:00, is due Tuesday 12:00 (half a day counted from the end
    of the release date) and approved Tuesday 14:00: 23 hours = 0.96 days, late."""
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=CHINA_TZ)
    case = api.accepted()
    task = api.task(case, "license")["id"]
    api.ok(api.post("amr1", f"/tasks/{task}/claim"))
    clock.now += timedelta(hours=6)
    api.ok(api.post("amr1", f"/tasks/{task}/approve", {"data": LICENSE}))
    case = api.ok(api.get("alice", f"/cases/{case['id']}"))
    seal = api.task(case, "seal")["id"]
    api.ok(api.post("psb1", f"/tasks/{seal}/claim"))
    clock.now = datetime(2026, 12, 1, 14, 0, tzinfo=CHINA_TZ)
    api.ok(api.post("psb1", f"/tasks/{seal}/approve", {"data": PARALLEL["seal"][1]}))
    return dict(case)


def test_department_rows(api: Api, clock: Clock) -> None:
    journey(api, clock)
    rows = {r["key"]: r for r in api.ok(api.get("sup", f"/stats?by=department&{WEEK}"))}
    amr, psb = rows["amr"], rows["psb"]
    assert (amr["name"], amr["tasks_done"], amr["on_time"], amr["avg_days"]) == \
        ("市场监督管理局", 1, 1, 0.25)
    assert (psb["tasks_done"], psb["overdue"], psb["on_time_rate"], psb["avg_days"]) == \
        (1, 1, 0.0, 0.96)
    # The other parallel steps were released Monday 15:00 and still run on Tuesday 14:00.
    assert rows["tax"]["tasks_received"] == 1 and rows["tax"]["overdue_now"] == 1


def test_matter_rows_and_period(api: Api, clock: Clock) -> None:
    journey(api, clock)
    [row] = api.ok(api.get("root", f"/stats?by=matter&{WEEK}"))
    assert (row["key"], row["cases_accepted"], row["cases_finished"]) == \
        ("enterprise-establishment", 1, 0)
    later = api.ok(api.get("sup", "/stats?by=matter&from=2026-12-02&to=2026-12-31"))
    # Nothing accepted after Tuesday; the case still shows while its tasks run late.
    assert [(r["cases_accepted"], r["overdue_now"]) for r in later] == [(0, 1)]


def test_a_department_sees_its_own_row(api: Api, clock: Clock) -> None:
    journey(api, clock)
    rows = api.ok(api.get("amr1", f"/stats?{WEEK}"))
    assert [r["key"] for r in rows] == ["amr"]
    assert api.get("amr1", f"/stats?by=matter&{WEEK}").status_code == 403
    assert api.get("alice", f"/stats?{WEEK}").status_code == 403


def test_bad_period(api: Api) -> None:
    bad = api.get("sup", "/stats?from=2026-13-01")
    assert bad.status_code == 400
    assert bad.json()["details"][0]["pointer"] == "/from"
    assert api.get("sup", "/stats?from=yesterday").status_code == 400
    upside = api.get("sup", "/stats?from=2026-12-04&to=2026-11-30")
    assert upside.status_code == 400 and "开始日期" in upside.json()["details"][0]["message"]
    assert api.get("sup", "/stats?by=officer").status_code == 400


def test_the_projection_follows_every_write_and_equals_reading_every_case(
        api: Api, clock: Clock) -> None:
    """The embedded store's rows are remade for the cases whose rev changed: a figure
    read before a decision changes after it, and equals the figures from the history."""
    journey(api, clock)
    assert api.services.stats.projection is not None
    assert api.services.stats.projection.active
    before = {r["key"]: r for r in api.ok(api.get("sup", f"/stats?by=department&{WEEK}"))}
    assert before["tax"]["tasks_done"] == 0
    case = api.ok(api.get("alice", "/cases"))[0]
    tax = api.task(api.ok(api.get("alice", f"/cases/{case['id']}")), "tax")["id"]
    api.ok(api.post("tax1", f"/tasks/{tax}/claim"))
    api.ok(api.post("tax1", f"/tasks/{tax}/approve", {"data": PARALLEL["tax"][1]}))
    after = api.ok(api.get("sup", f"/stats?by=department&{WEEK}"))
    assert {r["key"]: r for r in after}["tax"]["tasks_done"] == 1
    stats = api.services.stats
    api.headers("sup")
    sup = api.services.accounts.user_for_token(api.tokens["sup"])
    assert sup is not None
    for by in ("department", "matter"):
        projected = stats.table(sup, by, "2026-11-30", "2026-12-04").rows
        stats.projection, saved = None, stats.projection
        try:
            read = stats.table(sup, by, "2026-11-30", "2026-12-04").rows
        finally:
            stats.projection = saved
        assert projected == read and projected


def test_a_calendar_change_remakes_the_figures_of_decided_tasks(api: Api, clock: Clock) -> None:
    """A holiday declared on the Monday: the licence (decided that day) took no working
    time, the seal (Monday 15:00 → Tuesday 14:00) only Tuesday's 14 hours; the figures
    follow once the worker has moved the deadlines, with no restart."""
    journey(api, clock)
    rows = {r["key"]: r for r in api.ok(api.get("sup", f"/stats?by=department&{WEEK}"))}
    assert (rows["amr"]["avg_days"], rows["psb"]["avg_days"]) == (0.25, 0.96)
    api.headers("root")
    admin = api.services.accounts.user_for_token(api.tokens["root"])
    assert admin is not None
    api.services.admin.add_year(admin, "2026")
    api.services.admin.add_day(admin, 2026, "holidays", "2026-11-30", "临时假日")
    while api.services.worker.run_once(clock.now):
        pass
    rows = {r["key"]: r for r in api.ok(api.get("sup", f"/stats?by=department&{WEEK}"))}
    assert (rows["amr"]["avg_days"], rows["psb"]["avg_days"]) == (0.0, 0.58)
