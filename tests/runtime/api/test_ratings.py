"""好差评 through the API: once per case after the decision, a 差评's rectification, counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from runtime.engine.calendar import CHINA_TZ
from tests.runtime.api.conftest import Api
from tests.runtime.api.test_public import finish
from tests.runtime.web.conftest import Clock


def test_rate_once_after_the_decision(api: Api) -> None:
    running = api.accepted()
    early = api.post("alice", f"/cases/{running['id']}/rating", {"level": 5})
    assert early.status_code == 409 and "作出决定后" in early.json()["message"]
    case = finish(api)
    assert api.post("bob", f"/cases/{case['id']}/rating", {"level": 5}).status_code == 404
    assert api.post("win", f"/cases/{case['id']}/rating", {"level": 5}).status_code == 403
    bad = api.post("alice", f"/cases/{case['id']}/rating", {"level": 6})
    assert bad.status_code == 400 and bad.json()["details"][0]["pointer"] == "/level"
    rating = api.ok(api.post("alice", f"/cases/{case['id']}/rating",
                             {"level": 4, "comment": "很快"}), 201)
    assert (rating["level"], rating["comment"], rating["rectification"]) == (4, "很快", None)
    again = api.post("alice", f"/cases/{case['id']}/rating", {"level": 1})
    assert again.status_code == 409 and "一事一评" in again.json()["message"]
    stored = api.ok(api.get("alice", f"/cases/{case['id']}"))
    assert stored["rating"]["level"] == 4
    assert stored["events"][-1]["action"] == "rate"


def test_a_bad_rating_is_rectified_followed_up_or_appealed(api: Api, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=CHINA_TZ)  # Monday
    case = finish(api)
    rating = api.ok(api.post("alice", f"/cases/{case['id']}/rating",
                             {"level": 2, "comment": "材料要求反复"}), 201)
    rect = rating["rectification"]
    # Five working days after Monday 30 Nov: Monday 7 Dec, end of day.
    assert (rect["department"], rect["status"]) == ("amr", "open")
    assert rect["due"].startswith("2026-12-07")
    assert [r["number"] for r in api.ok(api.get("amr1", "/ratings"))] == [case["number"]]
    assert api.ok(api.get("psb1", "/ratings")) == []
    assert api.get("alice", "/ratings").status_code == 403
    path = f"/cases/{case['id']}/rating"
    assert api.post("psb1", f"{path}/reply", {"text": "x"}).status_code in (403, 404)
    assert api.post("sup", f"{path}/follow_up", {"text": "x"}).status_code == 409
    empty = api.post("amr1", f"{path}/reply", {"text": "  "})
    assert empty.status_code == 400 and empty.json()["details"][0]["pointer"] == "/text"
    replied = api.ok(api.post("amr1", f"{path}/reply", {"text": "已一次性告知材料清单"}))
    assert replied["rectification"]["status"] == "replied"
    closed = api.ok(api.post("sup", f"{path}/follow_up", {"text": "回访：申请人表示满意"}))
    assert closed["rectification"]["status"] == "closed"
    assert closed["rectification"]["follow_up"]["text"] == "回访：申请人表示满意"


def test_an_upheld_appeal_removes_the_bad_rating_from_the_counts(api: Api, clock: Clock) -> None:
    case = finish(api)
    api.ok(api.post("alice", f"/cases/{case['id']}/rating", {"level": 1}), 201)
    counts = api.services.ratings.counts()
    assert [(c["department"], c["total"], c["bad"]) for c in counts] == [("amr", 1, 1)]
    path = f"/cases/{case['id']}/rating"
    assert api.ok(api.post("amr1", f"{path}/appeal", {"text": "恶意评价"}))[
        "rectification"]["status"] == "appealed"
    assert api.post("amr1", f"{path}/uphold_appeal", {"text": "x"}).status_code == 403
    assert api.ok(api.post("sup", f"{path}/uphold_appeal", {"text": "查实为恶意差评"}))[
        "rectification"]["status"] == "annulled"
    assert api.services.ratings.counts() == []


def test_unrated_after_seven_days_counts_as_basically_satisfied(api: Api, clock: Clock) -> None:
    finish(api)
    assert api.services.ratings.counts() == []
    clock.now += timedelta(days=7)
    [row] = api.services.ratings.counts()
    assert (row["department"], row["total"], row["levels"][3], row["default"]) == \
        ("amr", 1, 1, 1)
