"""GET /scores and annulling a deduction, over a journey run through the API."""

from __future__ import annotations

from datetime import datetime, timedelta

from runtime.engine.calendar import CHINA_TZ
from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import LICENSE
from tests.runtime.web.conftest import Clock


def late_licence(api: Api, clock: Clock) -> str:
    """The licence (due Tuesday noon) approved by amr1 on Wednesday: 2 points off."""
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=CHINA_TZ)
    case = api.accepted()
    task = api.task(case, "license")["id"]
    api.ok(api.post("amr1", f"/tasks/{task}/claim"))
    clock.now += timedelta(days=2)
    api.ok(api.post("amr1", f"/tasks/{task}/approve", {"data": LICENSE}))
    return str(case["number"])


def test_scores_trace_each_point_and_a_deduction_can_be_annulled(api: Api,
                                                                 clock: Clock) -> None:
    number = late_licence(api, clock)
    report = api.ok(api.get("sup", "/scores?period=2026-12"))
    amr = next(d for d in report["departments"] if d["department"] == "amr")
    [item] = amr["items"]
    assert (amr["score"], item["rule"], item["count"], item["points"]) == \
        (98, "overdue-task", 1, -2)
    assert item["events"][0]["number"] == number
    [officer] = [s for s in report["staff"] if s["user"] == api.user_id("amr1")]
    assert officer["score"] == 98 and officer["grade"]
    assert api.ok(api.get("sup", "/scores?period=2026-11"))["departments"][0]["items"] == []
    yearly = api.ok(api.get("root", "/scores?period=2026"))
    assert next(d for d in yearly["departments"] if d["department"] == "amr")["score"] == 98
    own = api.ok(api.get("amr1", "/scores?period=2026-12"))
    assert [d["department"] for d in own["departments"]] == ["amr"]
    assert api.get("alice", "/scores").status_code == 403
    assert api.get("sup", "/scores?period=2026-13").status_code == 400

    key = item["events"][0]["key"]
    assert api.post("amr1", "/scores/annul", {"key": key, "reason": "x"}).status_code == 403
    assert api.post("sup", "/scores/annul", {"key": key, "reason": " "}).status_code == 400
    assert api.post("sup", "/scores/annul", {"key": "nope:c_1:1", "reason": "x"}
                    ).status_code == 400
    done = api.ok(api.post("sup", "/scores/annul", {"key": key, "reason": "系统故障"}))
    assert done["by"] == api.user_id("sup") and done["reason"] == "系统故障"
    assert api.post("sup", "/scores/annul", {"key": key, "reason": "again"}).status_code == 409
    after = api.ok(api.get("sup", "/scores?period=2026-12"))
    amr = next(d for d in after["departments"] if d["department"] == "amr")
    assert amr["score"] == 100 and amr["items"][0]["annulled"][0]["reason"] == "系统故障"
